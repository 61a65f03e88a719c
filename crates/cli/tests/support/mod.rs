//! Helpers of the binary's tests: the `tagman` command as every test runs it, finding an outside
//! tool (pre-commit, ansible-playbook, zuulcilint) or failing loudly, running the git CLI.

#![allow(dead_code)]

pub mod hooks;
pub mod wheel;
pub mod zuul;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use tagman_testkit::paths::{cache_dir, project_root};

/// `tagman` run in `dir` with no colour, a fixed width, no `TAGMAN_CONFIG` and no git index
/// handed over by a hook, so output is the same on every machine.
pub fn tagman_in(dir: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(tagman());
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("TAGMAN_CONFIG")
        .env_remove("GIT_INDEX_FILE");
    cmd
}

/// The tool `name` on PATH. A missing tool fails the test: `scripts/test` installs every one,
/// so absence means a broken setup, never a reason to pass.
pub fn require_tool(name: &str) -> PathBuf {
    if let Some(found) = which(name) {
        return found;
    }
    // Running `cargo test` by hand: the project venv that scripts/test creates.
    let venv = project_root().join(".venv/bin").join(name);
    if venv.is_file() {
        return venv;
    }
    panic!(
        "`{name}` is not on PATH: run the tests with scripts/test, which installs it from \
         scripts/python-requirements.txt into .venv (or `.venv/bin/pip install -r \
         scripts/python-requirements.txt` and put .venv/bin on PATH)"
    )
}

/// The project venv's Python (scripts/test makes it; it holds the Python packages tests use,
/// pyte among them), else `python3` on PATH, which must then have them.
pub fn venv_python() -> PathBuf {
    let venv = project_root().join(".venv/bin/python3");
    if venv.is_file() {
        return venv;
    }
    require_tool("python3")
}

/// The tagman binary under test.
pub fn tagman() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_tagman"))
}

/// Runs git in `dir`, failing the test on error.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_output(dir, args);
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs git in `dir` with a fixed identity and dates, so commits of equal trees are equal.
pub fn git_output(dir: &Path, args: &[&str]) -> Output {
    tagman_testkit::git::cli_command(dir, args)
        .env("GIT_AUTHOR_NAME", "tagman test")
        .env("GIT_AUTHOR_EMAIL", "test@example.invalid")
        .env("GIT_COMMITTER_NAME", "tagman test")
        .env("GIT_COMMITTER_EMAIL", "test@example.invalid")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .unwrap()
}

/// A new git repository in `dir`.
pub fn git_init(dir: &Path) {
    git(dir, &["init", "-q", "-b", "master"]);
    git(dir, &["config", "commit.gpgsign", "false"]);
}

/// Output as text, for assertion messages.
pub fn describe(out: &Output) -> String {
    format!(
        "exit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Sets up `cmd` to build tagman in the build directory the tool tests share (pre-commit's and
/// the Zuul job's `cargo install`, scripts/build-wheel), with the release profile unoptimised: the
/// first build there compiles the dependencies (minutes on two cores), the others only tagman's
/// own crates. Optimising buys these tests nothing.
pub fn shared_release_build(cmd: &mut Command) -> &mut Command {
    cmd.env("CARGO_TARGET_DIR", cache_dir("pre-commit-cargo-target"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
}

/// A PATH on which no Rust toolchain is found: a directory under `parent` holding links to
/// `tools`, then the system directories (which must hold no cargo, rustc or rustup: the test
/// fails rather than pass with one there). A Python venv's interpreter is linked as the
/// interpreter it was made from, so a venv made with it stands on its own.
pub fn path_without_rust(parent: &Path, tools: &[(&str, PathBuf)]) -> OsString {
    let dir = parent.join("no-rust-bin");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, target) in tools {
        let target = target.canonicalize().unwrap();
        std::os::unix::fs::symlink(&target, dir.join(name)).unwrap();
    }
    let mut dirs = vec![dir];
    dirs.extend(
        [
            "/usr/local/sbin",
            "/usr/local/bin",
            "/usr/sbin",
            "/usr/bin",
            "/sbin",
            "/bin",
        ]
        .map(PathBuf::from),
    );
    for dir in &dirs {
        for rust in ["cargo", "rustc", "rustup"] {
            assert!(
                !dir.join(rust).exists(),
                "{} holds {rust}: this test needs a PATH without Rust",
                dir.display()
            );
        }
    }
    std::env::join_paths(dirs).unwrap()
}

/// The first `name` on PATH.
pub fn which(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Prints a figure (a timing, a size) where `scripts/test` shows it: straight to stderr, past the
/// test harness's capture, which hides a passing test's `eprintln!`.
pub fn figure(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "figure: {text}");
}

/// Every file under `dir`, at any depth.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Runs `tagman --config tagman.yaml refs --format FORMAT .` (then `extra` arguments) on a copy of
/// the source-tree fixture `fixture` in a fresh temp dir, with `policy` as `tagman.yaml` (the
/// fixture's own `tagman.yaml`, when it has one, replaces it). Files named `base-*` at the
/// fixture's top are the manifests as an earlier revision declared them: they are committed
/// first, under their names without the prefix, so the manifests have a git history, and are
/// then replaced by the fixture's own files (left uncommitted, as in a change under review).
/// The temp dir is returned with the output, so a test can look at what was (not) written.
pub fn refs_fixture(
    fixture: &Path,
    policy: &str,
    format: &str,
    extra: &[&str],
) -> (tempfile::TempDir, Output) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tagman.yaml"), policy).unwrap();
    let (base, _) = tagman_testkit::fixtures::split_base(fixture);
    if !base.is_empty() {
        let repo = git2::Repository::init(dir.path()).unwrap();
        let committed: Vec<(String, Vec<u8>)> = base
            .iter()
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy();
                let name = name.strip_prefix("base-").unwrap_or(&name).to_owned();
                (name, std::fs::read(p).unwrap())
            })
            .collect();
        tagman_testkit::git::commit_tree(&repo, &committed, "base\n", 1_700_000_000);
    }
    tagman_testkit::tree::copy(fixture, dir.path());
    for path in &base {
        std::fs::remove_file(dir.path().join(path.file_name().unwrap())).unwrap();
    }
    let out = tagman_in(dir.path())
        .args(["--config", "tagman.yaml", "refs", "--format", format, "."])
        .args(extra)
        .output()
        .unwrap();
    (dir, out)
}

/// The JSON a command printed on stdout; not JSON fails the test, showing both streams.
pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}
