//! TM005 `tag-release`: the tag's `stx.X.Y` is the release the policy names.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM005` prints it.

use crate::sink::Findings;
use tagman_core::Severity;

use crate::context::Context;
use crate::diagnostic::{Finding, Label};
use crate::registry::{Docs, Rule, Subject};
use crate::text::value_span;

/// TM005.
pub static RULE: Rule = Rule {
    code: "TM005",
    name: "tag-release",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "the tag's stx.X.Y is the policy's `release` (when set)",
    docs: Docs {
        what: r#"When tagman.yaml sets `release: "13.0"`, every tag must start `stx.13.0-`.
The finding points at the tag and at the policy line."#,
        why: r#"A release branch that tags its images with another release's prefix collides with
that release's tags, or misleads whoever reads the chart."#,
        example: r#"`tag: stx.12.0-v1.0.0` with `release: "13.0"`."#,
        fix: r#"Use the branch's release in the tag (`stx.13.0-v1.0.0`), or correct `release`."#,
    },
};

/// Checks every tag that has a `stx.X.Y` prefix against the policy's release.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let Some(release) = &cx.policy.release else {
        return;
    };
    for manifest in cx.manifests {
        let src = &manifest.source;
        for entry in &manifest.entries {
            let Some(tag) = &entry.tag else { continue };
            let Some(rest) = tag.value.strip_prefix("stx.") else {
                continue;
            };
            let end = rest.find('-').unwrap_or(rest.len());
            let tag_release = &rest[..end];
            if tag_release == release.value {
                continue;
            }
            let mut finding = Finding::new(
                Label::new(src, value_span(src, tag, 4, end)),
                format!(
                    "`{}` is tagged for release {tag_release}, but this branch builds release {}",
                    tag.value, release.value
                ),
            )
            .help(format!("use `stx.{}{}`", release.value, &rest[end..]));
            if let Some(policy) = &cx.policy.source {
                finding =
                    finding.also(Label::new(policy, release.span).with_note("release set here"));
            }
            out.push(finding);
        }
    }
}
