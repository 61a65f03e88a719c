//! Fixture-driven tests of the commit-message rules: `fixtures/lint/<code>/ok-*.txt` are clean,
//! `bad-*.txt` trigger their rule and are pinned by JSON snapshots. Each is read as the message
//! file a `commit-msg` hook gets (comments dropped), for a change that adds entries.

// Helpers outside #[test] functions unwrap too: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::PathBuf;

use tagman_core::{Policy, SourceFile};
use tagman_git::rules::MESSAGE_RULES;
use tagman_git::{check_message, Message, Requirement};
use tagman_lint::Report;

fn root() -> PathBuf {
    PathBuf::from("../../fixtures/lint")
}

fn fixtures(code: &str, prefix: &str) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(root().join(code))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    found.sort();
    found
}

fn check(path: &PathBuf) -> Report {
    let text = std::fs::read_to_string(path).unwrap();
    let message = Message::parse(SourceFile::new(path.to_string_lossy(), text), true);
    check_message(
        &message,
        &Requirement::unknown("the fixture adds entries"),
        &Policy::default(),
    )
}

#[test]
fn message_fixtures() {
    for (rule, _) in MESSAGE_RULES {
        let ok = fixtures(rule.code, "ok-");
        let bad = fixtures(rule.code, "bad-");
        assert!(
            !ok.is_empty() && !bad.is_empty(),
            "{} needs ok and bad fixtures",
            rule.code
        );
        for path in ok {
            let report = check(&path);
            assert!(
                report.diagnostics.is_empty(),
                "{}: {:#}",
                path.display(),
                report.to_json()
            );
        }
        for path in bad {
            let report = check(&path);
            assert!(
                report.diagnostics.iter().any(|d| d.code == rule.code),
                "{} does not trigger {}: {:#}",
                path.display(),
                rule.code,
                report.to_json()
            );
            let name = format!(
                "{}__{}",
                rule.code,
                path.file_stem().unwrap().to_string_lossy()
            );
            insta::assert_json_snapshot!(name, report.to_json());
        }
    }
}

#[test]
fn codes_and_names_are_unique_across_crates() {
    let mut codes = std::collections::HashSet::new();
    let mut names = std::collections::HashSet::new();
    for rule in tagman_lint::rules::all().chain(tagman_git::rules()) {
        assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
        assert!(names.insert(rule.name), "duplicate name {}", rule.name);
    }
    for rule in tagman_git::rules() {
        let n: u32 = rule.code[2..].parse().unwrap();
        assert!(
            (101..200).contains(&n),
            "{} is outside TM101-TM199",
            rule.code
        );
    }
}
