//! Which files are tag manifests: the policy's `manifests` globs, matched the one way tagman
//! matches globs, and the directories never searched. Used for the filesystem, for a git tree at
//! a revision and for the index alike.

use std::path::{Path, PathBuf};

use globset::GlobSet;

use crate::policy::Policy;

/// Directories that never hold manifests worth checking (build output, dependencies, VCS data).
pub const SKIPPED_DIRS: [&str; 4] = [".git", "target", "node_modules", ".tox"];

/// Whether a directory named `name` is never searched.
pub fn is_skipped_dir(name: &str) -> bool {
    SKIPPED_DIRS.contains(&name)
}

/// A glob that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("invalid glob `{pattern}`: {source}")]
pub struct InvalidGlob {
    /// The glob (or the list, when the set as a whole failed).
    pub pattern: String,
    /// The glob compiler's error.
    #[source]
    pub source: globset::Error,
}

/// Compiles policy globs (manifests, build inputs) the one way tagman matches them: relative
/// paths, `*` not crossing `/`, `**` for any depth.
pub fn compile_globs(patterns: &[String]) -> Result<GlobSet, InvalidGlob> {
    let mut builder = globset::GlobSetBuilder::new();
    for pattern in patterns {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|source| InvalidGlob {
                pattern: pattern.clone(),
                source,
            })?;
        builder.add(glob);
    }
    builder.build().map_err(|source| InvalidGlob {
        pattern: patterns.join(", "),
        source,
    })
}

/// Why manifest discovery failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GlobError {
    /// A glob in `manifests` does not compile.
    #[error("in `manifests`: {0}")]
    Pattern(#[from] InvalidGlob),
    /// The directory walk failed.
    #[error("cannot walk {}: {message}", root.display())]
    Walk {
        /// The root walked.
        root: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The policy's manifest globs, relative to the policy's root.
#[derive(Clone, Debug)]
pub struct ManifestSelector {
    set: GlobSet,
    root: PathBuf,
}

impl ManifestSelector {
    /// The selector of `policy`'s `manifests` globs.
    pub fn new(policy: &Policy) -> Result<Self, InvalidGlob> {
        Ok(Self {
            set: compile_globs(&policy.manifests)?,
            root: policy.root.clone(),
        })
    }

    /// Whether `relative`, a `/`-separated path relative to the policy's root, is a manifest.
    /// A path through a skipped directory never is.
    pub fn matches(&self, relative: &str) -> bool {
        let mut dirs = relative.split('/').rev().skip(1);
        !dirs.any(is_skipped_dir) && self.set.is_match(relative)
    }

    /// The manifests under the policy's root in the filesystem, sorted.
    pub fn discover(&self) -> Result<Vec<PathBuf>, GlobError> {
        let mut found = Vec::new();
        let walker = walkdir::WalkDir::new(&self.root)
            .follow_links(false)
            .into_iter()
            .filter_entry(|e| {
                e.depth() == 0
                    || !e.file_type().is_dir()
                    || !e.file_name().to_str().is_some_and(is_skipped_dir)
            });
        for entry in walker {
            let entry = entry.map_err(|e| GlobError::Walk {
                root: self.root.clone(),
                message: e.to_string(),
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(&self.root)
                .unwrap_or(entry.path());
            if self.matches(&slash_path(relative)) {
                found.push(entry.path().to_path_buf());
            }
        }
        found.sort();
        Ok(found)
    }

    /// The selector for paths relative to the repository at `repo_root` (the policy's root may be
    /// a subdirectory of it, or lie outside it, in which case nothing in the repository matches).
    pub fn in_repository(&self, repo_root: &Path) -> RepositorySelector<'_> {
        let root = self
            .root
            .canonicalize()
            .unwrap_or_else(|_| self.root.clone());
        let prefix = root.strip_prefix(repo_root).ok().map(|p| {
            let mut s = slash_path(p);
            if !s.is_empty() {
                s.push('/');
            }
            s
        });
        RepositorySelector {
            selector: self,
            prefix,
        }
    }
}

/// A [`ManifestSelector`] applied to repository-relative paths.
#[derive(Clone, Debug)]
pub struct RepositorySelector<'a> {
    selector: &'a ManifestSelector,
    prefix: Option<String>,
}

impl RepositorySelector<'_> {
    /// Whether the repository-relative, `/`-separated `path` is a manifest.
    pub fn matches(&self, path: &str) -> bool {
        let Some(prefix) = &self.prefix else {
            return false;
        };
        path.strip_prefix(prefix.as_str())
            .is_some_and(|relative| self.selector.matches(relative))
    }
}

/// A relative path with `/` separators, whatever the platform.
pub fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selector(root: &Path, globs: &[&str]) -> ManifestSelector {
        let policy = Policy {
            manifests: globs.iter().map(|g| (*g).to_owned()).collect(),
            ..Policy::defaults(root.to_path_buf())
        };
        ManifestSelector::new(&policy).unwrap()
    }

    #[test]
    fn globs_match_relative_paths_and_skip_build_directories() {
        let s = selector(Path::new("."), &["**/image-tags*.yaml"]);
        assert!(s.matches("image-tags.yaml"));
        assert!(s.matches("build-tools/tag-management/image-tags-4.0.yaml"));
        assert!(!s.matches("target/image-tags.yaml"));
        assert!(!s.matches("a/node_modules/b/image-tags.yaml"));
        assert!(!selector(Path::new("."), &["*.yaml"]).matches("a/image-tags.yaml"));
    }

    #[test]
    fn a_repository_selector_applies_the_policy_root_as_a_prefix() {
        let repo = std::env::temp_dir().canonicalize().unwrap();
        let sub = repo.join("tagman-select-test-sub");
        std::fs::create_dir_all(&sub).unwrap();
        let s = selector(&sub, &["image-tags.yaml"]);
        let in_repo = s.in_repository(&repo);
        assert!(in_repo.matches("tagman-select-test-sub/image-tags.yaml"));
        assert!(!in_repo.matches("image-tags.yaml"));
        let elsewhere = s.in_repository(Path::new("/nonexistent-repo"));
        assert!(!elsewhere.matches("tagman-select-test-sub/image-tags.yaml"));
    }
}
