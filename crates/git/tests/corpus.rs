//! Replays of real StarlingX history: its 137 commit messages, and its tag files rebuilt as a git
//! repository commit by commit, through the same checks `tagman commit-msg` and
//! `tagman lint --commit` run.

use std::collections::BTreeMap;
use std::path::Path;

use tagman_core::{Policy, SourceFile};
use tagman_git::gate::{check_message, lint, LintRequest};
use tagman_git::{reference_requirement, Message, Requirement, Snapshot};
use tagman_lint::{Report, Sink};
use tagman_testkit::corpus::{rows, DIR};
use tagman_testkit::git as testgit;

fn message_report(message: &Message, requirement: &Requirement, policy: &Policy) -> Report {
    let mut sink = Sink::new(policy);
    check_message(message, requirement, policy, &mut sink);
    sink.finish()
}

/// `tagman lint --commit REV` in the repository at `dir`, through the same gate the binary uses.
fn lint_commit(dir: &Path, rev: &str, policy: &Policy, now: i64) -> Report {
    let request = LintRequest {
        commit: Some(rev.to_owned()),
        ..LintRequest::default()
    };
    lint(&request, dir, policy, now).unwrap()
}

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
    for row in &rows() {
        let head = Snapshot::from_files(row.stem(), row.manifests(), &policy);
        assert!(head.broken().is_empty(), "{}", row.stem());
        let requirement = reference_requirement(&base, &head);
        let message = Message::parse(SourceFile::new(row.stem(), row.message()), false);
        let report = message_report(&message, &requirement, &policy);
        assert_eq!(report.errors(), 0, "{}: {:#}", row.stem(), report.to_json());
        for d in &report.diagnostics {
            *warnings.entry(d.code()).or_default() += 1;
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
        let report = message_report(&message, &requirement, &policy);
        let missing = report.diagnostics.iter().any(|d| d.code() == "TM101");
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
    let (dir, git) = testgit::repo();
    let rows = rows();
    let mut ids = Vec::new();
    for row in &rows {
        let files: Vec<(String, Vec<u8>)> = row
            .manifests()
            .into_iter()
            .map(|(name, bytes)| (format!("{DIR}/{name}"), bytes))
            .collect();
        ids.push(testgit::commit_tree(
            &git,
            &files,
            &row.message(),
            row.time(),
        ));
    }
    let policy = Policy::defaults(dir.path().canonicalize().unwrap());
    let now = rows.last().unwrap().time() + 86_400;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut removed: BTreeMap<String, usize> = BTreeMap::new();
    for (row, id) in rows.iter().zip(&ids) {
        let report = lint_commit(dir.path(), &id.to_string(), &policy, now);
        for d in &report.diagnostics {
            *counts.entry(d.code()).or_default() += 1;
            if d.code() == "TM107" {
                *removed.entry(row.commit.clone()).or_default() += 1;
            }
        }
        let repointed: Vec<_> = report
            .diagnostics
            .iter()
            .filter(|d| d.code() == "TM106")
            .collect();
        assert!(repointed.is_empty(), "{}: {:?}", row.stem(), repointed);
        let message_errors = report
            .diagnostics
            .iter()
            .filter(|d| {
                d.subject() == tagman_lint::Subject::CommitMessage
                    && d.severity == tagman_core::Severity::Error
            })
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
    let policy = Policy::defaults(dir.path().canonicalize().unwrap());
    let report = lint_commit(dir.path(), "HEAD", &policy, row.time() + 2 * 86_400);
    let moved: Vec<_> = report
        .diagnostics
        .iter()
        .filter(|d| d.code() == "TM106")
        .collect();
    assert_eq!(moved.len(), 1, "{:#}", report.to_json());
    let d = moved[0];
    assert!(d
        .finding
        .message
        .contains("stx.10.0-v1.5.18` was published from master-debian-stable-20241127T050100Z.0"));
    assert_eq!(
        d.finding.secondary[0].file.display_name(),
        format!("HEAD^:{DIR}/image-tags.yaml")
    );
    // The checked file is named by its path, so machine formats annotate the file itself.
    assert_eq!(d.file(), format!("{DIR}/image-tags.yaml"));
    assert!(report.errors() > 0);
}
