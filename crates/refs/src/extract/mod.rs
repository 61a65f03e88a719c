//! Finding image references to the managed namespaces in any text file, without parsing its format.
//!
//! A reference is found from a namespace hit (`starlingx/`, or a registry placeholder such as
//! `@PLATFORM_REGISTRY@/`) outward: left over the registry and an optional mirror prefix
//! (`registry.local:9001/docker.io/`), right over the repository path, an optional `:tag` (which
//! may hold placeholders) and an optional `@digest`; a split form (`repository:` + `tag:`,
//! `image_name` + `image_tag`) is joined back into one reference ([`split`]).
//!
//! Each reference then gets a [`Role`]: only pulls are checked. A reference in a comment or in
//! documentation, an image being built or pushed, one built earlier in the same file, and a tag
//! made only of build placeholders are kept (for counts, and so `--bump` can say why it leaves
//! them alone) but not checked. A name without a tag is kept only where something pulls it
//! ([`context`]): everywhere else it is just a name.
//!
//! The scan is linear in the text: the namespace automaton runs once, the line around a hit is
//! found incrementally, every look-around is bounded, and lines longer than [`MAX_LINE`] bytes
//! (minified or generated files) are skipped and counted.

use aho_corasick::{AhoCorasick, MatchKind};
use tagman_core::reference::{canonical_registry, DOCKER_HUB};
use tagman_core::{ImageName, Policy, Span};

use crate::error::RefsError;

mod context;
mod read;
mod split;
pub mod syntax;
mod token;

pub(crate) use context::{content_indent, squash};
pub use syntax::{FileKind, Suppression};

/// The placeholder that the codenames expand.
pub const CODENAME_PLACEHOLDER: &str = "@OS_CODENAME@";

/// Lines longer than this (minified or generated text) are not scanned.
pub const MAX_LINE: usize = 32 * 1024;

/// A managed namespace, split into its registry and the repository prefix under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Namespace {
    /// Canonical registry (`docker.io`).
    pub registry: String,
    /// Repository prefix (`starlingx/`); empty for a whole registry.
    pub path: String,
}

impl Namespace {
    /// Parses `docker.io/starlingx/`, `starlingx/` (Docker Hub implied) or `registry.example.com/`.
    pub fn parse(text: &str) -> Result<Self, RefsError> {
        let bad = || RefsError::Namespace {
            namespace: text.to_owned(),
        };
        let (first, rest) = text.split_once('/').unwrap_or((text, ""));
        let is_host = first.contains('.') || first.contains(':') || first == "localhost";
        let (registry, path) = if is_host {
            (canonical_registry(first).to_owned(), rest.to_owned())
        } else {
            (DOCKER_HUB.to_owned(), text.to_owned())
        };
        let path_ok = path
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-/".contains(&b));
        if registry.is_empty() || !path_ok || path.starts_with('/') {
            return Err(bad());
        }
        Ok(Self { registry, path })
    }

    /// Whether `name` lies in this namespace.
    pub fn contains(&self, name: &ImageName) -> bool {
        name.registry() == self.registry && name.repository().starts_with(&self.path)
    }
}

/// A placeholder inside a tag or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// Where it is written.
    pub span: Span,
    /// Its text (`@OS_CODENAME@`, `{{ .Values.tag }}`, `${TAG}`).
    pub text: String,
}

impl Placeholder {
    /// Whether the codenames expand it (only `@OS_CODENAME@`).
    pub fn is_expandable(&self) -> bool {
        self.text == CODENAME_PLACEHOLDER
    }

    /// Whether it is a package-build placeholder (`@IMAGE_PREFIX@`), which `sed` fills in
    /// when the package is built, rather than a template or shell variable.
    pub fn is_build(&self) -> bool {
        self.text.len() > 2 && self.text.starts_with('@') && self.text.ends_with('@')
    }
}

/// A tag as written, possibly with placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagRef {
    /// Where the tag is written (for the split form: the sibling key's value).
    pub span: Span,
    /// The tag text (empty when the sibling key has no value).
    pub text: String,
    /// Placeholders in it, in order.
    pub placeholders: Vec<Placeholder>,
    /// Whether it came from a sibling key (`tag:`, `image_tag =`) rather than `name:tag`.
    pub split: bool,
    /// The sibling tag key holds no value (`""`, `null`, `~`): Helm then uses the chart's
    /// `appVersion`.
    pub empty: bool,
}

/// What a tag stands for once the codenames are expanded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expansion {
    /// A tag without placeholders.
    Literal(String),
    /// One tag per codename.
    Codenames(Vec<String>),
    /// A placeholder that cannot be expanded (the first such one).
    Opaque(Placeholder),
}

impl TagRef {
    /// Expands `@OS_CODENAME@` over `codenames`; any other placeholder makes the tag opaque.
    pub fn expand(&self, codenames: &[String]) -> Expansion {
        if let Some(p) = self.placeholders.iter().find(|p| !p.is_expandable()) {
            return Expansion::Opaque(p.clone());
        }
        if self.placeholders.is_empty() {
            return Expansion::Literal(self.text.clone());
        }
        Expansion::Codenames(
            codenames
                .iter()
                .map(|c| self.text.replace(CODENAME_PLACEHOLDER, c))
                .collect(),
        )
    }

    /// Whether the tag is made only of package-build placeholders and separators
    /// (`@IMAGE_PREFIX@-@OS@-@OS_CODENAME@-@BUILD_STREAM@`): the package build writes it.
    pub fn is_build_template(&self) -> bool {
        if self.placeholders.is_empty() || !self.placeholders.iter().all(Placeholder::is_build) {
            return false;
        }
        let mut rest = self.text.clone();
        for p in &self.placeholders {
            rest = rest.replacen(&p.text, "", 1);
        }
        rest.bytes().all(|b| matches!(b, b'-' | b'.' | b'_'))
    }
}

/// What a reference is in its file; only [`Role::Pull`] is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Something pulls it: checked.
    Pull,
    /// In a comment or a docstring: an example for a reader.
    Comment,
    /// In a documentation file (`.md`, `.rst`, `.txt`): prose.
    Documentation,
    /// An image being built, tagged or pushed (`docker build -t`, `docker tag SRC DST`,
    /// `docker push`): made here, not pulled.
    BuildTarget,
    /// Built earlier in the same file (`docker build -t x`, then `docker run x`): not pulled.
    BuiltHere,
    /// Its tag is made only of package-build placeholders, filled in by the package build.
    BuildTemplate,
    /// A name without a tag held by a variable or key in code (`image_name = "starlingx/x"`):
    /// whatever pulls it adds the tag elsewhere. Not a reference; kept so `--bump` can say why
    /// it leaves it alone.
    Name,
}

impl Role {
    /// How the summary counts references of this role that are not checked.
    pub fn not_checked(self) -> Option<&'static str> {
        match self {
            Self::Pull => None,
            Self::Comment => Some("in comments"),
            Self::Documentation => Some("in documentation"),
            Self::BuildTarget | Self::BuiltHere => Some("built, not pulled"),
            Self::BuildTemplate => Some("in build-input templates"),
            Self::Name => None,
        }
    }
}

/// One image reference found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageRef {
    /// The whole reference as written, mirror prefix included (the split form's tag is not).
    pub span: Span,
    /// The registry-mirror prefix (`registry.local:9001/`), if any.
    pub mirror: Option<Span>,
    /// The image name as written, without the mirror (`docker.io/starlingx/x`).
    pub name_span: Span,
    /// The canonical image name.
    pub name: ImageName,
    /// The tag, if any.
    pub tag: Option<TagRef>,
    /// The digest, if any.
    pub digest: Option<Span>,
    /// Whether it is the value of a `repository:`/`name:` key (Helm's and kustomize's split
    /// form), so its tag, if any, lives in a sibling key.
    pub repository_key: bool,
    /// What it is in its file.
    pub role: Role,
    /// Whether `:TAG` may be appended to it as written: a bare name where the whole reference is
    /// consumed (an `image:` value in a data file, a Dockerfile `FROM`, a `pull`/`run` argument).
    pub appendable: bool,
    /// The tag is written in another file: an override that sets only the repository keeps the
    /// chart default's `tag:` (see [`crate::helm`]). `tag` then holds that tag's text, placed at
    /// this reference (where it is judged); an edit of the tag belongs where it is written.
    pub tag_elsewhere: bool,
}

/// Something that starts like a managed reference but cannot be read as one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unreadable {
    /// The reference as far as it could be read.
    pub span: Span,
    /// The placeholder that stops it.
    pub placeholder: Placeholder,
}

/// Every reference in one text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    /// References, in file order, whatever their role.
    pub refs: Vec<ImageRef>,
    /// References outside comments whose image name holds a placeholder.
    pub templated_names: Vec<Unreadable>,
    /// Lines over [`MAX_LINE`] bytes that mention a managed namespace and were not scanned.
    pub long_lines: usize,
    /// Where reading stopped at its limit ([`Matcher::extract_file_upto`]): the end of the last
    /// reference read.
    pub stopped_at: Option<usize>,
    /// Mentions of managed names after [`Extracted::stopped_at`]: counted, not read.
    pub more: usize,
}

impl Extracted {
    /// The references something pulls: what the rules check.
    pub fn pulls(&self) -> impl Iterator<Item = &ImageRef> {
        self.refs.iter().filter(|r| r.role == Role::Pull)
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.refs.is_empty() && self.templated_names.is_empty() && self.long_lines == 0
    }
}

/// The compiled namespaces and registry placeholders: a prefilter plus what each pattern means.
///
/// Namespaces and placeholders are two automata: with a single pattern each (the usual case),
/// each searches like `memmem` on its rarest bytes, where one automaton for both would check
/// every `s` of the text (`starlingx/`, `@PLATFORM_REGISTRY@/`): several times slower.
#[derive(Clone, Debug)]
pub struct Matcher {
    namespaces_ac: AhoCorasick,
    /// Per namespace pattern: the namespace index and whether the pattern includes its registry.
    needles: Vec<(usize, bool)>,
    namespaces: Vec<Namespace>,
    /// Registry placeholders (`@PLATFORM_REGISTRY@/`), and the name prefix each stands for.
    placeholders_ac: Option<AhoCorasick>,
    values: Vec<String>,
}

impl Matcher {
    /// Compiles `managed_namespaces`, without registry placeholders.
    pub fn new(namespaces: &[String]) -> Result<Self, RefsError> {
        Self::with_placeholders(namespaces, &[])
    }

    /// Compiles the policy's `managed_namespaces` and `placeholders`.
    pub fn from_policy(policy: &Policy) -> Result<Self, RefsError> {
        Self::with_placeholders(&policy.managed_namespaces, &policy.placeholders)
    }

    /// Compiles `namespaces`, and `placeholders` (placeholder, the registry/namespace it stands
    /// for) so that `@PLATFORM_REGISTRY@/stx-x` reads as `docker.io/starlingx/stx-x`.
    pub fn with_placeholders(
        namespaces: &[String],
        placeholders: &[(String, String)],
    ) -> Result<Self, RefsError> {
        let namespaces = namespaces
            .iter()
            .map(|n| Namespace::parse(n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut patterns = Vec::new();
        let mut needles = Vec::new();
        for (index, ns) in namespaces.iter().enumerate() {
            let with_registry = ns.path.is_empty();
            patterns.push(if with_registry {
                format!("{}/", ns.registry)
            } else {
                ns.path.clone()
            });
            needles.push((index, with_registry));
        }
        let placeholders_ac = if placeholders.is_empty() {
            None
        } else {
            Some(automaton(
                placeholders.iter().map(|(p, _)| format!("{p}/")),
            )?)
        };
        Ok(Self {
            namespaces_ac: automaton(patterns)?,
            needles,
            namespaces,
            placeholders_ac,
            values: placeholders
                .iter()
                .map(|(_, v)| v.trim_end_matches('/').to_owned())
                .collect(),
        })
    }

    /// The namespaces matched.
    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }

    /// The prefilter: whether `bytes` mention a managed namespace or a registry placeholder.
    pub fn is_candidate(&self, bytes: &[u8]) -> bool {
        self.namespaces_ac.is_match(bytes)
            || self
                .placeholders_ac
                .as_ref()
                .is_some_and(|p| p.is_match(bytes))
    }

    /// Mentions of a managed namespace or a registry placeholder in `text`.
    fn mentions(&self, text: &str) -> usize {
        self.namespaces_ac.find_iter(text).count()
            + self
                .placeholders_ac
                .as_ref()
                .map_or(0, |p| p.find_iter(text).count())
    }

    /// Every reference in `text`, a file of unknown kind.
    pub fn extract(&self, text: &str) -> Extracted {
        self.extract_as(text, FileKind::Unknown)
    }

    /// Every reference in `text`, the file `name` (its name decides its kind).
    pub fn extract_file(&self, name: &str, text: &str) -> Extracted {
        self.extract_as(text, FileKind::of(name))
    }

    /// The first `limit` references in `text`, a file named `name`; what follows the last of them
    /// is only counted, as mentions of managed names ([`Extracted::more`]). A file of millions of
    /// references costs a search, not millions of parsed references.
    pub fn extract_file_upto(&self, name: &str, text: &str, limit: usize) -> Extracted {
        self.extract_upto(text, FileKind::of(name), limit)
    }

    /// Every reference in `text`, a file of `kind`.
    pub fn extract_as(&self, text: &str, kind: FileKind) -> Extracted {
        self.extract_upto(text, kind, usize::MAX)
    }

    fn extract_upto(&self, text: &str, kind: FileKind, limit: usize) -> Extracted {
        let mut out = Extracted::default();
        let mut scan = read::Scan::new(text, kind);
        let mut hits = Hits {
            namespaces: Cursor::new(&self.namespaces_ac),
            placeholders: self.placeholders_ac.as_ref().map(Cursor::new),
        };
        let mut at = 0;
        while let Some((hit, placeholder)) = hits.next(text, at) {
            at = hit.end();
            let line = scan.line_of(hit.start());
            if line.end - line.start > MAX_LINE {
                // Minified or generated: resume the search after the line, not hit by hit.
                out.long_lines += 1;
                at = line.end;
                continue;
            }
            let pattern = hit.pattern().as_usize();
            let read = if placeholder {
                self.values.get(pattern).and_then(|value| {
                    scan.placeholder_ref(line, hit.start(), hit.end(), value, &self.namespaces)
                })
            } else {
                self.needles
                    .get(pattern)
                    .and_then(|&(index, with_registry)| {
                        let ns = self.namespaces.get(index)?;
                        scan.namespace_ref(line, hit.start(), hit.end(), ns, with_registry)
                    })
            };
            match read {
                Some(read::Read::Ref(r)) => {
                    at = at.max(r.span.end());
                    out.refs.push(r);
                    if out.refs.len() >= limit {
                        out.stopped_at = Some(at);
                        out.more = self.mentions(text.get(at..).unwrap_or_default());
                        break;
                    }
                }
                Some(read::Read::TemplatedName(u)) => {
                    at = at.max(u.span.end());
                    out.templated_names.push(u);
                }
                None => {}
            }
        }
        mark_built_here(&mut out.refs);
        out
    }
}

fn automaton(patterns: impl IntoIterator<Item = String>) -> Result<AhoCorasick, RefsError> {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .build(patterns)
        .map_err(|source| RefsError::Matcher { source })
}

/// The next match of one automaton at or after a position, remembered so that each part of the
/// text is searched about once however often the other automaton's hits ask.
struct Cursor<'a> {
    automaton: &'a AhoCorasick,
    next: Option<aho_corasick::Match>,
    exhausted: bool,
}

impl<'a> Cursor<'a> {
    fn new(automaton: &'a AhoCorasick) -> Self {
        Self {
            automaton,
            next: None,
            exhausted: false,
        }
    }

    fn peek(&mut self, text: &str, at: usize) -> Option<aho_corasick::Match> {
        match self.next {
            Some(m) if m.start() >= at => return Some(m),
            None if self.exhausted => return None,
            _ => {}
        }
        self.next = self
            .automaton
            .find(aho_corasick::Input::new(text).range(at.min(text.len())..));
        self.exhausted = self.next.is_none();
        self.next
    }
}

/// The hits of both automata in text order (a namespace hit first at equal starts).
struct Hits<'a> {
    namespaces: Cursor<'a>,
    placeholders: Option<Cursor<'a>>,
}

impl Hits<'_> {
    /// The next hit at or after `at`, and whether it is a placeholder's.
    fn next(&mut self, text: &str, at: usize) -> Option<(aho_corasick::Match, bool)> {
        let namespace = self.namespaces.peek(text, at);
        let placeholder = self.placeholders.as_mut().and_then(|p| p.peek(text, at));
        match (namespace, placeholder) {
            (Some(n), Some(p)) if p.start() < n.start() => Some((p, true)),
            (Some(n), _) => Some((n, false)),
            (None, Some(p)) => Some((p, true)),
            (None, None) => None,
        }
    }
}

/// An image built in the file (`docker build -t starlingx/bats:latest .`) and then run there is
/// a local image, not a pull.
fn mark_built_here(refs: &mut [ImageRef]) {
    let built: Vec<ImageName> = refs
        .iter()
        .filter(|r| r.role == Role::BuildTarget)
        .map(|r| r.name.clone())
        .collect();
    if built.is_empty() {
        return;
    }
    for r in refs.iter_mut() {
        if r.role == Role::Pull && r.digest.is_none() && built.contains(&r.name) {
            r.role = Role::BuiltHere;
        }
    }
}

/// The split-form tag of a name written as the value of `key` starting at `value_start` (a
/// sibling `tag:` key), for finders outside this module (the inventory's unmanaged references).
pub fn sibling_tag(text: &str, value_start: usize, key: &str) -> Option<TagRef> {
    let before = text.get(..value_start)?;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    let end = text
        .get(value_start..)?
        .find('\n')
        .map_or(text.len(), |i| value_start + i);
    split::split_tag(text, read::Line { start, end }, value_start, key)
}

/// The tag written at `offset` of `text` (literal characters and placeholders), as the value of
/// a sibling `tag:` key: what a Helm override sets when it sets only `image.tag`.
pub fn tag_at(text: &str, offset: usize) -> Option<TagRef> {
    token::scan_tag(text, offset).map(|t| TagRef { split: true, ..t })
}

#[cfg(test)]
mod tests;
