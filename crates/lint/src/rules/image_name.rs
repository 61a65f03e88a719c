//! TM003 `image-name`: `name` follows the distribution reference grammar, without tag or digest.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM003` prints it.

use tagman_core::{NameError, Severity};
use tagman_diag::sink::Findings;

use crate::context::Context;
use crate::text::value_span;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM003.
pub static RULE: Rule = Rule {
    code: "TM003",
    name: "image-name",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "`name` is a valid repository name (registry host optional, lower-case path, no tag or digest)",
    docs: Docs {
        what: r#"Parses `name` as `[host[:port]/]path` with lower-case path components and
points at the first character that breaks the grammar. A `:tag` or `@digest` in `name` is an
error: the tag has its own field."#,
        why: r#"A name the registry refuses fails only when the promote job runs, after merge."#,
        example: r#"`name: docker.io/StarlingX/k8s-cni-sriov`, `name: docker.io/starlingx/x:stx.4.0-v1`."#,
        fix: r#"Lower-case the path; move the tag to `tag:`."#,
    },
};

/// Checks every entry's `name`.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (src, entry) in cx.entries() {
        let (Some(name), Some(Err(err))) = (&entry.name, entry.image_name()) else {
            continue;
        };
        let rest = name.value.len().saturating_sub(err.offset());
        let len = match err {
            NameError::UpperCase { .. } | NameError::BadChar { .. } => name.value[err.offset()..]
                .chars()
                .next()
                .map_or(0, char::len_utf8),
            NameError::BadComponent { component, .. } => component.len(),
            NameError::Empty | NameError::TooLong { .. } => name.value.len(),
            _ => rest,
        };
        let span = value_span(src, name, err.offset(), len);
        let help = match err {
            NameError::HasTag { tag, .. } => format!("remove `:{tag}` from the name; the release tag goes in `tag:`"),
            NameError::HasDigest { .. } => "remove the digest; tagman resolves `src_build_tag` to the image itself".to_owned(),
            NameError::UpperCase { .. } => format!("use `{}`", name.value.to_ascii_lowercase()),
            _ => "an image name is `[registry-host[:port]/]path/to/repo`, lower-case letters, digits and `._-` separators".to_owned(),
        };
        out.push(
            Finding::new(Label::new(src, span), format!("invalid image name: {err}")).help(help),
        );
    }
}
