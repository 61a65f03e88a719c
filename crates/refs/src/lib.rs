//! tagman-refs: find image references to the managed namespaces across a source tree, check them
//! against the manifests (floating, undeclared and raw build tags), and move them to a new tag.
//!
//! The walk is parallel and prefiltered ([`walk`]); references are read from any text file by one
//! tokeniser ([`extract`]); the checks are rules in [`rules`] reporting through `tagman-lint`'s
//! diagnostic model; [`bump`] rewrites tags byte-exactly. Nothing here prints.

pub mod bump;
pub mod catalog;
pub mod error;
pub mod extract;
pub mod rules;
pub mod unified_diff;
pub mod walk;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use globset::GlobSet;
use tagman_core::{Manifest, Policy};
use tagman_lint::diagnostic::Report;
use tagman_lint::{registry, Sink};

pub use bump::{BumpPlan, BumpSpec, FileEdit, WriteScope};
pub use catalog::Catalog;
pub use error::RefsError;
pub use extract::{ImageRef, Matcher};
pub use walk::{ScannedFile, WalkOptions, WalkStats, Walked};

/// The files the policy lists as build inputs (`build_inputs` globs, relative to its root).
#[derive(Clone, Debug)]
pub struct BuildInputs {
    set: GlobSet,
    root: Option<PathBuf>,
}

impl BuildInputs {
    /// Compiles the policy's `build_inputs`.
    pub fn new(policy: &Policy) -> Result<Self, RefsError> {
        let set = tagman_core::select::compile_globs(&policy.build_inputs).map_err(|e| {
            RefsError::Glob {
                pattern: e.pattern,
                source: e.source,
            }
        })?;
        Ok(Self {
            set,
            root: policy.root.canonicalize().ok(),
        })
    }

    /// Whether `path` (as walked) is a build input: its path relative to the policy root, or as
    /// given, matches a glob.
    pub fn contains(&self, path: &Path) -> bool {
        if self.set.is_empty() {
            return false;
        }
        let given = path.strip_prefix(".").unwrap_or(path);
        if self.set.is_match(given) {
            return true;
        }
        let relative = self.root.as_ref().and_then(|root| {
            let canonical = path.canonicalize().ok()?;
            canonical.strip_prefix(root).ok().map(Path::to_path_buf)
        });
        relative.is_some_and(|r| self.set.is_match(r))
    }
}

/// A scan of a tree: the files with references, what the walk saw, and what it could not read.
#[derive(Debug)]
pub struct Scan {
    /// The walk's result.
    pub walked: Walked,
    /// Which of `walked.files` are build inputs (same order).
    pub build_input: Vec<bool>,
}

/// Walks `paths` for references to `policy.managed_namespaces`, skipping the manifests themselves.
///
/// Errors are configuration errors only; unreadable paths are in `walked.errors`.
pub fn scan(
    paths: &[PathBuf],
    policy: &Policy,
    manifests: &[Manifest],
    mut options: WalkOptions,
) -> Result<Scan, RefsError> {
    let matcher = Matcher::new(&policy.managed_namespaces)?;
    let inputs = BuildInputs::new(policy)?;
    let exclude: HashSet<PathBuf> = manifests
        .iter()
        .filter_map(|m| Path::new(m.source.name()).canonicalize().ok())
        .collect();
    options.exclude.extend(exclude);
    let walked = walk::walk(paths, &matcher, &options);
    let build_input = walked
        .files
        .iter()
        .map(|f| inputs.contains(&f.path))
        .collect();
    Ok(Scan {
        walked,
        build_input,
    })
}

/// Runs every refs rule over a scan, applying the policy's severity overrides.
pub fn check(scan: &Scan, policy: &Policy, catalog: &Catalog) -> Report {
    let mut sink = Sink::new(policy);
    for (file, build_input) in scan.walked.files.iter().zip(&scan.build_input) {
        let ctx = rules::FileContext {
            source: &file.source,
            extracted: &file.extracted,
            catalog,
            codenames: &policy.codenames,
            build_input: *build_input,
        };
        registry::run(rules::RULES, &ctx, &mut sink);
    }
    sink.add_files(usize::try_from(scan.walked.stats.files).unwrap_or(usize::MAX));
    sink.finish()
}
