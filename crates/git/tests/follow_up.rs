//! The follow-up commit against real git: the `Change-Id` is the one Gerrit's `commit-msg`
//! hook computes, checked by running the hook's own pipeline with the git CLI (`git var
//! GIT_COMMITTER_IDENT`, the parent, the message, `git hash-object --stdin`, then
//! `git -c trailer.ifexists=doNothing interpret-trailers --trailer`) on the commit tagman made;
//! only the bumped files are committed; a work tree with changes is refused.
//!
//! What differs from the hook: tagman commits with libgit2, so the identity is git's
//! `user.name`/`user.email` (the `GIT_COMMITTER_*` variables, which `git var` also reads, are
//! not), and the message is the one tagman built (the hook sees the file `git commit` wrote).

use std::path::Path;
use std::process::Stdio;

use tagman_git::Repo;

fn git(dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = tagman_testkit::git::cli_command(dir, args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A work tree with `files` committed (or none: no HEAD yet) and an identity configured.
fn work_tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q", "-b", "master"], None);
    // A name git must quote nothing in, with an accent: the ident is bytes, not ASCII.
    git(dir.path(), &["config", "user.name", "Gabriel Júnior"], None);
    git(
        dir.path(),
        &["config", "user.email", "bot@starlingx.invalid"],
        None,
    );
    for (path, text) in files {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    if !files.is_empty() {
        git(dir.path(), &["add", "-A"], None);
        git(dir.path(), &["commit", "-q", "-m", "start"], None);
    }
    dir
}

/// What the hook makes of `message` for the commit `rev` (its committer and parent).
fn hook_result(dir: &Path, rev: &str, message: &str) -> String {
    let raw = git(dir, &["cat-file", "commit", rev], None);
    let ident = raw
        .lines()
        .find_map(|l| l.strip_prefix("committer "))
        .unwrap()
        .to_owned();
    let refhash = match git_ok(dir, &["rev-parse", "--verify", &format!("{rev}~1")]) {
        Some(parent) => parent,
        None => git(dir, &["hash-object", "-t", "tree", "/dev/null"], None)
            .trim()
            .to_owned(),
    };
    let random = git(
        dir,
        &["hash-object", "--stdin"],
        Some(&format!("{ident}\n{refhash}\n{message}")),
    );
    let trailer = format!("Change-Id: I{}", random.trim());
    git(
        dir,
        &[
            "-c",
            "trailer.ifexists=doNothing",
            "interpret-trailers",
            "--trailer",
            &trailer,
        ],
        Some(message),
    )
}

fn git_ok(dir: &Path, args: &[&str]) -> Option<String> {
    let out = tagman_testkit::git::cli_command(dir, args)
        .output()
        .unwrap();
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

#[test]
fn the_change_id_is_the_one_gerrits_hook_computes() {
    let messages = [
        // A trailer block: the id joins it.
        "Move stx-ceph-manager to stx.13.0-v18.2.2-0\n\nMove the references.\n\nStory: 2011771\nTask: 54725\n",
        // No trailers: the id is a paragraph of its own.
        "Move stx-audit to stx.13.0-v1.0.1-trixie\n\nNo references to carry.\n",
    ];
    for message in messages {
        for first in [false, true] {
            let dir = if first {
                work_tree(&[])
            } else {
                work_tree(&[("a.yaml", "a: 1\n")])
            };
            std::fs::write(dir.path().join("a.yaml"), "a: 2\n").unwrap();
            let repo = Repo::discover(dir.path()).unwrap();
            let (prepared, committed) = repo
                .commit_files(&[dir.path().join("a.yaml")], message)
                .unwrap();
            let stored = git(dir.path(), &["cat-file", "commit", "HEAD"], None);
            let stored = &stored[stored.find("\n\n").unwrap() + 2..];
            assert_eq!(stored, prepared.message);
            assert_eq!(
                hook_result(dir.path(), "HEAD", message),
                prepared.message,
                "first commit: {first}"
            );
            assert_eq!(committed.files, ["a.yaml"]);
            assert!(prepared
                .message
                .contains(&format!("Change-Id: {}\n", prepared.change_id)));
        }
    }
}

#[test]
fn only_the_named_files_are_committed_and_a_changed_tree_is_refused() {
    let dir = work_tree(&[("a.yaml", "a: 1\n"), ("b.yaml", "b: 1\n")]);
    let repo = Repo::discover(dir.path()).unwrap();
    repo.require_clean().unwrap();
    std::fs::write(dir.path().join("a.yaml"), "a: 2\n").unwrap();
    std::fs::write(dir.path().join("b.yaml"), "b: 2\n").unwrap();
    let err = repo.require_clean().unwrap_err();
    assert!(
        matches!(err, tagman_git::GitError::Dirty { ref paths, .. } if paths == &["a.yaml", "b.yaml"]),
        "{err}"
    );
    repo.commit_files(&[dir.path().join("a.yaml")], "Move a\n")
        .unwrap();
    assert_eq!(
        git(
            dir.path(),
            &["show", "--name-only", "--format=", "HEAD"],
            None
        ),
        "a.yaml\n"
    );
    assert_eq!(
        git(dir.path(), &["status", "--porcelain"], None),
        " M b.yaml\n"
    );
    // A file outside the work tree is refused by name, and nothing is committed.
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("c.yaml"), "c\n").unwrap();
    let head = git(dir.path(), &["rev-parse", "HEAD"], None);
    let err = repo
        .commit_files(&[elsewhere.path().join("c.yaml")], "x\n")
        .unwrap_err();
    assert!(
        matches!(err, tagman_git::GitError::OutsideWorkTree { .. }),
        "{err}"
    );
    assert_eq!(git(dir.path(), &["rev-parse", "HEAD"], None), head);
}
