//! Fixture-driven rule tests: each rule's ok fixtures are clean, its bad ones are caught, and
//! every bad fixture's diagnostics are pinned by a JSON snapshot.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use tagman_core::Policy;
use tagman_lint::{check_manifests, load_manifests, rules, Report, Sink};

/// A fixed "now" (2026-11-15T00:00:00Z) so the future-timestamp rule is deterministic.
const NOW: i64 = 1_763_164_800 + 365 * 86_400;

fn root() -> PathBuf {
    // Relative to the crate, so file names in snapshots are the same on every machine.
    PathBuf::from("../../fixtures/lint")
}

/// A fixture is a file, or a directory whose files are linted together.
fn fixture_files(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        files
    } else {
        vec![path.to_path_buf()]
    }
}

fn fixtures(code: &str, prefix: &str) -> Vec<PathBuf> {
    let dir = root().join(code);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect();
    found.sort();
    found
}

fn policy_for(code: &str) -> Policy {
    let path = root().join(code).join("tagman.yaml");
    if path.exists() {
        Policy::load(&path).unwrap()
    } else {
        Policy::defaults(root())
    }
}

fn lint(code: &str, fixture: &Path) -> Report {
    let policy = policy_for(code);
    // Files named `base-*` are the manifests as they stood at the base revision (TM106, TM107).
    let (base, files): (Vec<PathBuf>, Vec<PathBuf>) =
        fixture_files(fixture).into_iter().partition(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("base-")
        });
    let base = load_manifests(&base, &policy).unwrap().manifests;
    let loaded = load_manifests(&files, &policy).unwrap();
    let mut sink = Sink::new(&policy);
    check_manifests(&loaded, &base, &policy, NOW, &mut sink);
    sink.finish()
}

#[test]
fn every_rule_has_ok_and_bad_fixtures() {
    for rule in rules::all() {
        assert!(
            !fixtures(rule.code, "ok-").is_empty(),
            "{} has no ok fixture",
            rule.code
        );
        assert!(
            !fixtures(rule.code, "bad-").is_empty(),
            "{} has no bad fixture",
            rule.code
        );
    }
}

#[test]
fn ok_fixtures_are_clean() {
    for rule in rules::all() {
        for fixture in fixtures(rule.code, "ok-") {
            let report = lint(rule.code, &fixture);
            assert!(
                report.diagnostics.is_empty(),
                "{}: {:#}",
                fixture.display(),
                report.to_json()
            );
        }
    }
}

#[test]
fn bad_fixtures_are_caught_and_snapshotted() {
    for rule in rules::all() {
        for fixture in fixtures(rule.code, "bad-") {
            let report = lint(rule.code, &fixture);
            assert!(
                report.diagnostics.iter().any(|d| d.code == rule.code),
                "{} does not trigger {}: {:#}",
                fixture.display(),
                rule.code,
                report.to_json()
            );
            let name = format!(
                "{}__{}",
                rule.code,
                fixture.file_stem().unwrap().to_string_lossy()
            );
            insta::assert_json_snapshot!(name, report.to_json());
        }
    }
}

#[test]
fn the_real_typo_is_caught_with_the_fix() {
    let report = lint("TM004", &root().join("TM004/bad-real-typo.yaml"));
    let d = &report.diagnostics[0];
    assert_eq!((d.code, d.finding.primary.start().line), ("TM004", 6));
    assert_eq!(
        d.finding.help.as_deref(),
        Some("did you mean `stx.8.0-v1.0.5`?")
    );
}

#[test]
fn policy_overrides_change_severity_or_silence_a_rule() {
    let fixture = root().join("TM004/bad-real-typo.yaml");
    let policy = |text: &str| {
        Policy::parse(tagman_core::SourceFile::new("tagman.yaml", text), root()).unwrap()
    };
    for (text, expect) in [
        (
            "rules: {tag-format: warning}",
            Some(tagman_core::Severity::Warning),
        ),
        ("rules: {TM004: off}", None),
        ("", Some(tagman_core::Severity::Error)),
    ] {
        let policy = policy(text);
        let loaded = load_manifests(std::slice::from_ref(&fixture), &policy).unwrap();
        let mut sink = Sink::new(&policy);
        check_manifests(&loaded, &[], &policy, NOW, &mut sink);
        let report = sink.finish();
        let got = report
            .diagnostics
            .iter()
            .find(|d| d.code == "TM004")
            .map(|d| d.severity);
        assert_eq!(got, expect, "{text}");
    }
}
