//! Image names and references, following the distribution reference grammar.
//!
//! `[host[:port]/]component[/component…][:tag][@digest]`, where a component is lower-case
//! alphanumerics joined by `.`, `_`, `__` or runs of `-`. The first component is a registry host
//! when it contains `.` or `:` or is `localhost`. Docker Hub has three spellings
//! (`docker.io`, `index.docker.io`, `registry-1.docker.io`) that name one registry.

use std::fmt;

/// The canonical name of Docker Hub.
pub const DOCKER_HUB: &str = "docker.io";

/// Names longer than this are refused by registries.
pub const MAX_NAME_LEN: usize = 255;

/// Why a string is not a valid image name or reference. `offset` is a byte offset into the input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NameError {
    /// Empty input.
    #[error("the image name is empty")]
    Empty,
    /// A tag where only a name is allowed.
    #[error("the image name carries a tag (`:{tag}`); the tag belongs in its own field")]
    HasTag {
        /// Byte offset of the `:`.
        offset: usize,
        /// The tag text.
        tag: String,
    },
    /// A digest where only a name is allowed.
    #[error("the image name carries a digest (`@{digest}`); name the repository only")]
    HasDigest {
        /// Byte offset of the `@`.
        offset: usize,
        /// The digest text.
        digest: String,
    },
    /// An upper-case letter in a repository path component.
    #[error("repository path components must be lower case (`{found}` at byte {offset})")]
    UpperCase {
        /// Byte offset of the letter.
        offset: usize,
        /// The letter.
        found: char,
    },
    /// A character the grammar does not allow.
    #[error("`{found}` is not allowed in an image name (byte {offset})")]
    BadChar {
        /// Byte offset of the character.
        offset: usize,
        /// The character.
        found: char,
    },
    /// An empty path component, or a separator at the start or end of one.
    #[error("path component `{component}` must start and end with a letter or digit")]
    BadComponent {
        /// Byte offset of the component.
        offset: usize,
        /// The component text.
        component: String,
    },
    /// A registry host that is not a host name, IP address or host:port.
    #[error("`{host}` is not a valid registry host[:port]")]
    BadHost {
        /// Byte offset of the host.
        offset: usize,
        /// The host text.
        host: String,
    },
    /// An invalid tag in a full reference.
    #[error("`{tag}` is not a valid tag: tags are 1 to 128 of [A-Za-z0-9_.-], not starting with `.` or `-`")]
    BadTag {
        /// Byte offset of the tag.
        offset: usize,
        /// The tag text.
        tag: String,
    },
    /// An invalid digest in a full reference.
    #[error("`{digest}` is not a valid digest (expected `algorithm:hex`, e.g. `sha256:` and 64 hex digits)")]
    BadDigest {
        /// Byte offset of the digest.
        offset: usize,
        /// The digest text.
        digest: String,
    },
    /// Longer than registries accept.
    #[error("the image name is {len} characters long, over the {MAX_NAME_LEN}-character limit")]
    TooLong {
        /// The length.
        len: usize,
    },
}

impl NameError {
    /// Byte offset into the input where the problem starts (0 when it concerns the whole input).
    pub fn offset(&self) -> usize {
        match self {
            Self::Empty | Self::TooLong { .. } => 0,
            Self::HasTag { offset, .. }
            | Self::HasDigest { offset, .. }
            | Self::UpperCase { offset, .. }
            | Self::BadChar { offset, .. }
            | Self::BadComponent { offset, .. }
            | Self::BadHost { offset, .. }
            | Self::BadTag { offset, .. }
            | Self::BadDigest { offset, .. } => *offset,
        }
    }
}

/// A repository name: registry plus path, without tag or digest. Two names are equal when they
/// name the same repository, however the registry was spelled (`starlingx/x`,
/// `docker.io/starlingx/x` and `index.docker.io/starlingx/x` are one repository).
#[derive(Clone, Debug)]
pub struct ImageName {
    /// The registry as written, if any (`index.docker.io`, `registry.local:9001`).
    written_registry: Option<String>,
    /// The canonical name, `registry/repository`: the canonical registry (`docker.io` for
    /// every Docker Hub spelling) and the repository path (`starlingx/k8s-cni-sriov`;
    /// `library/x` for an official Hub image), in one string (a manifest holds one per entry).
    canonical: String,
    /// Bytes of the registry in `canonical`.
    split: usize,
}

impl ImageName {
    /// Parses a bare image name; a tag or digest in it is an error.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        let reference = Reference::parse(input)?;
        if let Some(tag) = reference.tag {
            let offset = input.rfind(&format!(":{tag}")).unwrap_or(0);
            return Err(NameError::HasTag { offset, tag });
        }
        if let Some(digest) = reference.digest {
            let offset = input.find('@').unwrap_or(0);
            return Err(NameError::HasDigest { offset, digest });
        }
        Ok(reference.name)
    }

    fn new(written_registry: Option<String>, registry: &str, repository: &str) -> Self {
        Self {
            written_registry,
            canonical: format!("{registry}/{repository}"),
            split: registry.len(),
        }
    }

    /// The canonical, fully qualified name (`docker.io/starlingx/x`), what `to_string` gives.
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// The canonical registry host[:port] (`docker.io` for Docker Hub).
    pub fn registry(&self) -> &str {
        self.canonical.get(..self.split).unwrap_or("")
    }

    /// The registry exactly as written in the name, if one was.
    pub fn written_registry(&self) -> Option<&str> {
        self.written_registry.as_deref()
    }

    /// The repository path within the registry.
    pub fn repository(&self) -> &str {
        self.canonical.get(self.split + 1..).unwrap_or("")
    }

    /// Whether this is on Docker Hub.
    pub fn is_docker_hub(&self) -> bool {
        self.registry() == DOCKER_HUB
    }

    /// The same repository moved to another registry host (used for registry maps).
    pub fn with_registry(&self, registry: &str, path_prefix: Option<&str>) -> Self {
        let repository = match path_prefix.map(|p| p.trim_matches('/')) {
            Some(prefix) if !prefix.is_empty() => format!("{prefix}/{}", self.repository()),
            _ => self.repository().to_owned(),
        };
        Self::new(
            Some(registry.to_owned()),
            canonical_registry(registry),
            &repository,
        )
    }
}

impl PartialEq for ImageName {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}

impl Eq for ImageName {}

impl std::hash::Hash for ImageName {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.registry().hash(state);
        self.repository().hash(state);
    }
}

impl PartialOrd for ImageName {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for ImageName {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.registry(), self.repository()).cmp(&(other.registry(), other.repository()))
    }
}

impl fmt::Display for ImageName {
    /// The canonical, fully qualified name (`docker.io/starlingx/x`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.canonical)
    }
}

/// A full reference: name plus optional tag and digest.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    /// The repository.
    pub name: ImageName,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The digest (`sha256:…`), if any.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `name[:tag][@digest]`.
    pub fn parse(input: &str) -> Result<Self, NameError> {
        if input.is_empty() {
            return Err(NameError::Empty);
        }
        let (rest, digest) = match input.find('@') {
            Some(at) => {
                let digest = &input[at + 1..];
                if !is_valid_digest(digest) {
                    return Err(NameError::BadDigest {
                        offset: at + 1,
                        digest: digest.to_owned(),
                    });
                }
                (&input[..at], Some(digest.to_owned()))
            }
            None => (input, None),
        };
        // A tag follows the last ':' that comes after the last '/'.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name_part, tag) = match rest[last_slash..].find(':') {
            Some(colon) => {
                let colon = last_slash + colon;
                let tag = &rest[colon + 1..];
                if !is_valid_tag(tag) {
                    return Err(NameError::BadTag {
                        offset: colon + 1,
                        tag: tag.to_owned(),
                    });
                }
                (&rest[..colon], Some(tag.to_owned()))
            }
            None => (rest, None),
        };
        if name_part.is_empty() {
            return Err(NameError::Empty);
        }
        if name_part.len() > MAX_NAME_LEN {
            return Err(NameError::TooLong {
                len: name_part.len(),
            });
        }
        let (host, path, path_offset) = split_host(name_part);
        if let Some(host) = host {
            check_host(host)?;
        }
        check_path(path, path_offset)?;
        let registry = host.map_or(DOCKER_HUB, canonical_registry);
        let library;
        let repository = if registry == DOCKER_HUB && !path.contains('/') {
            library = format!("library/{path}");
            library.as_str()
        } else {
            path
        };
        Ok(Self {
            name: ImageName::new(host.map(str::to_owned), registry, repository),
            tag,
            digest,
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

/// Maps every Docker Hub spelling to `docker.io`; other registries are returned as they are.
pub fn canonical_registry(host: &str) -> &str {
    match host {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB,
        other => other,
    }
}

/// The OCI tag grammar: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
pub fn is_valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    match bytes.split_first() {
        Some((first, rest)) => {
            bytes.len() <= 128
                && (first.is_ascii_alphanumeric() || *first == b'_')
                && rest
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        }
        None => false,
    }
}

/// `algorithm:encoded`, with sha256 and sha512 held to their exact hex lengths.
pub fn is_valid_digest(digest: &str) -> bool {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return false;
    };
    let algorithm_ok = !algorithm.is_empty()
        && algorithm.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'+' | b'.' | b'_' | b'-')
        });
    let hex = |n: usize| {
        encoded.len() == n
            && encoded
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    };
    algorithm_ok
        && match algorithm {
            "sha256" => hex(64),
            "sha512" => hex(128),
            _ => {
                encoded.len() >= 32
                    && encoded
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'=' | b'_' | b'-'))
            }
        }
}

/// Splits off the registry host when the first component looks like one.
fn split_host(name: &str) -> (Option<&str>, &str, usize) {
    match name.split_once('/') {
        Some((first, rest))
            if first.contains('.')
                || first.contains(':')
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (Some(first), rest, first.len() + 1)
        }
        _ => (None, name, 0),
    }
}

fn check_host(host: &str) -> Result<(), NameError> {
    let bad = || NameError::BadHost {
        offset: 0,
        host: host.to_owned(),
    };
    let (hostname, port) = if let Some(v6) = host.strip_prefix('[') {
        let (addr, after) = v6.split_once(']').ok_or_else(bad)?;
        let addr_ok = !addr.is_empty()
            && addr
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !addr_ok {
            return Err(bad());
        }
        let port = match after {
            "" => None,
            p => Some(p.strip_prefix(':').ok_or_else(bad)?),
        };
        (None, port)
    } else {
        match host.rsplit_once(':') {
            Some((h, p)) => (Some(h), Some(p)),
            None => (Some(host), None),
        }
    };
    if let Some(port) = port {
        if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
    }
    if let Some(hostname) = hostname {
        let label_ok = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if !hostname.split('.').all(label_ok) {
            return Err(bad());
        }
    }
    Ok(())
}

fn check_path(path: &str, base: usize) -> Result<(), NameError> {
    let mut offset = base;
    for component in path.split('/') {
        check_component(component, offset)?;
        offset += component.len() + 1;
    }
    Ok(())
}

fn check_component(component: &str, offset: usize) -> Result<(), NameError> {
    let bad = || NameError::BadComponent {
        offset,
        component: component.to_owned(),
    };
    for (i, c) in component.char_indices() {
        if c.is_ascii_uppercase() {
            return Err(NameError::UpperCase {
                offset: offset + i,
                found: c,
            });
        }
        if !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')) {
            return Err(NameError::BadChar {
                offset: offset + i,
                found: c,
            });
        }
    }
    let bytes = component.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !bytes.first().is_some_and(alnum) || !bytes.last().is_some_and(alnum) {
        return Err(bad());
    }
    // Separators: one '.', one or two '_', or any run of '-'; never mixed.
    let mut i = 0;
    while i < bytes.len() {
        if alnum(&bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(&bytes[i]) {
            i += 1;
        }
        let sep = &component[start..i];
        let ok = sep == "." || sep == "_" || sep == "__" || sep.bytes().all(|b| b == b'-');
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_table() {
        let ok = [
            (
                "docker.io/starlingx/k8s-cni-sriov",
                "docker.io",
                "starlingx/k8s-cni-sriov",
            ),
            ("index.docker.io/starlingx/x", "docker.io", "starlingx/x"),
            (
                "registry-1.docker.io/starlingx/x",
                "docker.io",
                "starlingx/x",
            ),
            ("starlingx/x", "docker.io", "starlingx/x"),
            ("busybox", "docker.io", "library/busybox"),
            (
                "registry.local:9001/docker.io/starlingx/x",
                "registry.local:9001",
                "docker.io/starlingx/x",
            ),
            ("localhost/a__b/c-d", "localhost", "a__b/c-d"),
            ("127.0.0.1:5000/a.b/c---d", "127.0.0.1:5000", "a.b/c---d"),
            ("[::1]:5000/a", "[::1]:5000", "a"),
            (
                "quay.io/jetstack/cert-manager-controller",
                "quay.io",
                "jetstack/cert-manager-controller",
            ),
        ];
        for (input, registry, repository) in ok {
            let name = ImageName::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(name.registry(), registry, "{input}");
            assert_eq!(name.repository(), repository, "{input}");
        }
    }

    #[test]
    fn bad_names_table() {
        type Expect = fn(&NameError) -> bool;
        let bad: [(&str, Expect); 10] = [
            ("", |e| matches!(e, NameError::Empty)),
            ("docker.io/starlingx/x:stx.4.0-v1", |e| matches!(e, NameError::HasTag { tag, offset: 21 } if tag == "stx.4.0-v1")),
            ("docker.io/starlingx/x@sha256:0000000000000000000000000000000000000000000000000000000000000000", |e| matches!(e, NameError::HasDigest { offset: 21, .. })),
            ("docker.io/StarlingX/x", |e| matches!(e, NameError::UpperCase { offset: 10, found: 'S' })),
            ("docker.io/starlingx//x", |e| matches!(e, NameError::BadComponent { offset: 20, .. })),
            ("docker.io/starlingx/-x", |e| matches!(e, NameError::BadComponent { .. })),
            ("docker.io/starlingx/a._b", |e| matches!(e, NameError::BadComponent { .. })),
            ("docker.io/star lingx/x", |e| matches!(e, NameError::BadChar { offset: 14, found: ' ' })),
            ("bad_host.io/x", |e| matches!(e, NameError::BadHost { .. })),
            ("docker.io/x:", |e| matches!(e, NameError::BadTag { .. })),
        ];
        for (input, check) in bad {
            let err = ImageName::parse(input).expect_err(input);
            assert!(check(&err), "{input}: {err:?}");
        }
        let long = format!("a/{}", "b".repeat(300));
        assert!(matches!(
            ImageName::parse(&long),
            Err(NameError::TooLong { .. })
        ));
    }

    #[test]
    fn hub_spellings_are_one_registry() {
        let a = ImageName::parse("docker.io/starlingx/x").unwrap();
        let b = ImageName::parse("index.docker.io/starlingx/x").unwrap();
        let c = ImageName::parse("starlingx/x").unwrap();
        assert_eq!(a.to_string(), b.to_string());
        assert_eq!(a.to_string(), c.to_string());
        assert_eq!(b.written_registry(), Some("index.docker.io"));
    }

    #[test]
    fn references_table() {
        let r = Reference::parse("registry.local:9001/docker.io/starlingx/x:stx.9.0-v1").unwrap();
        assert_eq!(r.name.registry(), "registry.local:9001");
        assert_eq!(r.tag.as_deref(), Some("stx.9.0-v1"));
        let r = Reference::parse("localhost:5000/x").unwrap();
        assert_eq!(r.tag, None);
        assert_eq!(r.to_string(), "localhost:5000/x");
        assert!(Reference::parse("x@sha256:abc").is_err());
    }

    #[test]
    fn tag_grammar() {
        assert!(is_valid_tag("stx.4.0-v2.2"));
        assert!(is_valid_tag("_x"));
        assert!(is_valid_tag(&"a".repeat(128)));
        assert!(!is_valid_tag(&"a".repeat(129)));
        assert!(!is_valid_tag(".x"));
        assert!(!is_valid_tag("-x"));
        assert!(!is_valid_tag("a+b"));
        assert!(!is_valid_tag(""));
    }

    #[test]
    fn names_are_equal_by_repository_however_spelled() {
        let parse = |s| ImageName::parse(s).unwrap();
        assert_eq!(parse("starlingx/x"), parse("index.docker.io/starlingx/x"));
        assert_eq!(parse("busybox"), parse("docker.io/library/busybox"));
        assert_ne!(parse("quay.io/starlingx/x"), parse("starlingx/x"));
        let set: std::collections::HashSet<ImageName> = [
            parse("starlingx/x"),
            parse("registry-1.docker.io/starlingx/x"),
        ]
        .into();
        assert_eq!(set.len(), 1);
    }
}
