//! Replays of real StarlingX history: its 137 commit messages, and its tag files rebuilt as a git
//! repository commit by commit, through the same checks `tagman commit-msg` and
//! `tagman lint --commit` run.

// Helpers outside #[test] functions unwrap too: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;

use tagman_core::{Policy, SourceFile};
use tagman_git::gate::lint_commit;
use tagman_git::{check_message, reference_requirement, Message, Repo, Requirement, Snapshot};

use support::{rows, DIR};

/// Every message that changes entries carries an accepted reference and passes; the one without
/// passes only because its change adds or changes no entry.
#[test]
fn all_137_real_messages_pass() {
    let policy = Policy::default();
    let mut base = Snapshot::empty("(none)");
    let mut required = 0;
    let mut not_required = Vec::new();
    let mut without_reference = Vec::new();
    let mut warnings: BTreeMap<&str, usize> = BTreeMap::new();
    let rows = rows();
    assert_eq!(rows.len(), 137);
    for row in &rows {
        let head = Snapshot::from_files(row.stem(), row.manifests(), &policy);
        assert!(head.broken.is_empty(), "{}", row.stem());
        let requirement = reference_requirement(&base, &head);
        let message = Message::parse(SourceFile::new(row.stem(), row.message()), false);
        let report = check_message(&message, &requirement, &policy);
        assert_eq!(report.errors(), 0, "{}: {:#}", row.stem(), report.to_json());
        for d in &report.diagnostics {
            *warnings.entry(d.code).or_default() += 1;
        }
        if message.accepted(&policy.references).next().is_none() {
            without_reference.push(row.commit.clone());
        }
        match requirement {
            Requirement::Required { .. } => required += 1,
            Requirement::NotRequired => not_required.push(row.commit.clone()),
        }
        base = head;
    }
    assert_eq!(without_reference, ["962c4ac21c"]);
    assert!(not_required.contains(&"962c4ac21c".to_owned()));
    // The verdicts, pinned: 132 commits add or change entries; 5 need no reference: the
    // reorganisation (renames, drops the 3.0 file), two that remove images, two that touch only
    // retag-images.sh. 12 keys are spelled `Closes-bug` / `Partial-bug` (TM105, a warning).
    assert_eq!(
        not_required,
        [
            "962c4ac21c",
            "4c6419be63",
            "06d6a831b8",
            "2c3f27c461",
            "775ad108af"
        ]
    );
    assert_eq!(required, 132);
    assert_eq!(warnings.get("TM105"), Some(&12), "{warnings:?}");
}

/// The same messages with their references removed fail exactly where entries changed.
#[test]
fn real_messages_without_their_references_fail() {
    let policy = Policy::default();
    let mut base = Snapshot::empty("(none)");
    let mut failed = 0;
    for row in rows() {
        let head = Snapshot::from_files(row.stem(), row.manifests(), &policy);
        let requirement = reference_requirement(&base, &head);
        let stripped: String = row
            .message()
            .lines()
            .filter(|l| {
                let key = l
                    .split(':')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                !["closes-bug", "partial-bug", "related-bug", "story", "task"]
                    .contains(&key.as_str())
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let message = Message::parse(SourceFile::new(row.stem(), stripped), false);
        let report = check_message(&message, &requirement, &policy);
        let missing = report.diagnostics.iter().any(|d| d.code == "TM101");
        assert_eq!(missing, requirement.is_required(), "{}", row.stem());
        failed += usize::from(missing);
        base = head;
    }
    assert_eq!(failed, 132);
}

/// StarlingX's history rebuilt as a git repository, one commit per index row, replayed with
/// `lint --commit`: no tag was ever re-pointed, and no message fails.
#[test]
fn history_replay_finds_no_repointed_tag() {
    let (dir, git) = support::repo();
    let rows = rows();
    let mut ids = Vec::new();
    for row in &rows {
        let files: Vec<(String, Vec<u8>)> = row
            .manifests()
            .into_iter()
            .map(|(name, bytes)| (format!("{DIR}/{name}"), bytes))
            .collect();
        ids.push(support::commit_tree(
            &git,
            &files,
            &row.message(),
            row.time(),
        ));
    }
    let repo = Repo::discover(dir.path()).unwrap();
    let policy = Policy::defaults(repo.root().to_path_buf());
    let now = rows.last().unwrap().time() + 86_400;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut removed: BTreeMap<String, usize> = BTreeMap::new();
    for (row, id) in rows.iter().zip(&ids) {
        let report = lint_commit(&repo, &id.to_string(), &policy, now).unwrap();
        for d in &report.diagnostics {
            *counts.entry(d.code).or_default() += 1;
            if d.code == "TM107" {
                *removed.entry(row.commit.clone()).or_default() += 1;
            }
        }
        let repointed: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code == "TM106")
            .collect();
        assert!(repointed.is_empty(), "{}: {:?}", row.stem(), repointed);
        let message_errors = report
            .diagnostics
            .iter()
            .filter(|d| d.code.starts_with("TM10") && d.severity == tagman_core::Severity::Error)
            .count();
        assert_eq!(message_errors, 0, "{}: {:#}", row.stem(), report.to_json());
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
    let (dir, git) = support::repo();
    let row = rows().pop().unwrap();
    let files: Vec<(String, Vec<u8>)> = row
        .manifests()
        .into_iter()
        .map(|(name, bytes)| (format!("{DIR}/{name}"), bytes))
        .collect();
    support::commit_tree(&git, &files, &row.message(), row.time());
    let text = String::from_utf8(files[0].1.clone()).unwrap();
    let repointed = text.replacen(
        "master-debian-stable-20241127T050100Z.0",
        "master-debian-stable-20241129T050100Z.0",
        1,
    );
    assert_ne!(text, repointed);
    let changed = vec![(files[0].0.clone(), repointed.into_bytes())];
    support::commit_tree(
        &git,
        &changed,
        "Rebuild platformclients\n\nCloses-Bug: 2090000\n",
        row.time() + 86_400,
    );
    let repo = Repo::discover(dir.path()).unwrap();
    let policy = Policy::defaults(repo.root().to_path_buf());
    let report = lint_commit(&repo, "HEAD", &policy, row.time() + 2 * 86_400).unwrap();
    let moved: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code == "TM106")
        .collect();
    assert_eq!(moved.len(), 1, "{:#}", report.to_json());
    let d = moved[0];
    assert!(d
        .finding
        .message
        .contains("stx.10.0-v1.5.18` was published from master-debian-stable-20241127T050100Z.0"));
    assert_eq!(
        d.finding.secondary[0].file.name(),
        format!("HEAD^:{DIR}/image-tags.yaml")
    );
    assert!(report.errors() > 0);
}
