//! Which files are tag manifests: the policy's `manifests` globs, matched the one way tagman
//! matches globs, and the directories never searched. Used for the filesystem, for a git tree at
//! a revision and for the index alike.
//!
//! In the filesystem, discovery walks with [`crate::walk`], as `tagman refs` does: a manifest
//! an ignore file (`.gitignore`, `.ignore`, `.git/info/exclude`) excludes is not discovered,
//! as ripgrep and ruff leave ignored files out. [`ManifestSelector::ignored`] lists those, so
//! the binary can say what it left out; a manifest named on the command line is always read.

use std::collections::HashSet;
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
    #[error("cannot walk {}: {source}", root.display())]
    Walk {
        /// The root walked.
        root: PathBuf,
        /// The walker's error (it names the path it could not read).
        #[source]
        source: ignore::Error,
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

    /// The manifests under the policy's root in the filesystem, sorted; ignored files left out.
    pub fn discover(&self) -> Result<Vec<PathBuf>, GlobError> {
        self.walk(true)
    }

    /// The files the globs match under the root that [`Self::discover`] left out because an
    /// ignore file excludes them, sorted; `found` is what it discovered. This walks the ignored
    /// directories too (build output, virtual environments): the price of saying what was left
    /// out rather than skipping it silently.
    pub fn ignored(&self, found: &[PathBuf]) -> Result<Vec<PathBuf>, GlobError> {
        let found: HashSet<&PathBuf> = found.iter().collect();
        let mut all = self.walk(false)?;
        all.retain(|path| !found.contains(path));
        Ok(all)
    }

    fn walk(&self, honour_ignore_files: bool) -> Result<Vec<PathBuf>, GlobError> {
        let mut builder = crate::walk::builder(&self.root);
        if !honour_ignore_files {
            crate::walk::without_ignore_files(&mut builder);
        }
        builder.filter_entry(|e| {
            let dir = e.file_type().is_some_and(|t| t.is_dir());
            e.depth() == 0 || !dir || !e.file_name().to_str().is_some_and(is_skipped_dir)
        });
        let mut found = Vec::new();
        for entry in builder.build() {
            let entry = entry.map_err(|source| GlobError::Walk {
                root: self.root.clone(),
                source,
            })?;
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(&self.root)
                .unwrap_or(entry.path());
            if self.matches(&slash_path(relative)) {
                found.push(entry.into_path());
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

    /// A tree with manifests where `.gitignore`, `.ignore` and `.git/info/exclude` reach them,
    /// one in a hidden directory and one under a directory never searched.
    fn tree(dir: &Path, git: bool) {
        let put = |path: &str, text: &str| {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        for path in [
            "image-tags.yaml",
            "sub/image-tags-a.yaml",
            ".zuul.d/image-tags.yaml",
            "build/image-tags.yaml",
            "sub/gen/image-tags.yaml",
            "local/image-tags.yaml",
            "target/image-tags.yaml",
        ] {
            put(path, "images: []\n");
        }
        put(".gitignore", "build/\n");
        put("sub/.ignore", "gen/\n");
        if git {
            let status = std::process::Command::new("git")
                .args(["init", "-q"])
                .current_dir(dir)
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .status()
                .unwrap();
            assert!(status.success());
            put(".git/info/exclude", "/local/\n");
        }
    }

    fn relative(root: &Path, paths: &[PathBuf]) -> Vec<String> {
        paths
            .iter()
            .map(|p| slash_path(p.strip_prefix(root).unwrap()))
            .collect()
    }

    #[test]
    fn discovery_leaves_out_what_ignore_files_exclude_and_says_what() {
        for git in [true, false] {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            tree(root, git);
            let s = selector(root, &["**/image-tags*.yaml"]);
            let found = s.discover().unwrap();
            let mut want = vec![".zuul.d/image-tags.yaml", "image-tags.yaml"];
            if !git {
                // `.git/info/exclude` is git's; without a repository it does not exist.
                want.push("local/image-tags.yaml");
            }
            want.push("sub/image-tags-a.yaml");
            assert_eq!(relative(root, &found), want, "git: {git}");
            let mut ignored = vec!["build/image-tags.yaml"];
            if git {
                ignored.push("local/image-tags.yaml");
            }
            ignored.push("sub/gen/image-tags.yaml");
            // `target/` is never searched, ignored or not.
            assert_eq!(
                relative(root, &s.ignored(&found).unwrap()),
                ignored,
                "git: {git}"
            );
        }
    }

    #[test]
    fn a_gitignore_above_the_policy_root_applies_as_git_applies_it() {
        let dir = tempfile::tempdir().unwrap();
        tree(dir.path(), true);
        std::fs::write(
            dir.path().join(".gitignore"),
            "build/\nsub/image-tags-a.yaml\n",
        )
        .unwrap();
        let sub = dir.path().join("sub");
        let s = selector(&sub, &["**/image-tags*.yaml"]);
        let found = s.discover().unwrap();
        assert!(found.is_empty(), "{found:?}");
        assert_eq!(
            relative(&sub, &s.ignored(&found).unwrap()),
            ["gen/image-tags.yaml", "image-tags-a.yaml"]
        );
    }
}
