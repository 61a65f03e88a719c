//! Read-only access to a local repository with git2: revisions, snapshots of the manifests,
//! `describe`, commit dates. Nothing here talks to a remote.

use std::path::{Path, PathBuf};

use git2::{DescribeFormatOptions, DescribeOptions, ObjectType, Oid, Repository, TreeWalkMode};
use tagman_core::select::{is_skipped_dir, slash_path};
use tagman_core::source::{read_capped, SourceError};
use tagman_core::{Loaded, SourceName};
use tagman_core::{ManifestSelector, Policy};

use crate::error::{git, GitError};
use tagman_core::Snapshot;

/// A commit's identity, message and parents.
#[derive(Clone, Debug)]
pub struct CommitInfo {
    /// Full hex id.
    pub id: String,
    /// The first seven hex digits.
    pub short: String,
    /// The raw message as stored.
    pub message: String,
    /// Parent ids, first parent first.
    pub parents: Vec<String>,
}

/// A repository opened for reading.
pub struct Repo {
    repo: Repository,
    root: PathBuf,
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Repo").field("root", &self.root).finish()
    }
}

impl Repo {
    /// The repository containing `path` (searching upwards), which must have a working tree.
    pub fn discover(path: &Path) -> Result<Self, GitError> {
        let repo = Repository::discover(path).map_err(|_| GitError::NotARepository {
            path: path.to_path_buf(),
        })?;
        Self::wrap(repo)
    }

    /// The repository at exactly `path` (a clone of an upstream project; may be bare).
    pub fn open(path: &Path) -> Result<Self, GitError> {
        let repo = Repository::open(path).map_err(|_| GitError::NotARepository {
            path: path.to_path_buf(),
        })?;
        let root = repo.workdir().unwrap_or_else(|| repo.path()).to_path_buf();
        Ok(Self { repo, root })
    }

    fn wrap(repo: Repository) -> Result<Self, GitError> {
        let Some(workdir) = repo.workdir() else {
            return Err(GitError::Bare {
                path: repo.path().to_path_buf(),
            });
        };
        let root = workdir.canonicalize().map_err(|source| GitError::Io {
            path: workdir.to_path_buf(),
            source,
        })?;
        Ok(Self { repo, root })
    }

    /// The working tree's root (the git directory for a bare clone).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The git2 repository, for this crate's other readers.
    pub(crate) fn git(&self) -> &Repository {
        &self.repo
    }

    /// The commit `rev` names.
    pub fn commit(&self, rev: &str) -> Result<CommitInfo, GitError> {
        let commit = self.find_commit(rev)?;
        let id = commit.id().to_string();
        Ok(CommitInfo {
            short: id.chars().take(7).collect(),
            id,
            message: String::from_utf8_lossy(commit.message_bytes()).into_owned(),
            parents: commit.parent_ids().map(|p| p.to_string()).collect(),
        })
    }

    /// The commits reachable from `to` and not from `from`, newest first (`from..to`).
    pub fn range(&self, from: &str, to: &str) -> Result<Vec<String>, GitError> {
        let (from, to) = (self.find_commit(from)?.id(), self.find_commit(to)?.id());
        let mut walk = self.repo.revwalk().map_err(git("walking a range"))?;
        walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)
            .map_err(git("walking a range"))?;
        walk.push(to).map_err(git("walking a range"))?;
        walk.hide(from).map_err(git("walking a range"))?;
        walk.map(|id| id.map(|id| id.to_string()).map_err(git("walking a range")))
            .collect()
    }

    /// Whether commit `ancestor` is `descendant` or one of its ancestors.
    pub fn is_ancestor(&self, ancestor: &str, descendant: &str) -> Result<bool, GitError> {
        let (a, d) = (
            self.find_commit(ancestor)?.id(),
            self.find_commit(descendant)?.id(),
        );
        if a == d {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(d, a)
            .map_err(git("comparing two commits' history"))
    }

    /// The commit `MERGE_HEAD` names while a merge is in progress.
    pub fn merge_head(&self) -> Option<String> {
        let reference = self.repo.find_reference("MERGE_HEAD").ok()?;
        reference.peel_to_commit().ok().map(|c| c.id().to_string())
    }

    /// Whether `HEAD` points at a commit yet.
    pub fn has_head(&self) -> bool {
        self.repo.head().ok().and_then(|h| h.target()).is_some()
    }

    fn find_commit(&self, rev: &str) -> Result<git2::Commit<'_>, GitError> {
        let unknown = |e: git2::Error| GitError::UnknownRevision {
            rev: rev.to_owned(),
            message: e.message().to_owned(),
        };
        self.repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(unknown)
    }

    /// The manifests the policy selects in the tree of commit `rev`, read at revision `rev`.
    pub fn snapshot_at(&self, rev: &str, policy: &Policy) -> Result<Snapshot, GitError> {
        self.snapshot_labeled(rev, rev, policy)
    }

    /// The manifests in the tree of commit `rev`, shown as read at revision `label`.
    pub fn snapshot_labeled(
        &self,
        rev: &str,
        label: &str,
        policy: &Policy,
    ) -> Result<Snapshot, GitError> {
        self.snapshot_tree(rev, label, policy, &|_, selected| selected)
    }

    /// What files named one by one were at revision `rev`: the files at `paths` (repository
    /// paths) in the tree of `rev`, whatever the policy's globs say, and the manifests the globs
    /// select there that the working tree no longer has (a deleted or renamed manifest: its
    /// entries are removed or moved, not merely left out of the run).
    pub fn snapshot_of_paths(
        &self,
        rev: &str,
        paths: &[String],
        policy: &Policy,
    ) -> Result<Snapshot, GitError> {
        let keep = |path: &str, selected: bool| {
            paths.iter().any(|p| p == path)
                || (selected && std::fs::symlink_metadata(self.root.join(path)).is_err())
        };
        self.snapshot_tree(rev, rev, policy, &keep)
    }

    /// The files of the tree of commit `rev` that `keep` (given a path and whether the policy
    /// selects it) keeps, read at revision `label`.
    fn snapshot_tree(
        &self,
        rev: &str,
        label: &str,
        policy: &Policy,
        keep: &dyn Fn(&str, bool) -> bool,
    ) -> Result<Snapshot, GitError> {
        let commit = self.find_commit(rev)?;
        let tree = commit.tree().map_err(git("reading a commit's tree"))?;
        let selector = ManifestSelector::new(policy)?;
        let select = selector.in_repository(&self.root);
        let mut blobs = Vec::new();
        tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            let name = entry.name().unwrap_or_default();
            if entry.kind() == Some(ObjectType::Tree) {
                return if is_skipped_dir(name) {
                    git2::TreeWalkResult::Skip
                } else {
                    git2::TreeWalkResult::Ok
                };
            }
            let path = format!("{dir}{name}");
            if entry.kind() == Some(ObjectType::Blob) && keep(&path, select.matches(&path)) {
                blobs.push((path, entry.id()));
            }
            git2::TreeWalkResult::Ok
        })
        .map_err(git("walking a tree"))?;
        let mut files = Vec::new();
        for (path, id) in blobs {
            files.push((path, self.blob(id)?));
        }
        Ok(Snapshot::from_files(label, files, policy))
    }

    /// Where `path` (relative to `cwd`, or absolute) lies in the working tree, relative to its
    /// root and `/`-separated; `None` for standard input, a file that does not exist, a file
    /// outside the working tree and one inside the git directory (`.git/COMMIT_EDITMSG` is no
    /// file of the project).
    pub fn path_in_worktree(&self, cwd: &Path, path: &Path) -> Option<String> {
        if path == Path::new("-") {
            return None;
        }
        let full = cwd.join(path).canonicalize().ok()?;
        if let Ok(git_dir) = self.repo.path().canonicalize() {
            if full.starts_with(git_dir) {
                return None;
            }
        }
        let relative = full.strip_prefix(&self.root).ok()?;
        let relative = slash_path(relative);
        (!relative.is_empty()).then_some(relative)
    }

    /// The manifests as staged in the index (what the commit being made will hold). `index_file`
    /// is git's `GIT_INDEX_FILE` when set: `git commit -a` and `git commit PATH` run the hooks
    /// with a temporary index, and that one holds the commit.
    pub fn snapshot_index(
        &self,
        index_file: Option<&Path>,
        policy: &Policy,
    ) -> Result<Snapshot, GitError> {
        let index = match index_file {
            Some(path) => git2::Index::open(path).map_err(git("reading GIT_INDEX_FILE"))?,
            None => self.repo.index().map_err(git("reading the index"))?,
        };
        let selector = ManifestSelector::new(policy)?;
        let select = selector.in_repository(&self.root);
        let mut files = Vec::new();
        for entry in index.iter() {
            let path = String::from_utf8_lossy(&entry.path).into_owned();
            if select.matches(&path) {
                files.push((path, self.blob(entry.id)?));
            }
        }
        Ok(Snapshot::from_files("index", files, policy))
    }

    /// The manifests in the working tree, as the policy discovers them, named relative to the
    /// repository root.
    pub fn snapshot_worktree(&self, policy: &Policy) -> Result<Snapshot, GitError> {
        let selector = ManifestSelector::new(policy)?;
        let found = selector.discover()?;
        let mut loaded = Loaded::default();
        for path in found {
            // Named by the path in the repository; a policy root outside it selects nothing here.
            let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
            let Ok(relative) = canonical.strip_prefix(&self.root) else {
                continue;
            };
            let relative = slash_path(relative);
            let bytes = read_capped(&path, policy.max_file_size).map_err(|e| GitError::Io {
                path: path.clone(),
                source: match e {
                    SourceError::Io { source, .. } => source,
                    other => std::io::Error::other(other.to_string()),
                },
            })?;
            loaded.push(SourceName::new(relative), bytes, policy);
        }
        loaded.sort();
        Ok(Snapshot::of("working tree", loaded))
    }

    fn blob(&self, id: Oid) -> Result<Vec<u8>, GitError> {
        let blob = self.repo.find_blob(id).map_err(git("reading a blob"))?;
        Ok(blob.content().to_vec())
    }

    /// `git describe --tags --abbrev=7` of commit `rev`.
    pub fn describe(&self, rev: &str) -> Result<String, GitError> {
        let commit = self.find_commit(rev)?;
        let described = commit
            .as_object()
            .describe(DescribeOptions::new().describe_tags())
            .map_err(|_| GitError::NoTag {
                commit: rev.to_owned(),
                repo: self.root.clone(),
            })?;
        described
            .format(Some(DescribeFormatOptions::new().abbreviated_size(7)))
            .map_err(git("formatting a description"))
    }

    /// The committer date (Unix seconds) of the commit with full or abbreviated id `sha`, or
    /// `None` when the repository does not hold it.
    pub fn committer_time(&self, sha: &str) -> Result<Option<i64>, GitError> {
        let object = match self.repo.revparse_single(sha) {
            Ok(object) => object,
            Err(e) if e.code() == git2::ErrorCode::NotFound => return Ok(None),
            Err(e) if e.code() == git2::ErrorCode::Ambiguous => {
                return Err(GitError::UnknownRevision {
                    rev: sha.to_owned(),
                    message: e.message().to_owned(),
                })
            }
            Err(_) => return Ok(None),
        };
        match object.peel_to_commit() {
            Ok(commit) => Ok(Some(commit.committer().when().seconds())),
            Err(_) => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_in_the_work_tree_are_repository_relative() {
        let (dir, _git) = tagman_testkit::git::repo();
        let root = dir.path();
        tagman_testkit::git::write(root, "sub/image-tags.yaml", b"images:\n");
        tagman_testkit::git::write(root, ".git/COMMIT_EDITMSG", b"Bump\n");
        let repo = Repo::discover(root).unwrap();
        let sub = root.join("sub");
        let at = |cwd: &Path, path: &str| repo.path_in_worktree(cwd, Path::new(path));
        assert_eq!(
            at(&sub, "image-tags.yaml").as_deref(),
            Some("sub/image-tags.yaml")
        );
        assert_eq!(
            at(root, "./sub/../sub/image-tags.yaml").as_deref(),
            Some("sub/image-tags.yaml")
        );
        let absolute = sub.join("image-tags.yaml");
        assert_eq!(
            at(Path::new("/"), &absolute.to_string_lossy()).as_deref(),
            Some("sub/image-tags.yaml")
        );
        // Not files of the project: standard input, the git directory, a missing file, elsewhere.
        assert_eq!(at(root, "-"), None);
        assert_eq!(at(root, ".git/COMMIT_EDITMSG"), None);
        assert_eq!(at(root, "sub/missing.yaml"), None);
        let elsewhere = tempfile::tempdir().unwrap();
        tagman_testkit::git::write(elsewhere.path(), "x.yaml", b"");
        assert_eq!(at(elsewhere.path(), "x.yaml"), None);
    }
}
