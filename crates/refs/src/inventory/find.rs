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

use super::block::{self, key_value};
use super::context::{self, Context};
use super::dockerfile::{self, Args};
use crate::extract::{sibling_tag, FileKind, ImageRef, Matcher, Role, TagRef};

/// Every image reference outside `matcher`'s namespaces in `text`, a file of unknown kind.
pub fn unmanaged(text: &str, matcher: &Matcher) -> Vec<ImageRef> {
    unmanaged_in("", text, matcher)
}

/// Every image reference outside `matcher`'s namespaces in `text`, the file `name` (its kind
/// decides what counts: prose names no image, code names one only in a string with a tag or a
/// path, a Dockerfile's `FROM` is an image and SQL's is not), in file order.
pub fn unmanaged_in(name: &str, text: &str, matcher: &Matcher) -> Vec<ImageRef> {
    unmanaged_upto(name, text, matcher, usize::MAX).0
}

/// The first `limit` references [`unmanaged_in`] finds, and whether the file holds more: reading
/// stops there, so a file of millions of references costs no more than its first `limit`.
pub fn unmanaged_upto(
    name: &str,
    text: &str,
    matcher: &Matcher,
    limit: usize,
) -> (Vec<ImageRef>, bool) {
    let mut out: Vec<ImageRef> = Vec::new();
    let kind = Kind::of(name);
    if kind.syntax == FileKind::Docs || kind.stylesheet {
        return (out, false);
    }
    let args = if kind.dockerfile {
        Args::of(text)
    } else {
        Args::default()
    };
    let managed = |r: &ImageRef| matcher.namespaces().iter().any(|ns| ns.contains(&r.name));
    let mut line_start = 0;
    let mut more = false;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let (at, content) = match kind.syntax.diff_prefix(content) {
            // A line a patch removes is not in what ships; the others lose their prefix.
            Some(b'-') => (None, content),
            Some(_) => (Some(line_start + 1), &content[1..]),
            None => (Some(line_start), content),
        };
        if let Some(at) = at {
            let from = out.len();
            scan_line(text, at, content, (kind, &args), &mut out);
            // A line can name one image twice (a key's value, a token with a registry).
            let mut found = out.split_off(from);
            found.retain(|r| !managed(r));
            found.sort_by_key(|r| r.span);
            found.dedup_by_key(|r| r.span);
            out.extend(found);
            if out.len() > limit {
                more = true;
                break;
            }
        }
        line_start += line.len();
    }
    out.sort_by_key(|r| r.span);
    out.dedup_by_key(|r| r.span);
    out.truncate(limit);
    (out, more)
}

fn ends_with_ignore_case(s: &str, suffix: &str) -> bool {
    s.len() >= suffix.len()
        && s.as_bytes()[s.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

/// Bytes that end a token.
fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b"\"'`,;()[]{}<>=|".contains(&b)
}

/// What the finder needs to know of a file.
#[derive(Clone, Copy, Debug)]
struct Kind {
    syntax: FileKind,
    /// A Dockerfile (or a patch of one): `FROM` names an image, and `# syntax=` a frontend.
    dockerfile: bool,
    /// CSS: `background-image: none` names no container image.
    stylesheet: bool,
}

impl Kind {
    fn of(name: &str) -> Self {
        let base = name
            .rsplit(['/', '!'])
            .next()
            .unwrap_or(name)
            .to_ascii_lowercase();
        Self {
            syntax: FileKind::of(name),
            dockerfile: base.starts_with("dockerfile")
                || base.starts_with("containerfile")
                || base.ends_with(".dockerfile")
                || name.is_empty(),
            stylesheet: [".css", ".scss", ".less"].iter().any(|e| base.ends_with(e)),
        }
    }

    /// Code, where an image is named only in a string literal.
    fn is_code(self) -> bool {
        self.syntax.is_code()
    }

    /// What a bare operand or value must be: in a patch (of any language) or in code, a path,
    /// a tag or a digest.
    fn value_want(self) -> Want {
        if self.is_code() || self.syntax == FileKind::Patch {
            Want::Qualified
        } else {
            Want::Any
        }
    }
}

/// BuildKit's frontend line (`# syntax=docker/dockerfile:1.4`): the image that parses the
/// Dockerfile, pulled like a base image.
fn syntax_directive(trimmed: &str) -> Option<usize> {
    let rest = trimmed.strip_prefix('#')?.trim_start();
    let value = rest
        .strip_prefix("syntax")?
        .trim_start()
        .strip_prefix('=')?;
    Some(trimmed.len() - value.trim_start().len())
}

fn scan_line(
    text: &str,
    at: usize,
    line: &str,
    (kind, args): (Kind, &Args),
    out: &mut Vec<ImageRef>,
) {
    let trimmed = line.trim_start();
    let indent = line.len() - trimmed.len();
    if kind.dockerfile {
        if let Some(value) = syntax_directive(trimmed) {
            push_token(text, at + indent + value, None, Want::Any, out);
            return;
        }
    }
    if trimmed.starts_with('#') || trimmed.starts_with("//") || trimmed.starts_with("<!--") {
        return;
    }
    // Upper case only: Python's `from x import y` is not a Dockerfile; SQL's `FROM table` is
    // not one either, so outside Dockerfiles the operand must look like an image.
    let from = trimmed.starts_with("FROM ");
    let command_value = command_operand(line, indent, from);
    // Outside a Dockerfile or a shell script, a command's operand may be prose ("crictl pull
    // for image"): only one that looks like an image (a path, a tag or a digest) counts.
    let commands = match (from, kind.syntax) {
        (true, _) if kind.dockerfile => Want::Any,
        (false, FileKind::Shell) => Want::Any,
        _ => Want::Qualified,
    };
    if let Some(start) = command_value {
        // `FROM scratch` starts from nothing, not from an image.
        let operand = line[start..]
            .split(|c: char| c.is_ascii_whitespace())
            .next()
            .unwrap_or("");
        // `FROM debian:${DIST}` with `ARG DIST=bullseye`: the image its default builds from.
        if let Some(expanded) = args.expand(operand) {
            out.extend(dockerfile::expanded_ref(
                at + start,
                operand.len(),
                &expanded,
            ));
        } else if !line[start..].starts_with("scratch") {
            push_token(text, at + start, None, commands, out);
        }
    }
    key_value_image(text, at, line, kind, out);
    hosted_images(text, at, line, out);
}

/// Where the operand of `FROM` (when `from`) or of a `docker|podman|nerdctl|crictl|ctr pull`
/// starts in `line`.
fn command_operand(line: &str, indent: usize, from: bool) -> Option<usize> {
    if from {
        return first_operand(line, indent + 5);
    }
    memchr::memmem::find(line.as_bytes(), b" pull ")?;
    let lower = line.to_ascii_lowercase();
    let mut operand = None;
    for tool in ["docker", "podman", "nerdctl", "crictl", "ctr"] {
        if let Some(i) = lower
            .find(tool)
            .filter(|i| lower[i + tool.len()..].starts_with(" pull "))
        {
            operand = first_operand(line, i + tool.len() + 6);
        }
    }
    operand
}

/// Every token of `line` that names an explicit registry host with a tag or digest.
fn hosted_images(text: &str, at: usize, line: &str, out: &mut Vec<ImageRef>) {
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
            push_token(text, at + start, None, Want::Versioned, out);
        }
    }
}

/// The value of a key naming an image (`image:`, `*_image`, `repository:` with its sibling
/// `tag:`). In code, an image is named in a string literal with a path or a tag; an unquoted
/// value is an expression (`IMAGE = json.dumps(…)`).
fn key_value_image(text: &str, at: usize, line: &str, kind: Kind, out: &mut Vec<ImageRef>) {
    let Some((key, value, quoted)) = key_value(line) else {
        return;
    };
    let want = kind.value_want();
    if (kind.is_code() && !quoted) || is_action_key(key) {
        return;
    }
    let image = ends_with_ignore_case(key, "image");
    if !image && !ends_with_ignore_case(key, "repository") {
        return;
    }
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let block = block::around(text, line_start, kind.syntax);
    match context::judge(&block, image, &line[value..]) {
        Context::Image if image => push_token(text, at + value, None, want, out),
        Context::Image => push_token(text, at + value, Some(key), want, out),
        Context::Joined { prefix, tag } => {
            out.extend(context::joined(text, at + value, prefix, tag));
        }
        Context::NotAnImage => {}
    }
}

/// A key that names an action on images (`get_image`, `delete_image`: OpenStack policies,
/// API calls), not an image.
fn is_action_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    [
        "get",
        "add",
        "delete",
        "modify",
        "create",
        "update",
        "list",
        "publicize",
        "communitize",
        "download",
        "upload",
        "deactivate",
        "reactivate",
        "copy",
        "set",
        "remove",
        "find",
        "show",
    ]
    .iter()
    .any(|verb| {
        lower
            .strip_prefix(verb)
            .is_some_and(|rest| rest.starts_with(['_', '-']))
    })
}

/// What a token must be to count as an image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Want {
    /// Any name (an `image:` value in data, a Dockerfile `FROM`).
    Any,
    /// A name with a path, a tag or a digest (where a bare word may be prose or a variable).
    Qualified,
    /// A tag or a digest (a hosted token anywhere on a line).
    Versioned,
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

/// The token that starts at `start` (past a local registry's prefix), as a byte range of
/// `text`; `None` for what is no name: a call or a subscript, a string's prefix, a URL, a
/// variable, a template or an `@PLACEHOLDER@`.
pub(super) fn token_at(text: &str, start: usize) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut end = start;
    while end < bytes.len() && !is_delimiter(bytes[end]) {
        end += 1;
    }
    while end > start && matches!(bytes[end - 1], b'.' | b':' | b'/') {
        end -= 1;
    }
    // `json.dumps(…)`, `data['spec']`: a call or a subscript, not a name; `f"…"`: a string's
    // prefix.
    let prefix = end - start <= 2 && matches!(bytes.get(end), Some(b'"' | b'\''));
    if matches!(bytes.get(end), Some(b'(' | b'[')) || prefix {
        return None;
    }
    let start = start + mirror_len(&text[start..end]);
    let token = &text[start..end];
    if token.is_empty() || token.contains("://") || token.contains('$') || token.contains("{{") {
        return None;
    }
    if token.bytes().filter(|b| *b == b'@').count() > 1 || token.starts_with('@') {
        return None; // `@PLACEHOLDER@`
    }
    Some((start, end))
}

/// Reads the token at `start` and keeps it if it parses as an image reference that is what
/// `want` asks for (a bare `host/path` anywhere is a path, not an image). A local registry's
/// prefix (`registry.local:9001/quay.io/x`) is read as the image behind it.
fn push_token(
    text: &str,
    start: usize,
    sibling_key: Option<&str>,
    want: Want,
    out: &mut Vec<ImageRef>,
) {
    let Some((start, end)) = token_at(text, start) else {
        return;
    };
    let token = &text[start..end];
    let Ok(parsed) = Reference::parse(token) else {
        return;
    };
    if !wanted(token, &parsed, want) {
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
        tag_elsewhere: false,
    });
}

/// Whether a parsed token is what `want` asks for. A one-word name with a dot
/// (`texture.image`, `debug.level.verbose`) or a YAML/JSON keyword is a property or a value,
/// not an image.
pub(super) fn wanted(token: &str, parsed: &Reference, want: Want) -> bool {
    let versioned = parsed.tag.is_some() || parsed.digest.is_some();
    let pathed = token.contains('/');
    let word =
        !pathed && (token.contains('.') || ["null", "true", "false", "none", "~"].contains(&token));
    // `registry.local:9001/registry.k8s.io`: a registry prefix with no image after it.
    let host = |s: &str| s.contains('.') || s.contains(':');
    if !versioned && token.split('/').count() == 2 && token.split('/').all(host) {
        return false;
    }
    match want {
        Want::Any => versioned || !word,
        Want::Qualified => (versioned || pathed) && !word,
        Want::Versioned => versioned,
    }
}

/// The length of a local registry's prefix before an image with a registry of its own
/// (`registry.local:9001/` in `registry.local:9001/docker.io/starlingx/x`), else 0.
pub(super) fn mirror_len(token: &str) -> usize {
    let mut parts = token.splitn(3, '/');
    let (Some(first), Some(second), Some(_)) = (parts.next(), parts.next(), parts.next()) else {
        return 0;
    };
    let host = |s: &str| s.contains('.') || s.contains(':') || s == "localhost";
    if host(first) && host(second) && !second.contains('@') {
        first.len() + 1
    } else {
        0
    }
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

    fn found_in(name: &str, text: &str) -> Vec<String> {
        let matcher = Matcher::new(&["docker.io/starlingx/".to_owned()]).unwrap();
        unmanaged_in(name, text, &matcher)
            .iter()
            .map(|r| {
                let tag = r
                    .tag
                    .as_ref()
                    .map_or(String::new(), |t| format!(":{}", t.text));
                format!("{}{tag}", r.name)
            })
            .collect()
    }

    /// Issue 19: rows that were not images, each as found in StarlingX's repositories.
    #[test]
    fn what_is_not_an_image_on_real_code() {
        for (name, text) in [
            ("tasks/get_infos.yaml", "    query: SELECT * FROM i_host WHERE x\nshell: psql -c \"FROM i_idisk\"\n"),
            ("keywords/crictl.py", "    # doc\n    msg = 'crictl pull for image'\n    run('crictl pull ' + image)\n"),
            ("enum.py", "    WEBIMAGE = json.dumps(x)\n    image = self.get_image(name)\n    image = image_ref\n"),
            ("css/bootstrap.css", "  background-image: none;\n  background-image: linear-gradient(x);\n"),
            ("glance-policy-overrides.yml", "\"get_image\": \"rule:admin_or_projectmember_owner\"\n"),
            ("debug.ini", "image=debug.level.verbose\n"),
            ("values.yaml", "image: null\nimage: ~\nregistry: registry.local:9001/registry.k8s.io\n"),
            ("build-image", "    repository = f\"{REPO}-{layer}\"\n    rbd_image = data['spec']\n"),
            ("collect.sh", "psql -c \"SELECT datname FROM pg_database\"\n"),
            ("0002-x.patch", "+  'key_repository': value => $x;\n+  repository: nvidia\n"),
            ("policy.yml", "communitize_image: rule:admin_or_projectadmin_required\n"),
            ("README.md", "image: busybox\nFROM ubuntu:18.04\n"),
            ("0001-x.patch", "-FROM centos:7\n-  image: quay.io/x/y:1\n"),
        ] {
            assert!(found_in(name, text).is_empty(), "{name}: {:?}", found_in(name, text));
        }
    }

    #[test]
    fn images_the_finder_keeps() {
        assert_eq!(
            found_in(
                "Dockerfile",
                "# syntax=docker/dockerfile:1.4\nFROM golang:1.24 AS b\n"
            ),
            [
                "docker.io/docker/dockerfile:1.4",
                "docker.io/library/golang:1.24"
            ]
        );
        assert_eq!(
            found_in(
                "images.py",
                "IMAGE = 'quay.io/ceph/ceph:v18.2.8'\nBASE = \"busybox:1.36\"\n"
            ),
            ["quay.io/ceph/ceph:v18.2.8"]
        );
        assert_eq!(
            found_in(
                "Dockerfile.stable",
                "ARG DIST=bullseye\nFROM debian:${DIST} as c\nFROM ${BASE}\n"
            ),
            ["docker.io/library/debian:bullseye"]
        );
        assert_eq!(
            found_in("pods.yaml", "    image: busybox\n"),
            ["docker.io/library/busybox"]
        );
        assert_eq!(
            found_in("build.sh", "docker pull busybox\n"),
            ["docker.io/library/busybox"]
        );
        assert_eq!(
            found_in("0001-x.patch", "+FROM centos:7\n+  image: quay.io/x/y:1\n"),
            ["docker.io/library/centos:7", "quay.io/x/y:1"]
        );
        // A local registry's prefix is read as the image behind it; a managed one is left to
        // the extractor.
        assert_eq!(
            found_in(
                "all.yaml",
                "  a: registry.local:9001/quay.io/ceph/ceph:v18.2.8\n  b: registry.local:9001/docker.io/starlingx/stx-ceph-manager:stx.12.0-v18.2.2-0\n  c: registry.local:9001/pause:3.9\n"
            ),
            ["quay.io/ceph/ceph:v18.2.8", "registry.local:9001/pause:3.9"]
        );
    }
}
