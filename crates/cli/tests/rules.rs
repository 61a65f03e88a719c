//! Every rule of the registry through the binary: each rule has ok and bad fixtures under
//! `fixtures/lint/<CODE>/`; ok ones are clean, bad ones trigger the rule, and every bad one's
//! JSON and human output are pinned by snapshots. Which command checks a fixture follows the
//! rule's subject: `lint` for manifests (with `base-*` files committed first and `--base HEAD`),
//! `commit-msg` outside a repository for messages (a reference is then always required), `refs`
//! for source trees (with `base-*` manifests committed first, as the history they are read from).

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;
use tagman_testkit::fixtures::{for_rule, snapshot_name, split_base, RuleFixtures};
use tagman_testkit::git as testgit;

use crate::support::tagman_in;

/// Rules whose check needs something a fixture file cannot hold, and where they are tested.
const NO_FIXTURES: [(&str, &str); 6] = [
    (
        "TM108",
        "clones of upstream projects: tagman-git's src_repos test",
    ),
    (
        "TM109",
        "clones of upstream projects: tagman-git's src_repos test",
    ),
    (
        "TM110",
        "clones of upstream projects: tagman-git's src_repos and the git CLI tests",
    ),
    (
        "TM111",
        "Launchpad and StoryBoard on loopback: tagman-git's online test",
    ),
    (
        "TM112",
        "Launchpad and StoryBoard on loopback: tagman-git's online test",
    ),
    (
        "TM113",
        "Launchpad and StoryBoard on loopback: tagman-git's online test",
    ),
];

/// The registry as the binary lists it.
fn registry() -> Vec<Value> {
    let out = tagman_in(Path::new("."))
        .args(["rules", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let rules: Value = serde_json::from_slice(&out.stdout).unwrap();
    rules.as_array().unwrap().clone()
}

fn field<'a>(rule: &'a Value, key: &str) -> &'a str {
    rule[key].as_str().unwrap()
}

/// One fixture checked the way its rule's subject is: the binary's output in `format`.
fn check(subject: &str, fixtures: &RuleFixtures, fixture: &Path, format: &str) -> Output {
    let policy = fixtures
        .policy()
        .map_or_else(String::new, |p| std::fs::read_to_string(p).unwrap());
    if subject == "source tree" {
        // The fixture's own policy, if it has one, replaces the rule directory's.
        return crate::support::refs_fixture(fixture, &policy, format, &[]).1;
    }
    let dir = tempfile::tempdir().unwrap();
    // An explicit policy: nothing above the temp dir can change the outcome.
    std::fs::write(dir.path().join("tagman.yaml"), policy).unwrap();
    let mut cmd = tagman_in(dir.path());
    cmd.args(["--config", "tagman.yaml"]);
    match subject {
        "manifest" => {
            let (base, files) = split_base(fixture);
            if !base.is_empty() {
                let (repo_dir, repo) = (dir.path(), git2::Repository::init(dir.path()).unwrap());
                let committed: Vec<(String, Vec<u8>)> = base
                    .iter()
                    .map(|p| (head_name(p), std::fs::read(p).unwrap()))
                    .collect();
                testgit::commit_tree(&repo, &committed, "base\n", 1_700_000_000);
                let _ = repo_dir;
            }
            let names: Vec<String> = files
                .iter()
                .map(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    std::fs::copy(p, dir.path().join(&name)).unwrap();
                    name
                })
                .collect();
            cmd.arg("lint").args(["--format", format]).args(&names);
            if !base.is_empty() {
                cmd.args(["--base", "HEAD"]);
            }
        }
        "commit message" => {
            let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
            std::fs::copy(fixture, dir.path().join(&name)).unwrap();
            cmd.args(["commit-msg", "--format", format, &name]);
        }
        other => panic!("no fixture runner for subject {other}"),
    }
    cmd.output().unwrap()
}

/// `base-a.yaml` is committed as `a.yaml`, the file the head version replaces.
fn head_name(base: &Path) -> String {
    let name = base.file_name().unwrap().to_string_lossy();
    name.strip_prefix("base-").unwrap_or(&name).to_owned()
}

fn codes(out: &Output) -> Vec<String> {
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_rule_has_fixtures_that_pass_and_fail_as_they_should() {
    let rules = registry();
    assert!(
        rules.len() >= 28,
        "the registry lists {} rules",
        rules.len()
    );
    let mut exempt_seen = Vec::new();
    for rule in &rules {
        let code = field(rule, "code");
        if let Some((_, why)) = NO_FIXTURES.iter().find(|(c, _)| *c == code) {
            assert!(!why.is_empty());
            exempt_seen.push(code.to_owned());
            continue;
        }
        let subject = field(rule, "subject");
        let fixtures = for_rule(code);
        for ok in &fixtures.ok {
            let out = check(subject, &fixtures, ok, "json");
            assert_eq!(
                (out.status.code(), codes(&out)),
                (Some(0), Vec::<String>::new()),
                "{}",
                ok.display()
            );
        }
        for bad in &fixtures.bad {
            let out = check(subject, &fixtures, bad, "json");
            let found = codes(&out);
            assert!(
                found.iter().any(|c| c == code),
                "{} does not trigger {code}: {found:?}",
                bad.display()
            );
            let name = snapshot_name(code, bad);
            let json: Value = serde_json::from_slice(&out.stdout).unwrap();
            insta::assert_json_snapshot!(format!("{name}__json"), json);
            let human = check(subject, &fixtures, bad, "human");
            insta::assert_snapshot!(
                format!("{name}__human"),
                String::from_utf8_lossy(&human.stdout)
            );
        }
    }
    let listed: Vec<String> = NO_FIXTURES.iter().map(|(c, _)| (*c).to_owned()).collect();
    assert_eq!(
        exempt_seen, listed,
        "a rule without fixtures must be in the registry"
    );
}

#[test]
fn explain_prints_a_rules_docs_and_unknown_codes_exit_2_with_a_suggestion() {
    let out = tagman_in(Path::new("."))
        .args(["rules", "--explain", "tm004"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for part in [
        "TM004 tag-format",
        "## What it does",
        "## Why",
        "stx.8.0.v1.0.5",
        "## Fix",
    ] {
        assert!(text.contains(part), "{part} missing from:\n{text}");
    }
    let out = tagman_in(Path::new("."))
        .args(["rules", "--explain", "TM04"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean TM004"));
}

#[test]
fn unknown_rule_codes_in_the_policy_are_errors_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tagman.yaml"),
        "rules:\n  tag-format: warning\n  TM04: off\n  nonsense: error\n",
    )
    .unwrap();
    let manifest: PathBuf = tagman_testkit::paths::fixtures_dir().join("image-tags.yaml");
    let out = tagman_in(dir.path())
        .args(["lint", &manifest.to_string_lossy()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no rule is called `TM04`"), "{err}");
    assert!(err.contains("did you mean TM004 (tag-format)?"), "{err}");
    assert!(err.contains("no rule is called `nonsense`"), "{err}");
    assert!(err.contains("tagman.yaml:3:3"), "{err}");
}

#[test]
fn per_path_keys_must_name_source_tree_rules_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tagman.yaml"),
        "per_path:\n  \"doc/**\": {TM202: off, TM2O1: warning}\n  \"old/**\":\n    tag-format: off\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("image-tags.yaml"), "images: []\n").unwrap();
    let out = tagman_in(dir.path()).args(["refs", "."]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no rule is called `TM2O1`"), "{err}");
    assert!(
        err.contains("did you mean TM201 (floating-reference)?"),
        "{err}"
    );
    assert!(err.contains("tagman.yaml:2:26"), "{err}");
    assert!(
        err.contains("TM004 (tag-format) checks the manifest, but `per_path` sets"),
        "{err}"
    );
    assert!(err.contains("tagman.yaml:4:5"), "{err}");
}
