//! The Zuul jobs for real: `ansible-playbook -i localhost, -c local` runs the playbooks of
//! `.zuul.yaml` with fake Zuul variables and a test-only `zuul_return` action plugin
//! (`support/zuul/action_plugins`) that writes what it is given to a file after checking the
//! `file_comments` shape as Zuul does; `zuulcilint` checks `.zuul.yaml`. How the jobs get tagman
//! (wheel, build from source, a clear failure) is tested in `install.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crate::{harness, images, support};

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use support::zuul::{
    checkout, good_change, manifest, playbook, playbook_command, project_with, returned, zuul_vars,
};
use support::{describe, files_under, git, git_init, project_root, require_tool, tagman};

#[test]
fn lint_job_returns_inline_comments_for_a_bad_manifest_and_message() {
    let scratch = tempfile::tempdir().unwrap();
    let src = checkout(scratch.path());
    let message = "Bump the SR-IOV CNI image\n\nNew upstream release.\n";
    // A finding the change did not bring, in a file it does not touch.
    let old_bad = manifest(&["stx.3.0.v1"]).replace("k8s-cni-sriov", "old-image");
    let sha = project_with(
        &src,
        &manifest(&["stx.4.0-v2.2"]),
        &manifest(&["stx.4.0-v2.2", "stx.4.0.v2.3"]),
        message,
        &[("other/image-tags.yaml", old_bad.as_str())],
    );
    let vars = zuul_vars(
        scratch.path(),
        &src,
        &sha,
        json!({ "change_message": message }),
    );
    let out_file = scratch.path().join("zuul_return.json");
    let out = playbook(scratch.path(), "lint.yaml", &vars, &out_file, &[]);
    let text = describe(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the lint should fail the job:\n{text}"
    );
    assert!(out_file.exists(), "zuul_return was not called:\n{text}");

    let data = returned(&out_file);
    let comments = &data["zuul"]["file_comments"];
    let manifest_comments = comments["build-tools/image-tags.yaml"]
        .as_array()
        .unwrap_or_else(|| panic!("{data:#}"));
    assert_eq!(manifest_comments.len(), 1, "{data:#}");
    let c = &manifest_comments[0];
    // The second entry's tag, line 9: `    tag: stx.4.0.v2.3`, at the `.v` that should be `-v`.
    assert_eq!(c["line"], 9, "{data:#}");
    assert_eq!(
        c["range"],
        json!({"start_line": 9, "start_character": 16, "end_line": 9, "end_character": 18}),
        "{data:#}"
    );
    let msg = c["message"].as_str().unwrap();
    assert!(msg.starts_with("TM004 (tag-format) error:"), "{msg}");
    assert!(msg.contains("Fix:"), "{msg}");

    let commit = comments["/COMMIT_MSG"]
        .as_array()
        .unwrap_or_else(|| panic!("{data:#}"));
    assert!(
        commit
            .iter()
            .any(|c| c["message"].as_str().unwrap().starts_with("TM101")
                && c["line"].as_u64().unwrap() > 6),
        "{data:#}"
    );
    // Gerrit takes comments only on the change's files: the other file is named in a warning.
    assert_eq!(comments.as_object().unwrap().len(), 2, "{data:#}");
    assert_eq!(
        data["zuul"]["warnings"],
        json!([
            "tagman: 3 errors, 0 warnings in 2 files",
            "tagman: also findings in files this change does not touch: other/image-tags.yaml"
        ]),
        "{data:#}"
    );
}

#[test]
fn lint_job_passes_a_good_change_and_reads_old_zuuls_base64_message() {
    let scratch = tempfile::tempdir().unwrap();
    let src = checkout(scratch.path());
    let message = "Bump the SR-IOV CNI image\n\nNew upstream release.\n\nCloses-Bug: 2034567\n";
    let sha = good_change(&src, message);
    let encoded = base64_encode(message.as_bytes());
    let vars = zuul_vars(scratch.path(), &src, &sha, json!({ "message": encoded }));
    let out_file = scratch.path().join("zuul_return.json");
    let out = playbook(scratch.path(), "lint.yaml", &vars, &out_file, &[]);
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(
        returned(&out_file),
        json!({"zuul": {"file_comments": {}, "warnings": []}})
    );
}

/// The stand-in zuul_return refuses what Zuul would drop, so the lint job's passing tests mean
/// Zuul would keep its comments.
#[test]
fn fake_zuul_return_refuses_malformed_comments() {
    let scratch = tempfile::tempdir().unwrap();
    let vars = zuul_vars(scratch.path(), scratch.path(), "0", json!({}));
    let cases = [
        json!({"a.yaml": [{"line": "3", "message": "line is a string"}]}),
        json!({"a.yaml": [{"line": 3, "message": "m", "severity": "extra key"}]}),
        json!({"a.yaml": [{"line": 3, "message": "m",
            "range": {"start_line": 2, "start_character": 0, "end_line": 2, "end_character": 1}}]}),
        json!({"./a.yaml": [{"line": 3, "message": "not project-relative"}]}),
    ];
    for (n, comments) in cases.iter().enumerate() {
        let book = scratch.path().join(format!("bad-{n}.yaml"));
        let play = json!([{ "hosts": "all", "gather_facts": false, "tasks": [
            { "zuul_return": { "data": { "zuul": { "file_comments": comments } } } }
        ]}]);
        std::fs::write(&book, play.to_string()).unwrap();
        let out_file = scratch.path().join(format!("returned-{n}.json"));
        let out = playbook(
            scratch.path(),
            book.to_str().unwrap(),
            &vars,
            &out_file,
            &[],
        );
        let text = describe(&out);
        assert_eq!(out.status.code(), Some(2), "{comments}:\n{text}");
        assert!(text.contains("Zuul would drop the file comments"), "{text}");
        assert!(!out_file.exists());
    }
}

#[test]
fn zuulcilint_accepts_the_zuul_config() {
    let lint = require_tool("zuulcilint");
    let root = project_root();
    assert!(root.join(".zuul.yaml").is_file());
    let out = Command::new(&lint)
        .args(["--check-playbook-paths", ".zuul.yaml"])
        .current_dir(&root)
        .output()
        .unwrap();
    let text = describe(&out);
    assert!(out.status.success(), "{text}");
    // zuulcilint passes a file it skips; make sure it read this one.
    assert!(!text.contains("Skipping"), "{text}");

    // And it does fail a job whose playbook is missing, so the pass above means something.
    let copy = tempfile::tempdir().unwrap();
    let config = std::fs::read_to_string(root.join(".zuul.yaml")).unwrap();
    std::fs::write(
        copy.path().join(".zuul.yaml"),
        config.replace(
            "playbooks/tagman/lint.yaml",
            "playbooks/tagman/missing.yaml",
        ),
    )
    .unwrap();
    std::fs::create_dir_all(copy.path().join("playbooks/tagman")).unwrap();
    std::fs::copy(
        root.join("playbooks/tagman/promote.yaml"),
        copy.path().join("playbooks/tagman/promote.yaml"),
    )
    .unwrap();
    let out = Command::new(&lint)
        .args(["--check-playbook-paths", ".zuul.yaml"])
        .current_dir(copy.path())
        .output()
        .unwrap();
    let text = describe(&out);
    assert!(!out.status.success(), "{text}");
    assert!(text.contains("missing.yaml"), "{text}");
}

const SECRET: &str = "Zuul-s3cret-never-logged";

/// The leak check has teeth: a secret handed to a task through `environment:` (the easy way to
/// give tagman credentials) does show in -vvvv output, which is why the promote job writes a
/// no_log file instead.
#[test]
fn a_secret_in_a_task_environment_shows_at_high_verbosity() {
    let scratch = tempfile::tempdir().unwrap();
    let vars = zuul_vars(scratch.path(), scratch.path(), "0", json!({}));
    let book = scratch.path().join("leaky.yaml");
    let play = json!([{ "hosts": "all", "gather_facts": false, "tasks": [{
        "name": "pass the password the leaky way",
        "ansible.builtin.command": { "argv": ["true"] },
        "environment": { "REGISTRY_PASSWORD": "{{ tagman_registry.auths.r.password }}" },
    }]}]);
    std::fs::write(&book, play.to_string()).unwrap();
    let secret_vars = scratch.path().join("secret.yaml");
    let secret =
        json!({"tagman_registry": {"auths": {"r": {"username": "u", "password": SECRET}}}});
    std::fs::write(&secret_vars, secret.to_string()).unwrap();
    let out = playbook(
        scratch.path(),
        book.to_str().unwrap(),
        &vars,
        &scratch.path().join("returned.json"),
        &[
            "-vvvv".to_owned(),
            "-e".to_owned(),
            format!("@{}", secret_vars.display()),
        ],
    );
    let text = describe(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains(SECRET), "expected the leak:\n{text}");
}

#[test]
fn promote_job_applies_the_change_and_never_logs_the_secret() {
    let scratch = tempfile::tempdir().unwrap();
    // The registry wants the secret (htpasswd), so the job only passes if the credentials file
    // the no_log task writes is the one tagman uses.
    let htpasswd = scratch.path().join("htpasswd");
    let hash = bcrypt::hash_with_result(SECRET, 4)
        .unwrap()
        .format_for_version(bcrypt::Version::TwoY);
    std::fs::write(&htpasswd, format!("starlingxbot:{hash}\n")).unwrap();
    let registry = harness::Registry::start_with(harness::RegistryConfig {
        auth: harness::RegistryAuth::Htpasswd(htpasswd),
        tls: None,
    });
    let host = registry.host();
    let base_tag = "master-centos-stable-20191203T153530Z.0";
    let auth_dir = tempfile::tempdir().unwrap();
    let seed_auth = auth_dir.path().join("auth.json");
    let body = json!({"auths": {host.clone(): {"username": "starlingxbot", "password": SECRET}}});
    std::fs::write(&seed_auth, body.to_string()).unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = tagman_apply::client::Client::new(tagman_apply::TransportConfig {
            insecure_registries: vec![host.clone()],
            retry: images::fast_retry(),
            credentials: tagman_apply::CredentialStore::load(&[seed_auth], false).unwrap(),
            ..tagman_apply::TransportConfig::default()
        })
        .unwrap();
        let name = images::name(&host, "starlingx/k8s-cni-sriov");
        images::push(&client, &name, base_tag, images::Kind::Oci, "0").await;
    });

    let src = checkout(scratch.path());
    let sha = good_change(&src, "Bump the SR-IOV CNI image\n\nCloses-Bug: 2034567\n");
    let vars = zuul_vars(scratch.path(), &src, &sha, json!({ "change_message": "x" }));
    // The secret, as Zuul hands it to the playbook.
    let secret_vars = scratch.path().join("secret.yaml");
    let secret = json!({ "tagman_registry": { "auths": {
        host.clone(): { "username": "starlingxbot", "password": SECRET }
    }}});
    std::fs::write(&secret_vars, secret.to_string()).unwrap();
    let logs = scratch.path().join("logs/tagman");
    let apply_args = json!({ "tagman_apply_args": [
        "--insecure-registry", host.clone(), "--registry-map", format!("docker.io={host}"),
    ]});
    // tagman behind a wrapper that notes the mode of the credentials file it is handed.
    let mode_file = scratch.path().join("auth-mode");
    let wrapper = scratch.path().join("tagman-wrapper");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nprev=\nfor a in \"$@\"; do\n  [ \"$prev\" = --auth-file ] && \
             stat -c %a \"$a\" > '{}'\n  prev=$a\ndone\nexec '{}' \"$@\"\n",
            mode_file.display(),
            tagman().display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &wrapper,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let out_file = scratch.path().join("zuul_return.json");
    let out = playbook_command(
        scratch.path(),
        "promote.yaml",
        &vars,
        &out_file,
        &[
            "-vvvv".to_owned(),
            "-e".to_owned(),
            format!("@{}", secret_vars.display()),
            "-e".to_owned(),
            apply_args.to_string(),
            "-e".to_owned(),
            format!("tagman_log_dir={}", logs.display()),
            "-e".to_owned(),
            format!("tagman_executable={}", wrapper.display()),
        ],
    )
    .output()
    .unwrap();
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert_eq!(
        std::fs::read_to_string(&mode_file).unwrap().trim(),
        "600",
        "the credentials file is not private"
    );

    // Only the change's entry is applied (the first was there before the change).
    let report: Value =
        serde_json::from_slice(&std::fs::read(logs.join("apply-report.json")).unwrap()).unwrap();
    let entries = report["entries"]
        .as_array()
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(entries.len(), 1, "{report:#}");
    assert_eq!(entries[0]["tag"], "stx.4.0-v2.3", "{report:#}");
    assert_eq!(entries[0]["action"], "created", "{report:#}");
    assert_eq!(
        returned(&out_file)["zuul"]["artifacts"][0]["url"],
        "tagman/apply-report.json"
    );

    // The whole -vvvv output: neither the password nor its Basic-auth encoding.
    let basic = base64_encode(format!("starlingxbot:{SECRET}").as_bytes());
    assert!(!text.contains(SECRET), "the secret leaked:\n{text}");
    assert!(
        !text.contains(&basic),
        "the secret leaked (base64):\n{text}"
    );
    assert!(text.contains("tagman apply"), "{text}");
    // It really is the -vvvv output (connection and module details).
    assert!(text.contains("ESTABLISH LOCAL CONNECTION"), "{text}");
    // The credentials file is gone.
    let leftovers: Vec<_> = files_under(scratch.path())
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "auth.json"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// Standard base64, as Zuul encodes `zuul.message`.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

// ---- tagman-refs ------------------------------------------------------------------------------

/// The manifests' project (starlingx/root) with one declared tag, checked out under `scratch`.
fn manifests_project(scratch: &Path) -> PathBuf {
    let root = scratch.join("src/opendev.org/starlingx/root");
    std::fs::create_dir_all(root.join("build-tools")).unwrap();
    git_init(&root);
    std::fs::write(
        root.join("build-tools/image-tags.yaml"),
        manifest(&["stx.4.0-v2.2"]),
    )
    .unwrap();
    git(&root, &["add", "-A"]);
    git(&root, &["commit", "-q", "-m", "Manifest\n\nStory: 2011001"]);
    root
}

/// A chart repository whose change sets `values` (an untouched file floats too); returns the sha.
fn chart_change(src: &Path, values: &str) -> String {
    std::fs::create_dir_all(src.join("charts/sriov")).unwrap();
    std::fs::create_dir_all(src.join("docs")).unwrap();
    git_init(src);
    std::fs::write(
        src.join("docs/old.yaml"),
        "image: docker.io/starlingx/k8s-cni-sriov:latest\n",
    )
    .unwrap();
    std::fs::write(
        src.join("charts/sriov/values.yaml"),
        "image: docker.io/starlingx/k8s-cni-sriov:stx.4.0-v2.2\n",
    )
    .unwrap();
    git(src, &["add", "-A"]);
    git(src, &["commit", "-q", "-m", "Start"]);
    std::fs::write(src.join("charts/sriov/values.yaml"), values).unwrap();
    git(src, &["commit", "-q", "-a", "-m", "Change the image"]);
    git(src, &["rev-parse", "HEAD"])
}

/// Zuul variables for a change to the chart project, with starlingx/root among the projects.
fn refs_vars(scratch: &Path, src: &Path, root: &Path, sha: &str) -> PathBuf {
    let vars = zuul_vars(
        scratch,
        src,
        sha,
        json!({ "change_message": "Change the image\n" }),
    );
    let mut data: Value = serde_json::from_slice(&std::fs::read(&vars).unwrap()).unwrap();
    data["zuul"]["project"]["name"] = json!("starlingx/sriov-armada-app");
    data["zuul"]["project"]["canonical_name"] = json!("opendev.org/starlingx/sriov-armada-app");
    data["zuul"]["projects"] = json!({
        "opendev.org/starlingx/sriov-armada-app": {
            "name": "starlingx/sriov-armada-app",
            "canonical_name": "opendev.org/starlingx/sriov-armada-app",
            "short_name": "sriov-armada-app",
            "src_dir": src,
        },
        "opendev.org/starlingx/root": {
            "name": "starlingx/root",
            "canonical_name": "opendev.org/starlingx/root",
            "short_name": "root",
            "src_dir": root,
        },
    });
    data["zuul"]["job"] = json!("tagman-refs");
    std::fs::write(&vars, data.to_string()).unwrap();
    vars
}

#[test]
fn refs_job_comments_on_the_changed_chart_with_root_s_manifests() {
    let scratch = tempfile::tempdir().unwrap();
    let root = manifests_project(scratch.path());
    let src = scratch
        .path()
        .join("src/opendev.org/starlingx/sriov-armada-app");
    let sha = chart_change(
        &src,
        "image: docker.io/starlingx/k8s-cni-sriov:stx.4.0-v2.9\n",
    );
    let vars = refs_vars(scratch.path(), &src, &root, &sha);
    let out_file = scratch.path().join("zuul_return.json");
    let out = playbook(scratch.path(), "refs.yaml", &vars, &out_file, &[]);
    let text = describe(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "the findings should fail the job:\n{text}"
    );
    // Issue 18: the human report is in the log, line by line, as tagman-lint's is.
    assert!(text.contains("\"TM202(undeclared-tag)\""), "{text}");
    let data = returned(&out_file);
    let comments = data["zuul"]["file_comments"].as_object().unwrap();
    assert_eq!(
        comments.keys().collect::<Vec<_>>(),
        ["charts/sriov/values.yaml"],
        "{data:#}"
    );
    let c = &comments["charts/sriov/values.yaml"][0];
    assert_eq!(c["line"], 1);
    assert_eq!(
        c["range"],
        json!({"start_line": 1, "start_character": 41, "end_line": 1, "end_character": 53}),
        "{data:#}"
    );
    let message = c["message"].as_str().unwrap();
    assert!(
        message.starts_with("TM202 (undeclared-tag) error:"),
        "{message}"
    );
    assert!(
        message.contains("stx.4.0-v2.2"),
        "the declared tag from root's manifest: {message}"
    );
    assert_eq!(
        data["zuul"]["warnings"],
        json!([
            "tagman: 2 errors, 0 warnings in 2 files",
            "tagman: also findings in files this change does not touch: docs/old.yaml"
        ]),
        "{data:#}"
    );
}

#[test]
fn refs_job_passes_a_change_to_a_declared_tag_and_names_a_missing_manifests_project() {
    let scratch = tempfile::tempdir().unwrap();
    let root = manifests_project(scratch.path());
    let src = scratch
        .path()
        .join("src/opendev.org/starlingx/sriov-armada-app");
    let sha = chart_change(
        &src,
        "image: docker.io/starlingx/k8s-cni-sriov:stx.4.0-v2.2\nnote: 1\n",
    );
    std::fs::remove_file(src.join("docs/old.yaml")).unwrap();
    git(&src, &["commit", "-q", "-a", "-m", "Drop the old doc"]);
    let sha_clean = git(&src, &["rev-parse", "HEAD"]);
    assert_ne!(sha, sha_clean);
    let vars = refs_vars(scratch.path(), &src, &root, &sha_clean);
    let out_file = scratch.path().join("zuul_return.json");
    let out = playbook(scratch.path(), "refs.yaml", &vars, &out_file, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(
        returned(&out_file),
        json!({"zuul": {"file_comments": {}, "warnings": []}})
    );

    let missing = playbook(
        scratch.path(),
        "refs.yaml",
        &vars,
        &scratch.path().join("none.json"),
        &[
            "-e".to_owned(),
            "tagman_manifests_project=starlingx/nosuch".to_owned(),
        ],
    );
    assert_eq!(missing.status.code(), Some(2), "{}", describe(&missing));
    assert!(
        describe(&missing).contains("starlingx/nosuch is not among the job's projects"),
        "{}",
        describe(&missing)
    );
}
