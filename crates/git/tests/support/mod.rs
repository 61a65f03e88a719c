//! Shared test helpers: the StarlingX corpus and real git repositories built with git2.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use git2::{Repository, Signature, Time};

/// The corpus of StarlingX tag-management history.
pub const CORPUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/corpus/starlingx-root"
);

/// Where the manifests live in starlingx/root.
pub const DIR: &str = "build-tools/build-docker-images/tag-management";

/// One row of `index.tsv`.
#[derive(Clone, Debug)]
pub struct Row {
    pub date: String,
    pub commit: String,
    pub subject: String,
}

impl Row {
    pub fn stem(&self) -> String {
        format!("{}_{}", self.date, self.commit)
    }

    /// The message as committed.
    pub fn message(&self) -> String {
        std::fs::read_to_string(
            Path::new(CORPUS)
                .join("commits")
                .join(format!("{}.txt", self.stem())),
        )
        .unwrap()
    }

    /// Every manifest file as it stood at this commit: (file name, bytes).
    pub fn manifests(&self) -> Vec<(String, Vec<u8>)> {
        let prefix = format!("{}_", self.stem());
        let mut files: Vec<_> = std::fs::read_dir(Path::new(CORPUS).join("manifests"))
            .unwrap()
            .map(|e| e.unwrap())
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let file = name.strip_prefix(&prefix)?.to_owned();
                Some((file, std::fs::read(e.path()).unwrap()))
            })
            .collect();
        files.sort();
        files
    }

    /// Seconds since the epoch at noon UTC of the row's date.
    pub fn time(&self) -> i64 {
        let (y, m, d) = (&self.date[0..4], &self.date[4..6], &self.date[6..8]);
        tagman_core::tag::days_from_civil(
            y.parse().unwrap(),
            m.parse().unwrap(),
            d.parse().unwrap(),
        ) * 86_400
            + 12 * 3_600
    }
}

/// The rows of `index.tsv`, oldest first.
pub fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(Path::new(CORPUS).join("index.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            Row {
                date: cols[0].to_owned(),
                commit: cols[1].to_owned(),
                subject: cols[3].to_owned(),
            }
        })
        .collect()
}

/// A fresh repository in a temp dir.
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

/// Commits what the index holds, on HEAD.
pub fn commit_index(repo: &Repository, message: &str, time: i64) -> git2::Oid {
    let mut index = repo.index().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let sig = Signature::new("Tag Bot", "tags@example.org", &Time::new(time, 0)).unwrap();
    let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
        .unwrap()
}

/// Stages `path` (already written in the working tree).
pub fn stage(repo: &Repository, path: &str) {
    let mut index = repo.index().unwrap();
    index.add_path(Path::new(path)).unwrap();
    index.write().unwrap();
}
