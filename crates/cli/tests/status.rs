//! `tagman status` against the real registry of the harness: before a promote every tag is
//! missing (exit 0); after it, published; once someone pushes over a release tag, that entry is
//! drifted with both digests and the audit exits 1, in each format.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{harness, images, support};

use std::path::Path;

use crate::apply::{fixture, seed};
use harness::Registry;
use serde_json::Value;

/// `tagman ARGS… --insecure-registry HOST --registry-map docker.io=HOST FIXTURE` in `dir`.
fn tagman(dir: &Path, host: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = support::tagman_in(dir)
        .env("COLUMNS", "300")
        .env("DOCKER_CONFIG", dir)
        .args(args)
        .args(["--insecure-registry", host, "--registry-map"])
        .arg(format!("docker.io={host}"))
        .arg(fixture())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Someone pushes another image over the release tag `stx.4.0-v2.2`; returns its digest.
fn push_over(host: &str) -> String {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = images::plain_client(host);
        let name = images::name(host, "starlingx/k8s-cni-sriov");
        images::push(
            &client,
            &name,
            "stx.4.0-v2.2",
            images::Kind::Oci,
            "pushed over",
        )
        .await
        .digest
    })
}

#[test]
fn status_says_missing_then_published_then_drifted_and_the_audit_fails_on_drift() {
    let registry = Registry::start();
    let host = registry.host();
    seed(&host);
    let dir = tempfile::tempdir().unwrap();

    let (code, stdout, stderr) = tagman(dir.path(), &host, &["status"]);
    assert_eq!(
        code,
        Some(0),
        "nothing published is no drift: {stdout}{stderr}"
    );
    assert!(stdout.contains("4 entries: 4 missing"), "{stdout}");
    assert!(stdout.contains("not published (source master-"), "{stdout}");

    let (code, stdout, _) = tagman(dir.path(), &host, &["apply"]);
    assert_eq!(code, Some(0), "{stdout}");
    let (code, stdout, _) = tagman(dir.path(), &host, &["status", "--format", "json"]);
    assert_eq!(code, Some(0), "{stdout}");
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["states"],
        serde_json::json!({"published": 4}),
        "{json:#}"
    );

    // Someone pushes another image over a release tag.
    let over = push_over(&host);
    let report = dir.path().join("status.json");
    let (code, stdout, stderr) = tagman(
        dir.path(),
        &host,
        &["status", "--report", report.to_str().unwrap()],
    );
    assert_eq!(code, Some(1), "drift fails the audit: {stdout}{stderr}");
    let drifted: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("drifted"))
        .collect();
    assert_eq!(drifted.len(), 1, "{stdout}");
    assert!(
        drifted[0].contains(&format!(
            "{host}/starlingx/k8s-cni-sriov:stx.4.0-v2.2  tag has {}, but source master-centos-stable-20191203T153530Z.0 is sha256:",
            over
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("4 entries: 3 published, 1 drifted"),
        "{stdout}"
    );
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    let entry = &json["entries"][0];
    assert_eq!(entry["state"], "drifted");
    assert_eq!(entry["tag_digest"], over.as_str());
    assert_ne!(entry["source_digest"], entry["tag_digest"]);
    assert_eq!(json["ok"], false);
}

/// The markdown table marks the drifted entry; `-q` keeps only what fails the audit.
#[test]
fn status_markdown_and_quiet_show_the_drift() {
    let registry = Registry::start();
    let host = registry.host();
    seed(&host);
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, _) = tagman(dir.path(), &host, &["apply"]);
    assert_eq!(code, Some(0), "{stdout}");
    push_over(&host);
    let (code, stdout, _) = tagman(dir.path(), &host, &["status", "--format", "markdown"]);
    assert_eq!(code, Some(1));
    assert!(
        stdout.starts_with("| State | Image | Tag | Source build | Tag digest | Source digest |\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "| **drifted** | `{host}/starlingx/k8s-cni-sriov` | `stx.4.0-v2.2` |"
        )),
        "{stdout}"
    );

    // -q: only what fails the audit.
    let (code, stdout, _) = tagman(dir.path(), &host, &["status", "-q"]);
    assert_eq!(code, Some(1));
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
}
