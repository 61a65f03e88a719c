//! `change_base` on repositories prepared the way Zuul's merger prepares them (see
//! `tagman_git::change_base`): for every merge mode, with an item ahead in the queue, the base is
//! the prepared HEAD without the change; a change that is not in HEAD at all is an error.

use std::path::Path;

use tagman_git::{change_base, Entered, Repo};

fn git(dir: &Path, args: &[&str]) -> String {
    tagman_testkit::git::cli(dir, args)
}

fn commit(dir: &Path, file: &str, text: &str, message: &str) -> String {
    std::fs::write(dir.join(file), text).unwrap();
    git(dir, &["add", file]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// (the tip with the item ahead merged, the change) after merging both in `mode`.
fn prepared(dir: &Path, mode: &str) -> (String, String) {
    git(dir, &["init", "-q"]);
    let old = commit(dir, "a", "1\n", "Start");
    commit(dir, "b", "1\n", "Merged since the change was written");
    let tip = git(dir, &["rev-parse", "HEAD"]);
    git(dir, &["checkout", "-q", "-b", "ahead"]);
    let ahead = commit(dir, "c", "1\n", "The item ahead\n\nChange-Id: I2\n");
    git(dir, &["checkout", "-q", "-b", "change", &old]);
    let change = commit(dir, "d", "1\n", "The change\n\nChange-Id: I1\n");
    git(dir, &["checkout", "-q", "-B", "master", &tip]);
    for item in [&ahead, &change] {
        match mode {
            "merge" => drop(git(dir, &["merge", "-q", "-m", "Merge 'x'", item])),
            "cherry-pick" => drop(git(dir, &["cherry-pick", "--keep-redundant-commits", item])),
            "squash-merge" => {
                git(dir, &["merge", "-q", "--squash", item]);
                git(
                    dir,
                    &[
                        "commit",
                        "-q",
                        "--allow-empty",
                        "-m",
                        "Merge 'refs/changes/1'",
                    ],
                );
            }
            "rebase" => {
                let base = git(dir, &["rev-parse", "HEAD"]);
                git(dir, &["checkout", "-q", item]);
                git(dir, &["rebase", "-q", &base]);
                let done = git(dir, &["rev-parse", "HEAD"]);
                git(dir, &["checkout", "-q", "-B", "master", &done]);
            }
            _ => unreachable!(),
        }
    }
    (git(dir, &["rev-parse", "HEAD^"]), change)
}

#[test]
fn the_base_is_the_prepared_head_without_the_change_in_every_mode() {
    for (mode, how) in [
        ("merge", Entered::MergeCommit),
        ("cherry-pick", Entered::Rewritten),
        ("squash-merge", Entered::Rewritten),
        ("rebase", Entered::Rewritten),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let (without, change) = prepared(dir.path(), mode);
        let repo = Repo::discover(dir.path()).unwrap();
        let found = change_base(&repo, "HEAD", &change).unwrap();
        assert_eq!(found.base, without, "{mode}");
        assert_eq!(found.how, how, "{mode}");
        // The item ahead is in the base: a diff from it holds only the change's file.
        let files = git(dir.path(), &["diff", "--name-only", &found.base, "HEAD"]);
        assert_eq!(files, "d", "{mode}");
    }
}

#[test]
fn a_fast_forward_and_a_later_commit_are_found_and_a_stranger_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let parent = commit(d, "a", "1\n", "Start");
    let change = commit(d, "b", "1\n", "The change");
    let repo = Repo::discover(d).unwrap();
    let found = change_base(&repo, "HEAD", &change).unwrap();
    assert_eq!(
        (found.base.as_str(), found.how),
        (parent.as_str(), Entered::FastForward)
    );
    // A post-merge pipeline: later changes merged on top; the change is found below them.
    commit(d, "c", "1\n", "Later");
    let found = change_base(&repo, "HEAD", &change).unwrap();
    assert_eq!(found.base, parent);
    assert_eq!(found.merged_as, change);
    // A commit that is nowhere in HEAD's history, nor rewritten into it.
    git(d, &["checkout", "-q", "-b", "other", &parent]);
    let stranger = commit(d, "z", "1\n", "Unrelated");
    git(d, &["checkout", "-q", "master"]);
    let err = change_base(&repo, "HEAD", &stranger).unwrap_err();
    assert!(err.to_string().contains("is not merged into"), "{err}");
}
