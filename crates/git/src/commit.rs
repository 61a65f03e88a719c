//! The follow-up's commit: refuse a work tree with changes of its own (nothing of the user's is
//! swept into the commit or lost), then commit exactly the files the bump edited on top of
//! `HEAD`, the message carrying the `Change-Id` Gerrit's hook would give it ([`change_id`]).
//!
//! The commit is made with libgit2, so the repository's own hooks do not run; the author and
//! committer are git's `user.name` and `user.email`, as for `git commit`.

use std::path::{Path, PathBuf};

use git2::{Signature, Status, StatusOptions};

use crate::change_id;
use crate::error::{git, GitError};
use crate::repo::Repo;

/// A commit ready to be made: its message with the `Change-Id`, its parent, its committer.
#[derive(Debug)]
pub struct Prepared {
    /// The full message, `Change-Id` included.
    pub message: String,
    /// The `Change-Id` value.
    pub change_id: String,
    /// The parent commit (`HEAD`), when there is one.
    pub parent: Option<String>,
    /// `Name <email>` of the author and committer.
    pub committer: String,
}

/// A commit made.
#[derive(Clone, Debug)]
pub struct Committed {
    /// Its full id.
    pub id: String,
    /// The repository-relative paths it changed.
    pub files: Vec<String>,
}

impl Repo {
    /// The paths `git status` would list (untracked included, ignored not), at most `limit`.
    pub fn changed_paths(&self, limit: usize) -> Result<Vec<String>, GitError> {
        let mut options = StatusOptions::new();
        options
            .include_untracked(true)
            .include_ignored(false)
            .recurse_untracked_dirs(false);
        let statuses = self
            .git()
            .statuses(Some(&mut options))
            .map_err(git("reading the status"))?;
        Ok(statuses
            .iter()
            .filter(|s| s.status() != Status::CURRENT && !s.status().is_ignored())
            .take(limit)
            .map(|s| String::from_utf8_lossy(s.path_bytes()).into_owned())
            .collect())
    }

    /// Refuses a work tree with changes or untracked files: the follow-up commits only what it
    /// edits, and a tree already changed would mix the two.
    pub fn require_clean(&self) -> Result<(), GitError> {
        let changed = self.changed_paths(5)?;
        if changed.is_empty() {
            return Ok(());
        }
        Err(GitError::Dirty {
            root: self.root().to_path_buf(),
            paths: changed,
        })
    }

    fn signature(&self) -> Result<Signature<'static>, GitError> {
        self.git().signature().map_err(|_| GitError::NoIdentity {
            root: self.root().to_path_buf(),
        })
    }

    /// `message` with the `Change-Id` the hook would add when committing it now on `HEAD`.
    pub fn prepare_commit(&self, message: &str) -> Result<Prepared, GitError> {
        let signature = self.signature()?;
        let parent = self
            .git()
            .head()
            .ok()
            .and_then(|h| h.target())
            .map(|id| id.to_string());
        let name = signature.name().unwrap_or_default();
        let email = signature.email().unwrap_or_default();
        let when = signature.when();
        let ident = change_id::ident(name, email, when.seconds(), when.offset_minutes());
        let id = change_id::compute(&ident, parent.as_deref(), message)
            .map_err(git("hashing the Change-Id"))?;
        Ok(Prepared {
            message: change_id::insert(message, &id),
            change_id: id,
            parent,
            committer: format!("{name} <{email}>"),
        })
    }

    /// Commits `files` (paths in the work tree) on `HEAD` with `message`, its `Change-Id`
    /// computed now; the index gets exactly those files added.
    pub fn commit_files(
        &self,
        files: &[PathBuf],
        message: &str,
    ) -> Result<(Prepared, Committed), GitError> {
        let relative = files
            .iter()
            .map(|f| self.relative(f))
            .collect::<Result<Vec<_>, _>>()?;
        let prepared = self.prepare_commit(message)?;
        let repo = self.git();
        let mut index = repo.index().map_err(git("reading the index"))?;
        for path in &relative {
            index
                .add_path(Path::new(path))
                .map_err(git("staging a file"))?;
        }
        index.write().map_err(git("writing the index"))?;
        let tree_id = index.write_tree().map_err(git("writing the tree"))?;
        let tree = repo.find_tree(tree_id).map_err(git("reading the tree"))?;
        let parent = match &prepared.parent {
            Some(id) => {
                let oid = git2::Oid::from_str(id).map_err(git("reading HEAD"))?;
                Some(repo.find_commit(oid).map_err(git("reading HEAD"))?)
            }
            None => None,
        };
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let signature = self.signature()?;
        let id = repo
            .commit(
                Some("HEAD"),
                &signature,
                &signature,
                &prepared.message,
                &tree,
                &parents,
            )
            .map_err(git("committing"))?;
        Ok((
            prepared,
            Committed {
                id: id.to_string(),
                files: relative,
            },
        ))
    }

    /// `path` relative to the work tree's root, `/`-separated.
    fn relative(&self, path: &Path) -> Result<String, GitError> {
        let outside = || GitError::OutsideWorkTree {
            path: path.to_path_buf(),
            root: self.root().to_path_buf(),
        };
        let canonical = path.canonicalize().map_err(|source| GitError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let relative = canonical.strip_prefix(self.root()).map_err(|_| outside())?;
        Ok(tagman_core::select::slash_path(relative))
    }
}
