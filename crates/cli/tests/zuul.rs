//! The Zuul jobs for real: `ansible-playbook -i localhost, -c local` runs the playbooks of
//! `.zuul.yaml` with fake Zuul variables and a test-only `zuul_return` action plugin
//! (`support/zuul/action_plugins`) that writes what it is given to a file after checking the
//! `file_comments` shape as Zuul does; `zuulcilint` checks `.zuul.yaml`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crate::{harness, images, support};

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};
use support::{cache_dir, describe, git, git_init, project_root, require_tool, tagman};

/// One entry; `TAG` is replaced.
const ENTRY: &str = "  - name: docker.io/starlingx/k8s-cni-sriov
    src_build_tag: master-centos-stable-20191203T153530Z.0
    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4
    tag: TAG
";

fn manifest(tags: &[&str]) -> String {
    let mut text = String::from("images:\n");
    for tag in tags {
        text.push_str(&ENTRY.replace("TAG", tag));
    }
    text
}

/// A project repository with a base commit and the change on top; returns the change's sha.
fn project(dir: &Path, before: &str, after: &str, message: &str) -> String {
    project_with(dir, before, after, message, &[])
}

/// Where Zuul checks the project out, under `scratch`.
fn checkout(scratch: &Path) -> PathBuf {
    let src = scratch.join("src/opendev.org/starlingx/root");
    std::fs::create_dir_all(&src).unwrap();
    src
}

/// A change that adds a well-formed entry; returns its sha.
fn good_change(src: &Path, message: &str) -> String {
    project(
        src,
        &manifest(&["stx.4.0-v2.2"]),
        &manifest(&["stx.4.0-v2.2", "stx.4.0-v2.3"]),
        message,
    )
}

/// Like [`project`], with more files in the base commit that the change leaves alone.
fn project_with(
    dir: &Path,
    before: &str,
    after: &str,
    message: &str,
    untouched: &[(&str, &str)],
) -> String {
    git_init(dir);
    for (path, text) in untouched {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    std::fs::create_dir_all(dir.join("build-tools")).unwrap();
    std::fs::write(dir.join("build-tools/image-tags.yaml"), before).unwrap();
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "Start\n\nStory: 2011001"]);
    std::fs::write(dir.join("build-tools/image-tags.yaml"), after).unwrap();
    git(dir, &["commit", "-q", "-a", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

/// Zuul's variables for a change to `src_dir`, as a vars file.
fn zuul_vars(dir: &Path, src_dir: &Path, commit_id: &str, message: Value) -> PathBuf {
    let mut zuul = json!({
        "project": {
            "name": "opendev.org/starlingx/root",
            "short_name": "root",
            "canonical_name": "opendev.org/starlingx/root",
            "src_dir": src_dir,
        },
        "projects": {
            "opendev.org/starlingx/root": {
                "name": "opendev.org/starlingx/root",
                "short_name": "root",
                "src_dir": src_dir,
            }
        },
        "branch": "master",
        "pipeline": "check",
        "job": "tagman-lint",
        "change": "123456",
        "patchset": "1",
        "commit_id": commit_id,
        "executor": { "work_root": dir, "log_root": dir.join("logs") },
    });
    zuul.as_object_mut()
        .unwrap()
        .extend(message.as_object().unwrap().clone());
    // JSON is YAML: ansible-playbook reads it with `-e @file`.
    let path = dir.join("zuul-vars.yaml");
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&json!({ "zuul": zuul })).unwrap(),
    )
    .unwrap();
    path
}

/// ansible-playbook on this machine, with the fake zuul_return writing to `returned`.
fn playbook(scratch: &Path, name: &str, vars: &Path, returned: &Path, extra: &[String]) -> Output {
    playbook_command(scratch, name, vars, returned, extra)
        .arg("-e")
        .arg(format!("tagman_executable={}", tagman().display()))
        .output()
        .unwrap()
}

/// ansible-playbook with everything but the tagman to use.
fn playbook_command(
    scratch: &Path,
    name: &str,
    vars: &Path,
    returned: &Path,
    extra: &[String],
) -> Command {
    let ansible = require_tool("ansible-playbook");
    let plugins = project_root().join("crates/cli/tests/support/zuul/action_plugins");
    let home = scratch.join("ansible-home");
    std::fs::create_dir_all(&home).unwrap();
    // Modules run with the Python ansible-core is installed in (its venv); interpreter discovery
    // may find a shim that does not work.
    let python = ansible.with_file_name("python3");
    let mut cmd = Command::new(&ansible);
    cmd.current_dir(scratch)
        .args(["-i", "localhost,", "-c", "local"])
        .arg(project_root().join("playbooks/tagman").join(name))
        .arg("-e")
        .arg(format!("@{}", vars.display()))
        .arg("-e")
        .arg(format!("ansible_python_interpreter={}", python.display()))
        .args(extra)
        .env("ANSIBLE_ACTION_PLUGINS", plugins)
        .env("ANSIBLE_HOME", &home)
        .env("ANSIBLE_LOCAL_TEMP", home.join("tmp"))
        .env("ANSIBLE_REMOTE_TEMP", home.join("remote-tmp"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_FORCE_COLOR", "0")
        .env("ANSIBLE_CONFIG", scratch.join("no-ansible.cfg"))
        .env("TAGMAN_ZUUL_RETURN_FILE", returned)
        .env_remove("TAGMAN_CONFIG");
    cmd
}

fn returned(path: &Path) -> Value {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("zuul_return was not called ({}): {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

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

/// On a node without tagman the job builds it from the tagman repository among the job's
/// projects (here: this working tree) with `cargo install --locked`.
#[test]
fn lint_job_builds_tagman_when_the_node_has_none() {
    let scratch = tempfile::tempdir().unwrap();
    let src = checkout(scratch.path());
    let message = "Bump the SR-IOV CNI image\n\nStory: 2011001\n";
    let sha = good_change(&src, message);
    let vars = zuul_vars(
        scratch.path(),
        &src,
        &sha,
        json!({ "change_message": message }),
    );
    // Add this repository to the job's projects, as required-projects would.
    let mut data: Value = serde_json::from_slice(&std::fs::read(&vars).unwrap()).unwrap();
    data["zuul"]["projects"]["opendev.org/starlingx/tagman"] = json!({
        "name": "opendev.org/starlingx/tagman",
        "short_name": "tagman",
        "src_dir": project_root(),
    });
    std::fs::write(&vars, data.to_string()).unwrap();
    let install_root = scratch.path().join("local");
    let out_file = scratch.path().join("zuul_return.json");
    let out = playbook_command(
        scratch.path(),
        "lint.yaml",
        &vars,
        &out_file,
        &[
            "-e".to_owned(),
            "tagman_executable=tagman-is-not-installed".to_owned(),
            "-e".to_owned(),
            format!("tagman_install_root={}", install_root.display()),
        ],
    )
    // Shares the pre-commit test's build directory and profile: only the workspace's own crates
    // are compiled again.
    .env("CARGO_TARGET_DIR", cache_dir("pre-commit-cargo-target"))
    .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
    .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
    .output()
    .unwrap();
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("cargo install tagman"), "{text}");
    assert!(install_root.join("bin/tagman").is_file(), "{text}");
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
    let leftovers: Vec<_> = walk(scratch.path())
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "auth.json"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
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
