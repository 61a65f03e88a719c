//! tagman-refs: find image references to the managed namespaces across a source tree, check them
//! against the manifests (floating, undeclared and raw build tags), and move them to a new tag.
//!
//! The walk is parallel and prefiltered ([`walk`]); references are read from any text file by one
//! tokeniser ([`extract`]), which also says what each one is (a pull, or a comment, docs, an
//! image being built, a build template); the checks are rules in [`rules`] reporting through
//! `tagman-diag`'s diagnostic model, with the policy's `per_path` levels and inline
//! `tagman: ignore` markers applied per file; [`bump`] rewrites tags byte-exactly. Archives
//! (packages, tarballs, charts, and the ISO images holding them) are read in memory by
//! [`archive`], their members scanned like files; [`helm`] tells chart defaults from overrides;
//! [`inventory`] lists every image reference. What earlier revisions of the manifests declared
//! comes in as plain data ([`catalog::Superseded`]): reading git is tagman-git's business, so
//! this crate needs no git. Nothing here prints.

pub mod archive;
pub mod bump;
pub mod catalog;
pub mod codename;
pub mod debian_rules;
pub mod error;
pub mod extract;
pub mod helm;
pub mod inventory;
pub mod rules;
pub mod unified_diff;
pub mod walk;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use globset::GlobSet;
use tagman_core::{Manifest, Policy, Span};
use tagman_diag::diagnostic::Report;
use tagman_diag::{registry, Sink};

pub use bump::{BumpPlan, BumpSpec, FileEdit, WriteScope};
pub use catalog::{Catalog, Removal, Stamp, Superseded};
pub use error::RefsError;
pub use extract::{Extracted, ImageRef, Matcher, Role};
pub use walk::{Chart, ScannedFile, WalkOptions, WalkStats, Walked};

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

/// Paths relative to the policy's directory, found lexically (no system call per file: the
/// `per_path` levels of every file with references need it).
#[derive(Clone, Debug)]
struct PolicyRoot(Option<PathBuf>);

impl PolicyRoot {
    fn new(policy: &Policy) -> Self {
        Self(std::path::absolute(&policy.root).ok())
    }

    /// `path` relative to the policy's directory, `/`-separated, when it lies under it.
    fn relative(&self, path: &Path) -> Option<String> {
        let root = self.0.as_ref()?;
        let absolute = std::path::absolute(path).ok()?;
        let relative = absolute.strip_prefix(root).ok()?;
        Some(tagman_core::select::slash_path(relative))
    }
}

/// A scan of a tree: the files with references, what the walk saw, and what it could not read.
#[derive(Debug)]
pub struct Scan {
    /// The walk's result.
    pub walked: Walked,
    /// Which of `walked.files` are build inputs (same order).
    pub build_input: Vec<bool>,
    /// Chart defaults whose tag an override replaces: they are not what ships, so not checked.
    pub overridden: Vec<helm::Overridden>,
    /// The policy's directory, for `per_path`.
    root: PolicyRoot,
}

/// The codenames `@OS_CODENAME@` expands over: the policy's when it lists them, else those the
/// manifests' tags end in (else the policy's defaults).
pub fn expansion_codenames(policy: &Policy, catalog: &Catalog) -> Vec<String> {
    if policy.codenames_set {
        return policy.codenames.clone();
    }
    let used = catalog.codenames(&policy.codenames);
    if used.is_empty() {
        policy.codenames.clone()
    } else {
        used
    }
}

/// Walks `paths` for references to `policy.managed_namespaces`, skipping the manifests themselves.
///
/// Errors are configuration errors and paths that do not exist; files that cannot be read
/// during the walk are in `walked.errors`.
pub fn scan(
    paths: &[PathBuf],
    policy: &Policy,
    manifests: &[Manifest],
    mut options: WalkOptions,
) -> Result<Scan, RefsError> {
    for path in paths {
        std::fs::metadata(path).map_err(|source| RefsError::Io {
            action: "scan",
            path: path.clone(),
            source,
        })?;
    }
    let matcher = Matcher::from_policy(policy)?;
    let inputs = BuildInputs::new(policy)?;
    let exclude: HashSet<PathBuf> = manifests
        .iter()
        .filter_map(|m| Path::new(m.source.name()).canonicalize().ok())
        .collect();
    options.exclude.extend(exclude);
    let mut walked = walk::walk(paths, &matcher, &options);
    let mut overridden = helm::annotate(&mut walked.files, &walked.helm);
    // What replaces a default is judged where it is written before the default is set aside.
    helm::place_resolved(&mut walked.files, &mut overridden);
    let build_input = walked
        .files
        .iter()
        .map(|f| inputs.contains(&f.path))
        .collect();
    Ok(Scan {
        walked,
        build_input,
        overridden,
        root: PolicyRoot::new(policy),
    })
}

/// Runs every refs rule over a scan, applying the policy's levels (`rules:`, then `per_path`
/// for each file) and dropping what inline `tagman: ignore` markers silence. References that
/// are not pulls, and every reference of a build input, are counted as not checked.
pub fn check(scan: &Scan, policy: &Policy, catalog: &Catalog) -> Report {
    let codenames = expansion_codenames(policy, catalog);
    let mut report = Report::default();
    // What ships is a chart default as its overrides leave it: replaced defaults are not checked.
    let mut gone: std::collections::HashMap<usize, HashSet<usize>> =
        std::collections::HashMap::new();
    for o in &scan.overridden {
        gone.entry(o.file).or_default().insert(o.reference);
    }
    for (i, (file, build_input)) in scan.walked.files.iter().zip(&scan.build_input).enumerate() {
        if *build_input {
            let references = file.extracted.refs.iter().filter(|r| r.role != Role::Name);
            count(&mut report, "in build inputs (policy)", references.count());
            continue;
        }
        count_not_checked(&mut report, &file.extracted);
        let mut sink = Sink::new(policy);
        let from_root = scan.root.relative(&file.path);
        let mut paths = vec![file.relative.as_str()];
        paths.extend(from_root.as_deref());
        sink.enter_file(&paths);
        let shipped = gone.get(&i).map(|gone| {
            count(
                &mut report,
                "in chart defaults an override replaces",
                gone.len(),
            );
            let mut kept = file.extracted.clone();
            let mut index = 0;
            kept.refs.retain(|_| {
                index += 1;
                !gone.contains(&(index - 1))
            });
            kept
        });
        let tags_elsewhere = tags_elsewhere(scan, file);
        let ctx = rules::FileContext {
            source: &file.source,
            extracted: shipped.as_ref().unwrap_or(&file.extracted),
            catalog,
            codenames: &codenames,
            chart: file.chart.as_ref(),
            tags_elsewhere: &tags_elsewhere,
        };
        registry::run(rules::RULES, &ctx, &mut sink);
        let mut found = sink.finish();
        found.diagnostics.extend(capped(scan, file));
        drop_silenced(&mut found, file);
        report.extend(found);
    }
    report.files = usize::try_from(scan.walked.stats.files).unwrap_or(usize::MAX);
    report.sort();
    report
}

/// Where the tags of `file`'s references resolved from an override of only the repository are
/// written (the chart default's `tag:`), by the reference's span.
fn tags_elsewhere(scan: &Scan, file: &ScannedFile) -> Vec<(Span, tagman_diag::diagnostic::Label)> {
    let overrides = file
        .role
        .as_ref()
        .is_some_and(|r| r.kind == helm::OriginKind::Override);
    if !overrides {
        return Vec::new();
    }
    let here = file.source.name();
    let mut out = Vec::new();
    for o in scan.overridden.iter().filter(|o| o.by.file.name() == here) {
        let Some(label) = &o.tag_at else { continue };
        // The reference read at the override (see `helm::place_resolved`).
        let at = o.by.span;
        let read =
            file.extracted.refs.iter().filter(|r| {
                r.tag_elsewhere && r.span.offset <= at.end() && at.offset <= r.span.end()
            });
        out.extend(read.map(|r| (r.span, label.clone())));
    }
    out
}

/// Counts a file's references that are not pulls (comments, docs, builds, templates) and its
/// lines too long to scan, as not checked.
fn count_not_checked(report: &mut Report, extracted: &extract::Extracted) {
    for r in &extracted.refs {
        if let Some(reason) = r.role.not_checked() {
            count(report, reason, 1);
        }
    }
    count(report, "on lines too long to scan", extracted.long_lines);
}

/// Drops the findings an inline `tagman: ignore` marker of `file` silences.
fn drop_silenced(found: &mut Report, file: &walk::ScannedFile) {
    if found.diagnostics.is_empty() {
        return;
    }
    let kind = extract::FileKind::of(&file.relative);
    let markers = extract::syntax::suppressions(file.source.text(), kind);
    found.diagnostics.retain(|d| {
        let at = d.finding.primary.span.offset;
        !markers.iter().any(|m| m.silences(at, d.code(), d.name()))
    });
}

/// The TM000 standing for the references the walk did not keep of `file` (over
/// [`walk::KeepCaps::refs_per_file`]): an error, as what they would find is unknown.
fn capped(scan: &Scan, file: &ScannedFile) -> Option<tagman_diag::diagnostic::Diagnostic> {
    use tagman_diag::diagnostic::{Diagnostic, Finding, Label};
    let name = file.source.name();
    let i = scan
        .walked
        .capped
        .binary_search_by(|c| c.name.as_str().cmp(name))
        .ok()?;
    let capped = scan.walked.capped.get(i)?;
    let last = |refs: &[extract::ImageRef]| refs.last().map(|r| r.span);
    let at = last(&file.extracted.refs)
        .max(last(&file.unmanaged))
        .unwrap_or(tagman_core::Span::new(0, 0));
    let counted = match capped.left_out {
        0 => String::new(),
        n => format!(" ({n} more mention(s) of managed images)"),
    };
    Some(Diagnostic {
        rule: &tagman_diag::sink::LIMIT,
        severity: tagman_core::Severity::Error,
        finding: Finding::new(
            Label::new(&file.source, at),
            format!(
                "… and the rest of this file after this one is not read{counted}: the first {} references are kept",
                capped.kept
            ),
        )
        .help("a file with this many image references is generated or hostile; check it as a whole, or split it"),
    })
}

fn count(report: &mut Report, reason: &'static str, n: usize) {
    if n > 0 {
        *report.not_checked.entry(reason).or_default() += n;
    }
}
