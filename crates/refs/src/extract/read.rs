//! Reading one reference outward from a namespace hit: the token's start, mirror and registry,
//! the repository path, the tag or digest (or a sibling tag key), then its role in the file.

use tagman_core::reference::{canonical_registry, DOCKER_HUB};
use tagman_core::{ImageName, Span};

use super::context::{
    content_indent, is_image_key, is_name_key, is_repository_key, key_before, parent_key, squash,
    use_of, Use,
};
use super::split::split_tag;
use super::syntax::{Comments, FileKind};
use super::token::{
    is_mirror, is_name_byte, is_token_byte, placeholder_at, runtime_tag, scan_digest, scan_tag,
    tail, templated_mirror,
};
use super::{ImageRef, Namespace, Role, TagRef, Unreadable};

/// The longest registry-and-mirror prefix, and the longest repository path, read.
const MAX_PREFIX: usize = 256;
const MAX_PATH: usize = 256;

/// A line of the text: `start` of its first byte, `end` at its newline (or the text's end).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Line {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// What was read at a hit.
pub(super) enum Read {
    Ref(ImageRef),
    TemplatedName(Unreadable),
}

/// The bytes of a reference found so far: where the token starts, where its name starts (after
/// a mirror), where the namespace needle ends.
struct Token {
    start: usize,
    name_start: usize,
    needle_end: usize,
}

/// A reference's name, tag and digest as read, before its role is known.
struct Parsed {
    name: ImageName,
    tag: Option<TagRef>,
    digest: Option<Span>,
    name_end: usize,
    end: usize,
}

/// One text being scanned, hit by hit in increasing order.
pub(super) struct Scan<'t> {
    text: &'t str,
    kind: FileKind,
    comments: Comments<'t>,
    line: Option<Line>,
}

impl<'t> Scan<'t> {
    pub(super) fn new(text: &'t str, kind: FileKind) -> Self {
        Self {
            text,
            kind,
            comments: Comments::new(text, kind),
            line: None,
        }
    }

    /// The line holding `at`. Hits come in increasing order, so the search back for the line's
    /// start stops at the previous hit's line: all lines together cost one pass.
    pub(super) fn line_of(&mut self, at: usize) -> Line {
        let bytes = self.text.as_bytes();
        let floor = match self.line {
            Some(line) if at >= line.start && at <= line.end => return line,
            Some(line) if at > line.end => line.end,
            _ => 0,
        };
        let start = memchr::memrchr(b'\n', &bytes[floor..at]).map_or(floor, |i| floor + i + 1);
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        let line = Line { start, end };
        self.line = Some(line);
        line
    }

    /// A reference whose hit is the namespace `ns` (its path, or its registry when the needle
    /// includes it).
    pub(super) fn namespace_ref(
        &mut self,
        line: Line,
        hit: usize,
        needle_end: usize,
        ns: &Namespace,
        with_registry: bool,
    ) -> Option<Read> {
        let bytes = self.text.as_bytes();
        // The namespace must start a path component, not sit inside one (`notstarlingx/`).
        if hit > line.start {
            let before = bytes[hit - 1];
            if before != b'/' && is_token_byte(before) && before != b':' {
                return None;
            }
        }
        let start = token_start(self.text, line.start, hit);
        let mirror_len = registry_prefix(self.text, start, hit, ns, with_registry)?;
        let token = Token {
            start,
            name_start: start + mirror_len,
            needle_end,
        };
        self.finish(line, &token, |written| {
            let name = ImageName::parse(written).ok()?;
            ns.contains(&name).then_some(name)
        })
    }

    /// A reference whose hit is a registry placeholder (`@PLATFORM_REGISTRY@/`) standing for
    /// `value`, so `@PLATFORM_REGISTRY@/stx-x` names `<value>/stx-x`.
    pub(super) fn placeholder_ref(
        &mut self,
        line: Line,
        hit: usize,
        needle_end: usize,
        value: &str,
        namespaces: &[Namespace],
    ) -> Option<Read> {
        if hit > line.start && is_token_byte(self.text.as_bytes()[hit - 1]) {
            return None;
        }
        let token = Token {
            start: hit,
            name_start: hit,
            needle_end,
        };
        let needle_len = needle_end - hit;
        self.finish(line, &token, |written| {
            let name = ImageName::parse(&format!("{value}/{}", written.get(needle_len..)?)).ok()?;
            namespaces
                .iter()
                .any(|ns| ns.contains(&name))
                .then_some(name)
        })
    }

    /// Reads the repository path, tag and digest after the needle, and decides the role.
    fn finish(
        &mut self,
        line: Line,
        token: &Token,
        make_name: impl FnOnce(&str) -> Option<ImageName>,
    ) -> Option<Read> {
        let (text, bytes) = (self.text, self.text.as_bytes());
        let path_limit = line.end.min(token.needle_end + MAX_PATH);
        let mut run_end = token.needle_end;
        while run_end < path_limit && is_name_byte(bytes[run_end]) {
            run_end += 1;
        }
        if bytes.get(run_end).is_some_and(u8::is_ascii_alphanumeric) {
            return None; // upper case: not a repository path
        }
        let mut name_end = run_end;
        while name_end > token.needle_end
            && matches!(bytes[name_end - 1], b'/' | b'.' | b'_' | b'-')
        {
            name_end -= 1;
        }
        let in_comment =
            self.kind == FileKind::Docs || self.comments.contains(line.start, token.start);
        if name_end == run_end {
            if let Some(placeholder) = placeholder_at(text, name_end) {
                return (!in_comment).then(|| {
                    Read::TemplatedName(Unreadable {
                        span: Span::new(token.start, placeholder.span.end() - token.start),
                        placeholder,
                    })
                });
            }
        }
        if name_end == token.needle_end {
            return None; // the namespace alone (`docker.io/starlingx/`)
        }
        let name = make_name(&text[token.name_start..name_end])?;
        let (tag, digest, end) = tag_and_digest(text, name_end, run_end)?;
        let parsed = Parsed {
            name,
            tag,
            digest,
            name_end,
            end,
        };
        self.classify(line, token, parsed, in_comment)
    }

    /// The line before `start` without a diff's prefix; `None` on a line a patch removes, which
    /// is not in what ships.
    fn before(&self, line: Line, start: usize) -> Option<&'t str> {
        let before = &self.text[line.start..start];
        match self.kind.diff_prefix(&self.text[line.start..line.end]) {
            Some(b'-') => None,
            Some(_) => Some(&before[1.min(before.len())..]),
            None => Some(before),
        }
    }

    /// What a reference with `tag`, used as `found`, is: docs, a comment, a build template, an
    /// image being built, or a pull.
    fn role(&self, in_comment: bool, tag: Option<&TagRef>, found: Use) -> Role {
        if self.kind == FileKind::Docs {
            Role::Documentation
        } else if in_comment {
            Role::Comment
        } else if tag.is_some_and(TagRef::is_build_template) {
            Role::BuildTemplate
        } else if found == Use::Target {
            Role::BuildTarget
        } else {
            Role::Pull
        }
    }

    /// The reference with its role; `None` for a bare name nothing pulls.
    fn classify(
        &mut self,
        line: Line,
        token: &Token,
        parsed: Parsed,
        in_comment: bool,
    ) -> Option<Read> {
        let Parsed {
            name,
            mut tag,
            digest,
            name_end,
            end,
        } = parsed;
        let text = self.text;
        let before = self.before(line, token.start)?;
        let key = key_before(tail(before, 256));
        let squashed = squash(key);
        if tag.is_none() && digest.is_none() {
            tag = split_tag(text, line, token.start, key);
        }
        let bare = tag.is_none() && digest.is_none();
        let found = use_of(before, self.kind, || {
            let (indent, _) = content_indent(&text[line.start..line.end]);
            parent_key(text, line.start, indent)
        });
        let role = self.role(in_comment, tag.as_ref(), found);
        let role = if bare && role == Role::Pull && found == Use::Mention {
            // A name without a tag is a reference only where something pulls or builds it; in
            // code, a variable or key naming an image is kept as a name (for --bump's reasons).
            let image_key = is_image_key(&squashed)
                || is_repository_key(&squashed)
                || squashed.ends_with("imagename");
            if !(self.kind.is_code() && image_key) {
                return None;
            }
            Role::Name
        } else {
            role
        };
        if bare && !matches!(role, Role::Pull | Role::BuildTarget | Role::Name) {
            return None;
        }
        Some(Read::Ref(ImageRef {
            span: Span::new(token.start, end - token.start),
            mirror: (token.name_start > token.start)
                .then(|| Span::new(token.start, token.name_start - token.start)),
            name_span: Span::new(token.name_start, name_end - token.name_start),
            name,
            tag,
            digest,
            repository_key: is_repository_key(&squashed) || is_name_key(&squashed),
            role,
            appendable: bare && matches!(found, Use::Pull { appendable: true }),
            tag_elsewhere: false,
        }))
    }
}

/// Where the reference token holding the hit starts: the hit, or further left over a registry
/// and a mirror (at most [`MAX_PREFIX`] bytes), after a `docker://` transport.
fn token_start(text: &str, line_start: usize, hit: usize) -> usize {
    let bytes = text.as_bytes();
    let floor = line_start.max(hit.saturating_sub(MAX_PREFIX));
    let mut start = hit;
    while start > floor && is_token_byte(bytes[start - 1]) {
        start -= 1;
    }
    for transport in ["docker://", "oci://"] {
        if text[start..hit].starts_with(transport) {
            start += transport.len();
        }
    }
    start
}

/// Splits `text[start..hit]` into a mirror and the registry as written: the mirror's length
/// (with its `/`); `None` when the prefix is no registry of `ns` (`quay.io/starlingx/`,
/// `https://opendev.org/starlingx/`).
fn registry_prefix(
    text: &str,
    start: usize,
    hit: usize,
    ns: &Namespace,
    with_registry: bool,
) -> Option<usize> {
    let prefix = &text[start..hit];
    if with_registry {
        return if prefix.is_empty() {
            Some(0)
        } else if prefix.ends_with('/') && is_mirror(&prefix[..prefix.len() - 1]) {
            Some(prefix.len())
        } else {
            None
        };
    }
    if prefix.is_empty() {
        return (ns.registry == DOCKER_HUB).then_some(0);
    }
    let inner = prefix.strip_suffix('/')?;
    let (mirror, registry) = match inner.rsplit_once('/') {
        Some((m, r)) => (Some(m), r),
        None => (None, inner),
    };
    if canonical_registry(registry) != ns.registry {
        return None;
    }
    match mirror {
        Some(m) if is_mirror(m) || templated_mirror(text.as_bytes(), start, m) => Some(m.len() + 1),
        Some(_) => None,
        None => Some(0),
    }
}

/// The `:tag` and `@digest` after a name ending at `name_end` (`run_end`: where the path's
/// bytes end), and where the reference ends; `None` for `name:` followed by no tag (a YAML
/// key); `"name:" + tag` in code has a tag made at run time ([`runtime_tag`]).
fn tag_and_digest(
    text: &str,
    name_end: usize,
    run_end: usize,
) -> Option<(Option<TagRef>, Option<Span>, usize)> {
    let mut end = name_end;
    let mut tag = None;
    if name_end == run_end && text.as_bytes().get(end) == Some(&b':') {
        let t = scan_tag(text, end + 1).or_else(|| runtime_tag(text, end + 1))?;
        end = t.span.end();
        tag = Some(t);
    }
    let mut digest = None;
    if end == run_end || tag.is_some() {
        if let Some(d) = scan_digest(text, end) {
            end = d.end();
            digest = Some(d);
        }
    }
    Some((tag, digest, end))
}
