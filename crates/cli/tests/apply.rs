//! `tagman apply` end to end against a real registry (the harness of the tagman-apply tests):
//! exit codes, plain output, the JSON report, lint refusal, and no secret in any output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{harness, images};

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use harness::Registry;
use tagman_apply::plan::PlanItem;
use tagman_core::yaml::Limits;
use tagman_core::Manifest;

pub(crate) fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/image-tags.yaml")
}

const SECRET: &str = "Sup3r-secret-never-shown";

/// `tagman apply` against `host`, from an empty directory (no policy), no Docker config.
fn apply(dir: &Path, host: &str) -> Command {
    Command::from_std(apply_std(dir, host))
}

fn apply_std(dir: &Path, host: &str) -> std::process::Command {
    let auth = dir.join("auth.json");
    let body = serde_json::json!({"auths": {host: {"username": "ci", "password": SECRET}}});
    std::fs::write(&auth, body.to_string()).unwrap();
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("tagman"));
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DOCKER_CONFIG", dir)
        .env_remove("TAGMAN_CONFIG")
        .args(["apply", "-vv", "--insecure-registry", host])
        .arg("--registry-map")
        .arg(format!("docker.io={host}"))
        .arg("--auth-file")
        .arg(&auth);
    cmd
}

/// Pushes the source build of every entry of the example manifest.
pub(crate) fn seed(host: &str) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = images::plain_client(host);
        let manifest = Manifest::read(&fixture(), &Limits::default()).unwrap();
        for (n, item) in PlanItem::from_manifest(&manifest).iter().enumerate() {
            let name = images::name(host, item.name.repository());
            images::push(
                &client,
                &name,
                &item.src_build_tag,
                images::Kind::Oci,
                &format!("{n}"),
            )
            .await;
        }
    });
}

fn report(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn apply_creates_then_finds_unchanged_and_reports() {
    let registry = Registry::start();
    let host = registry.host();
    seed(&host);
    let dir = tempfile::tempdir().unwrap();
    let report_path = dir.path().join("report.json");

    let dry = apply(dir.path(), &host)
        .arg("--dry-run")
        .arg(fixture())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&dry.stdout);
    assert_eq!(
        dry.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&dry.stderr)
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| l.starts_with("would-create"))
            .count(),
        4,
        "{stdout}"
    );
    assert!(
        stdout.contains("4 entries: 4 would-create (8 requests)"),
        "{stdout}"
    );

    let out = apply(dir.path(), &host)
        .arg("--report")
        .arg(&report_path)
        .arg(fixture())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("4 entries: 4 created (12 requests)"),
        "{stdout}"
    );
    let json = report(&report_path);
    for entry in json["entries"].as_array().unwrap() {
        assert_eq!(entry["action"], "created");
        assert_eq!(entry["requests"], 3);
        assert!(entry["digest"].as_str().unwrap().starts_with("sha256:"));
        for key in ["name", "tag", "src_build_tag", "previous_digest", "error"] {
            assert!(entry.get(key).is_some(), "{key} missing from {entry}");
        }
    }
    assert_eq!(json["summary"]["ok"], true);
    let shown = format!(
        "{stdout}{stderr}{}",
        std::fs::read_to_string(&report_path).unwrap()
    );
    assert!(!shown.contains(SECRET));

    let again = apply(dir.path(), &host).arg(fixture()).output().unwrap();
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout.contains("4 entries: 4 unchanged (8 requests)"),
        "{stdout}"
    );
}

#[test]
fn conflict_exits_1_lint_errors_refuse_and_bad_flags_exit_2() {
    let registry = Registry::start();
    let host = registry.host();
    seed(&host);
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        apply(dir.path(), &host)
            .arg(fixture())
            .output()
            .unwrap()
            .status
            .code(),
        Some(0)
    );
    // Same image, same tag, another source build: the published tag must not move.
    const OTHER: &str = "master-centos-stable-20200101T000000Z.0";
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let client = images::plain_client(&host);
        let name = images::name(&host, "starlingx/k8s-cni-sriov");
        images::push(&client, &name, OTHER, images::Kind::Oci, "other").await;
    });
    let text = std::fs::read_to_string(fixture()).unwrap();
    let other = dir.path().join("image-tags.yaml");
    std::fs::write(
        &other,
        text.replacen(
            "src_build_tag: master-centos-stable-20191203T153530Z.0",
            &format!("src_build_tag: {OTHER}"),
            1,
        ),
    )
    .unwrap();
    let report_path = dir.path().join("r.json");
    let out = apply(dir.path(), &host)
        .arg("--report")
        .arg(&report_path)
        .arg(&other)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("conflict"), "{stdout}");
    let json = report(&report_path);
    let first = &json["entries"][0];
    assert_eq!(first["action"], "conflict");
    assert!(first["previous_digest"]
        .as_str()
        .unwrap()
        .starts_with("sha256:"));
    assert_ne!(first["previous_digest"], first["digest"]);

    let forced = apply(dir.path(), &host)
        .args(["--force", "docker.io/starlingx/k8s-cni-sriov"])
        .arg(&other)
        .output()
        .unwrap();
    assert_eq!(forced.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&forced.stdout).contains("forced"));

    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "images:\n  - name: docker.io/starlingx/x\n    tag: stx.4.0-v1\n",
    )
    .unwrap();
    let out = apply(dir.path(), &host).arg(&broken).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing to apply"));

    let out = apply(dir.path(), &host)
        .args(["--registry-map", "nonsense"])
        .arg(fixture())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not FROM=TO"));
}

#[test]
fn changed_since_applies_only_new_and_changed_entries() {
    let registry = Registry::start();
    let host = registry.host();
    seed(&host);
    let dir = tempfile::tempdir().unwrap();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .args(["-c", "user.name=t", "-c", "user.email=t@example.org"])
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    };
    let manifest = dir.path().join("image-tags.yaml");
    let text = std::fs::read_to_string(fixture()).unwrap();
    std::fs::write(&manifest, &text).unwrap();
    git(&["init", "-q"]);
    git(&["add", "image-tags.yaml"]);
    git(&["commit", "-qm", "base"]);
    // One entry re-pointed at a new tag after the base commit; the other three are as they were.
    std::fs::write(
        &manifest,
        text.replacen("tag: stx.4.0-v3.1", "tag: stx.4.0-v3.2", 1),
    )
    .unwrap();
    let out = apply(dir.path(), &host)
        .args(["--changed-since", "HEAD"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("1 entry: 1 created (3 requests)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("k8s-plugins-sriov-network-device:stx.4.0-v3.2"),
        "{stdout}"
    );
}

#[test]
fn ctrl_c_stops_cleanly_reports_and_a_rerun_finishes() {
    use std::io::BufRead as _;

    let registry = Registry::start();
    let host = registry.host();
    seed(&host);
    let dir = tempfile::tempdir().unwrap();
    // 300 tags of one seeded build, applied one at a time so the run is still going when
    // interrupted.
    let mut text = String::from("images:\n");
    for i in 0..300 {
        text.push_str(&format!(
            "  - name: docker.io/starlingx/k8s-cni-sriov\n    src_build_tag: master-centos-stable-20191203T153530Z.0\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: stx.4.0-v9.{i}\n"
        ));
    }
    let manifest = dir.path().join("image-tags.yaml");
    std::fs::write(&manifest, text).unwrap();
    let report_path = dir.path().join("report.json");
    let mut child = apply_std(dir.path(), &host)
        .args(["--jobs", "1", "--report"])
        .arg(&report_path)
        .arg(&manifest)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    assert!(first.starts_with("created"), "{first}");
    // The shell's builtin kill: no procps needed.
    let interrupted = std::process::Command::new("sh")
        .args(["-c", &format!("kill -INT {}", child.id())])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let rest: Vec<String> = lines.map(Result::unwrap).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1), "{rest:?}");
    let json = report(&report_path);
    let actions: Vec<&str> = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions.len(), 300, "every entry is reported");
    let created = actions.iter().take_while(|a| **a == "created").count();
    assert!((1..300).contains(&created), "{created} created");
    assert!(
        actions[created..].iter().all(|a| *a == "cancelled"),
        "{actions:?}"
    );

    let again = apply(dir.path(), &host).arg(&manifest).output().unwrap();
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains(&format!("{} created, {created} unchanged", 300 - created)),
        "{stdout}"
    );
}

/// Regression (issue 12): `--auth-file /dev/zero` and `--ca-cert /dev/zero` read without a limit
/// until memory ran out. Run under a 2 GB address-space limit, so a regression aborts instead of
/// taking the machine.
#[cfg(unix)]
#[test]
fn endless_auth_and_ca_files_end_in_a_clear_error_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    for (flag, what) in [
        ("--auth-file", "cannot read credentials from /dev/zero"),
        ("--ca-cert", "cannot read CA certificate /dev/zero"),
    ] {
        let out = std::process::Command::new("sh")
            .args(["-c", "ulimit -v 2000000 && exec \"$0\" \"$@\""])
            .arg(assert_cmd::cargo::cargo_bin("tagman"))
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("COLUMNS", "200")
            .env("DOCKER_CONFIG", dir.path())
            .env_remove("TAGMAN_CONFIG")
            .args(["apply", "--dry-run", flag, "/dev/zero"])
            .arg(fixture())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flag}: {stderr}");
        assert!(stderr.contains(what), "{flag}: {stderr}");
        assert!(stderr.contains("more than 1 MiB"), "{flag}: {stderr}");
    }
}
