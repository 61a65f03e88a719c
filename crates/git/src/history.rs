//! Every revision of the manifests, read once per run: which (image, tag) pairs any commit ever
//! declared, the oldest commit that did, and, along the first-parent line (where a merge's
//! effect lands), the change that removed each one and what it declared instead.
//!
//! The walk visits every commit reachable from `HEAD` once. The manifests' directories are
//! looked up in each commit's tree; a commit whose directories are the same trees as an
//! already-seen commit's shares its state, and each manifest blob is parsed once (cached by
//! blob id). Files are selected by the policy's manifest file-name pattern within the
//! directories of today's manifests, so a renamed manifest (`image-tags.yaml` →
//! `image-tags-bullseye.yaml`) keeps its history.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Sort};
use globset::GlobSet;
use tagman_core::Policy;
use tagman_core::{Loaded, SourceName};

use crate::error::{git, GitError};
use crate::repo::Repo;

/// A commit, as the history reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitStamp {
    /// Full hex id.
    pub id: String,
    /// The first seven hex digits.
    pub short: String,
    /// Committer time, Unix seconds.
    pub time: i64,
}

/// Where a pair left the manifests on the first-parent line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastRemoval {
    /// The change that removed it: for a merge, the commit it brought in that did.
    pub at: CommitStamp,
    /// The first-parent commit where the removal landed (the merge, or `at` itself).
    pub landed: CommitStamp,
    /// The manifest it was in (repository-relative).
    pub file: String,
    /// Tags the same change declared for the image that its parent did not.
    pub replaced_by: Vec<String>,
}

/// One (image, tag) pair some revision declared.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastTag {
    /// Canonical image name.
    pub name: String,
    /// The release tag.
    pub tag: String,
    /// The oldest commit that declared it.
    pub first: CommitStamp,
    /// Its removal on the first-parent line, when it is not declared at `HEAD`.
    pub removed: Option<PastRemoval>,
}

/// What the manifests' history holds.
#[derive(Clone, Debug, Default)]
pub struct ManifestHistory {
    /// Every pair ever declared, sorted by name and tag.
    pub tags: Vec<PastTag>,
    /// Commits walked.
    pub commits: usize,
    /// Distinct states of the manifests' directories.
    pub states: usize,
    /// Manifest blobs parsed.
    pub blobs: usize,
}

type Key = (String, String);
/// A state of the manifests: every pair declared, with the file declaring it.
type State = BTreeMap<Key, String>;

/// The walk's working data: each commit's state index, the states (first as the manifest files
/// of each distinct set of directory trees, then as the pairs they declare), the parsed blobs.
struct Walk<'r> {
    repo: &'r git2::Repository,
    dirs: &'r [String],
    names: &'r GlobSet,
    policy: &'r Policy,
    listings: Vec<Vec<(String, Oid)>>,
    states: Vec<State>,
    by_trees: HashMap<Vec<Option<Oid>>, usize>,
    of_commit: HashMap<Oid, usize>,
    /// The commits in the walk's order: every commit before its parents.
    visited: Vec<Oid>,
    blobs: HashMap<Oid, Vec<Key>>,
    stamps: HashMap<Oid, CommitStamp>,
}

impl Repo {
    /// The history of the manifests at `manifests` (paths in this repository's working tree).
    pub fn manifest_history(
        &self,
        manifests: &[PathBuf],
        policy: &Policy,
    ) -> Result<ManifestHistory, GitError> {
        let dirs = manifest_dirs(self.root(), manifests);
        if dirs.is_empty() || !self.has_head() {
            return Ok(ManifestHistory::default());
        }
        let names = file_name_globs(&policy.manifests)?;
        let repo = self.git();
        let mut walk = Walk {
            repo,
            dirs: &dirs,
            names: &names,
            policy,
            listings: Vec::new(),
            states: Vec::new(),
            by_trees: HashMap::new(),
            of_commit: HashMap::new(),
            visited: Vec::new(),
            blobs: HashMap::new(),
            stamps: HashMap::new(),
        };
        let mut revwalk = repo.revwalk().map_err(git("walking the history"))?;
        revwalk
            .set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
            .map_err(git("walking the history"))?;
        revwalk.push_head().map_err(git("walking the history"))?;
        for id in revwalk {
            walk.visit(id.map_err(git("walking the history"))?)?;
        }
        walk.parse_all()?;
        let head =
            repo.head()
                .ok()
                .and_then(|h| h.target())
                .ok_or_else(|| GitError::UnknownRevision {
                    rev: "HEAD".to_owned(),
                    message: "HEAD points at no commit".to_owned(),
                })?;
        let tags = walk.past_tags(head)?;
        Ok(ManifestHistory {
            tags,
            commits: walk.of_commit.len(),
            states: walk.states.len(),
            blobs: walk.blobs.len(),
        })
    }
}

/// The (name, tag) pairs each manifest version declares, parsed on every core (git2's repository
/// is read on the calling thread; parsing is the expensive part).
fn parse_in_parallel(
    texts: Vec<(Oid, String, Vec<u8>)>,
    policy: &Policy,
) -> HashMap<Oid, Vec<Key>> {
    let workers = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8);
    let chunk = texts.len().div_ceil(workers).max(1);
    let mut chunks: Vec<Vec<(Oid, String, Vec<u8>)>> = Vec::new();
    let mut texts = texts.into_iter().peekable();
    while texts.peek().is_some() {
        chunks.push(texts.by_ref().take(chunk).collect());
    }
    let parse = |chunk: Vec<(Oid, String, Vec<u8>)>| -> Vec<(Oid, Vec<Key>)> {
        chunk
            .into_iter()
            .map(|(blob, path, bytes)| {
                let mut loaded = Loaded::default();
                loaded.push(SourceName::new(path), bytes, policy);
                let pairs = loaded
                    .manifests
                    .iter()
                    .flat_map(|m| m.entries.iter().filter_map(tagman_core::Entry::key))
                    .collect();
                (blob, pairs)
            })
            .collect()
    };
    std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| scope.spawn(move || parse(chunk)))
            .collect();
        // A worker that panicked parsed nothing usable: its manifests count as declaring nothing.
        handles
            .into_iter()
            .filter_map(|h| h.join().ok())
            .flatten()
            .collect()
    })
}

/// The repository-relative directories of `manifests` that lie in the repository at `root`.
fn manifest_dirs(root: &Path, manifests: &[PathBuf]) -> Vec<String> {
    let mut dirs: BTreeSet<String> = BTreeSet::new();
    for path in manifests {
        let Ok(canonical) = path.canonicalize() else {
            continue;
        };
        let Some(parent) = canonical.parent() else {
            continue;
        };
        if let Ok(relative) = parent.strip_prefix(root) {
            dirs.insert(tagman_core::select::slash_path(relative));
        }
    }
    dirs.into_iter().collect()
}

/// The file-name part of each manifest glob (`**/image-tags*.yaml` → `image-tags*.yaml`).
fn file_name_globs(globs: &[String]) -> Result<GlobSet, GitError> {
    let names: Vec<String> = globs
        .iter()
        .map(|g| g.rsplit('/').next().unwrap_or(g).to_owned())
        .collect();
    Ok(tagman_core::select::compile_globs(&names)?)
}

impl Walk<'_> {
    /// Records `id`'s state, reading its manifests unless an earlier commit had the same trees.
    fn visit(&mut self, id: Oid) -> Result<(), GitError> {
        let commit = self.repo.find_commit(id).map_err(git("reading a commit"))?;
        let tree = commit.tree().map_err(git("reading a commit's tree"))?;
        let trees: Vec<Option<Oid>> = self
            .dirs
            .iter()
            .map(|dir| {
                if dir.is_empty() {
                    return Some(tree.id());
                }
                tree.get_path(Path::new(dir))
                    .ok()
                    .filter(|e| e.kind() == Some(ObjectType::Tree))
                    .map(|e| e.id())
            })
            .collect();
        let state = match self.by_trees.get(&trees) {
            Some(&state) => state,
            None => {
                let listing = self.list_files(&trees)?;
                self.listings.push(listing);
                let index = self.listings.len() - 1;
                self.by_trees.insert(trees, index);
                index
            }
        };
        self.of_commit.insert(id, state);
        self.visited.push(id);
        let id_text = id.to_string();
        self.stamps.insert(
            id,
            CommitStamp {
                short: id_text.chars().take(7).collect(),
                id: id_text,
                time: commit.committer().when().seconds(),
            },
        );
        Ok(())
    }

    /// The manifest files (path, blob) of the directory trees `trees`.
    fn list_files(&self, trees: &[Option<Oid>]) -> Result<Vec<(String, Oid)>, GitError> {
        let mut files = Vec::new();
        for (dir, tree) in self.dirs.iter().zip(trees) {
            let Some(tree) = tree else { continue };
            let tree = self.repo.find_tree(*tree).map_err(git("reading a tree"))?;
            for entry in tree.iter() {
                let name = entry.name().unwrap_or_default();
                if entry.kind() != Some(ObjectType::Blob) || !self.names.is_match(name) {
                    continue;
                }
                let path = if dir.is_empty() {
                    name.to_owned()
                } else {
                    format!("{dir}/{name}")
                };
                files.push((path, entry.id()));
            }
        }
        Ok(files)
    }

    /// Parses every distinct manifest version once, on all cores, then builds each state.
    fn parse_all(&mut self) -> Result<(), GitError> {
        let mut wanted: Vec<(Oid, &str)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for (path, blob) in self.listings.iter().flatten() {
            if seen.insert(*blob) {
                wanted.push((*blob, path.as_str()));
            }
        }
        let mut texts = Vec::with_capacity(wanted.len());
        for (blob, path) in wanted {
            let bytes = self.repo.find_blob(blob).map_err(git("reading a blob"))?;
            texts.push((blob, path.to_owned(), bytes.content().to_vec()));
        }
        self.blobs = parse_in_parallel(texts, self.policy);
        let empty = Vec::new();
        self.states = self
            .listings
            .iter()
            .map(|files| {
                let mut state = State::new();
                for (path, blob) in files {
                    for key in self.blobs.get(blob).unwrap_or(&empty) {
                        state.entry(key.clone()).or_insert_with(|| path.clone());
                    }
                }
                state
            })
            .collect();
        Ok(())
    }

    fn stamp(&self, id: Oid) -> Option<CommitStamp> {
        self.stamps.get(&id).cloned()
    }

    fn state_of(&self, id: Oid) -> Option<&State> {
        self.of_commit.get(&id).and_then(|&s| self.states.get(s))
    }

    /// Every pair ever declared, with its oldest commit and its removal along the first-parent
    /// line from `head`.
    fn past_tags(&self, head: Oid) -> Result<Vec<PastTag>, GitError> {
        let mut first: BTreeMap<&Key, &CommitStamp> = BTreeMap::new();
        // Parents before children, so of commits made in the same second the ancestor counts
        // as the older (a timestamp has whole seconds; a tie was settled by hash order before).
        for id in self.visited.iter().rev() {
            let Some(&state) = self.of_commit.get(id) else {
                continue;
            };
            let (Some(stamp), Some(state)) = (self.stamps.get(id), self.states.get(state)) else {
                continue;
            };
            for key in state.keys() {
                let older = first.get(key).is_none_or(|f| stamp.time < f.time);
                if older {
                    first.insert(key, stamp);
                }
            }
        }
        let removals = self.removals(head)?;
        Ok(first
            .into_iter()
            .map(|(key, stamp)| PastTag {
                name: key.0.clone(),
                tag: key.1.clone(),
                first: stamp.clone(),
                removed: removals.get(key).cloned(),
            })
            .collect())
    }

    /// For each pair removed on the first-parent line from `head`, its newest removal.
    fn removals(&self, head: Oid) -> Result<HashMap<Key, PastRemoval>, GitError> {
        let empty = State::new();
        let mut found: HashMap<Key, PastRemoval> = HashMap::new();
        let mut at = Some(head);
        while let Some(id) = at {
            let commit = self.repo.find_commit(id).map_err(git("reading a commit"))?;
            let parent = commit.parent_id(0).ok();
            at = parent;
            let now = self.state_of(id).unwrap_or(&empty);
            let before = parent.and_then(|p| self.state_of(p)).unwrap_or(&empty);
            for (key, file) in before {
                if now.contains_key(key) || found.contains_key(key) {
                    continue;
                }
                let change = match commit.parent_id(1) {
                    Ok(side) => self.change_in_merge(id, side, key)?.unwrap_or(id),
                    Err(_) => id,
                };
                let (Some(at), Some(landed)) = (self.stamp(change), self.stamp(id)) else {
                    continue;
                };
                found.insert(
                    key.clone(),
                    PastRemoval {
                        replaced_by: self.added_for(change, &key.0),
                        at,
                        landed,
                        file: file.clone(),
                    },
                );
            }
        }
        Ok(found)
    }

    /// The newest commit merge `merge` brings in (from `side`) that removes `key`.
    fn change_in_merge(&self, merge: Oid, side: Oid, key: &Key) -> Result<Option<Oid>, GitError> {
        let commit = self
            .repo
            .find_commit(merge)
            .map_err(git("reading a commit"))?;
        let mut walk = self.repo.revwalk().map_err(git("walking a merge"))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
            .map_err(git("walking a merge"))?;
        walk.push(side).map_err(git("walking a merge"))?;
        if let Ok(first) = commit.parent_id(0) {
            walk.hide(first).map_err(git("walking a merge"))?;
        }
        for id in walk {
            let id = id.map_err(git("walking a merge"))?;
            let c = self.repo.find_commit(id).map_err(git("reading a commit"))?;
            let Ok(parent) = c.parent_id(0) else { continue };
            let removes = self.state_of(parent).is_some_and(|s| s.contains_key(key))
                && !self.state_of(id).is_some_and(|s| s.contains_key(key));
            if removes {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    /// Tags commit `id` declares for `name` that its first parent did not.
    fn added_for(&self, id: Oid, name: &str) -> Vec<String> {
        let empty = State::new();
        let now = self.state_of(id).unwrap_or(&empty);
        let parent = self
            .repo
            .find_commit(id)
            .ok()
            .and_then(|c| c.parent_id(0).ok())
            .and_then(|p| self.state_of(p))
            .unwrap_or(&empty);
        now.keys()
            .filter(|k| k.0 == name && !parent.contains_key(*k))
            .map(|k| k.1.clone())
            .collect()
    }
}
