//! `tagman refs` on the fixture trees of `fixtures/refs/classes/`, one per class of finding seen
//! on real StarlingX repositories (issue 10): each tree holds `ok/` forms that must stay silent
//! and `bad/` forms that must be found, and its JSON output is pinned by a snapshot. The trees
//! run through the same source-tree runner as the rules' fixtures (`support::refs_fixture`).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::refs_fixture;

fn class_dir(name: &str) -> PathBuf {
    tagman_testkit::paths::fixtures_dir()
        .join("refs/classes")
        .join(name)
}

/// Every file under `dir` that can hold a reference (a chart's `Chart.yaml` only holds its
/// `appVersion`), relative to `root`, `/`-separated.
fn files_under(root: &Path, dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(root, &path));
        } else if path.file_name().is_some_and(|n| n != "Chart.yaml") {
            let relative = path.strip_prefix(root).unwrap();
            out.push(tagman_core::select::slash_path(relative));
        }
    }
    out.sort();
    out
}

/// Runs the class tree `name` and checks its shape: no finding under `ok/`, at least one in
/// every file under `bad/`, and no error unless `bad/` holds one. Returns the JSON output, after
/// pinning it by a snapshot.
fn run_class(name: &str) -> Value {
    let tree = class_dir(name);
    let (_dir, out) = refs_fixture(&tree, "", "json", &[]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let diagnostics = json["diagnostics"].as_array().unwrap();
    let files: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    for file in &files {
        assert!(
            file.starts_with("bad/"),
            "{name}: a finding in {file}: {json:#}"
        );
    }
    for bad in files_under(&tree, &tree.join("bad")) {
        assert!(
            files.contains(&bad.as_str()),
            "{name}: nothing found in {bad}: {json:#}"
        );
    }
    let errors = json["summary"]["errors"].as_u64().unwrap();
    assert_eq!(out.status.code(), Some(i32::from(errors > 0)), "{name}");
    insta::assert_json_snapshot!(format!("class_{name}"), json);
    json
}

/// `(code, severity, file:line)` of every finding.
fn found(json: &Value) -> Vec<String> {
    json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {} {}:{}",
                d["code"].as_str().unwrap(),
                d["severity"].as_str().unwrap(),
                d["file"].as_str().unwrap(),
                d["line"]
            )
        })
        .collect()
}

#[test]
fn class_1_a_bare_name_is_a_pull_only_where_something_pulls_it() {
    let json = run_class("1-bare-name");
    assert_eq!(
        found(&json),
        [
            "TM201 error bad/Dockerfile:1",
            "TM201 error bad/kustomization.yaml:4",
            "TM201 error bad/pod.yaml:4",
            "TM201 error bad/pull.sh:2",
        ]
    );
}

#[test]
fn class_2_split_forms_are_one_reference() {
    let json = run_class("2-split-form");
    assert_eq!(
        found(&json),
        [
            "TM202 error bad/dsa_pod.py:3",
            "TM201 error bad/values.yaml:4",
        ]
    );
}

#[test]
fn class_3_comments_and_documentation_are_not_pulls() {
    let json = run_class("3-comments");
    assert_eq!(found(&json), ["TM201 error bad/build.sh:3"]);
    let skipped = &json["summary"]["not_checked"];
    assert_eq!(skipped["in comments"], 12, "{skipped}");
    assert_eq!(skipped["in documentation"], 2, "{skipped}");
}

#[test]
fn class_4_null_and_empty_tags_are_no_tag_string() {
    let json = run_class("4-null-tag");
    assert_eq!(
        found(&json),
        [
            "TM201 error bad/floating-chart/values.yaml:3",
            "TM204 warning bad/no-chart/sysinv.json:2",
            "TM204 warning bad/no-chart/values.yaml:2",
        ]
    );
    let messages: Vec<&str> = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap())
        .collect();
    assert!(
        messages.iter().all(|m| !m.contains("`null`")),
        "{messages:?}"
    );
}

#[test]
fn class_5_placeholders_expand_resolve_or_are_build_inputs() {
    let json = run_class("5-placeholders");
    assert_eq!(
        found(&json),
        [
            "TM201 error bad/values.yaml:2",
            "TM202 error bad/values.yaml:4",
            "TM204 warning bad/values.yaml:6",
        ]
    );
    let skipped = &json["summary"]["not_checked"];
    assert_eq!(skipped["in build-input templates"], 2, "{skipped}");
    assert_eq!(skipped["in build inputs (policy)"], 2, "{skipped}");
}

#[test]
fn class_6_a_tag_an_earlier_revision_declared_is_superseded_not_undeclared() {
    let json = run_class("6-superseded");
    assert_eq!(
        found(&json),
        [
            "TM205 warning bad/group_vars.yaml:1",
            "TM202 error bad/never.yaml:1",
        ]
    );
    let first = &json["diagnostics"][0];
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .starts_with("superseded: `stx.12.0-v18.2.2-0` was declared at "),
        "{first}"
    );
    // The help carries the manifests the scan used (issue 19): it can be pasted as it is.
    assert_eq!(
        first["help"],
        "`tagman refs --manifests image-tags.yaml --bump docker.io/starlingx/stx-ceph-manager=stx.13.0-v18.2.2-0`"
    );
    assert!(json["diagnostics"][1]["message"]
        .as_str()
        .unwrap()
        .contains("and no earlier revision did"));
}

#[test]
fn class_7_suppressions_inline_and_by_path() {
    let json = run_class("7-suppressions");
    assert_eq!(
        found(&json),
        [
            "TM202 warning bad/charts/values.yaml:1",
            "TM201 warning bad/tests/test_images.py:2",
            "TM201 error bad/wrong-code.yaml:2",
        ]
    );
}

#[test]
fn class_8_an_image_being_built_or_pushed_is_not_pulled() {
    let json = run_class("8-build-target");
    assert_eq!(found(&json), ["TM201 error bad/run.sh:2"]);
    assert_eq!(json["summary"]["not_checked"]["built, not pulled"], 6);
}
