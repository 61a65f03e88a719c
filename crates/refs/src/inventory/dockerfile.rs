//! Dockerfile `ARG` defaults, so that `FROM debian:${DIST}` names the image the default builds
//! from, as Renovate's dockerfile manager reports it (`ARG DIST=bullseye` → `debian:bullseye`).

use tagman_core::reference::Reference;
use tagman_core::Span;

use crate::extract::{ImageRef, Role, TagRef};

/// The `ARG NAME=default` lines of one Dockerfile (the first default of a name wins).
#[derive(Debug, Default)]
pub(super) struct Args(Vec<(String, String)>);

impl Args {
    /// Every `ARG` with a default in `text`.
    pub(super) fn of(text: &str) -> Self {
        let mut args: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            let Some(rest) = line.trim_start().strip_prefix("ARG ") else {
                continue;
            };
            let Some((name, value)) = rest.trim().split_once('=') else {
                continue;
            };
            let value = value.trim().trim_matches(['"', '\'']);
            if !args.iter().any(|(n, _)| n == name) && !value.contains('$') {
                args.push((name.to_owned(), value.to_owned()));
            }
        }
        Self(args)
    }

    /// `token` with `${NAME}` and `$NAME` replaced by their defaults; `None` when it holds none
    /// or one without a default.
    pub(super) fn expand(&self, token: &str) -> Option<String> {
        if !token.contains('$') {
            return None;
        }
        let mut out = token.to_owned();
        for (name, value) in &self.0 {
            out = out.replace(&format!("${{{name}}}"), value);
            out = out.replace(&format!("${name}"), value);
        }
        (!out.contains('$')).then_some(out)
    }
}

/// The reference `expanded` stands for, written as the `len` bytes at `start` (the token with
/// its variables): one span for the name and the tag, which are not written as such.
pub(super) fn expanded_ref(start: usize, len: usize, expanded: &str) -> Option<ImageRef> {
    let parsed = Reference::parse(expanded).ok()?;
    let span = Span::new(start, len);
    Some(ImageRef {
        span,
        mirror: None,
        name_span: span,
        name: parsed.name,
        tag: parsed.tag.map(|text| TagRef {
            span,
            text,
            placeholders: Vec::new(),
            split: false,
            empty: false,
        }),
        digest: None,
        repository_key: false,
        role: Role::Pull,
        appendable: false,
        tag_elsewhere: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arg_defaults_expand() {
        let args =
            Args::of("# x\nARG DIST=bullseye\nARG RELEASE=\"11.2\"\nARG DIST=trixie\nARG OTHER\n");
        assert_eq!(
            args.expand("debian:${DIST}").as_deref(),
            Some("debian:bullseye")
        );
        assert_eq!(
            args.expand("debian:$RELEASE").as_deref(),
            Some("debian:11.2")
        );
        assert_eq!(args.expand("${BASE}"), None);
        assert_eq!(args.expand("debian:12"), None);
        let r = expanded_ref(5, 14, "debian:bullseye")
            .map(|r| (r.name.to_string(), r.tag.map(|t| t.text)));
        assert_eq!(
            r,
            Some((
                "docker.io/library/debian".to_owned(),
                Some("bullseye".to_owned())
            ))
        );
    }
}
