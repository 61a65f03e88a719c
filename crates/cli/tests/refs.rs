//! End-to-end tests of `tagman refs`: exit codes, formats, and `--bump` writing (or not) files.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

const TREE: &str = "../../fixtures/refs/tree";

fn tagman(dir: &Path) -> Command {
    crate::support::tagman_in(dir)
}

fn tree() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(TREE)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// A copy of the fixture tree (its files only, no hidden build state).
fn copy_tree() -> tempfile::TempDir {
    tagman_testkit::tree::copy_to_temp(&tree())
}

/// The fixture tree's manifest sits in tagman's own repository: scans of the tree in place leave
/// its history out, so they do not depend on how that file evolved (history has its own tests).
#[test]
fn findings_exit_1_with_human_output() {
    let out = tagman(&tree())
        .args(["refs", "--no-history"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stdout = text(&out.stdout);
    for code in ["TM201", "TM202", "TM203", "TM204"] {
        assert!(stdout.contains(code), "{code} missing:\n{stdout}");
    }
    assert!(
        stdout.contains(
            "tagman: 7 errors, 5 warnings in 17 files; not checked: 1 in build inputs (policy), 3 in documentation"
        ),
        "{stdout}"
    );
}

#[test]
fn json_format_has_the_lint_shape() {
    let out = tagman(&tree())
        .args(["refs", "--no-history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["errors"], 7);
    assert_eq!(json["summary"]["warnings"], 5);
    assert_eq!(json["summary"]["not_checked"]["in documentation"], 3);
    let first = &json["diagnostics"][0];
    assert_eq!(first["code"], "TM202");
    assert_eq!(first["file"], "ansible/vars.yml");
    assert_eq!(first["line"], 5);
}

#[test]
fn clean_tree_exits_0_and_warnings_fail_only_when_denied() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        tree().join("image-tags.yaml"),
        dir.path().join("image-tags.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("values.yaml"),
        "image: docker.io/starlingx/dex:stx.9.0-v2.40.0\n",
    )
    .unwrap();
    let out = tagman(dir.path()).arg("refs").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(text(&out.stdout).contains("0 errors, 0 warnings"));

    std::fs::write(
        dir.path().join("pod.yaml"),
        "image: docker.io/starlingx/dex:master-centos-stable-20200204T162546Z.0\n",
    )
    .unwrap();
    let out = tagman(dir.path()).arg("refs").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("stx.4.0-v2.14.0-1"),
        "{}",
        show(&out)
    );
    let out = tagman(dir.path())
        .args(["refs", "--deny-warnings"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
}

#[test]
fn bump_dry_run_prints_the_diff_and_writes_nothing() {
    let dir = copy_tree();
    let before = std::fs::read(dir.path().join("helm/values.yaml")).unwrap();
    let out = tagman(dir.path())
        .args([
            "refs",
            "--bump",
            "docker.io/starlingx/dex=stx.9.0-v2.40.0",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("--- a/helm/values.yaml\n+++ b/helm/values.yaml\n"),
        "{stdout}"
    );
    assert!(stdout.contains("-    dex: docker.io/starlingx/dex:stx.4.0-v2.14.0-1\n+    dex: docker.io/starlingx/dex:stx.9.0-v2.40.0\n"));
    assert!(
        text(&out.stderr).contains("would move 5 reference(s) in 4 file(s)"),
        "{}",
        show(&out)
    );
    assert_eq!(
        std::fs::read(dir.path().join("helm/values.yaml")).unwrap(),
        before
    );
}

#[test]
fn bump_writes_and_the_references_are_then_clean() {
    let dir = copy_tree();
    let out = tagman(dir.path())
        .args([
            "refs",
            "--bump",
            "docker.io/starlingx/dex=stx.9.0-v2.40.0",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let after = std::fs::read_to_string(dir.path().join("k8s/pod.yaml")).unwrap();
    assert!(after.contains("image: docker.io/starlingx/dex:stx.9.0-v2.40.0\n"));
    let out = tagman(dir.path())
        .args(["refs", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dex_errors = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["severity"] == "error" && d["message"].as_str().unwrap().contains("starlingx/dex")
        })
        .count();
    assert_eq!(dex_errors, 0, "{json:#}");
}

#[test]
fn bump_refuses_an_undeclared_tag_with_exit_2() {
    let dir = copy_tree();
    let out = tagman(dir.path())
        .args(["refs", "--bump", "docker.io/starlingx/dex=stx.10.0-v9.9.9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no manifest declares `stx.10.0-v9.9.9`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stx.4.0-v2.14.0-1, stx.9.0-v2.40.0"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_and_io_errors_exit_2() {
    let cases: [&[&str]; 3] = [
        &["refs", "--bump", "docker.io/starlingx/dex"],
        &["refs", "no/such/dir"],
        &["refs", "--dry-run"],
    ];
    for args in cases {
        let out = tagman(&tree()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", show(&out));
    }
    // No manifest anywhere: nothing to check tags against.
    let empty = tempfile::tempdir().unwrap();
    let out = tagman(empty.path()).arg("refs").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

#[test]
fn bump_of_an_unreferenced_image_exits_1() {
    let out = tagman(&tree())
        .args([
            "refs",
            "--bump",
            "docker.io/starlingx/dex=stx.9.0-v2.40.0",
            "--dry-run",
            "helm/templates",
        ])
        .output()
        .unwrap();
    // The template's only dex reference is templated: found, left alone, nothing to move.
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let out = tagman(&tree())
        .args([
            "refs",
            "--bump",
            "docker.io/starlingx/dex=stx.9.0-v2.40.0",
            "--dry-run",
            "platform",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(text(&out.stderr).contains("no reference to docker.io/starlingx/dex"));
}

#[test]
fn human_output_snapshot() {
    let out = tagman(&tree())
        .args([
            "refs",
            "--no-history",
            "--manifests",
            "image-tags.yaml",
            "helm",
            "k8s",
            "jinja",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    insta::assert_snapshot!("refs_human", text(&out.stdout));
}

/// `--bump` rewrites the tag half of a split pair and the tag token of a reference, byte for
/// byte (CRLF, quotes, comments, a missing final newline kept), and leaves a bare name in code
/// and a comment alone, saying why.
#[test]
fn bump_is_byte_exact_on_split_pairs_and_tags_and_leaves_names_in_code_alone() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |tag: &str| {
        format!("  - name: docker.io/starlingx/stx-debian-tools-dev\n    src_build_tag: master-debian-stable-20240227T070056Z.0\n    src_ref: https://opendev.org/starlingx/root/commit/5d6701bdf214e77f460f2e3dd2b6f7d3186830c8\n    tag: {tag}\n")
    };
    let files = [
        (
            "image-tags.yaml",
            format!("images:\n{}{}", entry("stx.10.0-v1.0.0"), entry("stx.10.0-v1.0.1")),
        ),
        (
            "dsa_pod.py",
            "def pod():\r\n    image_name = \"starlingx/stx-debian-tools-dev\"\r\n    image_tag = \"stx.10.0-v1.0.0\"  # pinned\r\n    return image_name\r\n".to_owned(),
        ),
        (
            "values.yaml",
            "image:\n  tag: 'stx.10.0-v1.0.0'\n  repository: docker.io/starlingx/stx-debian-tools-dev\n".to_owned(),
        ),
        (
            "pod.yaml",
            "image: registry.local:9001/docker.io/starlingx/stx-debian-tools-dev:stx.10.0-v1.0.0".to_owned(),
        ),
        (
            "images.py",
            "# docker.io/starlingx/stx-debian-tools-dev:stx.10.0-v1.0.0 was the first\nTOOLS_IMAGE = \"docker.io/starlingx/stx-debian-tools-dev\"\n".to_owned(),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = tagman(dir.path())
        .args(["refs", "--bump", "stx-debian-tools-dev=stx.10.0-v1.0.1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for (name, text) in &files {
        let now = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let expected = match *name {
            "dsa_pod.py" | "values.yaml" | "pod.yaml" => {
                text.replace("stx.10.0-v1.0.0", "stx.10.0-v1.0.1")
            }
            _ => text.clone(),
        };
        assert_eq!(now, expected, "{name}");
    }
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("left alone: images.py:1:3: in a comment"),
        "{stderr}"
    );
    assert!(
        stderr.contains("left alone: images.py:2:16: a name without a tag"),
        "{stderr}"
    );
    assert!(
        stderr.contains("moved 3 reference(s) in 3 file(s) to docker.io/starlingx/stx-debian-tools-dev:stx.10.0-v1.0.1"),
        "{stderr}"
    );
}

/// A short name means the one declared image whose path ends with it; several are refused.
#[test]
fn bump_resolves_a_short_name_or_lists_the_candidates() {
    let dir = copy_tree();
    let out = tagman(dir.path())
        .args(["refs", "--bump", "dex=stx.9.0-v2.40.0", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(text(&out.stderr).contains("to docker.io/starlingx/dex:stx.9.0-v2.40.0"));
    std::fs::write(
        dir.path().join("image-tags-more.yaml"),
        "images:\n  - name: quay.io/other/dex\n    src_build_tag: master-debian-stable-20240227T070056Z.0\n    src_ref: https://opendev.org/starlingx/root/commit/5d6701bdf214e77f460f2e3dd2b6f7d3186830c8\n    tag: stx.9.0-v2.40.0\n",
    )
    .unwrap();
    let out = tagman(dir.path())
        .args([
            "refs",
            "--manifests",
            "image-tags.yaml,image-tags-more.yaml",
            "--bump",
            "dex=stx.9.0-v2.40.0",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("`dex` could mean docker.io/starlingx/dex, quay.io/other/dex"),
        "{}",
        show(&out)
    );
}

/// A path that does not exist is an error (exit 2) before anything else is printed.
#[test]
fn a_missing_path_is_an_error_without_a_summary() {
    let out = tagman(&tree())
        .args(["refs", "--no-history", "no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(out.stdout.is_empty(), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("cannot scan no/such/dir"),
        "{}",
        show(&out)
    );
}
