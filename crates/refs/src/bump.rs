//! `--bump NAME=TAG`: move every reference to an image to a declared tag, changing nothing but the
//! tag bytes (line endings, quoting, mirror prefixes and everything else stay as they were).

use std::path::{Path, PathBuf};

use tagman_core::reference::is_valid_tag;
use tagman_core::write::Target;
use tagman_core::{ImageName, SourceFile, Span};
use tagman_lint::diagnostic::Label;

use crate::catalog::Catalog;
use crate::error::RefsError;
use crate::extract::{TagRef, CODENAME_PLACEHOLDER};
use crate::unified_diff;
use crate::Scan;

/// A parsed `NAME=TAG`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BumpSpec {
    /// The image, canonical.
    pub name: ImageName,
    /// The tag to move to.
    pub tag: String,
}

impl BumpSpec {
    /// Parses `docker.io/starlingx/x=stx.9.0-v1.0` (also `NAME:TAG`).
    pub fn parse(spec: &str) -> Result<Self, RefsError> {
        let bad = |reason: &str| RefsError::BumpSpec {
            spec: spec.to_owned(),
            reason: reason.to_owned(),
        };
        let (name, tag) = match spec.split_once('=') {
            Some(pair) => pair,
            None => {
                let slash = spec.rfind('/').map_or(0, |i| i + 1);
                let colon = spec[slash..]
                    .find(':')
                    .ok_or_else(|| bad("expected NAME=TAG"))?;
                (&spec[..slash + colon], &spec[slash + colon + 1..])
            }
        };
        let name = ImageName::parse(name).map_err(|e| bad(&e.to_string()))?;
        if !is_valid_tag(tag) {
            return Err(bad(&format!(
                "`{tag}` is not a valid tag: 1 to 128 of [A-Za-z0-9_.-], not starting with `.` or `-`"
            )));
        }
        Ok(Self {
            name,
            tag: tag.to_owned(),
        })
    }
}

/// Why a reference to the image was left as it is.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// Pinned by digest: changing the tag would contradict it.
    Digest,
    /// The tag holds a placeholder; the template is left to its author.
    Placeholder(String),
    /// The file is a build input, whose floating tags the build replaces.
    BuildInput,
    /// `repository:` with no sibling `tag:` key: there is no tag to change.
    SplitWithoutTag,
    /// The tag holds `@OS_CODENAME@` but the new tag ends in none of the policy's codenames.
    NoCodename,
    /// The tag holds `@OS_CODENAME@` and the new tag is not declared for every codename.
    UndeclaredExpansions(Vec<String>),
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Digest => write!(f, "pinned by digest"),
            Self::Placeholder(p) => write!(f, "the tag holds the placeholder `{p}`"),
            Self::BuildInput => write!(f, "the file is a build input"),
            Self::SplitWithoutTag => write!(f, "`repository:` without a sibling `tag:` key"),
            Self::NoCodename => write!(
                f,
                "the tag holds `{CODENAME_PLACEHOLDER}` and the new tag ends in none of the policy's codenames"
            ),
            Self::UndeclaredExpansions(missing) => write!(
                f,
                "the tag holds `{CODENAME_PLACEHOLDER}` and no manifest declares {}",
                missing.join(", ")
            ),
        }
    }
}

/// A reference to the image that the bump leaves alone.
#[derive(Clone, Debug)]
pub struct Skipped {
    /// Where it is.
    pub label: Label,
    /// Why.
    pub reason: SkipReason,
}

/// The new text of one file.
#[derive(Clone, Debug)]
pub struct FileEdit {
    /// The file.
    pub path: PathBuf,
    /// Its text as scanned.
    pub before: SourceFile,
    /// Its text after the bump.
    pub after: String,
    /// The spans of `before` that were replaced (tags) or inserted at (`:TAG` after a bare name).
    pub changes: Vec<Span>,
}

impl FileEdit {
    /// The unified diff of the edit.
    pub fn unified_diff(&self) -> String {
        unified_diff::unified(self.before.name(), self.before.text(), &self.after)
    }

    /// Where the new text goes: the file resolved through any symlinks, refused when outside
    /// `scope`.
    pub fn target(&self, scope: &WriteScope) -> Result<Target, RefsError> {
        let target = Target::resolve(&self.path)?;
        if !scope.allows(&target.resolved) {
            return Err(RefsError::SymlinkOutside {
                path: self.path.clone(),
                target: target.resolved,
            });
        }
        Ok(target)
    }

    /// Writes the new text to `target` through the one safe write, refusing if the file changed
    /// since it was scanned (the link, if any, stays a link).
    pub fn write_to(&self, target: &Target) -> Result<(), RefsError> {
        let current = std::fs::read(&target.resolved).map_err(|source| RefsError::Io {
            action: "read",
            path: target.resolved.clone(),
            source,
        })?;
        if current != self.before.text().as_bytes() {
            return Err(RefsError::Changed {
                path: self.path.clone(),
            });
        }
        target.write(self.after.as_bytes())?;
        Ok(())
    }

    /// [`FileEdit::target`] then [`FileEdit::write_to`]: one file's bump on its own.
    pub fn write(&self, scope: &WriteScope) -> Result<(), RefsError> {
        self.write_to(&self.target(scope)?)
    }
}

/// Writes every edit, after resolving them all: a target outside `scope` stops the bump before
/// any file is written. Two paths to one file (a symlink beside its target) write it once.
pub fn write_all(edits: &[FileEdit], scope: &WriteScope) -> Result<(), RefsError> {
    let mut targets = Vec::with_capacity(edits.len());
    for edit in edits {
        let target = edit.target(scope)?;
        if !targets
            .iter()
            .any(|(_, t): &(_, Target)| t.resolved == target.resolved)
        {
            targets.push((edit, target));
        }
    }
    for (edit, target) in &targets {
        edit.write_to(target)?;
    }
    Ok(())
}

/// Where a bump may write: inside the scanned tree, unless symlinks may lead out of it.
#[derive(Clone, Debug)]
pub struct WriteScope {
    roots: Vec<PathBuf>,
    follow_symlinks: bool,
}

impl WriteScope {
    /// The tree of the scanned `paths`, resolved: a directory is a tree, a named file stands for
    /// its directory (so a named file that links elsewhere leads out of it). With
    /// `follow_symlinks`, any target is allowed.
    pub fn new(paths: &[PathBuf], follow_symlinks: bool) -> Self {
        let roots = paths
            .iter()
            .filter_map(|path| {
                let dir = if path.is_dir() {
                    path.as_path()
                } else {
                    match path.parent() {
                        Some(p) if !p.as_os_str().is_empty() => p,
                        _ => Path::new("."),
                    }
                };
                std::fs::canonicalize(dir).ok()
            })
            .collect();
        Self {
            roots,
            follow_symlinks,
        }
    }

    /// Whether `resolved` (a canonical path) may be written.
    pub fn allows(&self, resolved: &Path) -> bool {
        self.follow_symlinks || self.roots.iter().any(|root| resolved.starts_with(root))
    }
}

/// What a bump would do.
#[derive(Clone, Debug, Default)]
pub struct BumpPlan {
    /// Files to rewrite, by path.
    pub edits: Vec<FileEdit>,
    /// References left alone, and why.
    pub skipped: Vec<Skipped>,
    /// References to the image found (changed, already at the tag, or skipped).
    pub references: usize,
    /// References already at the tag.
    pub already: usize,
}

/// Plans the bump of `spec` over a scan; refuses a tag no manifest declares for the image.
///
/// A tag templated with `@OS_CODENAME@` stays templated: `stx.13.0-v1.0.7-@OS_CODENAME@` bumped to
/// `stx.13.0-v1.0.8-trixie` becomes `stx.13.0-v1.0.8-@OS_CODENAME@`, provided the manifests
/// declare the new tag for every one of `codenames`.
pub fn plan(
    scan: &Scan,
    spec: &BumpSpec,
    catalog: &Catalog,
    codenames: &[String],
) -> Result<BumpPlan, RefsError> {
    if catalog.find(&spec.name, &spec.tag).is_none() {
        return Err(RefsError::UndeclaredTag {
            name: spec.name.to_string(),
            tag: spec.tag.clone(),
            declared: catalog
                .tags_for(&spec.name)
                .iter()
                .map(|d| d.tag.clone())
                .collect(),
        });
    }
    let mut out = BumpPlan::default();
    for (file, build_input) in scan.walked.files.iter().zip(&scan.build_input) {
        let mut replacements: Vec<(Span, String)> = Vec::new();
        // Compare canonical names: `starlingx/x` and `docker.io/starlingx/x` are one image.
        let same = |r: &&crate::ImageRef| {
            r.name.registry() == spec.name.registry()
                && r.name.repository() == spec.name.repository()
        };
        for reference in file.extracted.refs.iter().filter(same) {
            out.references += 1;
            let skip = |reason| Skipped {
                label: Label::new(&file.source, reference.span),
                reason,
            };
            if *build_input {
                out.skipped.push(skip(SkipReason::BuildInput));
                continue;
            }
            if reference.digest.is_some() {
                out.skipped.push(skip(SkipReason::Digest));
                continue;
            }
            match &reference.tag {
                Some(tag) if !tag.placeholders.is_empty() => {
                    match templated_target(tag, spec, catalog, codenames) {
                        Ok(new) if new == tag.text => out.already += 1,
                        Ok(new) => replacements.push((tag.span, new)),
                        Err(reason) => out.skipped.push(skip(reason)),
                    }
                }
                Some(tag) if tag.text == spec.tag => out.already += 1,
                Some(tag) => replacements.push((tag.span, spec.tag.clone())),
                None if reference.repository_key => {
                    out.skipped.push(skip(SkipReason::SplitWithoutTag));
                }
                None => replacements.push((
                    Span::new(reference.name_span.end(), 0),
                    format!(":{}", spec.tag),
                )),
            }
        }
        if replacements.is_empty() {
            continue;
        }
        // Two references can share a split-form `tag:` value: replace it once.
        replacements.sort_by_key(|(span, _)| *span);
        replacements.dedup_by_key(|(span, _)| *span);
        let text = file.source.text();
        let mut after = String::with_capacity(text.len() + 64);
        let mut at = 0;
        for (span, new) in &replacements {
            after.push_str(&text[at..span.offset]);
            after.push_str(new);
            at = span.end();
        }
        after.push_str(&text[at..]);
        out.edits.push(FileEdit {
            path: file.path.clone(),
            before: file.source.clone(),
            after,
            changes: replacements.into_iter().map(|(span, _)| span).collect(),
        });
    }
    Ok(out)
}

/// The new text of a tag templated with `@OS_CODENAME@`, or why it is left alone.
fn templated_target(
    tag: &TagRef,
    spec: &BumpSpec,
    catalog: &Catalog,
    codenames: &[String],
) -> Result<String, SkipReason> {
    if let Some(p) = tag.placeholders.iter().find(|p| !p.is_expandable()) {
        return Err(SkipReason::Placeholder(p.text.clone()));
    }
    let stem = codenames
        .iter()
        .find_map(|c| spec.tag.strip_suffix(c.as_str())?.strip_suffix('-'))
        .ok_or(SkipReason::NoCodename)?;
    let templated = format!("{stem}-{CODENAME_PLACEHOLDER}");
    let missing: Vec<String> = codenames
        .iter()
        .map(|c| format!("{stem}-{c}"))
        .filter(|t| catalog.find(&spec.name, t).is_none())
        .collect();
    if missing.is_empty() {
        Ok(templated)
    } else {
        Err(SkipReason::UndeclaredExpansions(missing))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs() {
        let s = BumpSpec::parse("docker.io/starlingx/dex=stx.4.0-v2.14.0-1").unwrap();
        assert_eq!(s.name.to_string(), "docker.io/starlingx/dex");
        assert_eq!(s.tag, "stx.4.0-v2.14.0-1");
        let s = BumpSpec::parse("registry.local:9001/x/y:stx.9.0-v1").unwrap();
        assert_eq!(s.name.to_string(), "registry.local:9001/x/y");
        assert!(BumpSpec::parse("docker.io/starlingx/dex").is_err());
        assert!(BumpSpec::parse("docker.io/starlingx/dex=").is_err());
        assert!(BumpSpec::parse("docker.io/starlingx/dex=-x").is_err());
        assert!(BumpSpec::parse("docker.io/starlingx/dex:1=2").is_err());
    }
}
