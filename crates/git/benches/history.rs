//! How long reading the manifests' whole history takes: generates a Gerrit-shaped repository in a
//! temp dir (300 commits touching two manifests, each change landed by a `Merge "…"` commit,
//! one rename, and 1,400 commits elsewhere, like starlingx/root) and times
//! `Repo::manifest_history`, best of three. It prints figures and asserts nothing about time.
//!
//! `cargo bench -p tagman-git --bench history`; set `TAGMAN_BENCH_REPO=/path/to/root` and
//! `TAGMAN_BENCH_MANIFESTS=a.yaml,b.yaml` (paths in that repository) to time a real one too.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use git2::{Oid, Repository};
use tagman_core::Policy;
use tagman_git::Repo;
use tagman_testkit::git::commit_detached;

const IMAGES: usize = 60;

fn manifest(version: usize, codename: &str) -> String {
    let mut text = String::from("images:\n");
    for i in 0..IMAGES {
        // Each change re-tags one image: image `version % IMAGES` moves to v1000+`version`.
        let v = if version > 0 && i == version % IMAGES {
            1000 + version
        } else {
            i
        };
        text.push_str(&format!(
            "  - name: docker.io/starlingx/image-{i}\n    src_build_tag: master-debian-stable-20260101T000000Z.{v}\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: stx.13.0-v1.{v}.0-{codename}\n"
        ));
    }
    text
}

/// A tree holding `files` (path → text), nested directories included.
fn tree(repo: &Repository, files: &[(String, String)]) -> Oid {
    fn build(repo: &Repository, files: &[(Vec<&str>, &str)]) -> Oid {
        let mut builder = repo.treebuilder(None).unwrap();
        let mut dirs: std::collections::BTreeMap<&str, Vec<(Vec<&str>, &str)>> =
            std::collections::BTreeMap::new();
        for (parts, text) in files {
            match parts.as_slice() {
                [name] => {
                    let blob = repo.blob(text.as_bytes()).unwrap();
                    builder.insert(name, blob, 0o100_644).unwrap();
                }
                [dir, rest @ ..] => dirs.entry(dir).or_default().push((rest.to_vec(), text)),
                [] => {}
            }
        }
        for (dir, entries) in dirs {
            let id = build(repo, &entries);
            builder.insert(dir, id, 0o040_000).unwrap();
        }
        builder.write().unwrap()
    }
    let split: Vec<(Vec<&str>, &str)> = files
        .iter()
        .map(|(p, t)| (p.split('/').collect(), t.as_str()))
        .collect();
    build(repo, &split)
}

/// Builds the repository with `changes` manifest changes (each with a merge and nine commits
/// elsewhere before it); returns the manifests' paths in its working tree.
fn generate(dir: &Path, changes: usize) -> Vec<PathBuf> {
    let repo = Repository::init(dir).unwrap();
    let mut time = 1_700_000_000;
    let mut other = 0usize;
    let files = |version: usize, other: usize, renamed: bool| {
        let first = if renamed {
            "image-tags-bullseye.yaml"
        } else {
            "image-tags.yaml"
        };
        vec![
            (
                format!("tag-management/{first}"),
                manifest(version, "bullseye"),
            ),
            (
                "tag-management/image-tags-trixie.yaml".to_owned(),
                manifest(version, "trixie"),
            ),
            ("src/notes.txt".to_owned(), format!("change {other}\n")),
        ]
    };
    let mut head = commit_detached(&repo, &[], tree(&repo, &files(0, 0, false)), "root\n", time);
    // Each change to the manifests is landed by a merge: 150 changes, 300 commits touching them.
    let renamed_after = changes * 2 / 3;
    for version in 1..=changes {
        // About ten commits elsewhere between two manifest changes.
        for _ in 0..9 {
            other += 1;
            time += 60;
            let t = tree(&repo, &files(version - 1, other, version > renamed_after));
            head = commit_detached(&repo, &[head], t, "Elsewhere\n", time);
        }
        time += 60;
        let t = tree(&repo, &files(version, other, version > renamed_after));
        let change = commit_detached(&repo, &[head], t, "Update an image\n\nStory: 1\n", time);
        time += 60;
        head = commit_detached(&repo, &[head, change], t, "Merge \"Update an image\"", time);
    }
    repo.reference("refs/heads/master", head, true, "bench")
        .unwrap();
    repo.set_head("refs/heads/master").unwrap();
    let last = files(changes, other, true);
    let mut manifests = Vec::new();
    for (path, text) in &last {
        let full = dir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, text).unwrap();
        if path.starts_with("tag-management/") {
            manifests.push(full);
        }
    }
    manifests
}

fn time_history(label: &str, root: &Path, manifests: &[PathBuf]) {
    let repo = Repo::discover(root).unwrap();
    let policy = Policy::defaults(root.to_path_buf());
    let mut best = Duration::MAX;
    let mut read = None;
    for _ in 0..3 {
        let started = Instant::now();
        let history = repo.manifest_history(manifests, &policy).unwrap();
        best = best.min(started.elapsed());
        read = Some(history);
    }
    let read = read.unwrap();
    println!(
        "{label}: best {:.3} s for {} commits ({} manifest states, {} manifest versions parsed, {} tags ever declared, {} superseded)",
        best.as_secs_f64(),
        read.commits,
        read.states,
        read.blobs,
        read.tags.len(),
        read.tags.iter().filter(|t| t.removed.is_some()).count()
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this too, and then only
    // proves that it still runs.
    let full = std::env::args().any(|a| a == "--bench");
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let manifests = generate(dir.path(), if full { 150 } else { 10 });
    println!(
        "generated a repository in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    time_history("history, generated repository", dir.path(), &manifests);
    if let (true, Ok(root), Ok(list)) = (
        full,
        std::env::var("TAGMAN_BENCH_REPO"),
        std::env::var("TAGMAN_BENCH_MANIFESTS"),
    ) {
        let root = PathBuf::from(root);
        let manifests: Vec<PathBuf> = list.split(',').map(|m| root.join(m)).collect();
        time_history(&format!("history, {}", root.display()), &root, &manifests);
    }
}
