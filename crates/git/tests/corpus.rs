//! Replays of real StarlingX history: its 137 commit messages through the same checks
//! `tagman commit-msg` runs. The replay of its tag files rebuilt as a git repository, commit by
//! commit, with `tagman lint --commit` runs through the binary (crates/cli/tests/corpus.rs), which
//! composes the manifest rules with what git reads.

use std::collections::BTreeMap;

use tagman_core::{reference_requirement, Policy, Requirement, Snapshot, SourceFile};
use tagman_diag::{Report, Sink};
use tagman_git::gate::check_message;
use tagman_git::Message;
use tagman_testkit::corpus::rows;

fn message_report(message: &Message, requirement: &Requirement, policy: &Policy) -> Report {
    let mut sink = Sink::new(policy);
    check_message(message, requirement, policy, &mut sink);
    sink.finish()
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
