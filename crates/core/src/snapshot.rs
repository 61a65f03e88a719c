//! The manifests of one state of a repository (a commit, the index or the working tree), loaded
//! the one way `tagman lint` loads files.

use crate::load::{Loaded, SourceName, Unparsed};
use crate::{Manifest, Policy};

/// Every manifest the policy's globs select in one state of the repository. A file's source name
/// is its path relative to the repository root (its identity: it tells a moved entry from a
/// changed one); a file read at a revision carries that revision for display.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// What state this is (`HEAD~1`, `index`, `working tree`).
    pub label: String,
    /// The files, parsed or not, sorted by path.
    pub loaded: Loaded,
}

impl Snapshot {
    /// An empty snapshot (an unborn branch, a root commit's parent).
    pub fn empty(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            loaded: Loaded::default(),
        }
    }

    /// A snapshot of files already loaded (named files, standard input).
    pub fn of(label: impl Into<String>, loaded: Loaded) -> Self {
        Self {
            label: label.into(),
            loaded,
        }
    }

    /// A snapshot of files in memory at revision `label`: `(repository-relative path, bytes)`.
    pub fn from_files(
        label: impl Into<String>,
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
        policy: &Policy,
    ) -> Self {
        let label = label.into();
        let mut loaded = Loaded::default();
        for (path, bytes) in files {
            loaded.push(SourceName::at(path, label.as_str()), bytes, policy);
        }
        loaded.sort();
        Self { label, loaded }
    }

    /// The parsed manifests.
    pub fn manifests(&self) -> &[Manifest] {
        &self.loaded.manifests
    }

    /// The manifests that did not parse.
    pub fn broken(&self) -> &[Unparsed] {
        &self.loaded.unparsed
    }
}
