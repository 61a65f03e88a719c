//! References to images outside the managed namespaces, for the inventory only.
//!
//! The managed scan is anchored on the namespaces (an Aho-Corasick prefilter, then the extractor),
//! which is what keeps it fast; an inventory has no such anchor, so this finder is anchored on
//! where an image is named instead, line by line:
//!
//! - the value of a key naming an image (`image:`, `*Image`, `*_image`, `repository:` — Helm's
//!   split form takes its tag from the sibling `tag:` key, as the extractor does);
//! - a Dockerfile `FROM`, and `docker|podman|nerdctl|crictl|ctr pull`;
//! - anywhere else, a token with an explicit registry host and a tag or digest
//!   (`quay.io/jetstack/cert-manager-controller:v1.7.1`).
//!
//! Comment lines, URLs and templated values (`{{ … }}`, `${…}`, `@PLACEHOLDER@`) are not
//! references. References inside a managed namespace are left to the extractor, so both lists
//! never hold the same reference.

use tagman_core::reference::Reference;
use tagman_core::Span;

use crate::extract::{sibling_tag, ImageRef, Matcher, Role, TagRef};

/// Every image reference outside `matcher`'s namespaces in `text`, in file order.
pub fn unmanaged(text: &str, matcher: &Matcher) -> Vec<ImageRef> {
    let mut out: Vec<ImageRef> = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        scan_line(
            text,
            line_start,
            line.trim_end_matches(['\n', '\r']),
            &mut out,
        );
        line_start += line.len();
    }
    out.retain(|r| !matcher.namespaces().iter().any(|ns| ns.contains(&r.name)));
    out.sort_by_key(|r| r.span);
    out.dedup_by_key(|r| r.span);
    out
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Bytes that end a token.
fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b"\"'`,;()[]{}<>=|".contains(&b)
}

fn scan_line(text: &str, at: usize, line: &str, out: &mut Vec<ImageRef>) {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if trimmed.starts_with('#') || trimmed.starts_with("//") || trimmed.starts_with("<!--") {
        return;
    }
    let mut command_value = None;
    // Upper case only: Python's `from x import y` is not a Dockerfile.
    if trimmed.starts_with("FROM ") {
        command_value = first_operand(line, indent + 5);
    } else if memchr::memmem::find(line.as_bytes(), b" pull ").is_some() {
        let lower = line.to_ascii_lowercase();
        for tool in ["docker", "podman", "nerdctl", "crictl", "ctr"] {
            if let Some(i) = lower
                .find(tool)
                .filter(|i| lower[i + tool.len()..].starts_with(" pull "))
            {
                command_value = first_operand(line, i + tool.len() + 6);
            }
        }
    }
    if let Some(start) = command_value {
        // `FROM scratch` starts from nothing, not from an image.
        if !line[start..].starts_with("scratch") {
            push_token(text, at + start, None, false, out);
        }
    }
    if let Some((key, value)) = key_value(line) {
        if ends_with_ignore_case(key, "image") {
            push_token(text, at + value, None, false, out);
        } else if ends_with_ignore_case(key, "repository") {
            push_token(text, at + value, Some(key), false, out);
        }
    }
    // Explicit registry host with a tag or digest, anywhere on the line.
    let bytes = line.as_bytes();
    if memchr::memchr(b'/', bytes).is_none() {
        return;
    }
    let mut i = 0;
    while i < bytes.len() {
        if is_delimiter(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !is_delimiter(bytes[i]) {
            i += 1;
        }
        let token = &line[start..i];
        let host = token.split('/').next().unwrap_or("");
        let hosted = token.contains('/') && (host.contains('.') || host.contains(':'));
        if hosted && !token.contains("://") && (token.contains('@') || tag_after_slash(token)) {
            push_token(text, at + start, None, true, out);
        }
    }
}

fn tag_after_slash(token: &str) -> bool {
    token
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains(':'))
}

/// The first operand after a command at `from`: skips `--flag` / `--flag=value` words.
fn first_operand(line: &str, from: usize) -> Option<usize> {
    let mut i = from;
    let bytes = line.as_bytes();
    loop {
        while bytes.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if bytes.get(i) != Some(&b'-') {
            return (i < bytes.len()).then_some(i);
        }
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
    }
}

/// The key and where the value starts, for `key: value`, `"key": "value"`, `key=value`.
fn key_value(line: &str) -> Option<(&str, usize)> {
    let bytes = line.as_bytes();
    let sep = bytes.iter().position(|b| matches!(b, b':' | b'='))?;
    let key = line[..sep]
        .trim()
        .trim_matches(['"', '\''])
        .trim_start_matches("- ");
    let key = key
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .next()?;
    if key.is_empty() {
        return None;
    }
    let mut v = sep + 1;
    while bytes.get(v).is_some_and(|b| *b == b' ' || *b == b'\t') {
        v += 1;
    }
    if matches!(bytes.get(v), Some(b'"' | b'\'')) {
        v += 1;
    }
    (v < bytes.len()).then_some((key, v))
}

/// Reads the token at `start` and keeps it if it parses as an image reference (with a tag or
/// digest when `versioned`: a bare `host/path` anywhere is a path, not an image).
fn push_token(
    text: &str,
    start: usize,
    sibling_key: Option<&str>,
    versioned: bool,
    out: &mut Vec<ImageRef>,
) {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() && !is_delimiter(bytes[end]) {
        end += 1;
    }
    while end > start && matches!(bytes[end - 1], b'.' | b':' | b'/') {
        end -= 1;
    }
    let token = &text[start..end];
    if token.is_empty() || token.contains("://") || token.contains('$') || token.contains("{{") {
        return;
    }
    if token.bytes().filter(|b| *b == b'@').count() > 1 || token.starts_with('@') {
        return; // `@PLACEHOLDER@`
    }
    let Ok(parsed) = Reference::parse(token) else {
        return;
    };
    if versioned && parsed.tag.is_none() && parsed.digest.is_none() {
        return;
    }
    let without_digest = token.find('@').map_or(token, |i| &token[..i]);
    let name_len = without_digest.len() - parsed.tag.as_ref().map_or(0, |t| t.len() + 1);
    let name_span = Span::new(start, name_len);
    let mut tag = parsed.tag.as_ref().map(|t| TagRef {
        span: Span::new(start + name_len + 1, t.len()),
        text: t.clone(),
        placeholders: Vec::new(),
        split: false,
        empty: false,
    });
    let digest = parsed.digest.as_ref().map(|_| {
        Span::new(
            start + without_digest.len(),
            token.len() - without_digest.len(),
        )
    });
    if let (None, None, Some(key)) = (&tag, &digest, sibling_key) {
        tag = sibling_tag(text, start, key).filter(|t| t.placeholders.is_empty());
    }
    out.push(ImageRef {
        span: Span::new(start, end - start),
        mirror: None,
        name_span,
        name: parsed.name,
        tag,
        digest,
        repository_key: sibling_key.is_some(),
        // The finder reads only where an image is used (image keys, `FROM`, pull commands).
        role: Role::Pull,
        appendable: false,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let matcher = Matcher::new(&["docker.io/starlingx/".to_owned()]).unwrap();
        unmanaged(text, &matcher)
            .iter()
            .map(|r| {
                let mut s = r.name.to_string();
                if let Some(t) = &r.tag {
                    assert_eq!(&text[t.span.offset..t.span.end()], t.text);
                    s.push(':');
                    s.push_str(&t.text);
                }
                if let Some(d) = r.digest {
                    s.push_str(&text[d.offset..d.end()]);
                }
                s
            })
            .collect()
    }

    #[test]
    fn keys_commands_and_hosted_tokens() {
        assert_eq!(
            found("image:\n  repository: quay.io/jetstack/cert-manager\n  tag: v1.7.1\n"),
            ["quay.io/jetstack/cert-manager:v1.7.1"]
        );
        assert_eq!(
            found("  image: \"nginx:1.25\"\n"),
            ["docker.io/library/nginx:1.25"]
        );
        assert_eq!(
            found("FROM --platform=x debian:bookworm AS b\n"),
            ["docker.io/library/debian:bookworm"]
        );
        assert_eq!(
            found("run: docker pull registry.k8s.io/pause:3.9\n"),
            ["registry.k8s.io/pause:3.9"]
        );
        assert_eq!(
            found("  dep_check: quay.io/airshipit/kubernetes-entrypoint:v1.0.0\n"),
            ["quay.io/airshipit/kubernetes-entrypoint:v1.0.0"]
        );
        let digest = format!("x: gcr.io/a/b@sha256:{}\n", "a".repeat(64));
        assert_eq!(
            found(&digest),
            [format!("gcr.io/a/b@sha256:{}", "a".repeat(64))]
        );
        assert_eq!(found("initImage: busybox\n"), ["docker.io/library/busybox"]);
    }

    #[test]
    fn not_references() {
        for text in [
            "# image: nginx:1.25\n",
            "url: https://quay.io/jetstack/x:1\n",
            "image: {{ .Values.image }}\n",
            "image: ${IMAGE}\n",
            "repository: https://charts.helm.sh/stable\n",
            "image: docker.io/starlingx/x:stx.9.0-v1\n",
            "tag: @IMAGE_TAG@\n",
            "see github.com/foo/bar for details\n",
            "from oslo_config import cfg\n",
            "FROM scratch\n",
            "  node-role.kubernetes.io/control-plane: \"\"\n",
        ] {
            assert!(found(text).is_empty(), "{text}: {:?}", found(text));
        }
    }
}
