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

use support::{cache_dir, describe, git, git_init, project_root, require_tool};

const GOOD: &str = "images:
  - name: docker.io/starlingx/k8s-cni-sriov
    src_build_tag: master-centos-stable-20191203T153530Z.0
    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4
    tag: stx.4.0-v2.2
";

const BAD: &str = "images:
  - name: docker.io/starlingx/k8s-cni-sriov
    src_build_tag: master-centos-stable-20191203T153530Z.0
    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4
    tag: stx.4.0.v2.2
";

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
    cargo_target: PathBuf,
}

impl Hooks {
    fn try_repo(&self, cwd: &Path, hook: &str, extra: &[&str]) -> Output {
        Command::new(&self.pre_commit)
            .arg("try-repo")
            .arg(&self.repo)
            .arg(hook)
            .args(["--ref", &self.rev])
            .args(extra)
            .current_dir(cwd)
            // pre-commit's log and database stay under target/, not in ~/.cache.
            .env("PRE_COMMIT_HOME", &self.home)
            .env("CARGO_TARGET_DIR", &self.cargo_target)
            // The hook is built by `cargo install` (release profile); optimising it buys this
            // test nothing but minutes on two cores.
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
            .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
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
        cargo_target: cache_dir("pre-commit-cargo-target"),
    };

    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    git_init(dir);
    std::fs::write(dir.join("image-tags.yaml"), GOOD).unwrap();
    git(dir, &["add", "image-tags.yaml"]);
    git(dir, &["commit", "-q", "-m", "Start\n\nStory: 2011001"]);

    // tagman-lint, passing: the first run also builds and installs the hook.
    let out = hooks.try_repo(dir, "tagman-lint", &["--files", "image-tags.yaml"]);
    let text = describe(&out);
    assert!(out.status.success(), "good manifest failed:\n{text}");
    assert!(text.contains("tagman lint (image tag manifests)"), "{text}");
    assert!(text.contains("Passed"), "{text}");

    // tagman-lint, failing: a tag that breaks the grammar, in a second manifest.
    std::fs::create_dir_all(dir.join("stx")).unwrap();
    std::fs::write(dir.join("stx/image-tags-extra.yaml"), BAD).unwrap();
    git(dir, &["add", "stx/image-tags-extra.yaml"]);
    let out = hooks.try_repo(
        dir,
        "tagman-lint",
        &["--files", "image-tags.yaml", "stx/image-tags-extra.yaml"],
    );
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(1), "bad manifest passed:\n{text}");
    assert!(text.contains("Failed"), "{text}");
    assert!(text.contains("TM004"), "{text}");
    assert!(text.contains("stx/image-tags-extra.yaml"), "{text}");

    // tagman-lint compares with HEAD: a published tag re-pointed fails before the commit.
    std::fs::write(
        dir.join("image-tags.yaml"),
        GOOD.replace("20191203T153530Z", "20191204T153530Z"),
    )
    .unwrap();
    git(dir, &["add", "image-tags.yaml"]);
    let out = hooks.try_repo(dir, "tagman-lint", &["--files", "image-tags.yaml"]);
    let text = describe(&out);
    assert_eq!(out.status.code(), Some(1), "re-pointed tag passed:\n{text}");
    assert!(text.contains("TM106"), "{text}");
    std::fs::write(dir.join("image-tags.yaml"), GOOD).unwrap();
    git(dir, &["add", "image-tags.yaml"]);

    // A file the hook's `files:` pattern does not match is not handed to tagman.
    std::fs::write(dir.join("notes.yaml"), "tag: nonsense\n").unwrap();
    let out = hooks.try_repo(dir, "tagman-lint", &["--files", "notes.yaml"]);
    let text = describe(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no files to check"), "{text}");

    // tagman-commit-msg: the staged manifest adds an entry, so a reference is required.
    std::fs::write(
        dir.join("stx/image-tags-extra.yaml"),
        GOOD.replace("v2.2", "v2.3"),
    )
    .unwrap();
    git(dir, &["add", "stx/image-tags-extra.yaml"]);
    let msg = dir.join("COMMIT_EDITMSG");
    std::fs::write(&msg, "Bump sriov to v2.3\n\nNo reference here.\n").unwrap();
    let args = [
        "--hook-stage",
        "commit-msg",
        "--commit-msg-filename",
        msg.to_str().unwrap(),
    ];
    let out = hooks.try_repo(dir, "tagman-commit-msg", &args);
    let text = describe(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "message without reference passed:\n{text}"
    );
    assert!(
        text.contains("tagman commit-msg (bug or story reference)"),
        "{text}"
    );
    assert!(text.contains("TM101"), "{text}");

    std::fs::write(
        &msg,
        "Bump sriov to v2.3\n\nPicks up the CNI fix.\n\nCloses-Bug: 2034567\n",
    )
    .unwrap();
    let out = hooks.try_repo(dir, "tagman-commit-msg", &args);
    let text = describe(&out);
    assert!(
        out.status.success(),
        "message with reference failed:\n{text}"
    );
    assert!(text.contains("Passed"), "{text}");
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
