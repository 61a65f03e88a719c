//! Issue 18: the jobs judge a change by what it brings, in every merge mode Zuul's merger has.
//!
//! The stand-in builds the prepared repository the way Zuul's merger does
//! (zuul/merger/merger.py, `_mergeChange`): the branch tip checked out, each item of the queue
//! merged onto it in order, this change last, by the project's merge-mode:
//! - `merge`, `merge-resolve`, `merge-recursive`, `merge-ort`: `git merge [-s S] -m "Merge
//!   '<ref>'" FETCH_HEAD` (no `--no-ff`: a change on the base fast-forwards);
//! - `cherry-pick`: `git cherry-pick --keep-redundant-commits FETCH_HEAD`;
//! - `squash-merge`: `git merge --squash FETCH_HEAD` then `git commit --allow-empty -m "Merge
//!   '<ref>'"`;
//! - `rebase`: `git checkout FETCH_HEAD` then `git rebase <base>`.
//!
//! The real case is starlingx/root's: a change written on a950191 that adds one trixie entry,
//! merged onto db018b7 (the Merge of "image-tags: update Telegraf tag (bullseye + trixie)", which
//! re-points the Telegraf entries of both manifests), with an item ahead in the queue adding a
//! bullseye entry. The manifests are the real files at a950191 and db018b7
//! (fixtures/zuul/starlingx-root/). The change's message has no bug reference, so TM101 names
//! what the change adds: only its own entry may be named, and only its own file get comments.
//!
//! What still differs from Zuul: the refs are local branches, not fetched `refs/changes/…`;
//! Zuul's commit timestamps (`configured_time`) and the executor's `origin/<branch>` ref are
//! not set; the repository is not pushed to a node by zuul-jobs' mirror-workspace-git-repos.

use crate::support;

use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use support::zuul::{checkout, playbook, returned, zuul_vars};
use support::{describe, git, git_init, project_root};

const DIR: &str = "build-tools/build-docker-images/tag-management";
const TRIXIE: &str = "build-tools/build-docker-images/tag-management/image-tags-trixie.yaml";

/// The change's entry, appended to the trixie manifest.
const CHANGE_ENTRY: &str = "  - name: docker.io/starlingx/stx-snmp-exporter
    src_build_tag: master-debian-trixie-amd64-stable-20260716T220100Z.0
    src_ref: https://opendev.org/starlingx/snmp-armada-app/commit/0123456789abcdef0123456789abcdef01234567
    tag: stx.13.0-v0.1.0-trixie
";

/// The entry of the item ahead in the queue, appended to the bullseye manifest.
const AHEAD_ENTRY: &str = "  - name: docker.io/starlingx/stx-ahead-image
    src_build_tag: master-debian-bullseye-amd64-stable-20260716T041000Z.0
    src_ref: https://opendev.org/starlingx/ahead-app/commit/89abcdef0123456789abcdef0123456789abcdef
    tag: stx.13.0-v9.9.9-bullseye
";

const CHANGE_MESSAGE: &str = "image-tags: add the trixie SNMP exporter\n\nChange-Id: I1111111111111111111111111111111111111111\n";

fn real(rev: &str, os: &str) -> String {
    let path = project_root().join(format!(
        "fixtures/zuul/starlingx-root/{rev}/image-tags-{os}.yaml"
    ));
    std::fs::read_to_string(path).unwrap()
}

fn write_manifests(dir: &Path, rev: &str) {
    std::fs::create_dir_all(dir.join(DIR)).unwrap();
    for os in ["bullseye", "trixie"] {
        let path = dir.join(format!("{DIR}/image-tags-{os}.yaml"));
        std::fs::write(path, real(rev, os)).unwrap();
    }
}

fn append(dir: &Path, file: &str, text: &str) {
    let path = dir.join(DIR).join(file);
    let mut body = std::fs::read_to_string(&path).unwrap();
    body.push_str(text);
    std::fs::write(path, body).unwrap();
}

fn head(dir: &Path) -> String {
    git(dir, &["rev-parse", "HEAD"])
}

/// starlingx/root as the change's author saw it and as it is now: a950191, then the Telegraf
/// change merged by Gerrit as db018b7; the change written on a950191; the item ahead written on
/// the tip. Returns (change, item ahead, tip).
fn history(dir: &Path, change_on_ahead: bool) -> (String, String, String) {
    git_init(dir);
    write_manifests(dir, "a950191");
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "commit",
            "-q",
            "-m",
            "build-pkgs: do not abort build when dl_reused fails for some packages",
        ],
    );
    git(dir, &["branch", "-q", "-M", "master"]);
    let written_on = head(dir);
    git(dir, &["checkout", "-q", "-b", "telegraf"]);
    write_manifests(dir, "db018b7");
    git(
        dir,
        &[
            "commit",
            "-q",
            "-a",
            "-m",
            "image-tags: update Telegraf tag (bullseye + trixie)\n\nCloses-Bug: 2157986\n",
        ],
    );
    git(dir, &["checkout", "-q", "master"]);
    git(
        dir,
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge \"image-tags: update Telegraf tag (bullseye + trixie)\"",
            "telegraf",
        ],
    );
    let tip = head(dir);

    git(dir, &["checkout", "-q", "-b", "ahead", &tip]);
    append(dir, "image-tags-bullseye.yaml", AHEAD_ENTRY);
    git(dir, &["commit", "-q", "-a", "-m", "image-tags: add the ahead image\n\nCloses-Bug: 2157999\nChange-Id: I2222222222222222222222222222222222222222\n"]);
    let ahead = head(dir);

    // A change written on the item ahead (a Gerrit dependent change) fast-forwards; the real
    // case was written on a950191.
    let parent = if change_on_ahead { &ahead } else { &written_on };
    git(dir, &["checkout", "-q", "-b", "change", parent]);
    append(dir, "image-tags-trixie.yaml", CHANGE_ENTRY);
    git(dir, &["commit", "-q", "-a", "-m", CHANGE_MESSAGE]);
    let change = head(dir);
    git(dir, &["checkout", "-q", "master"]);
    (change, ahead, tip)
}

/// Merges `item` onto HEAD as Zuul's merger does in `mode`.
fn merge_item(dir: &Path, mode: &str, item: &str) {
    let message = format!("Merge 'refs/changes/{}/1'", &item[..7]);
    match mode {
        "merge" => {
            git(dir, &["merge", "-q", "-m", &message, item]);
        }
        "merge-resolve" | "merge-recursive" | "merge-ort" => {
            let strategy = mode.trim_start_matches("merge-");
            git(dir, &["merge", "-q", "-s", strategy, "-m", &message, item]);
        }
        "cherry-pick" => {
            git(dir, &["cherry-pick", "--keep-redundant-commits", item]);
        }
        "squash-merge" => {
            git(dir, &["merge", "-q", "--squash", item]);
            git(dir, &["commit", "-q", "--allow-empty", "-m", &message]);
        }
        "rebase" => {
            let base = head(dir);
            git(dir, &["checkout", "-q", item]);
            git(dir, &["rebase", "-q", &base]);
            // The executor checks the branch out at the merger's result.
            let rebased = head(dir);
            git(dir, &["checkout", "-q", "-B", "master", &rebased]);
        }
        _ => unreachable!("{mode}"),
    }
}

/// The prepared repository for `mode`: the tip, the item ahead, the change. Returns the change.
fn prepared(scratch: &Path, mode: &str) -> PathBuf {
    let src = checkout(scratch);
    let (change, ahead, tip) = history(&src, mode == "fast-forward");
    git(&src, &["checkout", "-q", "-B", "master", &tip]);
    let how = if mode == "fast-forward" {
        "merge"
    } else {
        mode
    };
    merge_item(&src, how, &ahead);
    merge_item(&src, how, &change);
    std::fs::write(scratch.join("change"), &change).unwrap();
    src
}

/// Runs the lint job on the change prepared in `mode`; returns what it gave zuul_return and
/// its log.
fn lint_job(scratch: &Path, mode: &str, extra: &[String]) -> (Value, String) {
    let src = prepared(scratch, mode);
    let change = std::fs::read_to_string(scratch.join("change")).unwrap();
    let vars = zuul_vars(
        scratch,
        &src,
        &change,
        json!({ "change_message": CHANGE_MESSAGE }),
    );
    let out_file = scratch.join("zuul_return.json");
    let out = playbook(scratch, "lint.yaml", &vars, &out_file, extra);
    let text = describe(&out);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{mode}:\n{text}");
    (returned(&out_file), text)
}

/// The TM101 comment on /COMMIT_MSG.
fn tm101(data: &Value) -> String {
    let comments = data["zuul"]["file_comments"]["/COMMIT_MSG"]
        .as_array()
        .unwrap_or_else(|| panic!("no /COMMIT_MSG comment: {data:#}"));
    comments
        .iter()
        .filter_map(|c| c["message"].as_str())
        .find(|m| m.starts_with("TM101"))
        .unwrap_or_else(|| panic!("no TM101: {data:#}"))
        .to_owned()
}

#[test]
fn lint_job_judges_only_the_change_in_every_merge_mode() {
    for mode in [
        "merge",
        "merge-resolve",
        "merge-recursive",
        "merge-ort",
        "cherry-pick",
        "squash-merge",
        "rebase",
        "fast-forward",
    ] {
        let scratch = tempfile::tempdir().unwrap();
        let (data, log) = lint_job(scratch.path(), mode, &[]);
        let tm101 = tm101(&data);
        assert!(
            tm101.contains("stx.13.0-v0.1.0-trixie"),
            "{mode}: the change's own entry: {tm101}"
        );
        for other in ["stx.13.0-v1.38.3-1", "stx.13.0-v9.9.9-bullseye"] {
            assert!(!tm101.contains(other), "{mode}: names {other}: {tm101}");
        }
        let files: Vec<&String> = data["zuul"]["file_comments"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        for file in &files {
            assert!(
                *file == "/COMMIT_MSG" || *file == TRIXIE,
                "{mode}: a comment on {file}, which the change does not touch: {data:#}"
            );
        }
        assert!(
            log.contains("is judged against"),
            "{mode}: the log says which base:\n{log}"
        );
        eprintln!("{mode}: TM101 = {tm101}");
    }
}

/// The old base, the change's own parent, blamed the Telegraf change and the item ahead on it:
/// the test above would fail with it.
#[test]
fn the_change_s_own_parent_blames_what_merged_since() {
    let scratch = tempfile::tempdir().unwrap();
    let change_parent = ["-e".to_owned(), "tagman_base_rev=HEAD^2~1".to_owned()];
    let (data, _) = lint_job(scratch.path(), "merge", &change_parent);
    let tm101 = tm101(&data);
    assert!(tm101.contains("stx.13.0-v1.38.3-1"), "{tm101}");
}
