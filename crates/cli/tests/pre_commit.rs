//! The pre-commit hooks of `.pre-commit-hooks.yaml`, run for real with `pre-commit try-repo` from
//! a temp git repository: pre-commit builds tagman from this repository (`language: rust`, a
//! `cargo install`) and runs `tagman-lint` and `tagman-commit-msg` on a passing and a failing case
//! each, and `tagman-lint` on a staged re-pointed tag (it compares with `HEAD`).
//!
//! The build is the slow part, so it happens once. try-repo installs the hook into a new temporary
//! store on every call, but every one of those `cargo install`s shares one build directory under
//! `target/tool-tests/`: the first compiles (minutes on two cores), the others find everything
//! built, and a rerun recompiles only what changed. The hooks come from a snapshot of the working
//! tree (tracked and new files) committed in `target/tool-tests/hooks-repo`, as try-repo itself
//! would take a dirty tree.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use crate::support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use support::hooks::exercise_hooks;
use support::{cache_dir, figure, git, git_init, project_root, require_tool, shared_release_build};

/// The hooks repository pre-commit installs from: this working tree (tracked and new files, not
/// ignored ones) committed into `target/tool-tests/hooks-repo` with fixed metadata.
fn hooks_snapshot() -> (PathBuf, String) {
    let root = project_root();
    let snapshot = cache_dir("hooks-repo");
    std::fs::remove_dir_all(&snapshot).unwrap();
    std::fs::create_dir_all(&snapshot).unwrap();
    let listed = git(
        &root,
        &["ls-files", "--cached", "--others", "--exclude-standard"],
    );
    for name in listed.lines() {
        let from = root.join(name);
        // Deleted in the working tree but still in the index.
        if !from.is_file() {
            continue;
        }
        let to = snapshot.join(name);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    git_init(&snapshot);
    git(&snapshot, &["add", "-A"]);
    git(
        &snapshot,
        &["commit", "-q", "-m", "snapshot for pre-commit try-repo"],
    );
    let rev = git(&snapshot, &["rev-parse", "HEAD"]);
    (snapshot, rev)
}

struct Hooks {
    pre_commit: PathBuf,
    repo: PathBuf,
    rev: String,
    home: PathBuf,
}

impl Hooks {
    fn try_repo(&self, cwd: &Path, hook: &str, extra: &[&str]) -> Output {
        // pre-commit builds the hook with `cargo install`, in the tool tests' build directory.
        shared_release_build(&mut Command::new(&self.pre_commit))
            .arg("try-repo")
            .arg(&self.repo)
            .arg(hook)
            .args(["--ref", &self.rev])
            .args(extra)
            .current_dir(cwd)
            // pre-commit's log and database stay under target/, not in ~/.cache.
            .env("PRE_COMMIT_HOME", &self.home)
            .env("NO_COLOR", "1")
            .env_remove("TAGMAN_CONFIG")
            .output()
            .unwrap()
    }
}

#[test]
fn hooks_pass_and_fail_through_pre_commit_try_repo() {
    let pre_commit = require_tool("pre-commit");
    let (repo, rev) = hooks_snapshot();
    let hooks = Hooks {
        pre_commit,
        repo,
        rev,
        home: cache_dir("pre-commit"),
    };

    let first_run = exercise_hooks(&|dir, hook, extra| hooks.try_repo(dir, hook, extra));
    figure(&format!(
        "pre-commit hooks built from source: first run (cargo install) {:.1} s",
        first_run.as_secs_f64()
    ));
}

/// A table of a Cargo.toml (`[dependencies]`, `[features]`), as its lines.
fn table(manifest: &Path, name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).unwrap();
    let header = format!("[{name}]");
    let mut lines: Vec<String> = text
        .lines()
        .skip_while(|l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// pre-commit installs the root package `tagman-pre-commit`, which compiles crates/cli's
/// `main.rs`: it needs exactly crates/cli's dependencies and features (`online`).
#[test]
fn pre_commit_package_has_the_cli_dependencies() {
    let root = project_root();
    for name in ["dependencies", "features"] {
        let cli = table(&root.join("crates/cli/Cargo.toml"), name);
        assert!(!cli.is_empty(), "{name}");
        assert_eq!(
            table(&root.join("Cargo.toml"), name),
            cli,
            "the root package tagman-pre-commit (Cargo.toml) must list crates/cli's [{name}]: \
             copy the new line there"
        );
    }
}
