//! `--bump NAME=TAG`: move every reference to an image to a declared tag, changing nothing but the
//! tag bytes (line endings, quoting, mirror prefixes and everything else stay as they were).
//!
//! Only references something pulls are moved: the tag token of `name:tag`, or the tag half of a
//! split pair (`repository:`+`tag:`, `image_name`+`image_tag`). `:TAG` is appended to a bare name
//! only where the whole reference is consumed as written (an `image:` value in a data file, a
//! Dockerfile `FROM`, a `pull`/`run` argument), never to a name in code, whose tag may be added
//! elsewhere. Comments, documentation, images being built and build templates are left alone,
//! each with the reason.

use std::path::{Path, PathBuf};

use tagman_core::reference::is_valid_tag;
use tagman_core::write::Target;
use tagman_core::{ImageName, SourceFile, Span};
use tagman_diag::diagnostic::Label;

use crate::catalog::Catalog;
use crate::codename::{self, FileBuild, SharedByCodenames};
use crate::debian_rules::{self, RulesFill};
use crate::error::RefsError;
use crate::extract::{Role, TagRef, CODENAME_PLACEHOLDER};
use crate::helm::{BumpAs, Moved};
use crate::unified_diff;
use crate::walk::ScannedFile;
use crate::Scan;

/// A parsed `NAME=TAG`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BumpSpec {
    /// The image, canonical.
    pub name: ImageName,
    /// The name as written (`stx-ceph-manager` for a short name).
    pub written: String,
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
        let written = name;
        let name = ImageName::parse(name).map_err(|e| bad(&e.to_string()))?;
        if !is_valid_tag(tag) {
            return Err(bad(&format!(
                "`{tag}` is not a valid tag: 1 to 128 of [A-Za-z0-9_.-], not starting with `.` or `-`"
            )));
        }
        Ok(Self {
            name,
            written: written.to_owned(),
            tag: tag.to_owned(),
        })
    }

    /// The spec with its name resolved against what the manifests declare: a short name
    /// (`stx-ceph-manager`, `starlingx/x`) means the one declared image whose path ends with it.
    pub fn resolve(self, catalog: &Catalog) -> Result<Self, RefsError> {
        if !catalog.tags_for(&self.name).is_empty() || self.written.contains('.') {
            return Ok(self);
        }
        let suffix = format!("/{}", self.written);
        let candidates: Vec<&str> = catalog
            .names()
            .into_iter()
            .filter(|n| n.ends_with(&suffix))
            .collect();
        match candidates.as_slice() {
            // A short name no declared image ends with: not Docker Hub's `library/`, but the
            // declared names that come closest.
            [] if !self.written.contains(['.', ':']) => Err(RefsError::UnknownName {
                candidates: closest_names(catalog, &self.written),
                name: self.written,
            }),
            [] => Ok(self),
            [one] => Ok(Self {
                name: ImageName::parse(one).map_err(|e| RefsError::BumpSpec {
                    spec: self.written.clone(),
                    reason: e.to_string(),
                })?,
                ..self
            }),
            many => Err(RefsError::AmbiguousName {
                name: self.written.clone(),
                candidates: many.iter().map(|c| (*c).to_owned()).collect(),
            }),
        }
    }
}

/// Up to five declared names whose last path component comes closest to `written`'s (edit
/// distance at most half its length, or one contains the other), closest first.
fn closest_names(catalog: &Catalog, written: &str) -> Vec<String> {
    let want = written.rsplit('/').next().unwrap_or(written);
    let mut scored: Vec<(usize, &str)> = catalog
        .names()
        .into_iter()
        .filter_map(|n| {
            let last = n.rsplit('/').next().unwrap_or(n);
            let d = edit_distance(want, last);
            let near = d <= want.len().max(2) / 2 || last.contains(want) || want.contains(last);
            near.then_some((d, n))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(5)
        .map(|(_, n)| n.to_owned())
        .collect()
}

/// Levenshtein distance over bytes (names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, &x) in a.as_bytes().iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &y) in b.iter().enumerate() {
            let next = (row[j + 1] + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(x != y));
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
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
    /// A name without a tag in code (a variable): its tag may be added elsewhere.
    BareInCode,
    /// The sibling `tag:` is empty: Helm takes the chart's `appVersion`.
    EmptyTag,
    /// Not a pull (a comment, documentation, an image being built, a build template).
    NotPulled(Role),
    /// The tag holds `@OS_CODENAME@` but the new tag ends in none of the policy's codenames.
    NoCodename,
    /// The tag holds `@OS_CODENAME@` and the new tag is not declared for every codename.
    UndeclaredExpansions(Vec<String>),
    /// A chart default whose repository an override replaces: its `tag:` is the tag of the
    /// image it ships as, so it moves only with that image.
    RepositoryOverridden(String),
    /// The image an override of only the repository ships takes its tag from another override
    /// file, which does not name the image: edit the tag there.
    TagElsewhere,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Digest => write!(f, "pinned by digest"),
            Self::Placeholder(p) => write!(f, "the tag holds the placeholder `{p}`"),
            Self::BuildInput => write!(f, "the file is a build input"),
            Self::SplitWithoutTag => write!(f, "`repository:` without a sibling `tag:` key"),
            Self::BareInCode => write!(
                f,
                "a name without a tag, whose tag may be added elsewhere (a variable, a `*_image` key): `:TAG` is not appended"
            ),
            Self::EmptyTag => write!(
                f,
                "the `tag:` is empty, so Helm uses the chart's appVersion: bump it in Chart.yaml"
            ),
            Self::NotPulled(role) => f.write_str(match role {
                Role::Comment => "in a comment",
                Role::Documentation => "in documentation",
                Role::BuildTarget => "an image being built or pushed here",
                Role::BuiltHere => "an image built in this file",
                Role::BuildTemplate => "a tag the package build fills in",
                Role::Name => "a name in code",
                Role::Pull => "pulled",
            }),
            Self::NoCodename => write!(
                f,
                "the tag holds `{CODENAME_PLACEHOLDER}` and the new tag ends in none of the policy's codenames"
            ),
            Self::UndeclaredExpansions(missing) => write!(
                f,
                "the tag holds `{CODENAME_PLACEHOLDER}` and no manifest declares {}",
                missing.join(", ")
            ),
            Self::RepositoryOverridden(ships_as) => write!(
                f,
                "an override replaces this repository, so this `tag:` is the tag of `{ships_as}`: bump that image"
            ),
            Self::TagElsewhere => write!(
                f,
                "the override sets only the repository; its tag is written in another override file"
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
    /// The path its diff names: as walked when relative, else relative to the scanned path.
    pub label: String,
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
        unified_diff::unified(&self.label, self.before.text(), &self.after)
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
    /// since it was scanned (the link, if any, stays a link). The check reads the file and the
    /// write replaces it in one directory held open: a directory on the path swapped for a
    /// symlink since the target was resolved fails both, naming the path.
    pub fn write_to(&self, target: &Target) -> Result<(), RefsError> {
        let opened = target.open()?;
        let before = self.before.text().as_bytes();
        // One byte more than the scanned text tells a longer file from an equal one.
        let current = opened.read(before.len() as u64 + 1)?;
        if current != before {
            return Err(RefsError::Changed {
                path: self.path.clone(),
            });
        }
        opened.replace(self.after.as_bytes())?;
        Ok(())
    }

    /// [`FileEdit::target`] then [`FileEdit::write_to`]: one file's bump on its own.
    pub fn write(&self, scope: &WriteScope) -> Result<(), RefsError> {
        self.write_to(&self.target(scope)?)
    }
}

/// Writes every edit, after resolving them all: a target outside `scope` stops the bump before
/// any file is written. Two paths to one file (a symlink beside its target) write it once.
/// Temp files a killed earlier run left in the directories written are removed first. Each
/// target is resolved again just before its write, and written through its directory reached
/// again from `/` without following a symlink ([`Target::open`]): a directory swapped for a
/// symlink during a long bump fails that write and never leads it out of the tree. A failure
/// midway names the files already written.
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
    clean_stale_temps(&targets)?;
    let mut written = Vec::new();
    for (edit, target) in &targets {
        let result = edit
            .target(scope)
            .and_then(|now| same_target(edit, target, &now))
            .and_then(|()| edit.write_to(target));
        if let Err(error) = result {
            if written.is_empty() {
                return Err(error);
            }
            return Err(RefsError::BumpIncomplete {
                written,
                error: Box::new(error),
            });
        }
        written.push(target.named.clone());
    }
    Ok(())
}

/// An error unless `now` (the target resolved again) is the file `planned` resolved to.
fn same_target(edit: &FileEdit, planned: &Target, now: &Target) -> Result<(), RefsError> {
    if now.resolved == planned.resolved {
        return Ok(());
    }
    Err(RefsError::SymlinkOutside {
        path: edit.path.clone(),
        target: now.resolved.clone(),
    })
}

/// Removes the safe write's temp files left by a killed run in each directory to be written.
fn clean_stale_temps(targets: &[(&FileEdit, Target)]) -> Result<(), RefsError> {
    let mut dirs: Vec<&Path> = targets
        .iter()
        .filter_map(|(_, t)| t.resolved.parent())
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    for dir in dirs {
        tagman_core::write::clean_stale(dir)?;
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
    /// The tags written, each once, in the order first written (one codename's tag, or the
    /// placeholder form `<stem>-@OS_CODENAME@`, can stand for the tag asked for).
    pub written: Vec<String>,
    /// Package rules taught to fill in `@OS_CODENAME@` in a file the bump writes the
    /// placeholder form in; their edits are among [`BumpPlan::edits`].
    pub fills: Vec<RulesFill>,
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
    let moved = Moved::of(&scan.walked.files, &scan.overridden);
    for (i, (file, build_input)) in scan.walked.files.iter().zip(&scan.build_input).enumerate() {
        let names = moved.names(i, file);
        let replacements = file_replacements(
            file,
            &names,
            *build_input,
            spec,
            catalog,
            codenames,
            &mut out,
        )?;
        // A reference to move inside a package or tarball: what ships is rebuilt, not edited.
        if file.in_archive && !replacements.is_empty() {
            return Err(crate::archive::ArchiveError::Bump {
                archive: file.source.name().to_owned(),
            }
            .into());
        }
        if let Some(edit) = apply(file, replacements) {
            out.edits.push(edit);
        }
    }
    out.fills = debian_rules::merge(std::mem::take(&mut out.fills));
    for fill in &out.fills {
        out.edits.push(debian_rules::edit(fill)?);
    }
    Ok(out)
}

/// The replacements in one file (span, new text), recording skipped and unchanged references.
/// `names` holds, per reference, the image it is bumped as (see [`Moved::names`]).
fn file_replacements(
    file: &ScannedFile,
    names: &[Result<&ImageName, BumpAs<'_>>],
    build_input: bool,
    spec: &BumpSpec,
    catalog: &Catalog,
    codenames: &[String],
    out: &mut BumpPlan,
) -> Result<Vec<(Span, String)>, RefsError> {
    let mut replacements = Vec::new();
    let mut literal = None;
    for (reference, name) in file.extracted.refs.iter().zip(names) {
        let skip = |reason| Skipped {
            label: Label::new(&file.source, reference.span),
            reason,
        };
        // Compare canonical names: `starlingx/x` and `docker.io/starlingx/x` are one image.
        let edit = match *name {
            Ok(name) if *name == spec.name => {
                edit_for(reference, build_input, spec, catalog, codenames)
            }
            Err(BumpAs::Moved(_, ships_as)) if *ships_as == spec.name => {
                edit_for(reference, build_input, spec, catalog, codenames)
            }
            Err(BumpAs::Moved(own, ships_as)) if *own == spec.name => {
                Edit::Skip(SkipReason::RepositoryOverridden(ships_as.to_string()))
            }
            Err(BumpAs::Elsewhere(own)) if *own == spec.name => {
                Edit::Skip(SkipReason::TagElsewhere)
            }
            _ => continue,
        };
        out.references += 1;
        // A literal tag in a file shared by codenames: the codename-aware choice decides.
        let edit = match edit {
            Edit::Replace(span, new) if new.ends_with(&spec.tag) => {
                let tag = match &literal {
                    Some(tag) => tag,
                    None => {
                        let (tag, fill) = tag_in_file(file, build_input, spec, catalog, codenames)?;
                        out.fills.extend(fill);
                        literal.insert(tag)
                    }
                };
                let text = new.replacen(&spec.tag, tag, 1);
                let written = &file.source.text()[span.offset..span.end()];
                if written == text {
                    Edit::Already
                } else {
                    Edit::Replace(span, text)
                }
            }
            other => other,
        };
        match edit {
            Edit::Replace(span, new) => {
                let tag = new.trim_start_matches(':');
                if !out.written.iter().any(|w| w == tag) {
                    out.written.push(tag.to_owned());
                }
                replacements.push((span, new));
            }
            Edit::Already => out.already += 1,
            Edit::Skip(reason) => out.skipped.push(skip(reason)),
        }
    }
    Ok(replacements)
}

/// The tag `--bump` writes in `file` for `spec`: [`codename::tag_for_file`] with what the file
/// is to the codenames (its path, its text, the policy's build inputs, its package's build
/// rules). A file shared by several codenames that a package builds from its sources gets the
/// placeholder form and its package's rules the fill-in ([`debian_rules`]); it is refused when
/// nothing can fill the codename in.
fn tag_in_file(
    file: &ScannedFile,
    build_input: bool,
    spec: &BumpSpec,
    catalog: &Catalog,
    codenames: &[String],
) -> Result<(String, Option<RulesFill>), RefsError> {
    let mut build = FileBuild::of(&file.relative, file.source.text(), codenames, build_input);
    let mut fill = None;
    if !build.fills_codename && build.codename.is_none() && !file.in_archive {
        build.fills_codename = codename::build_rules_fill(&file.path);
        if !build.fills_codename {
            fill = debian_rules::rules_for(&file.path).map(|mut f| {
                f.label = label_beside(file, &f.rules);
                f
            });
            build.fills_codename = fill.is_some();
        }
    }
    match codename::tag_for_file(catalog, &spec.name, &spec.tag, &build, codenames) {
        Ok(codename::TagChoice::Placeholder(tag)) => Ok((tag, fill)),
        Ok(codename::TagChoice::Literal(tag)) => Ok((tag, None)),
        Err(SharedByCodenames { release }) => Err(RefsError::SharedByCodenames {
            name: spec.name.to_string(),
            file: file.relative.clone(),
            placeholder: release.placeholder(),
            declared: release.tags,
        }),
    }
}

/// What to do with one reference to the image.
enum Edit {
    Replace(Span, String),
    Already,
    Skip(SkipReason),
}

fn edit_for(
    reference: &crate::ImageRef,
    build_input: bool,
    spec: &BumpSpec,
    catalog: &Catalog,
    codenames: &[String],
) -> Edit {
    if build_input {
        return Edit::Skip(SkipReason::BuildInput);
    }
    match reference.role {
        Role::Pull => {}
        Role::Name => return Edit::Skip(SkipReason::BareInCode),
        role => return Edit::Skip(SkipReason::NotPulled(role)),
    }
    if reference.digest.is_some() {
        return Edit::Skip(SkipReason::Digest);
    }
    match &reference.tag {
        Some(tag) if tag.empty => Edit::Skip(SkipReason::EmptyTag),
        Some(tag) if !tag.placeholders.is_empty() => {
            match templated_target(tag, spec, catalog, codenames) {
                Ok(new) if new == tag.text => Edit::Already,
                Ok(new) => Edit::Replace(tag.span, new),
                Err(reason) => Edit::Skip(reason),
            }
        }
        Some(tag) if tag.text == spec.tag => Edit::Already,
        Some(tag) => Edit::Replace(tag.span, spec.tag.clone()),
        None if reference.repository_key => Edit::Skip(SkipReason::SplitWithoutTag),
        None if !reference.appendable => Edit::Skip(SkipReason::BareInCode),
        None => Edit::Replace(
            Span::new(reference.name_span.end(), 0),
            format!(":{}", spec.tag),
        ),
    }
}

/// The file with `replacements` made, unless there are none.
fn apply(file: &ScannedFile, mut replacements: Vec<(Span, String)>) -> Option<FileEdit> {
    if replacements.is_empty() {
        return None;
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
    let label = if Path::new(file.source.name()).is_absolute() {
        file.relative.clone()
    } else {
        file.source.name().to_owned()
    };
    Some(FileEdit {
        path: file.path.clone(),
        label,
        before: file.source.clone(),
        after,
        changes: replacements.into_iter().map(|(span, _)| span).collect(),
    })
}

/// The label of `path`, a file near `file`, as [`apply`] labels `file`: as walked when that is
/// relative, else relative to the path `file` was found under.
fn label_beside(file: &ScannedFile, path: &Path) -> String {
    let root = file.path.ancestors().find(|a| {
        file.path
            .strip_prefix(a)
            .is_ok_and(|r| r == Path::new(&file.relative))
    });
    root.and_then(|r| path.strip_prefix(r).ok())
        .unwrap_or(path)
        .display()
        .to_string()
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
        let s = BumpSpec::parse("stx-ceph-manager=stx.13.0-v18.2.2-0").unwrap();
        assert_eq!(s.written, "stx-ceph-manager");
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("stx-oidc-clent", "stx-oidc-client"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("dex", "dex"), 0);
    }
}
