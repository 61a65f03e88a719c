//! The StarlingX corpus: every tag-manifest version and commit message of starlingx/root's
//! tag-management folder, 2020–2024, indexed by `index.tsv`.

use std::path::PathBuf;

use crate::paths::corpus_dir;

/// Where the manifests live in starlingx/root.
pub const DIR: &str = "build-tools/build-docker-images/tag-management";

/// Number of commits in the corpus.
pub const COMMITS: usize = 137;

/// Number of manifest file versions in the corpus.
pub const FILE_VERSIONS: usize = 147;

/// One row of `index.tsv`: a commit that changed the folder.
#[derive(Clone, Debug)]
pub struct Row {
    /// `YYYYMMDD`.
    pub date: String,
    /// The first ten hex digits of the commit.
    pub commit: String,
    /// Its subject line.
    pub subject: String,
}

impl Row {
    /// `DATE_COMMIT`, the prefix of its files.
    pub fn stem(&self) -> String {
        format!("{}_{}", self.date, self.commit)
    }

    /// The message as committed.
    pub fn message(&self) -> String {
        let path = corpus_dir()
            .join("commits")
            .join(format!("{}.txt", self.stem()));
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("corpus message {}: {e}", path.display()))
    }

    /// Every manifest file as it stood at this commit: (file name, bytes), sorted.
    pub fn manifests(&self) -> Vec<(String, Vec<u8>)> {
        let prefix = format!("{}_", self.stem());
        let mut files: Vec<_> = manifest_paths()
            .into_iter()
            .filter_map(|path| {
                let name = path.file_name()?.to_string_lossy().into_owned();
                let file = name.strip_prefix(&prefix)?.to_owned();
                Some((file, std::fs::read(&path).unwrap()))
            })
            .collect();
        files.sort();
        files
    }

    /// Seconds since the epoch at noon UTC of the row's date.
    pub fn time(&self) -> i64 {
        let number = |range: std::ops::Range<usize>| -> i64 {
            self.date
                .get(range)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("bad corpus date {}", self.date))
        };
        let (y, m, d) = (number(0..4), number(4..6), number(6..8));
        tagman_core::tag::unix_time(y, m, d, 12 * 3_600)
            .unwrap_or_else(|| panic!("bad corpus date {}", self.date))
    }
}

/// The rows of `index.tsv`, oldest first.
pub fn rows() -> Vec<Row> {
    let path = corpus_dir().join("index.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rows: Vec<Row> = text
        .lines()
        .skip(1)
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            assert!(cols.len() >= 4, "bad index.tsv line: {line}");
            Row {
                date: cols[0].to_owned(),
                commit: cols[1].to_owned(),
                subject: cols[3].to_owned(),
            }
        })
        .collect();
    assert_eq!(
        rows.len(),
        COMMITS,
        "index.tsv lists {} commits",
        rows.len()
    );
    rows
}

/// Every manifest file version of the corpus, sorted by name (date first).
pub fn manifest_paths() -> Vec<PathBuf> {
    let dir = corpus_dir().join("manifests");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        FILE_VERSIONS,
        "corpus manifests in {}",
        dir.display()
    );
    files
}
