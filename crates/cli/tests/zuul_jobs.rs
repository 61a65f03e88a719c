//! The Zuul jobs as a project uses them (issue 14): the README's layout checked by zuulcilint
//! beside `.zuul.yaml` and run with the secret bound as Zuul binds it (`pass-to-parent`), the
//! reconcile variant applying every entry, the audit job failing on a drifted tag, the lint job's
//! human report in the log, and every variable a job's playbook reads documented as a
//! `zuul:jobvar` of that job.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::{harness, images, support};

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};
use support::zuul::{checkout, good_change, manifest, playbook, project_with, returned, zuul_vars};
use support::{describe, project_root, require_tool, venv_python};

pub(crate) const PASSWORD: &str = "Zuul-bound-s3cret-never-logged";
use crate::apply_ops::BUILD;

/// The first YAML block of the README's "Use in Zuul" section: the layout a project adds.
fn readme_layout() -> String {
    let readme = std::fs::read_to_string(project_root().join("README.md")).unwrap();
    let section = &readme[readme.find("## Use in Zuul").unwrap()..];
    let start = section.find("```yaml\n").unwrap() + "```yaml\n".len();
    let end = start + section[start..].find("```").unwrap();
    section[start..end].to_owned()
}

/// `.zuul.yaml` and `extra` in one layout file under `dir`, beside a copy of the playbooks.
pub(crate) fn layout_dir(dir: &Path, extra: &str) -> PathBuf {
    let root = project_root();
    let config = std::fs::read_to_string(root.join(".zuul.yaml")).unwrap();
    let path = dir.join("zuul.yaml");
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(&path, format!("{config}\n{extra}")).unwrap();
    let playbooks = dir.join("playbooks/tagman");
    std::fs::create_dir_all(&playbooks).unwrap();
    for entry in std::fs::read_dir(root.join("playbooks/tagman")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), playbooks.join(entry.file_name())).unwrap();
    }
    path
}

/// What Zuul hands the playbook of `job`: `(playbook, job vars, bound secrets)`.
pub(crate) fn bind(layout: &Path, job: &str) -> (String, Value, Value) {
    let out = Command::new(venv_python())
        .arg(project_root().join("crates/cli/tests/support/zuul/bind_secrets.py"))
        .args(["--job", job, "--secret", PASSWORD])
        .arg(layout)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    let bound: Value = serde_json::from_slice(&out.stdout).unwrap();
    (
        bound["playbook"].as_str().unwrap().to_owned(),
        bound["vars"].clone(),
        bound["secrets"].clone(),
    )
}

/// A registry that wants starlingxbot's password, holding the source build of the change.
fn private_registry(dir: &Path) -> harness::Registry {
    crate::apply_ops::private_registry(dir, "starlingxbot", PASSWORD, &["starlingx/k8s-cni-sriov"])
}

/// Runs the playbook Zuul would run for `job` of `layout` on a change, the mirror of the README
/// being `host` (over plain HTTP); returns the output and the apply report, if written.
fn run_bound(
    scratch: &Path,
    layout: &Path,
    job: &str,
    host: &str,
) -> (std::process::Output, Option<Value>) {
    let (book, mut vars, secrets) = bind(layout, job);
    assert_eq!(book, "playbooks/tagman/promote.yaml");
    // The README's mirror is this registry.
    let args: Vec<String> = vars["tagman_apply_args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().replace("mirror:5000", host))
        .chain(["--insecure-registry".to_owned(), host.to_owned()])
        .collect();
    vars["tagman_apply_args"] = json!(args);
    let src = checkout(scratch);
    let sha = good_change(&src, "Bump the SR-IOV CNI image\n\nCloses-Bug: 2034567\n");
    let zuul = zuul_vars(scratch, &src, &sha, json!({ "change_message": "x" }));
    let job_vars = scratch.join("job-vars.json");
    std::fs::write(&job_vars, vars.to_string()).unwrap();
    // Zuul passes secrets as extra vars from a file of their own.
    let secret_vars = scratch.join("secrets.json");
    std::fs::write(&secret_vars, secrets.to_string()).unwrap();
    let logs = scratch.join("logs/tagman");
    let out = playbook(
        scratch,
        "promote.yaml",
        &zuul,
        &scratch.join("zuul_return.json"),
        &[
            "-e".to_owned(),
            format!("@{}", job_vars.display()),
            "-e".to_owned(),
            format!("@{}", secret_vars.display()),
            "-e".to_owned(),
            format!("tagman_log_dir={}", logs.display()),
        ],
    );
    let report = std::fs::read(logs.join("apply-report.json"))
        .ok()
        .map(|bytes| serde_json::from_slice(&bytes).unwrap());
    (out, report)
}

/// Issue 14: the README's child job attached the secret without `pass-to-parent`, and Zuul
/// binds a secret to the playbooks of the job that attaches it, so tagman-promote's playbook
/// never saw it. The layout, taken from the README, now passes zuulcilint, and run as Zuul
/// binds it, the promote authenticates (the secret keyed `docker.io`, the registry mapped) and
/// the reconcile applies every entry; without `pass-to-parent` the promote fails for want of it.
#[test]
fn the_readme_layout_lints_and_its_secret_reaches_the_parent_playbook_as_zuul_binds_it() {
    let scratch = tempfile::tempdir().unwrap();
    let layout_text = readme_layout();
    assert!(
        layout_text.contains("pass-to-parent: true"),
        "{layout_text}"
    );
    let layout = layout_dir(scratch.path(), &layout_text);
    let lint = Command::new(require_tool("zuulcilint"))
        .args(["--check-playbook-paths", "zuul.yaml"])
        .current_dir(scratch.path())
        .output()
        .unwrap();
    assert!(lint.status.success(), "{}", describe(&lint));

    let registry = private_registry(scratch.path());
    let host = registry.host();
    let promote_dir = scratch.path().join("promote");
    let (out, report) = run_bound(&promote_dir, &layout, "starlingx-tagman-promote", &host);
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    let report = report.unwrap();
    let entries = report["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "only the change's entry: {report:#}");
    assert_eq!(entries[0]["action"], "created", "{report:#}");
    assert!(!text.contains(PASSWORD), "the secret leaked:\n{text}");
    // What tagman apply printed is in the log, as lines.
    assert!(text.contains("\"1 entry: 1 created ("), "{text}");

    let reconcile_dir = scratch.path().join("reconcile");
    let (out, report) = run_bound(&reconcile_dir, &layout, "starlingx-tagman-reconcile", &host);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let report = report.unwrap();
    let actions: Vec<&str> = report["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "unchanged"], "every entry: {report:#}");

    // The layout as the README had it: the secret stays with the child's (absent) playbooks.
    let without = layout_dir(
        &scratch.path().join("without"),
        &layout_text.replace("pass-to-parent: true", "pass-to-parent: false"),
    );
    let (_, _, secrets) = bind(&without, "starlingx-tagman-promote");
    assert_eq!(secrets, json!({}));
    let (out, report) = run_bound(
        &scratch.path().join("without-run"),
        &without,
        "starlingx-tagman-promote",
        &host,
    );
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(
        describe(&out).contains("tagman-promote needs the secret `tagman_registry`"),
        "{}",
        describe(&out)
    );
    assert!(report.is_none());
}

/// tagman-audit: `tagman status` over the manifests; a tag pushed over fails the job, the
/// status is in the log and the report is the build's artifact.
#[test]
fn audit_job_fails_on_a_drifted_tag_and_keeps_the_report() {
    let scratch = tempfile::tempdir().unwrap();
    let registry = harness::Registry::start();
    let host = registry.host();
    let src = checkout(scratch.path());
    let sha = good_change(&src, "Bump\n\nCloses-Bug: 2034567\n");
    let args = ["--insecure-registry", &host, "--registry-map"];
    let map = format!("docker.io={host}");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = images::plain_client(&host);
        let name = images::name(&host, "starlingx/k8s-cni-sriov");
        images::push(&client, &name, BUILD, images::Kind::Oci, "0").await;
    });
    let applied = support::tagman_in(&src)
        .env("DOCKER_CONFIG", scratch.path())
        .arg("apply")
        .args(args)
        .arg(&map)
        .output()
        .unwrap();
    assert_eq!(applied.status.code(), Some(0), "{}", describe(&applied));
    let vars = zuul_vars(scratch.path(), &src, &sha, json!({}));
    let logs = scratch.path().join("logs/tagman");
    let status_args = json!({ "tagman_status_args": [args[0], args[1], args[2], map] });
    let extra = [
        "-e".to_owned(),
        status_args.to_string(),
        "-e".to_owned(),
        format!("tagman_log_dir={}", logs.display()),
    ];
    let out_file = scratch.path().join("zuul_return.json");
    let out = playbook(scratch.path(), "audit.yaml", &vars, &out_file, &extra);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(describe(&out).contains("\"2 entries: 2 published\""));

    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = images::plain_client(&host);
        let name = images::name(&host, "starlingx/k8s-cni-sriov");
        images::push(&client, &name, "stx.4.0-v2.3", images::Kind::Oci, "over").await;
    });
    let out = playbook(scratch.path(), "audit.yaml", &vars, &out_file, &extra);
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(2), "drift fails the job:\n{text}");
    assert!(
        text.contains(&format!(
            "\"drifted         {host}/starlingx/k8s-cni-sriov:stx.4.0-v2.3  tag has sha256:"
        )),
        "{text}"
    );
    assert!(text.contains("found a drifted tag"), "{text}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(logs.join("status-report.json")).unwrap()).unwrap();
    assert_eq!(report["states"], json!({"published": 1, "drifted": 1}));
    assert_eq!(
        returned(&out_file)["zuul"]["artifacts"][0]["url"],
        "tagman/status-report.json"
    );
}

/// Issue 14: the lint job's log showed the findings only as one escaped JSON line; it now shows
/// the human report, line by line, and not the JSON.
#[test]
fn lint_job_log_shows_the_human_report() {
    let scratch = tempfile::tempdir().unwrap();
    let src = checkout(scratch.path());
    let message = "Bump the SR-IOV CNI image\n\nNew upstream release.\n";
    let sha = project_with(
        &src,
        &manifest(&["stx.4.0-v2.2"]),
        &manifest(&["stx.4.0-v2.2", "stx.4.0.v2.3"]),
        message,
        &[],
    );
    let vars = zuul_vars(
        scratch.path(),
        &src,
        &sha,
        json!({ "change_message": message }),
    );
    let out = playbook(
        scratch.path(),
        "lint.yaml",
        &vars,
        &scratch.path().join("zuul_return.json"),
        &[],
    );
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    for line in [
        "\"TM004(tag-format)\"",
        "\"  help: did you mean `stx.4.0-v2.3`?\"",
        "\"tagman: 2 errors, 0 warnings in 1 file\"",
    ] {
        assert!(text.contains(line), "{line} not in the log:\n{text}");
    }
    assert!(!text.contains("file_comments\\\""), "a JSON blob:\n{text}");
    assert!(
        text.contains("tagman lint found errors: the report is above"),
        "{text}"
    );
}

/// Every variable a job's playbook reads (`X | default(`, `X is defined`, and not set by a task
/// from something else) is documented as `.. zuul:jobvar:: X` in that job's description.
#[test]
fn every_job_documents_each_variable_its_playbook_reads() {
    let root = project_root();
    let config = std::fs::read_to_string(root.join(".zuul.yaml")).unwrap();
    let install = std::fs::read_to_string(root.join("playbooks/tagman/install.yaml")).unwrap();
    let mut checked = 0;
    for block in config.split("\n- job:\n").skip(1) {
        let field = |key: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(&format!("    {key}: ")))
                .map(str::to_owned)
        };
        let (Some(name), Some(run)) = (field("name"), field("run")) else {
            continue;
        };
        let book = std::fs::read_to_string(root.join(&run)).unwrap();
        let documented: BTreeSet<String> = block
            .lines()
            .filter_map(|l| l.trim().strip_prefix(".. zuul:jobvar:: "))
            .map(str::to_owned)
            .collect();
        let both = format!("{book}\n{install}");
        let mut wanted: BTreeSet<String> = read_with_default(&book)
            .into_iter()
            .filter(|var| !set_from_else(&both, var))
            .collect();
        if book.contains("include_tasks: install.yaml") {
            for var in read_with_default(&install) {
                // A variable install.yaml only settles is the job's when its playbook reads it.
                let settled_only = settles(&install, &var) && uses(&install, &var) <= 2;
                if !set_from_else(&both, &var) && (!settled_only || uses(&book, &var) > 0) {
                    wanted.insert(var);
                }
            }
        }
        let missing: Vec<_> = wanted.difference(&documented).collect();
        assert!(
            missing.is_empty(),
            "{name} ({run}) does not document {missing:?}"
        );
        checked += 1;
    }
    assert!(checked >= 5, "{checked} jobs with a playbook");
}

/// Variables `text` reads with a default or a definedness test.
fn read_with_default(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("tagman_") {
        if text[..at].ends_with(|c: char| c.is_ascii_lowercase() || c == '_') {
            continue;
        }
        let name: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        let rest = text[at + name.len()..].trim_start();
        if rest.starts_with("| default(") || rest.starts_with("is defined") {
            found.insert(name);
        }
    }
    found
}

/// The values `text` gives `name` as a task's key (`name: value`, or the line after `name: >-`).
fn assigned<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    let lines: Vec<&str> = text.lines().collect();
    let key = format!("{name}:");
    let mut values = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        if let Some(value) = line.trim().strip_prefix(&key) {
            let value = value.trim();
            if matches!(value, ">-" | "|" | ">") {
                values.push(lines.get(n + 1).copied().unwrap_or_default());
            } else {
                values.push(value);
            }
        }
    }
    values
}

/// Whether a task sets `name` (`register:`, or a key not defaulting to itself): then it is the
/// playbooks' own, not a job variable.
fn set_from_else(text: &str, name: &str) -> bool {
    text.contains(&format!("register: {name}\n"))
        || assigned(text, name)
            .iter()
            .any(|value| !value.contains(&format!("{name} | default(")))
}

/// Whether a task settles `name` to itself or a default.
fn settles(text: &str, name: &str) -> bool {
    assigned(text, name)
        .iter()
        .any(|value| value.contains(&format!("{name} | default(")))
}

/// How often `name` occurs in `text` as a whole word.
fn uses(text: &str, name: &str) -> usize {
    text.match_indices(name)
        .filter(|(at, _)| {
            let after = text[at + name.len()..].chars().next();
            !after.is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        })
        .count()
}
