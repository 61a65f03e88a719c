//! Real git repositories made with git2 in temp dirs: commit whole trees, stage files, merge;
//! and the git command itself, run the same way on every machine.

use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Repository, Signature, Time};

/// A fresh repository in a temp dir (keep the dir alive as long as the repository).
pub fn repo() -> (tempfile::TempDir, Repository) {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    (dir, repo)
}

/// Commits exactly `files` (repository-relative path, bytes) as the whole tree, on HEAD.
pub fn commit_tree(
    repo: &Repository,
    files: &[(String, Vec<u8>)],
    message: &str,
    time: i64,
) -> git2::Oid {
    let workdir = repo.workdir().unwrap().to_path_buf();
    let mut index = repo.index().unwrap();
    index.clear().unwrap();
    for (path, bytes) in files {
        write(&workdir, path, bytes);
        index.add_path(Path::new(path)).unwrap();
    }
    index.write().unwrap();
    commit_index(repo, message, time)
}

/// Writes a file below `root`, creating directories.
pub fn write(root: &Path, path: &str, bytes: &[u8]) -> PathBuf {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(&full, bytes).unwrap();
    full
}

/// The signature every test commit carries, at `time` (Unix seconds).
pub fn signature(time: i64) -> Signature<'static> {
    Signature::new("Tag Bot", "tags@example.org", &Time::new(time, 0)).unwrap()
}

/// Commits what the index holds, on HEAD (with HEAD's commit as the parent, if any).
pub fn commit_index(repo: &Repository, message: &str, time: i64) -> git2::Oid {
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<git2::Oid> = parent.iter().map(git2::Commit::id).collect();
    commit_with_parents(repo, message, time, &parents)
}

/// Commits what the index holds on HEAD with exactly `parents` (first parent first): a merge
/// when there are two.
pub fn commit_with_parents(
    repo: &Repository,
    message: &str,
    time: i64,
    parents: &[git2::Oid],
) -> git2::Oid {
    let tree = repo.index().unwrap().write_tree().unwrap();
    commit_on(repo, Some("HEAD"), parents, tree, message, time)
}

/// Stages `path` (already written in the working tree).
pub fn stage(repo: &Repository, path: &str) {
    let mut index = repo.index().unwrap();
    index.add_path(Path::new(path)).unwrap();
    index.write().unwrap();
}

/// Commits the tree `tree` with exactly `parents` (first parent first), moving no reference:
/// for building histories whose branches are set at the end.
pub fn commit_detached(
    repo: &Repository,
    parents: &[git2::Oid],
    tree: git2::Oid,
    message: &str,
    time: i64,
) -> git2::Oid {
    commit_on(repo, None, parents, tree, message, time)
}

fn commit_on(
    repo: &Repository,
    reference: Option<&str>,
    parents: &[git2::Oid],
    tree: git2::Oid,
    message: &str,
    time: i64,
) -> git2::Oid {
    let tree = repo.find_tree(tree).unwrap();
    let sig = signature(time);
    let parents: Vec<git2::Commit<'_>> = parents
        .iter()
        .map(|id| repo.find_commit(*id).unwrap())
        .collect();
    let parents: Vec<&git2::Commit<'_>> = parents.iter().collect();
    repo.commit(reference, &sig, &sig, message, &tree, &parents)
        .unwrap()
}

/// The git command in `dir`, reading no system or global configuration (a developer's
/// `commit.gpgsign` or hooks path cannot change a test), with `master` for new branches. It sets no
/// identity: a test that configures one in the repository keeps it.
pub fn cli_command(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("git");
    command
        .args([
            "-c",
            "init.defaultBranch=master",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null");
    command
}

/// Runs git in `dir` as [`cli_command`] does, as the identity `t <t@example.invalid>`, failing
/// the test on error; its standard output, trimmed.
pub fn cli(dir: &Path, args: &[&str]) -> String {
    let mut identity = vec!["-c", "user.name=t", "-c", "user.email=t@example.invalid"];
    identity.extend_from_slice(args);
    let out = cli_command(dir, &identity).output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
