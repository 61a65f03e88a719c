//! Issue 18: a promote log an operator can act on. A 200-entry apply with two conflicts on a
//! terminal (a pseudo-terminal under a VT100 emulator, support/pty_screen.py, against the real
//! registry of the harness): its last screen names both conflicts with where they are declared,
//! short digests and the `--force` that would overwrite each; `--force` takes that short name; the
//! report carries the tagman version, the time, each entry's manifest file:line, full digests and
//! `requests`; `status` says a release tag whose build tag was pruned is there, with its digest.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{harness, images, support};

use std::path::Path;

use harness::Registry;
use serde_json::Value;
use support::{describe, figure, project_root};

const SRC_REF: &str =
    "https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4";
const ENTRIES: usize = 200;
const REPOSITORIES: usize = 20;

/// Build `i`'s tag: a real time of day, one second apart.
fn build(i: usize) -> String {
    format!(
        "master-debian-stable-20260701T00{:02}{:02}Z.0",
        i / 60,
        i % 60
    )
}

fn entry(i: usize, build: &str) -> String {
    format!(
        "  - name: docker.io/starlingx/app{}\n    src_build_tag: {build}\n    src_ref: {SRC_REF}\n    tag: stx.13.0-v1.{i}.0\n",
        i % REPOSITORIES
    )
}

fn seed(host: &str, builds: impl Iterator<Item = (usize, String)>) {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = images::plain_client(host);
        for (i, tag) in builds {
            let name = images::name(host, &format!("starlingx/app{}", i % REPOSITORIES));
            images::push(&client, &name, &tag, images::Kind::Oci, &tag).await;
        }
    });
}

/// `tagman COMMAND` against the harness's registry, mapped from docker.io.
fn tagman(dir: &Path, host: &str, command: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(support::tagman());
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DOCKER_CONFIG", dir)
        .env_remove("TAGMAN_CONFIG")
        .args([command, "--insecure-registry", host, "--registry-map"])
        .arg(format!("docker.io={host}"));
    cmd
}

#[test]
fn a_200_entry_apply_names_its_two_conflicts_on_the_last_screen() {
    let registry = Registry::start();
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    seed(&host, (0..ENTRIES).map(|i| (i, build(i))));
    // Entries 17 and 150 were published earlier from other builds: two conflicts.
    let other = |i: usize| build(i).replace("20260701", "20260601");
    seed(&host, [17, 150].into_iter().map(|i| (i, other(i))));
    let earlier: String = [17, 150].iter().map(|&i| entry(i, &other(i))).collect();
    std::fs::write(
        dir.path().join("earlier.yaml"),
        format!("images:\n{earlier}"),
    )
    .unwrap();
    let out = tagman(dir.path(), &host, "apply")
        .arg("earlier.yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));

    let text: String = (0..ENTRIES).map(|i| entry(i, &build(i))).collect();
    std::fs::write(
        dir.path().join("image-tags.yaml"),
        format!("images:\n{text}"),
    )
    .unwrap();
    let report_path = dir.path().join("apply-report.json");
    let out = std::process::Command::new(support::venv_python())
        .arg(project_root().join("crates/cli/tests/support/pty_screen.py"))
        .arg("--")
        .arg(support::tagman())
        .args(["apply", "--insecure-registry", &host, "--registry-map"])
        .arg(format!("docker.io={host}"))
        .arg("--report")
        .arg(&report_path)
        .arg("image-tags.yaml")
        .current_dir(dir.path())
        .env("DOCKER_CONFIG", dir.path())
        .env("NO_COLOR", "1")
        .env_remove("TAGMAN_CONFIG")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let screen = String::from_utf8_lossy(&out.stdout).into_owned();
    figure(&format!(
        "the last screen of a {ENTRIES}-entry apply:\n{screen}"
    ));
    assert!(screen.contains("exit 1\n"), "{screen}");
    assert!(
        screen.contains("200 entries: 2 conflict, 198 created"),
        "{screen}"
    );
    let report: Value = serde_json::from_slice(&std::fs::read(&report_path).unwrap()).unwrap();
    for i in [17, 150] {
        let line = format!(
            "  conflict        {host}/starlingx/app{}:stx.13.0-v1.{i}.0 (image-tags.yaml:{})",
            i % REPOSITORIES,
            2 + 4 * i
        );
        let at = screen
            .find(&line)
            .unwrap_or_else(|| panic!("{line} not on the last screen:\n{screen}"));
        let rest = &screen[at..];
        let rest = &rest[..rest.find('\n').unwrap()];
        assert!(
            rest.ends_with(&format!(
                "; to overwrite it: --force app{}",
                i % REPOSITORIES
            )),
            "{rest}"
        );
        // Short on the terminal, full in the report.
        let entry = &report["entries"][i];
        let previous = entry["previous_digest"].as_str().unwrap();
        assert_eq!(previous.len(), "sha256:".len() + 64, "{entry}");
        assert!(rest.contains(&previous[..7 + 12]), "{rest}");
        assert!(!screen.contains(previous), "a full digest on the terminal");
        assert_eq!(
            entry["manifest"],
            format!("image-tags.yaml:{}", 2 + 4 * i),
            "{entry}"
        );
    }
    assert_eq!(
        report["tool"],
        format!("tagman {}", env!("CARGO_PKG_VERSION"))
    );
    let time = report["time"].as_str().unwrap();
    assert!(time.len() == 20 && time.ends_with('Z'), "{time}");
    assert!(report["entries"][0]["requests"].as_u64().unwrap() > 0);
    assert!(report["entries"][0].get("attempts").is_none());
    figure(&format!(
        "the report's conflict entry:\n{:#}",
        report["entries"][17]
    ));

    // The hint works as printed: --force takes the short name.
    let out = tagman(dir.path(), &host, "apply")
        .args(["--force", "app17", "image-tags.yaml"])
        .output()
        .unwrap();
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains(&format!(
            "forced          {host}/starlingx/app17:stx.13.0-v1.17.0"
        )),
        "{text}"
    );
    assert!(
        text.contains("200 entries: 1 conflict, 1 forced, 198 unchanged"),
        "{text}"
    );
}

/// `status` on a release tag whose build tag was pruned: the tag is there, with its digest.
#[test]
fn status_names_a_pruned_build_tag_and_gives_the_tag_s_digest() {
    let registry = Registry::start();
    let host = registry.host();
    let dir = tempfile::tempdir().unwrap();
    seed(&host, [(0, build(0))].into_iter());
    std::fs::write(
        dir.path().join("image-tags.yaml"),
        format!("images:\n{}", entry(0, &build(0))),
    )
    .unwrap();
    let out = tagman(dir.path(), &host, "apply").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // The manifest now names a build tag the registry never had (as after a prune).
    std::fs::write(
        dir.path().join("image-tags.yaml"),
        format!("images:\n{}", entry(0, &build(99))),
    )
    .unwrap();
    let out = tagman(dir.path(), &host, "status").output().unwrap();
    let text = describe(&out);
    assert!(
        text.contains(&format!(
            "source-missing  {host}/starlingx/app0:stx.13.0-v1.0.0  tag has sha256:"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("but its build tag {} was pruned", build(99))),
        "{text}"
    );
}
