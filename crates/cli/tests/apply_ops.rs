//! `tagman apply` as an operator meets it (issue 14), against the real registry of the harness:
//! a dead registry fails every entry in a few requests with one line of cause; TLS to a
//! plain-HTTP registry, no credentials and refused credentials each say what to do; registry maps
//! (namespaces too) are checked and remap, and credentials follow the mapped-from name; what
//! matches nothing is a warning; `source-missing` names the source; `-q` keeps only failures; on a
//! terminal every changed entry stays above the progress bar.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{harness, images, support};

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use harness::{Registry, RegistryAuth, RegistryConfig};
use serde_json::{json, Value};
use support::{describe, figure, project_root};

pub(crate) const BUILD: &str = "master-centos-stable-20191203T153530Z.0";
const SRC_REF: &str =
    "https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4";

/// A manifest of `(name, src_build_tag, tag)` entries.
fn manifest(entries: &[(&str, &str, &str)]) -> String {
    let mut text = String::from("images:\n");
    for (name, src, tag) in entries {
        text.push_str(&format!(
            "  - name: {name}\n    src_build_tag: {src}\n    src_ref: {SRC_REF}\n    tag: {tag}\n"
        ));
    }
    text
}

/// `tagman apply` in `dir` with no Docker config of the machine's and no policy.
fn tagman(dir: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(support::tagman());
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "300")
        .env("DOCKER_CONFIG", dir)
        .env_remove("TAGMAN_CONFIG");
    cmd
}

fn run(cmd: &mut std::process::Command) -> (Output, String, String) {
    let out = cmd.output().unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    (out, stdout, stderr)
}

fn seed(host: &str, repository: &str, tag: &str) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = images::plain_client(host);
        let name = images::name(host, repository);
        images::push(&client, &name, tag, images::Kind::Oci, repository).await;
    });
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn report(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Issue 14: 42 entries on a dead registry took 32 s, each retried 6 times and printing the
/// cause each time. Now a few requests open the registry's breaker and the rest fail at once;
/// the cause is printed once, with its fix, and the summary counts the entries.
#[test]
fn a_dead_registry_fails_a_hundred_entries_in_a_few_requests_with_one_line_of_cause() {
    // A registry that was there and is gone: its port refuses connections now.
    let host = Registry::start().host();
    let dir = tempfile::tempdir().unwrap();
    let entries: Vec<(String, String)> = (0..100)
        .map(|i| {
            (
                format!("docker.io/starlingx/app{}", i % 10),
                format!("stx.4.0-v9.{i}"),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|(n, t)| (n.as_str(), BUILD, t.as_str()))
        .collect();
    let file = write(dir.path(), "image-tags.yaml", &manifest(&refs));
    let report_path = dir.path().join("report.json");
    let start = Instant::now();
    let (out, stdout, stderr) = run(tagman(dir.path())
        .args(["apply", "--insecure-registry", &host, "--registry-map"])
        .arg(format!("docker.io={host}"))
        .arg("--report")
        .arg(&report_path)
        .arg(&file));
    let wall = start.elapsed();
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let json = report(&report_path);
    let requests = json["summary"]["requests"]["requests"].as_u64().unwrap();
    let attempts: u64 = json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["requests"].as_u64().unwrap())
        .sum();
    figure(&format!(
        "dead registry, 100 entries: {requests} requests ({attempts} counted on the entries) in {:.2} s",
        wall.as_secs_f64()
    ));
    // Without the breaker: 100 entries × 6 tries. With it: about the entries in flight (8)
    // before the third failure opens it; a retry slips in only on a machine slower than a backoff.
    assert!(requests <= 16, "{requests} requests:\n{stdout}");
    assert_eq!(attempts, requests);
    assert!(json["entries"]
        .as_array()
        .unwrap()
        .iter()
        .all(|e| e["action"] == "failed"));
    let fix = format!("is a registry listening on {host}?");
    let full: Vec<&str> = stdout.lines().filter(|l| l.contains(&fix)).collect();
    assert_eq!(full.len(), 1, "the cause once:\n{stdout}");
    assert!(
        full[0].contains(&format!("{host}: connection refused (")),
        "{}",
        full[0]
    );
    assert!(
        !full[0].contains("/v2/"),
        "no URL in the cause: {}",
        full[0]
    );
    // The entries tried say the cause is the one above; those the breaker stopped say so.
    let not_tried = json["summary"]["failures"][0]["not_tried"]
        .as_u64()
        .unwrap();
    let count = |end: &str| stdout.lines().filter(|l| l.ends_with(end)).count() as u64;
    let stopped = count("(not tried: the circuit breaker opened on the cause above)");
    assert!(not_tried >= 84, "{not_tried} not tried");
    assert_eq!(stopped, not_tried, "{stdout}");
    assert_eq!(count("(same cause as above)") + stopped, 99, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "failed on {host}: 100 entries, connection refused ("
        )),
        "{stdout}"
    );
    assert_eq!(
        json["summary"]["failures"][0]["entries"], 100,
        "{:#}",
        json["summary"]
    );
}

/// TLS to a plain-HTTP registry says so, and how to fix it.
#[test]
fn tls_to_a_plain_http_registry_says_to_pass_insecure_registry() {
    let registry = Registry::start();
    let host = registry.host();
    seed(&host, "starlingx/x", BUILD);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "image-tags.yaml",
        &manifest(&[("docker.io/starlingx/x", BUILD, "stx.4.0-v1")]),
    );
    let (out, stdout, stderr) = run(tagman(dir.path())
        .args(["apply", "--registry-map"])
        .arg(format!("docker.io={host}"))
        .arg(&file));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "the registry speaks plain HTTP: pass --insecure-registry {host}"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "failed on {host}: 1 entry, TLS to a plain-HTTP registry"
        )),
        "{stdout}"
    );
}

/// An htpasswd file with one bcrypt entry (cost 4 keeps the registry's checks fast).
fn htpasswd(dir: &Path, user: &str, password: &str) -> PathBuf {
    let hash = bcrypt::hash_with_result(password, 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    write(dir, "htpasswd", &format!("{user}:{hash}\n"))
}

/// A registry that wants `user`'s password (htpasswd), seeded with a source build (`BUILD`) in
/// each of `repositories`.
pub(crate) fn private_registry(
    dir: &Path,
    user: &str,
    password: &str,
    repositories: &[&str],
) -> Registry {
    let registry = Registry::start_with(RegistryConfig {
        auth: RegistryAuth::Htpasswd(htpasswd(dir, user, password)),
        tls: None,
    });
    let host = registry.host();
    let auth = write(
        dir,
        "seed-auth.json",
        &json!({"auths": {host.clone(): {"username": user, "password": password}}}).to_string(),
    );
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = tagman_apply::Client::new(tagman_apply::TransportConfig {
            insecure_registries: vec![host.clone()],
            retry: images::fast_retry(),
            credentials: tagman_apply::CredentialStore::load(&[auth], false).unwrap(),
            ..tagman_apply::TransportConfig::default()
        })
        .unwrap();
        for repository in repositories {
            let name = images::name(&host, repository);
            images::push(&client, &name, BUILD, images::Kind::Oci, repository).await;
        }
    });
    registry
}

/// No credentials and refused credentials are told apart; refused ones stop the registry after
/// one refusal. The README's promote example (a secret keyed `docker.io`, `--registry-map
/// docker.io=mirror`) authenticates: credentials are looked up under the mapped host, then the
/// original.
#[test]
fn credentials_missing_refused_and_found_under_the_mapped_from_name() {
    const PASSWORD: &str = "Corr3ct-horse-never-shown";
    let dir = tempfile::tempdir().unwrap();
    let registry = private_registry(
        dir.path(),
        "starlingxbot",
        PASSWORD,
        &["starlingx/a", "starlingx/b", "starlingx/c"],
    );
    let host = registry.host();
    let entries = [
        ("docker.io/starlingx/a", BUILD, "stx.4.0-v1"),
        ("docker.io/starlingx/b", BUILD, "stx.4.0-v1"),
        ("docker.io/starlingx/c", BUILD, "stx.4.0-v1"),
    ];
    let file = write(dir.path(), "image-tags.yaml", &manifest(&entries));
    let apply = |auth: Option<&Path>| {
        let mut cmd = tagman(dir.path());
        cmd.args(["apply", "--jobs", "1", "--insecure-registry", &host])
            .arg("--registry-map")
            .arg(format!("docker.io={host}"));
        if let Some(auth) = auth {
            cmd.arg("--auth-file").arg(auth);
        }
        let report_path = dir.path().join("report.json");
        cmd.arg("--report").arg(&report_path).arg(&file);
        let (out, stdout, stderr) = run(&mut cmd);
        (out, stdout, stderr, report(&report_path))
    };

    let (out, stdout, _, _) = apply(None);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let docker_config = dir.path().join("config.json");
    assert!(
        stdout.contains(&format!(
            "no credentials for {host} or docker.io (looked in {})",
            docker_config.display()
        )),
        "{stdout}"
    );

    let wrong = write(
        dir.path(),
        "wrong.json",
        &json!({"auths": {"docker.io": {"username": "starlingxbot", "password": "wr0ng-also-secret"}}})
            .to_string(),
    );
    let (out, stdout, stderr, json) = apply(Some(&wrong));
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let refused = format!("{host} refused the credentials for starlingxbot");
    assert_eq!(stdout.matches(&refused).count(), 1, "once:\n{stdout}");
    assert!(
        stdout.contains(&format!(
            "failed on {host}: 3 entries, credentials refused (2 not tried"
        )),
        "{stdout}"
    );
    // The first entry's HEAD, its retry with the credentials; nothing for the other two.
    assert_eq!(json["summary"]["requests"]["requests"], 2, "{stdout}");
    assert!(!format!("{stdout}{stderr}").contains("wr0ng-also-secret"));

    // As in the README: the secret is keyed by the name the manifest uses.
    let keyed_docker_io = write(
        dir.path(),
        "auth.json",
        &json!({"auths": {"docker.io": {"username": "starlingxbot", "password": PASSWORD}}})
            .to_string(),
    );
    let (out, stdout, stderr, _) = apply(Some(&keyed_docker_io));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("3 entries: 3 created"), "{stdout}");
    assert!(!format!("{stdout}{stderr}").contains(PASSWORD));
}

/// `--registry-map` FROM may be a registry/namespace, remapped to another path; a TO with a
/// scheme is an error that says what to write; a map, a `--force` name or a `--changed-since`
/// file that matches nothing is a warning; `source-missing` names the missing source tag.
#[test]
fn registry_maps_are_checked_namespaces_remap_and_what_matches_nothing_is_a_warning() {
    let registry = Registry::start();
    let host = registry.host();
    seed(&host, "stx/k8s-cni-sriov", BUILD);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "image-tags.yaml",
        &manifest(&[
            ("docker.io/starlingx/k8s-cni-sriov", BUILD, "stx.4.0-v1"),
            (
                "docker.io/starlingx/k8s-cni-sriov",
                "master-centos-stable-20200101T000000Z.0",
                "stx.4.0-v2",
            ),
        ]),
    );

    let (out, stdout, stderr) = run(tagman(dir.path())
        .args(["apply", "--registry-map"])
        .arg("docker.io=http://127.0.0.1:5077")
        .arg(&file));
    assert_eq!(out.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("is a URL: name the registry as host[:port][/path] without a scheme; to speak plain HTTP to it, pass --insecure-registry HOST:PORT"),
        "{stderr}"
    );

    let (out, stdout, stderr) = run(tagman(dir.path())
        .args(["apply", "--insecure-registry", &host, "--registry-map"])
        .arg(format!("docker.io/starlingx={host}/stx"))
        .args(["--registry-map", "quay.io=mirror:5000"])
        .args(["--force", "docker.io/starlingx/typo"])
        .arg(&file));
    assert_eq!(
        out.status.code(),
        Some(1),
        "source-missing: {stdout}{stderr}"
    );
    assert!(
        stdout.contains(&format!(
            "created         {host}/stx/k8s-cni-sriov:stx.4.0-v1"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "no source {host}/stx/k8s-cni-sriov:master-centos-stable-20200101T000000Z.0"
        )),
        "{stdout}"
    );
    assert!(
        stderr.contains("warning: --registry-map quay.io=mirror:5000 matches no entry"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: --force docker.io/starlingx/typo matches no entry"),
        "{stderr}"
    );
}

/// `--changed-since` with a file none of whose entries changed: a warning naming the file.
#[test]
fn a_changed_since_file_with_no_change_is_a_warning() {
    let registry = Registry::start();
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "image-tags.yaml",
        &manifest(&[("docker.io/starlingx/k8s-cni-sriov", BUILD, "stx.4.0-v1")]),
    );
    support::git_init(dir.path());
    support::git(dir.path(), &["add", "image-tags.yaml"]);
    support::git(dir.path(), &["commit", "-qm", "Start"]);
    let (out, stdout, stderr) = run(tagman(dir.path())
        .args([
            "apply",
            "--changed-since",
            "HEAD",
            "--insecure-registry",
            &host,
        ])
        .arg("--registry-map")
        .arg(format!("docker.io/starlingx={host}/stx"))
        .arg(&file));
    assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stderr.contains("no entry was added or changed since HEAD in "),
        "{stderr}"
    );
    // Issue 18: one warning, not one per manifest.
    assert_eq!(stderr.matches("no entry was added").count(), 1, "{stderr}");
    assert!(stdout.contains("0 entries: nothing to do"), "{stdout}");
}

/// `-q` keeps only failures: the entries that did not end as wanted and the cause counts.
#[test]
fn quiet_keeps_only_failures() {
    let registry = Registry::start();
    let host = registry.host();
    seed(&host, "starlingx/x", BUILD);
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "image-tags.yaml",
        &manifest(&[
            ("docker.io/starlingx/x", BUILD, "stx.4.0-v1"),
            (
                "docker.io/starlingx/x",
                "master-centos-stable-20200101T000000Z.0",
                "stx.4.0-v2",
            ),
        ]),
    );
    let (out, stdout, stderr) = run(tagman(dir.path())
        .args([
            "apply",
            "-q",
            "--insecure-registry",
            &host,
            "--registry-map",
        ])
        .arg(format!("docker.io={host}"))
        .arg(&file));
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{stdout}");
    assert!(lines[0].starts_with("source-missing "), "{stdout}");
}

/// Issue 14: on a terminal only failures stayed above the progress bar; every entry that is not
/// `unchanged` must. Runs tagman in a pty under a terminal emulator (pyte) and reads the screen.
#[test]
fn on_a_terminal_every_changed_entry_stays_above_the_progress_bar() {
    let registry = Registry::start();
    let host = registry.host();
    let mut entries = Vec::new();
    for app in ["a", "b", "c"] {
        seed(&host, &format!("starlingx/{app}"), BUILD);
        entries.push(format!("docker.io/starlingx/{app}"));
    }
    let dir = tempfile::tempdir().unwrap();
    let mut list: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|n| (n.as_str(), BUILD, "stx.4.0-v1"))
        .collect();
    list.push((
        "docker.io/starlingx/a",
        "master-centos-stable-20200101T000000Z.0",
        "stx.4.0-v9",
    ));
    let file = write(dir.path(), "image-tags.yaml", &manifest(&list));
    // The first run creates a's tag beforehand, so the terminal run also has an unchanged entry.
    let first = write(dir.path(), "first.yaml", &manifest(&list[..1]));
    let (out, stdout, _) = run(tagman(dir.path())
        .args(["apply", "--insecure-registry", &host, "--registry-map"])
        .arg(format!("docker.io={host}"))
        .arg(&first));
    assert_eq!(out.status.code(), Some(0), "{stdout}");

    let python = support::venv_python();
    let out = std::process::Command::new(python)
        .arg(project_root().join("crates/cli/tests/support/pty_screen.py"))
        .arg("--")
        .arg(support::tagman())
        .args(["apply", "--jobs", "1", "--insecure-registry", &host])
        .arg("--registry-map")
        .arg(format!("docker.io={host}"))
        .arg(&file)
        .current_dir(dir.path())
        .env("DOCKER_CONFIG", dir.path())
        .env("NO_COLOR", "1")
        .env_remove("TAGMAN_CONFIG")
        .output()
        .unwrap();
    let text = describe(&out);
    assert!(out.status.success(), "{text}");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("exit 1\n"), "{screen}");
    for app in ["b", "c"] {
        assert!(
            screen.contains(&format!(
                "created         {host}/starlingx/{app}:stx.4.0-v1"
            )),
            "{screen}"
        );
    }
    assert!(
        screen.contains(&format!("source-missing  {host}/starlingx/a:stx.4.0-v9")),
        "{screen}"
    );
    assert!(
        !screen.contains(&format!("unchanged       {host}/starlingx/a:stx.4.0-v1")),
        "{screen}"
    );
    assert!(
        screen.contains("4 entries: 2 created, 1 source-missing, 1 unchanged"),
        "{screen}"
    );
    assert!(!screen.contains("4/4"), "the bar is cleared: {screen}");
}
