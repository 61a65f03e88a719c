//! End-to-end tests of the `tagman` binary: exit codes, output formats, discovery, hostile input.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;

fn repo() -> PathBuf {
    crate::support::project_root()
}

fn fixture(rel: &str) -> String {
    format!("../../fixtures/{rel}")
}

/// `tagman` run from the crate directory, with no colour, a fixed width and no policy above it
/// other than what the test passes.
fn tagman() -> Command {
    crate::support::tagman_in(Path::new(env!("CARGO_MANIFEST_DIR")))
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn clean_manifest_exits_0() {
    let out = tagman()
        .args(["lint", &fixture("image-tags.yaml")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("tagman: 0 errors, 0 warnings in 1 file"));
}

#[test]
fn findings_exit_1_and_human_output_is_stable() {
    let out = tagman()
        .args(["lint", &fixture("lint/TM004/bad-real-typo.yaml")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    insta::assert_snapshot!("human_real_typo", stdout(&out));
}

#[test]
fn json_output_is_one_object_with_positions() {
    let out = tagman()
        .args([
            "lint",
            "--format",
            "json",
            &fixture("lint/TM002/bad-unknown-and-missing-key.yaml"),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diags = json["diagnostics"].as_array().unwrap();
    assert!(diags
        .iter()
        .all(|d| d["line"].as_u64().unwrap() >= 1 && d["column"].as_u64().unwrap() >= 1));
    let unknown = diags
        .iter()
        .find(|d| d["message"] == "unknown key `srcref`")
        .unwrap();
    assert_eq!(
        (unknown["line"].as_u64(), unknown["column"].as_u64()),
        (Some(8), Some(5))
    );
    assert_eq!(json["summary"]["errors"].as_u64(), Some(diags.len() as u64));
    insta::assert_json_snapshot!("json_unknown_and_missing", json);
}

#[test]
fn warnings_pass_unless_denied() {
    let file = fixture("lint/TM009/bad-future.yaml");
    let out = tagman().args(["lint", &file]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("1 warning"));
    let out = tagman()
        .args(["lint", "--deny-warnings", &file])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn missing_file_exits_2_naming_it() {
    let out = tagman()
        .args(["lint", "no/such/image-tags.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no/such/image-tags.yaml"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_error_exits_2() {
    let out = tagman()
        .args(["lint", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_policy_exits_2_pointing_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tagman.yaml"), "release: 13.0\nrelase: x\n").unwrap();
    std::fs::copy(
        repo().join("fixtures/image-tags.yaml"),
        dir.path().join("image-tags.yaml"),
    )
    .unwrap();
    let out = tagman()
        .current_dir(dir.path())
        .args(["lint"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("tagman.yaml:1:10") && err.contains("tagman.yaml:2:1"),
        "{err}"
    );
    assert!(err.contains("unknown key `relase`"), "{err}");
}

#[test]
fn discovers_policy_and_manifests_from_a_subdirectory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tagman.yaml"), "release: \"13.0\"\n").unwrap();
    let nested = dir.path().join("build-tools/tag-management");
    std::fs::create_dir_all(&nested).unwrap();
    std::fs::copy(
        repo().join("fixtures/image-tags.yaml"),
        nested.join("image-tags.yaml"),
    )
    .unwrap();
    let out = tagman()
        .current_dir(&nested)
        .args(["lint", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // The fixture's stx.4.0 tags break the policy's release 13.0, found via the walk up.
    let diags = json["diagnostics"].as_array().unwrap();
    assert!(!diags.is_empty() && diags.iter().all(|d| d["code"] == "TM005"));
    assert_eq!(json["summary"]["files"].as_u64(), Some(1));
}

#[test]
fn no_manifests_found_exits_2_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let out = tagman()
        .current_dir(dir.path())
        .args(["lint"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no tag manifests found"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn reads_standard_input() {
    let text = std::fs::read(repo().join("fixtures/lint/TM004/bad-real-typo.yaml")).unwrap();
    let out = tagman()
        .args(["lint", "--format", "json", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["diagnostics"][0]["file"], "-");
}

#[test]
fn hostile_inputs_get_a_located_finding() {
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("binary.yaml", (0..=255u8).cycle().take(4096).collect()),
        (
            "deep.yaml",
            format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        ),
        ("empty.yaml", Vec::new()),
        ("scalar.yaml", b"42\n".to_vec()),
        ("big.yaml", vec![b'#'; 50 * 1024 * 1024]),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let out = tagman()
            .args(["lint", "--format", "json"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let first = &json["diagnostics"][0];
        assert!(
            first["code"] == "TM001" || first["code"] == "TM002",
            "{name}: {json}"
        );
        assert!(first["line"].as_u64().unwrap() >= 1, "{name}");
    }
}

#[test]
fn schema_commands_print_the_schemas() {
    for (args, title) in [
        (vec!["schema"], "tagman image-tags manifest"),
        (vec!["schema", "--policy"], "tagman policy (tagman.yaml)"),
    ] {
        let out = tagman().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(json["title"], title);
    }
}

#[test]
fn readme_rule_table_matches_the_rules() {
    let out = tagman().args(["rules", "--markdown"]).output().unwrap();
    let table = stdout(&out);
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    assert!(
        readme.contains(&table),
        "README.md's rule table is out of date; replace it with `tagman rules --markdown`:\n{table}"
    );
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let file = fixture("lint/TM004/bad-real-typo.yaml");
    let always = tagman()
        .env_remove("NO_COLOR")
        .args(["--color", "always", "lint", &file])
        .output()
        .unwrap();
    assert!(
        stdout(&always).contains("\u{1b}["),
        "--color always printed no colour"
    );
    for args in [vec!["--color", "never", "lint", &file], vec!["lint", &file]] {
        // The second case is `auto` with NO_COLOR set (and stdout a pipe).
        let out = tagman().args(&args).output().unwrap();
        assert!(!stdout(&out).contains("\u{1b}["), "{args:?} printed colour");
    }
}
