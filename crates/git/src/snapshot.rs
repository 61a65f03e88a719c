//! The manifests of one state of a repository (a commit, the index or the working tree).

use tagman_core::{Manifest, Policy};
use tagman_lint::load::load_text;
use tagman_lint::{Loaded, Unparsed};

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
    /// Why it did not parse, located, as the `yaml` rule reports it.
    pub unparsed: Unparsed,
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

    /// A snapshot of files already in memory: `(repository-relative path, bytes)`. Source names
    /// are `LABEL:path`.
    pub fn from_files(
        label: impl Into<String>,
        files: impl IntoIterator<Item = (String, Vec<u8>)>,
        policy: &Policy,
    ) -> Self {
        let mut snapshot = Self::empty(label);
        for (path, bytes) in files {
            let name = format!("{}:{path}", snapshot.label);
            snapshot.add(path, name, bytes, policy);
        }
        snapshot.sort();
        snapshot
    }

    /// A snapshot of manifests `tagman lint` already loaded (named files, standard input); paths
    /// are the source names.
    pub fn from_loaded(label: impl Into<String>, loaded: &Loaded) -> Self {
        Self {
            label: label.into(),
            files: loaded
                .manifests
                .iter()
                .map(|m| ManifestFile {
                    path: m.source.name().to_owned(),
                    manifest: m.clone(),
                })
                .collect(),
            broken: loaded
                .unparsed
                .iter()
                .map(|u| BrokenFile {
                    path: u.source.name().to_owned(),
                    unparsed: u.clone(),
                })
                .collect(),
        }
    }

    /// The snapshot as `tagman-lint` loads files: what the manifest rules check.
    pub fn loaded(&self) -> Loaded {
        Loaded {
            manifests: self.manifests(),
            unparsed: self.broken.iter().map(|b| b.unparsed.clone()).collect(),
        }
    }

    /// Parses `bytes` as the manifest at `path` (shown as `name`) and files it as parsed or
    /// broken, exactly as `tagman lint` would.
    pub(crate) fn add(&mut self, path: String, name: String, bytes: Vec<u8>, policy: &Policy) {
        let mut loaded = Loaded::default();
        load_text(&name, bytes, policy, &mut loaded);
        for manifest in loaded.manifests {
            self.files.push(ManifestFile {
                path: path.clone(),
                manifest,
            });
        }
        for unparsed in loaded.unparsed {
            self.broken.push(BrokenFile {
                path: path.clone(),
                unparsed,
            });
        }
    }

    pub(crate) fn sort(&mut self) {
        self.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.broken.sort_by(|a, b| a.path.cmp(&b.path));
    }
}
