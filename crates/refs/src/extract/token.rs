//! The pieces of one reference token: which bytes belong to it, the tag (with placeholders), the
//! digest, mirror prefixes. Every scan here looks at a bounded number of bytes.

use tagman_core::reference::{is_valid_digest, is_valid_tag};
use tagman_core::Span;

use super::{Placeholder, TagRef};

/// The longest placeholder read (`{{ .Values.images.tags.something }}`).
const MAX_PLACEHOLDER: usize = 160;
/// The longest tag text read, placeholders included (a tag itself is at most 128 bytes).
const MAX_TAG: usize = 512;

/// Bytes that may appear in a reference token left of the namespace.
pub(super) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b':')
}

/// Bytes of a repository path.
pub(super) fn is_name_byte(b: u8) -> bool {
    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-' | b'/')
}

/// `registry.local:9001` or `registry.local:9001/some/path`: a host first, no empty component.
pub(super) fn is_mirror(prefix: &str) -> bool {
    let mut parts = prefix.split('/');
    let host_ok = parts
        .next()
        .is_some_and(|h| h.contains('.') || h.contains(':') || h == "localhost");
    host_ok && !prefix.split('/').any(str::is_empty) && !prefix.contains("::")
}

/// A mirror given by a placeholder: `{{ local_registry }}/docker.io/…`, `${REGISTRY}/…`,
/// `$REGISTRY/…`, `@REGISTRY@/…` (the token scan stops at the placeholder's last byte).
pub(super) fn templated_mirror(bytes: &[u8], start: usize, mirror: &str) -> bool {
    let word = mirror
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_');
    word && start > 0 && matches!(bytes[start - 1], b'}' | b'$' | b'@')
}

/// Reads a tag starting at `from`: literal tag characters and placeholders, up to the first
/// other byte (at most [`MAX_TAG`] bytes).
pub(super) fn scan_tag(text: &str, from: usize) -> Option<TagRef> {
    let bytes = text.as_bytes();
    let limit = (from + MAX_TAG).min(bytes.len());
    let mut i = from;
    let mut placeholders = Vec::new();
    while i < limit {
        if let Some(p) = placeholder_at(text, i) {
            i = p.span.end();
            placeholders.push(p);
        } else if bytes[i].is_ascii_alphanumeric() || matches!(bytes[i], b'_' | b'.' | b'-') {
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
    let text_of_tag = text.get(from..i)?;
    if placeholders.is_empty() && !is_valid_tag(text_of_tag) {
        return None;
    }
    Some(TagRef {
        span: Span::new(from, i - from),
        text: text_of_tag.to_owned(),
        placeholders,
        split: false,
        empty: false,
    })
}

/// A placeholder starting at `i`: `@NAME@`, `{{ … }}`, `${…}`, `$NAME`, `{name}`, `{}`, `%s` or
/// `%(name)s`,
/// within one line and [`MAX_PLACEHOLDER`] bytes.
pub(super) fn placeholder_at(text: &str, i: usize) -> Option<Placeholder> {
    let bytes = text.as_bytes();
    let first = *bytes.get(i)?;
    if !matches!(first, b'@' | b'{' | b'$' | b'%') {
        return None;
    }
    let window = head(&text[i..], MAX_PLACEHOLDER);
    let line = &window[..window.find('\n').unwrap_or(window.len())];
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
    } else if line.starts_with("%s") || line.starts_with("%r") || line.starts_with("{}") {
        // Python's positional `%s` and `{}`: the tag is filled in at run time.
        Some(2)
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
        text: line.get(..len)?.to_owned(),
    })
}

/// `@algorithm:hex` at `at`.
pub(super) fn scan_digest(text: &str, at: usize) -> Option<Span> {
    let rest = text.get(at..)?.strip_prefix('@')?;
    let rest = head(rest, 256);
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
    is_valid_digest(rest.get(..len)?).then(|| Span::new(at, len + 1))
}

/// At most the first `n` bytes of `s`, cut at a character boundary.
pub(super) fn head(s: &str, n: usize) -> &str {
    let mut end = n.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// At most the last `n` bytes of `s`, cut at a character boundary.
pub(super) fn tail(s: &str, n: usize) -> &str {
    let mut start = s.len().saturating_sub(n);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

/// A tag made at run time after a string that ends at the `:` (`"starlingx/x:" + tag`,
/// `'starlingx/x:' % tag`, `"…:".join`): the placeholder spans from the closing quote to the end
/// of the expression's first operand, so the reference is reported as not checkable (TM204)
/// rather than dropped.
pub(super) fn runtime_tag(text: &str, from: usize) -> Option<TagRef> {
    let bytes = text.as_bytes();
    let quote = *bytes.get(from)?;
    if !matches!(quote, b'"' | b'\'') {
        return None;
    }
    let rest = head(text.get(from + 1..)?, MAX_PLACEHOLDER);
    let after = rest.trim_start_matches([' ', '\t']);
    let operator = after.chars().next().filter(|c| matches!(c, '+' | '%'))?;
    let operand = after[1..].trim_start_matches([' ', '\t']);
    let word = operand
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'[' | b']'))
        .count();
    if word == 0 || (operator == '%' && operand.starts_with(|c: char| c.is_ascii_digit())) {
        return None;
    }
    let len = 1 + (rest.len() - operand.len()) + word;
    let placeholder = Placeholder {
        span: Span::new(from, len),
        text: text.get(from..from + len)?.to_owned(),
    };
    Some(TagRef {
        span: placeholder.span,
        text: placeholder.text.clone(),
        placeholders: vec![placeholder],
        split: false,
        empty: false,
    })
}
