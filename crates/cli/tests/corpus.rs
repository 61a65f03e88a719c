//! StarlingX's tag files rebuilt as a git repository, one commit per row of the corpus (the
//! manifests under their folder in starlingx/root, the real message and date), replayed with
//! `tagman lint --commit` through the binary: the manifest rules, the revision rules and the
//! message rules composed as a user runs them.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;
use tagman_testkit::corpus::{rows, Row, DIR};
use tagman_testkit::git as testgit;

use crate::support::{json, tagman_in};

/// The codes of `tagman lint ARGS --format json` run in `dir`, with the JSON report.
fn lint_json(dir: &Path, args: &[&str]) -> Value {
    let out = tagman_in(dir)
        .args(["lint", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

/// `tagman lint --commit REV` in the repository at `dir`.
fn lint_commit(dir: &Path, rev: &str) -> Value {
    lint_json(dir, &["--commit", rev])
}

/// The commit-message rules a stored message is checked with.
const MESSAGE_RULES: [&str; 5] = ["TM101", "TM102", "TM103", "TM104", "TM105"];

fn diagnostics(report: &Value) -> &Vec<Value> {
    report["diagnostics"].as_array().unwrap()
}

fn code(d: &Value) -> &str {
    d["code"].as_str().unwrap()
}

/// StarlingX's history rebuilt as a git repository, one commit per row (the manifests under
/// their folder in starlingx/root, the real message and date): the directory and each commit.
fn history(rows: &[Row]) -> (tempfile::TempDir, Vec<git2::Oid>) {
    let (dir, git) = testgit::repo();
    let ids = rows
        .iter()
        .map(|row| {
            let files: Vec<(String, Vec<u8>)> = row
                .manifests()
                .into_iter()
                .map(|(name, bytes)| (format!("{DIR}/{name}"), bytes))
                .collect();
            testgit::commit_tree(&git, &files, &row.message(), row.time())
        })
        .collect();
    (dir, ids)
}

/// StarlingX's history rebuilt as a git repository, one commit per index row, replayed with
/// `lint --commit`: no tag was ever re-pointed, and no message fails.
#[test]
fn history_replay_finds_no_repointed_tag() {
    let rows = rows();
    let (dir, ids) = history(&rows);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    let mut removed: BTreeMap<String, usize> = BTreeMap::new();
    for (row, id) in rows.iter().zip(&ids) {
        let report = lint_commit(dir.path(), &id.to_string());
        for d in diagnostics(&report) {
            *counts.entry(code(d).to_owned()).or_default() += 1;
            if code(d) == "TM107" {
                *removed.entry(row.commit.clone()).or_default() += 1;
            }
        }
        let repointed: Vec<_> = diagnostics(&report)
            .iter()
            .filter(|d| code(d) == "TM106")
            .collect();
        assert!(repointed.is_empty(), "{}: {:?}", row.stem(), repointed);
        let message_errors = diagnostics(&report)
            .iter()
            .filter(|d| MESSAGE_RULES.contains(&code(d)) && d["severity"] == "error")
            .count();
        assert_eq!(message_errors, 0, "{}: {:#}", row.stem(), report);
    }
    // Pinned so a change in any verdict shows: the one real defect (stx.8.0.v1.0.5, TM004) and
    // the images dropped over the years (TM107) are all that history holds.
    assert_eq!(counts.get("TM106"), None);
    assert_eq!(counts.get("TM004"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("TM107"), Some(&14), "{removed:?}");
    // Ten commits drop an image's last entry (k8s-cni-sriov, the sriov-fec images, …); the
    // corpus linearises parallel branches, so 973bbfa0d9 appears to drop three.
    assert_eq!(removed.len(), 10, "{removed:?}");
}

/// On top of the real history, a commit that re-points a published tag fails with TM106, even
/// with a proper reference.
#[test]
fn repointing_on_top_of_history_fails() {
    let (dir, git) = testgit::repo();
    let row = rows().pop().unwrap();
    let files: Vec<(String, Vec<u8>)> = row
        .manifests()
        .into_iter()
        .map(|(name, bytes)| (format!("{DIR}/{name}"), bytes))
        .collect();
    testgit::commit_tree(&git, &files, &row.message(), row.time());
    let text = String::from_utf8(files[0].1.clone()).unwrap();
    let repointed = text.replacen(
        "master-debian-stable-20241127T050100Z.0",
        "master-debian-stable-20241129T050100Z.0",
        1,
    );
    assert_ne!(text, repointed);
    let changed = vec![(files[0].0.clone(), repointed.into_bytes())];
    testgit::commit_tree(
        &git,
        &changed,
        "Rebuild platformclients\n\nCloses-Bug: 2090000\n",
        row.time() + 86_400,
    );
    let report = lint_commit(dir.path(), "HEAD");
    let moved: Vec<_> = diagnostics(&report)
        .iter()
        .filter(|d| code(d) == "TM106")
        .collect();
    assert_eq!(moved.len(), 1, "{report:#}");
    let d = moved[0];
    assert!(d["message"]
        .as_str()
        .unwrap()
        .contains("stx.10.0-v1.5.18` was published from master-debian-stable-20241127T050100Z.0"));
    // The checked file is named by its path, so machine formats annotate the file itself.
    assert_eq!(d["file"], format!("{DIR}/image-tags.yaml"));
    assert!(
        report["summary"]["errors"].as_u64().unwrap() > 0,
        "{report:#}"
    );
    // The human report shows where the tag was published: the base revision's file.
    let human = tagman_in(dir.path())
        .args(["lint", "--commit", "HEAD"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains(&format!("HEAD^:{DIR}/image-tags.yaml")),
        "{text}"
    );
}

/// Issue 14, point 8: StarlingX keeps every release's tags in one file, so `release: "10.0"`
/// makes each older entry a TM005 error when the whole file is checked. Against a base, only what
/// a commit adds or changes is held to the release: replayed with `lint --commit`, the stx.10.0
/// era (from March 2024, when master's new tags became stx.10.0) is clean except for the two
/// commits that really added an stx.9.0 tag on master.
#[test]
fn release_applies_to_what_each_commit_adds() {
    let rows = rows();
    let (dir, ids) = history(&rows);
    std::fs::write(dir.path().join("tagman.yaml"), "release: \"10.0\"\n").unwrap();
    let mut flagged: BTreeMap<String, usize> = BTreeMap::new();
    for (row, id) in rows.iter().zip(&ids) {
        if row.date.as_str() < "20240320" {
            continue;
        }
        let report = lint_commit(dir.path(), &id.to_string());
        let tm005 = diagnostics(&report)
            .iter()
            .filter(|d| code(d) == "TM005")
            .inspect(|d| {
                let message = d["message"].as_str().unwrap();
                assert!(message.contains("tagged for release 9.0"), "{message}");
            })
            .count();
        if tm005 > 0 {
            flagged.insert(row.commit.clone(), tm005);
        }
    }
    let expected: BTreeMap<String, usize> =
        [("60cc165cd0".to_owned(), 1), ("bb50439c21".to_owned(), 1)].into();
    assert_eq!(flagged, expected);

    // The same file checked whole, with no base: every older release's entry is an error.
    let file = format!("{DIR}/image-tags.yaml");
    let count = |report: &Value| {
        diagnostics(report)
            .iter()
            .filter(|d| code(d) == "TM005")
            .count()
    };
    let whole = lint_json(dir.path(), &["--no-base", &file]);
    assert_eq!(count(&whole), 23, "{whole:#}");
    // And compared with HEAD (the default inside a work tree), the checkout as committed is clean.
    let report = lint_json(dir.path(), &[&file]);
    assert_eq!(count(&report), 0, "{report:#}");
}
