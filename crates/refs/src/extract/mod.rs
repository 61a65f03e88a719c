//! Finding image references to the managed namespaces in any text file, without parsing its format.
//!
//! A reference is found from a namespace hit (`starlingx/`) outward: left over the registry and an
//! optional mirror prefix (`registry.local:9001/docker.io/`), right over the repository path, an
//! optional `:tag` (which may hold build placeholders) and an optional `@digest`. The same scanner
//! serves YAML, Python, shell, templates, Dockerfiles and prose, because in all of them an image
//! reference is one unbroken token. Helm's split form (`repository:` with a sibling `tag:` key) is
//! joined back into one reference.

use aho_corasick::{AhoCorasick, MatchKind};
use tagman_core::reference::{canonical_registry, is_valid_digest, is_valid_tag, DOCKER_HUB};
use tagman_core::{ImageName, Span};

use crate::error::RefsError;

mod split;

use split::{key_before, split_name_key, split_tag};

/// The placeholder that the policy's codenames expand.
pub const CODENAME_PLACEHOLDER: &str = "@OS_CODENAME@";

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

/// A build placeholder inside a tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    /// Where it is written.
    pub span: Span,
    /// Its text (`@OS_CODENAME@`, `{{ .Values.tag }}`, `${TAG}`).
    pub text: String,
}

impl Placeholder {
    /// Whether the policy can expand it (only `@OS_CODENAME@`, over the codenames).
    pub fn is_expandable(&self) -> bool {
        self.text == CODENAME_PLACEHOLDER
    }
}

/// A tag as written, possibly with placeholders.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagRef {
    /// Where the tag is written (for the split form: the sibling `tag:` value).
    pub span: Span,
    /// The tag text.
    pub text: String,
    /// Placeholders in it, in order.
    pub placeholders: Vec<Placeholder>,
    /// Whether it came from a sibling `tag:` key rather than `name:tag`.
    pub split: bool,
}

/// What a tag stands for once the policy's placeholders are expanded.
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
    /// Whether it is the value of a `repository:`/`name:` key (Helm's and kustomize's split form),
    /// so its tag, if any, lives in a sibling key.
    pub repository_key: bool,
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
    /// Readable references, in file order.
    pub refs: Vec<ImageRef>,
    /// References whose image name holds a placeholder.
    pub templated_names: Vec<Unreadable>,
}

/// The compiled namespaces: a multi-pattern prefilter plus what each pattern means.
#[derive(Clone, Debug)]
pub struct Matcher {
    automaton: AhoCorasick,
    /// Per pattern: the namespace index and whether the needle includes the registry.
    needles: Vec<(usize, bool)>,
    namespaces: Vec<Namespace>,
}

impl Matcher {
    /// Compiles the policy's `managed_namespaces`.
    pub fn new(namespaces: &[String]) -> Result<Self, RefsError> {
        let namespaces = namespaces
            .iter()
            .map(|n| Namespace::parse(n))
            .collect::<Result<Vec<_>, _>>()?;
        let mut patterns = Vec::new();
        let mut needles = Vec::new();
        for (i, ns) in namespaces.iter().enumerate() {
            if ns.path.is_empty() {
                patterns.push(format!("{}/", ns.registry));
                needles.push((i, true));
            } else {
                patterns.push(ns.path.clone());
                needles.push((i, false));
            }
        }
        let automaton = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|source| RefsError::Matcher { source })?;
        Ok(Self {
            automaton,
            needles,
            namespaces,
        })
    }

    /// The namespaces matched.
    pub fn namespaces(&self) -> &[Namespace] {
        &self.namespaces
    }

    /// The prefilter: whether `bytes` mention a managed namespace at all.
    pub fn is_candidate(&self, bytes: &[u8]) -> bool {
        self.automaton.is_match(bytes)
    }

    /// Every reference in `text`.
    pub fn extract(&self, text: &str) -> Extracted {
        let mut out = Extracted::default();
        let mut resume = 0;
        for hit in self.automaton.find_iter(text) {
            if hit.start() < resume {
                continue;
            }
            let Some(&(ns_index, with_registry)) = self.needles.get(hit.pattern().as_usize())
            else {
                continue;
            };
            let Some(ns) = self.namespaces.get(ns_index) else {
                continue;
            };
            match read_reference(text, hit.start(), hit.end(), ns, with_registry) {
                Some(Read::Ref(r)) => {
                    resume = r.span.end();
                    out.refs.push(r);
                }
                Some(Read::TemplatedName(u)) => {
                    resume = u.span.end();
                    out.templated_names.push(u);
                }
                None => {}
            }
        }
        out
    }
}

enum Read {
    Ref(ImageRef),
    TemplatedName(Unreadable),
}

/// Bytes that may appear in a reference token left of the namespace.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b':')
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'/')
}

fn read_reference(
    text: &str,
    hit: usize,
    needle_end: usize,
    ns: &Namespace,
    with_registry: bool,
) -> Option<Read> {
    let bytes = text.as_bytes();
    // The namespace must start a path component, not sit inside one (`notstarlingx/`).
    if hit > 0 {
        let before = bytes[hit - 1];
        if before != b'/' && is_token_byte(before) && before != b':' {
            return None;
        }
    }
    let mut start = hit;
    while start > 0 && is_token_byte(bytes[start - 1]) {
        start -= 1;
    }
    let prefix = &text[start..hit];
    // Split the prefix into the mirror and the registry as written.
    let (mirror_len, registry_written) = if with_registry {
        if prefix.is_empty() {
            (0, true)
        } else if prefix.ends_with('/') && is_mirror(&prefix[..prefix.len() - 1]) {
            (prefix.len(), true)
        } else {
            return None;
        }
    } else if prefix.is_empty() {
        if ns.registry != DOCKER_HUB {
            return None;
        }
        (0, false)
    } else {
        let inner = prefix.strip_suffix('/')?;
        let (mirror, registry) = match inner.rsplit_once('/') {
            Some((m, r)) => (Some(m), r),
            None => (None, inner),
        };
        if canonical_registry(registry) != ns.registry {
            return None;
        }
        match mirror {
            Some(m) if is_mirror(m) || templated_mirror(bytes, start, m) => (m.len() + 1, true),
            Some(_) => return None,
            None => (0, true),
        }
    };
    let name_start = start + mirror_len;
    // The repository path.
    let mut run_end = needle_end;
    while run_end < bytes.len() && is_name_byte(bytes[run_end]) {
        run_end += 1;
    }
    if bytes.get(run_end).is_some_and(u8::is_ascii_alphanumeric) {
        return None; // upper case: not a repository path
    }
    let mut name_end = run_end;
    while name_end > needle_end && matches!(bytes[name_end - 1], b'/' | b'.' | b'_' | b'-') {
        name_end -= 1;
    }
    if name_end == run_end {
        if let Some(placeholder) = placeholder_at(text, name_end) {
            return Some(Read::TemplatedName(Unreadable {
                span: Span::new(start, placeholder.span.end() - start),
                placeholder,
            }));
        }
    }
    if name_end == needle_end && !with_registry {
        return None; // the namespace alone (`docker.io/starlingx/`)
    }
    let name = ImageName::parse(&text[name_start..name_end]).ok()?;
    if !ns.contains(&name) {
        return None;
    }
    let mut end = name_end;
    let mut tag = None;
    if name_end == run_end && bytes.get(end) == Some(&b':') {
        // `"docker.io/starlingx/x:" + tag` or a YAML key `docker.io/starlingx/x:`: the tag is
        // given elsewhere, so this is not a reference without one.
        let t = scan_tag(text, end + 1)?;
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
    if tag.is_none() && digest.is_none() {
        tag = split_tag(text, start);
        let explicit = registry_written || mirror_len > 0;
        if tag.is_none() && !image_context(text, start, end, explicit) {
            // A bare name in prose (`the starlingx/root repository`, `Tag
            // docker.io/starlingx/x image.`) names an image or a project; it pulls nothing.
            return None;
        }
    }
    Some(Read::Ref(ImageRef {
        span: Span::new(start, end - start),
        mirror: (mirror_len > 0).then(|| Span::new(start, mirror_len)),
        name_span: Span::new(name_start, name_end - name_start),
        name,
        tag,
        digest,
        repository_key: split_name_key(&text[line_bounds(text, start).0..start]),
    }))
}

/// `registry.local:9001` or `registry.local:9001/some/path`: a host first, no empty component.
fn is_mirror(prefix: &str) -> bool {
    let mut parts = prefix.split('/');
    let host_ok = parts
        .next()
        .is_some_and(|h| h.contains('.') || h.contains(':') || h == "localhost");
    host_ok && !prefix.split('/').any(str::is_empty) && !prefix.contains("::")
}

/// A mirror given by a placeholder: `{{ local_registry }}/docker.io/…`, `${REGISTRY}/…`,
/// `$REGISTRY/…`, `@REGISTRY@/…` (the token scan stops at the placeholder's last byte).
fn templated_mirror(bytes: &[u8], start: usize, mirror: &str) -> bool {
    let word = mirror
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    word && start > 0 && matches!(bytes[start - 1], b'}' | b'$' | b'@')
}

/// Reads a tag starting at `from`: literal tag characters and placeholders, up to the first other byte.
fn scan_tag(text: &str, from: usize) -> Option<TagRef> {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut placeholders = Vec::new();
    loop {
        if let Some(p) = placeholder_at(text, i) {
            i = p.span.end();
            placeholders.push(p);
        } else if bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        {
            i += 1;
        } else {
            break;
        }
    }
    // A sentence may end right after a tag; tags do not end in a dot in practice.
    let last_placeholder_end = placeholders.last().map_or(from, |p| p.span.end());
    while i > last_placeholder_end && bytes[i - 1] == b'.' {
        i -= 1;
    }
    if i == from {
        return None;
    }
    let text_of_tag = &text[from..i];
    if placeholders.is_empty() && !is_valid_tag(text_of_tag) {
        return None;
    }
    Some(TagRef {
        span: Span::new(from, i - from),
        text: text_of_tag.to_owned(),
        placeholders,
        split: false,
    })
}

/// A placeholder starting at `i`: `@NAME@`, `{{ … }}`, `${…}`, `$NAME`, `{name}` or `%(name)s`.
fn placeholder_at(text: &str, i: usize) -> Option<Placeholder> {
    let rest = text.get(i..)?;
    let line = &rest[..rest.find('\n').unwrap_or(rest.len())];
    let word_len = |s: &str, extra: &[u8]| {
        s.bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || extra.contains(b))
            .count()
    };
    let len = if let Some(after) = line.strip_prefix('@') {
        let n = word_len(after, &[]);
        let upper = after.bytes().next().is_some_and(|b| b.is_ascii_uppercase());
        (upper && after.as_bytes().get(n) == Some(&b'@')).then_some(n + 2)
    } else if line.starts_with("{{") {
        line.find("}}").map(|e| e + 2)
    } else if let Some(after) = line.strip_prefix("${") {
        after.find('}').map(|e| e + 3)
    } else if let Some(after) = line.strip_prefix('$') {
        let n = word_len(after, &[]);
        let ok = after
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
        ok.then_some(n + 1)
    } else if let Some(after) = line.strip_prefix("%(") {
        let n = word_len(after, &[]);
        (n > 0 && after[n..].starts_with(")s")).then_some(n + 4)
    } else if let Some(after) = line.strip_prefix('{') {
        let n = word_len(after, b".");
        (n > 0 && after.as_bytes().get(n) == Some(&b'}')).then_some(n + 2)
    } else {
        None
    }?;
    Some(Placeholder {
        span: Span::new(i, len),
        text: line[..len].to_owned(),
    })
}

/// `@algorithm:hex` at `at`.
fn scan_digest(text: &str, at: usize) -> Option<Span> {
    let rest = text.get(at..)?.strip_prefix('@')?;
    let algorithm = rest
        .bytes()
        .take_while(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+._-".contains(b))
        .count();
    if rest.as_bytes().get(algorithm) != Some(&b':') {
        return None;
    }
    // No dot in the encoded part, so a sentence's full stop is not taken into the digest.
    let encoded = rest[algorithm + 1..]
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'='))
        .count();
    let len = algorithm + 1 + encoded;
    is_valid_digest(&rest[..len]).then(|| Span::new(at, len + 1))
}

fn line_bounds(text: &str, at: usize) -> (usize, usize) {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    (start, end)
}

/// The split-form tag of a `repository:`/`name:` value starting at `value_start` (a sibling
/// `tag:` key), for finders outside this module (the inventory's unmanaged references).
pub fn sibling_tag(text: &str, value_start: usize) -> Option<TagRef> {
    split_tag(text, value_start)
}

/// Whether a reference without a tag is used as an image where it stands, rather than named in
/// prose: a Dockerfile `FROM`, a `pull`/`run` command, or a value of a key naming an image. With
/// a registry written (`explicit`), any key or a quoted string in code also counts.
fn image_context(text: &str, start: usize, end: usize, explicit: bool) -> bool {
    let (line_start, line_end) = line_bounds(text, start);
    let before = text[line_start..start].to_ascii_lowercase();
    let trimmed = before.trim_start();
    if trimmed.starts_with("from ")
        || [" pull ", " run ", " push "]
            .iter()
            .any(|c| before.contains(c))
    {
        return true;
    }
    let key = key_before(&before);
    if key.contains("image") || key.ends_with("repository") || key.ends_with("repo") {
        return true;
    }
    if !explicit {
        return false;
    }
    let quote = before.as_bytes().last().copied();
    let quoted = matches!(quote, Some(b'"' | b'\''))
        && text.as_bytes().get(end.min(line_end)) == quote.as_ref();
    !key.is_empty() || quoted
}

#[cfg(test)]
mod tests {
    use proptest::strategy::Strategy;

    use super::*;

    proptest::proptest! {
        /// Any text, however hostile: no panic, and every span lies on character boundaries.
        #[test]
        fn extraction_never_panics(
            parts in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::string::string_regex("[a-z0-9:/@{}$.\\-_ \n\"'=é\u{feff}]{0,12}").unwrap(),
                    proptest::sample::select(vec![
                        "docker.io/starlingx/", "starlingx/", "registry.local:9001/", ":", "@OS_CODENAME@",
                        "{{ x }}", "${T}", "repository: ", "tag: ", "\n  ", "- ", "@sha256:", "latest",
                    ]).prop_map(str::to_owned),
                ],
                0..24,
            )
        ) {
            let text: String = parts.concat();
            let found = matcher().extract(&text);
            for r in &found.refs {
                let spans = [Some(r.span), Some(r.name_span), r.mirror, r.digest, r.tag.as_ref().map(|t| t.span)];
                for span in spans.into_iter().flatten() {
                    proptest::prop_assert!(text.get(span.offset..span.end()).is_some());
                }
            }
        }
    }

    fn matcher() -> Matcher {
        Matcher::new(&["docker.io/starlingx/".to_owned()]).unwrap()
    }

    fn one(text: &str) -> ImageRef {
        let found = matcher().extract(text);
        assert_eq!(found.refs.len(), 1, "{text:?}: {found:?}");
        found.refs[0].clone()
    }

    fn none(text: &str) {
        let found = matcher().extract(text);
        assert!(found.refs.is_empty(), "{text:?}: {found:?}");
    }

    #[test]
    fn plain_mirror_and_implicit_hub() {
        let t = "image: docker.io/starlingx/k8s-cni-sriov:stx.4.0-v2.2\n";
        let r = one(t);
        assert_eq!(
            &t[r.span.offset..r.span.end()],
            "docker.io/starlingx/k8s-cni-sriov:stx.4.0-v2.2"
        );
        assert_eq!(r.name.to_string(), "docker.io/starlingx/k8s-cni-sriov");
        assert_eq!(r.tag.unwrap().text, "stx.4.0-v2.2");

        let t = "img = 'registry.local:9001/docker.io/starlingx/ceph:stx.9.0-v1.0'";
        let r = one(t);
        assert_eq!(
            r.mirror.map(|m| &t[m.offset..m.end()]),
            Some("registry.local:9001/")
        );
        assert_eq!(r.name.to_string(), "docker.io/starlingx/ceph");

        let r = one("FROM starlingx/stx-debian:stx.9.0-v1.0.0\n");
        assert_eq!(r.name.to_string(), "docker.io/starlingx/stx-debian");
        for t in [
            "image: {{ local_registry }}/docker.io/starlingx/x:1\n",
            "X=${REGISTRY}/docker.io/starlingx/x:1\n",
            "X=$REGISTRY/docker.io/starlingx/x:1\n",
        ] {
            assert_eq!(one(t).name.to_string(), "docker.io/starlingx/x", "{t}");
        }
        for tagless in [
            "image: index.docker.io/starlingx/x\n",
            "FROM starlingx/x\n",
            "docker pull docker.io/starlingx/x\n",
            "IMG=docker.io/starlingx/x\n",
            "pods = ['docker.io/starlingx/x']\n",
            "  - name: docker.io/starlingx/x\n",
            "  repository: starlingx/x\n",
        ] {
            assert!(one(tagless).tag.is_none(), "{tagless}");
        }
    }

    #[test]
    fn not_references() {
        none("see https://opendev.org/starlingx/integ/commit/dac417bd\n");
        none("git clone https://opendev.org/starlingx/root\n");
        none("the starlingx/root repository\n");
        none("The images starlingx/stx-debian-dev and starlingx/stx-debian-tools-dev\n");
        none("Tag docker.io/starlingx/portieris image.\n");
        none("see `docker.io/starlingx/x` for details\n");
        none("required-projects:\n  - name: starlingx/root\n");
        none("PROJECT='starlingx/root'\n");
        none("quay.io/starlingx/x:latest\n");
        none("registry.local:9001/starlingx/x:latest\n");
        none("path /usr/share/starlingx/x:1\n");
        none("notstarlingx/x:1\n");
        none("docker.io/starlingx/\n");
        none("docker.io/starlingx/Upper:1\n");
        none("IMG = \"docker.io/starlingx/x:\" + tag\n");
        none("docker.io/starlingx/x: {tag: 1}\n");
    }

    #[test]
    fn tags_end_where_the_token_ends() {
        let r = one("Use docker.io/starlingx/x:stx.9.0-v1.0. Then");
        assert_eq!(r.tag.unwrap().text, "stx.9.0-v1.0");
        let r = one("\"docker.io/starlingx/x:stx.9.0-v1.0\",");
        assert_eq!(r.tag.unwrap().text, "stx.9.0-v1.0");
        let r = one("docker.io/starlingx/x:1.0@sha256:".to_owned().as_str());
        assert_eq!(r.tag.unwrap().text, "1.0");
        let digest = format!("pin docker.io/starlingx/x@sha256:{}.", "a".repeat(64));
        let r = one(&digest);
        assert!(r.digest.is_some() && r.tag.is_none());
    }

    #[test]
    fn placeholders() {
        let r = one("docker.io/starlingx/x:stx.13.0-v1.0-@OS_CODENAME@\n");
        let tag = r.tag.unwrap();
        assert_eq!(tag.text, "stx.13.0-v1.0-@OS_CODENAME@");
        let codenames = ["bookworm".to_owned(), "trixie".to_owned()];
        assert_eq!(
            tag.expand(&codenames),
            Expansion::Codenames(vec![
                "stx.13.0-v1.0-bookworm".into(),
                "stx.13.0-v1.0-trixie".into()
            ])
        );
        for (text, placeholder) in [
            (
                "image: docker.io/starlingx/x:{{ .Values.tag }}\n",
                "{{ .Values.tag }}",
            ),
            ("X=docker.io/starlingx/x:${TAG}\n", "${TAG}"),
            ("X=docker.io/starlingx/x:$TAG\n", "$TAG"),
            ("'docker.io/starlingx/x:{tag}'.format()", "{tag}"),
            ("docker.io/starlingx/x:stx-@BRANCH@", "@BRANCH@"),
        ] {
            let tag = one(text).tag.unwrap();
            match tag.expand(&codenames) {
                Expansion::Opaque(p) => assert_eq!(p.text, placeholder, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        let found = matcher().extract("image: docker.io/starlingx/{{ .Values.name }}:1\n");
        assert!(found.refs.is_empty());
        assert_eq!(found.templated_names.len(), 1);
    }

    #[test]
    fn split_form() {
        let t = "image:\n  repository: docker.io/starlingx/x\n  pullPolicy: IfNotPresent\n  tag: stx.9.0-v1.0\n";
        let tag = one(t).tag.unwrap();
        assert!(tag.split);
        assert_eq!(&t[tag.span.offset..tag.span.end()], "stx.9.0-v1.0");

        let t = "images:\n  - tag: stx.9.0-v2\n    repository: docker.io/starlingx/a\n  - repository: docker.io/starlingx/b\n    pullPolicy: x\n";
        let found = matcher().extract(t);
        assert_eq!(
            found.refs[0].tag.as_ref().map(|t| t.text.as_str()),
            Some("stx.9.0-v2")
        );
        assert_eq!(found.refs[1].tag, None);

        let t = "{'repository': 'docker.io/starlingx/x', 'tag': 'stx.9.0-v3'}";
        assert_eq!(one(t).tag.unwrap().text, "stx.9.0-v3");

        // kustomize
        let t = "images:\n- name: docker.io/starlingx/x\n  newTag: stx.9.0-v4\n";
        assert_eq!(one(t).tag.unwrap().text, "stx.9.0-v4");
        // A manifest-shaped entry: `src_build_tag` is not the image's tag.
        let t = "- name: docker.io/starlingx/x\n  src_build_tag: master-centos-stable-20191203T153530Z.0\n";
        let r = one(t);
        assert!(r.tag.is_none() && r.repository_key);
        // zuul's `- name: starlingx/root` is a project, not an image.
        none("required-projects:\n  - name: starlingx/root\n");
    }
}
