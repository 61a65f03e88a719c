//! The manifests of one state of a repository (a commit, the index or the working tree).

use tagman_core::{Manifest, ManifestError, Policy, SourceFile};

use crate::error::GitError;

/// One manifest file of a snapshot.
#[derive(Clone, Debug)]
pub struct ManifestFile {
    /// Path relative to the repository root, `/`-separated: the identity used to tell a moved
    /// entry from a changed one.
    pub path: String,
    /// The parsed file. Its source name is `REV:path` for a revision, the plain path otherwise.
    pub manifest: Manifest,
}

/// A manifest of a snapshot that did not parse.
#[derive(Clone, Debug)]
pub struct BrokenFile {
    /// Path relative to the repository root.
    pub path: String,
    /// Why it did not parse.
    pub message: String,
}

/// Every manifest the policy's globs select in one state of the repository.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// What state this is (`HEAD~1`, `index`, `working tree`).
    pub label: String,
    /// The parsed manifests, sorted by path.
    pub files: Vec<ManifestFile>,
    /// Manifests that did not parse, sorted by path.
    pub broken: Vec<BrokenFile>,
}

impl Snapshot {
    /// An empty snapshot (an unborn branch, a root commit's parent).
    pub fn empty(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            ..Self::default()
        }
    }

    /// The parsed manifests, cloned (what `Context::base` takes).
    pub fn manifests(&self) -> Vec<Manifest> {
        self.files.iter().map(|f| f.manifest.clone()).collect()
    }

    /// Parses `bytes` as the manifest at `path` and files it as parsed or broken.
    pub(crate) fn add(
        &mut self,
        path: String,
        name: String,
        bytes: Vec<u8>,
        policy: &Policy,
    ) -> Result<(), GitError> {
        if bytes.len() as u64 > policy.max_file_size {
            return Err(GitError::BadBlob {
                rev: self.label.clone(),
                path,
                problem: format!(
                    "{} bytes, over the {}-byte limit",
                    bytes.len(),
                    policy.max_file_size
                ),
            });
        }
        let source =
            SourceFile::from_bytes(name, bytes).map_err(|(offset, _)| GitError::BadBlob {
                rev: self.label.clone(),
                path: path.clone(),
                problem: format!("not UTF-8 (invalid byte at offset {offset})"),
            })?;
        match Manifest::parse(source, &policy.limits()) {
            Ok(manifest) => self.files.push(ManifestFile { path, manifest }),
            Err(ManifestError::Yaml { error, .. }) => self.broken.push(BrokenFile {
                path,
                message: error.to_string(),
            }),
            Err(other) => self.broken.push(BrokenFile {
                path,
                message: other.to_string(),
            }),
        }
        Ok(())
    }

    pub(crate) fn sort(&mut self) {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.broken.sort_by(|a, b| a.path.cmp(&b.path));
    }
}
