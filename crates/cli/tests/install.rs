//! tagman installed where users meet it, from the wheel `scripts/build-wheel` makes (built once
//! for this file, see `support::wheel`), offline and with no Rust toolchain on PATH: `pip install`
//! into a fresh venv, the pre-commit mirror (`packaging/pre-commit-mirror/`) through `pre-commit
//! try-repo`, and the Zuul jobs' install step (wheel first, then a build from source after
//! `ensure-rust`, else a clear failure that still reaches the change). Timings and the wheel's
//! platform are printed as `figure:` lines.
use crate::support;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use serde_json::{json, Value};
use support::hooks::exercise_hooks;
use support::wheel::{glibc_floor, manylinux_tag, platform_tag, wheel, wheelhouse};
use support::zuul::{checkout, good_change, playbook_command, returned, zuul_vars};
use support::{
    describe, figure, git, git_init, path_without_rust, project_root, require_tool,
    shared_release_build,
};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The interpreter the project's Python tools run on (pre-commit, ansible), as the interpreter it
/// was made from, so a venv made with it does not lean on the project venv.
fn base_python() -> PathBuf {
    let venv_python = require_tool("pre-commit").with_file_name("python3");
    let out = Command::new(&venv_python)
        .args(["-c", "import sys; print(sys._base_executable)"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", describe(&out));
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().unwrap()
}

#[test]
fn wheel_installs_into_a_fresh_venv_and_lints_without_rust() {
    let wheel = wheel();
    let platform = platform_tag(wheel);
    // PyPI refuses a plain `linux_x86_64` wheel; maturin's audit must have found a manylinux tag.
    let floor = glibc_floor(&platform)
        .unwrap_or_else(|| panic!("{platform} is not a manylinux platform tag"));
    figure(&format!(
        "wheel platform tag {platform}: needs glibc {floor} or later"
    ));
    // Linked by zig against glibc 2.17's symbols: Debian 10 and 11 and CentOS 7 install it too.
    assert_eq!(floor, "2.17", "{platform}");
    let audit = run(Command::new(require_tool("auditwheel"))
        .arg("show")
        .arg(wheel));
    let text = describe(&audit);
    assert!(audit.status.success(), "{text}");
    let tag = manylinux_tag(&platform).unwrap();
    assert!(text.contains(&format!("\"{tag}\"")), "{text}");

    let scratch = tempfile::tempdir().unwrap();
    let venv = scratch.path().join("venv");
    let path = path_without_rust(scratch.path(), &[]);
    let started = Instant::now();
    let out = run(Command::new(base_python())
        .args(["-m", "venv"])
        .arg(&venv)
        .env("PATH", &path));
    assert!(out.status.success(), "{}", describe(&out));
    let out = run(Command::new(venv.join("bin/pip"))
        .args([
            "install",
            "--no-index",
            "--disable-pip-version-check",
            "--quiet",
            "--find-links",
        ])
        .arg(wheel.parent().unwrap())
        // By the distribution's name, as users type it (issue 18: PyPI's `tagman` is another
        // project's).
        .arg("starlingx-tagman")
        .env("PATH", &path)
        .env_remove("PIP_FIND_LINKS"));
    assert!(out.status.success(), "{}", describe(&out));
    figure(&format!(
        "fresh venv + pip install of the wheel: {:.1} s",
        started.elapsed().as_secs_f64()
    ));

    // On PATH the way an activated venv puts it, and nothing of Rust beside it.
    let mut env_path = venv.join("bin").into_os_string();
    env_path.push(":");
    env_path.push(&path);
    let tagman = |args: &[&str]| {
        run(Command::new("tagman")
            .args(args)
            .current_dir(project_root())
            .env("PATH", &env_path)
            .env("NO_COLOR", "1")
            .env_remove("TAGMAN_CONFIG"))
    };
    let out = tagman(&["--version"]);
    assert!(out.status.success(), "{}", describe(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("tagman {VERSION}")
    );
    // The README's first command.
    let out = tagman(&["lint", "fixtures/image-tags.yaml"]);
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("0 errors, 0 warnings in 1 file"), "{text}");
    // And it finds what it should: the typo the README shows.
    let bad = scratch.path().join("image-tags.yaml");
    std::fs::write(&bad, support::hooks::BAD).unwrap();
    let out = tagman(&["lint", bad.to_str().unwrap()]);
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("TM004"), "{text}");
}

/// A git repository made from `packaging/pre-commit-mirror/` (its tracked and new files), as the
/// mirror repository is published; returns it and its commit.
fn mirror_repo(dir: &Path) -> (PathBuf, String) {
    let root = project_root();
    let layout = "packaging/pre-commit-mirror";
    let repo = dir.join("tagman-pre-commit");
    let listed = git(
        &root,
        &[
            "ls-files",
            "--cached",
            "--others",
            "--exclude-standard",
            layout,
        ],
    );
    for name in listed.lines() {
        let from = root.join(name);
        if !from.is_file() {
            continue;
        }
        let to = repo.join(name.strip_prefix(layout).unwrap().trim_start_matches('/'));
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    assert!(repo.join(".pre-commit-hooks.yaml").is_file(), "{listed}");
    git_init(&repo);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "Mirror: tagman"]);
    let rev = git(&repo, &["rev-parse", "HEAD"]);
    (repo, rev)
}

#[test]
fn mirror_hooks_install_the_wheel_and_pass_and_fail() {
    let pre_commit = require_tool("pre-commit");
    let wheelhouse = wheelhouse();
    let scratch = tempfile::tempdir().unwrap();
    let (repo, rev) = mirror_repo(scratch.path());
    // try-repo installs the hook into a new temporary store on every call, so every run below
    // is a first run, as a user's first commit with the hook is.
    let home = scratch.path().join("pre-commit-home");
    let path = path_without_rust(scratch.path(), &[]);
    let try_repo = |dir: &Path, hook: &str, extra: &[&str]| {
        run(Command::new(&pre_commit)
            .arg("try-repo")
            .arg(&repo)
            .arg(hook)
            .args(["--ref", &rev])
            .args(extra)
            .current_dir(dir)
            .env("PRE_COMMIT_HOME", &home)
            .env("PATH", &path)
            // pip finds tagman in the local wheelhouse only; the mirror package itself needs
            // nothing from an index to build.
            .env("PIP_FIND_LINKS", wheelhouse)
            .env("PIP_NO_INDEX", "1")
            .env("NO_COLOR", "1")
            .env_remove("TAGMAN_CONFIG"))
    };
    let first_run = exercise_hooks(&try_repo);
    figure(&format!(
        "pre-commit mirror hooks: first run (venv + pip install of the wheel + lint) {:.1} s",
        first_run.as_secs_f64()
    ));
    // Nothing else could have run those hooks: no cargo and no tagman on PATH, no index, and the
    // mirror holds no source.
}

/// Zuul's variables for a good change, with this repository among the job's projects (as
/// `required-projects` puts it there), for the build from source.
fn job_with_tagman_project(scratch: &Path) -> PathBuf {
    let src = checkout(scratch);
    let message = "Bump the SR-IOV CNI image\n\nStory: 2011001\n";
    let sha = good_change(&src, message);
    let vars = zuul_vars(scratch, &src, &sha, json!({ "change_message": message }));
    let mut data: Value = serde_json::from_slice(&std::fs::read(&vars).unwrap()).unwrap();
    data["zuul"]["projects"]["opendev.org/starlingx/tagman"] = json!({
        "name": "opendev.org/starlingx/tagman",
        "short_name": "tagman",
        "src_dir": project_root(),
    });
    std::fs::write(&vars, data.to_string()).unwrap();
    vars
}

/// The node of these tests: no tagman, no cargo on PATH nor where rustup would put it.
fn bare_node(scratch: &Path) -> (OsString, Vec<String>) {
    let path = path_without_rust(scratch, &[("python3", base_python())]);
    let extra = vec![
        "-e".to_owned(),
        "tagman_executable=tagman-is-not-installed".to_owned(),
        "-e".to_owned(),
        format!(
            "tagman_cargo_bin_dir={}",
            scratch.join("no-cargo-here").display()
        ),
    ];
    (path, extra)
}

#[test]
fn zuul_install_step_installs_the_wheel_with_no_cargo() {
    let wheelhouse = wheelhouse();
    let scratch = tempfile::tempdir().unwrap();
    let vars = job_with_tagman_project(scratch.path());
    let (path, extra) = bare_node(scratch.path());
    let out_file = scratch.path().join("zuul_return.json");

    // The install step alone (the jobs' install.yaml), timed, with the default tagman_pip_spec
    // (`starlingx-tagman==<this version>`) found in the local wheelhouse.
    let book = scratch.path().join("install-only.yaml");
    let play = json!([{ "hosts": "all", "tasks": [
        { "ansible.builtin.include_tasks": project_root().join("playbooks/tagman/install.yaml") },
        { "ansible.builtin.debug": { "msg": "tagman_bin={{ tagman_bin }}" } },
    ]}]);
    std::fs::write(&book, play.to_string()).unwrap();
    let started = Instant::now();
    let out = playbook_command(
        scratch.path(),
        book.to_str().unwrap(),
        &vars,
        &out_file,
        &extra,
    )
    .env("PATH", &path)
    .env("PIP_FIND_LINKS", wheelhouse)
    .output()
    .unwrap();
    let elapsed = started.elapsed();
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    figure(&format!(
        "Zuul install step (ansible-playbook of install.yaml: venv + pip install of the wheel): \
         {:.1} s",
        elapsed.as_secs_f64()
    ));
    let venv_tagman = scratch.path().join("tagman-venv/bin/tagman");
    assert!(
        text.contains(&format!("tagman_bin={}", venv_tagman.display())),
        "{text}"
    );
    // The ensure-rust role's tasks did not run.
    assert!(
        !text.contains("TASK [ensure-rust"),
        "it built from source:\n{text}"
    );

    // The whole lint job on the same bare node: passes the good change, returns no comment.
    let out = playbook_command(scratch.path(), "lint.yaml", &vars, &out_file, &extra)
        .env("PATH", &path)
        .env("PIP_FIND_LINKS", wheelhouse)
        .output()
        .unwrap();
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("pip install starlingx-tagman=="), "{text}");
    assert_eq!(
        returned(&out_file),
        json!({"zuul": {"file_comments": {}, "warnings": []}})
    );
}

/// No wheel installs (no index here): the job gets Rust with ensure-rust and builds tagman from
/// the tagman repository among the job's projects (this working tree) with `cargo install
/// --locked`.
#[test]
fn lint_job_builds_tagman_when_no_wheel_installs() {
    let scratch = tempfile::tempdir().unwrap();
    let vars = job_with_tagman_project(scratch.path());
    let install_root = scratch.path().join("local");
    let out_file = scratch.path().join("zuul_return.json");
    let extra = [
        "-e".to_owned(),
        "tagman_executable=tagman-is-not-installed".to_owned(),
    ];
    let out = shared_release_build(&mut playbook_command(
        scratch.path(),
        "lint.yaml",
        &vars,
        &out_file,
        &extra,
    ))
    .output()
    .unwrap();
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    // The wheel was tried first and failed for want of an index.
    assert!(
        text.contains(&format!("pip install starlingx-tagman=={VERSION}")),
        "{text}"
    );
    assert!(text.contains("TASK [ensure-rust : "), "{text}");
    assert!(text.contains("cargo install tagman"), "{text}");
    assert!(install_root.join("bin/tagman").is_file(), "{text}");
    assert_eq!(
        returned(&out_file),
        json!({"zuul": {"file_comments": {}, "warnings": []}})
    );
}

/// Neither a wheel nor cargo: the job fails saying why, and the change hears it (a warning in
/// zuul_return, which Zuul puts in its comment on the review).
#[test]
fn lint_job_without_any_way_to_install_fails_clearly_and_tells_the_change() {
    let scratch = tempfile::tempdir().unwrap();
    let vars = job_with_tagman_project(scratch.path());
    let (path, extra) = bare_node(scratch.path());
    let out_file = scratch.path().join("zuul_return.json");
    let out = playbook_command(scratch.path(), "lint.yaml", &vars, &out_file, &extra)
        .env("PATH", &path)
        .output()
        .unwrap();
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("tagman could not be installed on this node"),
        "{text}"
    );

    let data = returned(&out_file);
    let warnings = data["zuul"]["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("{data:#}"));
    assert_eq!(warnings.len(), 1, "{data:#}");
    let warning = warnings[0].as_str().unwrap();
    assert!(
        warning.starts_with("tagman: tagman could not be installed"),
        "{warning}"
    );
    // Each way it tried, and why each failed.
    assert!(
        warning.contains("tagman-is-not-installed --version"),
        "{warning}"
    );
    assert!(
        warning.contains(&format!("the wheel (starlingx-tagman=={VERSION}) failed")),
        "{warning}"
    );
    assert!(warning.contains("No matching distribution"), "{warning}");
    assert!(warning.contains("building from source failed"), "{warning}");
    assert!(warning.contains("cargo"), "{warning}");
    assert!(data["zuul"].get("file_comments").is_none(), "{data:#}");
}

/// The versions a release must move together: the wheel the jobs and the mirror install is this
/// workspace's version.
#[test]
fn pinned_tagman_versions_are_the_workspace_version() {
    let root = project_root();
    let pin = format!("starlingx-tagman=={VERSION}");
    let install = std::fs::read_to_string(root.join("playbooks/tagman/install.yaml")).unwrap();
    assert!(
        install.contains(&format!("default('{pin}')")),
        "playbooks/tagman/install.yaml: the default tagman_pip_spec must be {pin}"
    );
    let zuul = std::fs::read_to_string(root.join(".zuul.yaml")).unwrap();
    assert!(
        zuul.contains(&format!(":default: {pin}")),
        ".zuul.yaml must document tagman_pip_spec's default as {pin}"
    );
    let mirror = root.join("packaging/pre-commit-mirror");
    let hooks = std::fs::read_to_string(mirror.join(".pre-commit-hooks.yaml")).unwrap();
    let pins: Vec<&str> = hooks
        .lines()
        .filter(|l| l.contains("additional_dependencies"))
        .collect();
    assert_eq!(pins.len(), 2, "{hooks}");
    for line in pins {
        assert!(
            line.contains(&format!("[\"{pin}\"]")),
            "{line}: must pin {pin}"
        );
    }
    let pyproject = std::fs::read_to_string(mirror.join("pyproject.toml")).unwrap();
    assert!(
        pyproject.contains(&format!("version = \"{VERSION}\"")),
        "packaging/pre-commit-mirror/pyproject.toml: version must be {VERSION}"
    );
}

/// The mirror's hooks are the source hooks with `language: python` and the wheel pinned: same
/// ids, names, files, stages, everything else.
#[test]
fn mirror_hooks_are_the_source_hooks_installed_from_the_wheel() {
    let root = project_root();
    // PyYAML comes with pre-commit.
    let python = require_tool("pre-commit").with_file_name("python3");
    let script = r#"
import json, sys, yaml
source = yaml.safe_load(open(sys.argv[1]))
mirror = yaml.safe_load(open(sys.argv[2]))
print(json.dumps({"source": source, "mirror": mirror}))
"#;
    let out = run(Command::new(python)
        .args(["-c", script])
        .arg(root.join(".pre-commit-hooks.yaml"))
        .arg(root.join("packaging/pre-commit-mirror/.pre-commit-hooks.yaml")));
    assert!(out.status.success(), "{}", describe(&out));
    let both: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut expected = both["source"].as_array().unwrap().clone();
    assert!(!expected.is_empty());
    for hook in &mut expected {
        let hook = hook.as_object_mut().unwrap();
        assert_eq!(hook["language"], "rust");
        hook.insert("language".to_owned(), json!("python"));
        hook.insert(
            "additional_dependencies".to_owned(),
            json!([format!("starlingx-tagman=={VERSION}")]),
        );
    }
    assert_eq!(
        both["mirror"],
        Value::Array(expected),
        "packaging/pre-commit-mirror/.pre-commit-hooks.yaml must be .pre-commit-hooks.yaml \
         with language: python and additional_dependencies: [starlingx-tagman=={VERSION}]"
    );
}
