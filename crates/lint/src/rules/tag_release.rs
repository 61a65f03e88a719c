//! TM005 `tag-release`: the tag's `stx.X.Y` is the release the policy names.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM005` prints it.

use tagman_core::Severity;
use tagman_diag::sink::Findings;

use crate::context::Context;
use crate::text::value_span;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM005.
pub static RULE: Rule = Rule {
    code: "TM005",
    name: "tag-release",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "the tag's stx.X.Y is the policy's `release` (when set; with a base revision, in added or changed entries)",
    docs: Docs {
        what: r#"When tagman.yaml sets `release: "13.0"`, every tag must start `stx.13.0-`.
When `lint` compares with a base revision (`--base`, `--commit`, and by default `HEAD` inside a
git work tree), only the entries the change adds or changes are checked: a file that keeps the
tags of every past release (StarlingX's does) stays clean, and each new tag is still held to the
branch's release. `--no-base` checks every entry. The finding points at the tag and at the
policy line."#,
        why: r#"A release branch that tags its images with another release's prefix collides with
that release's tags, or misleads whoever reads the chart."#,
        example: r#"`tag: stx.12.0-v1.0.0` with `release: "13.0"`."#,
        fix: r#"Use the branch's release in the tag (`stx.13.0-v1.0.0`), or correct `release`."#,
    },
};

/// Checks every tag that has a `stx.X.Y` prefix against the policy's release; with a base
/// revision, only in the entries the change adds or changes.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    let Some(release) = &cx.policy.release else {
        return;
    };
    for (src, entry) in cx.changed_entries() {
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
            finding = finding.also(Label::new(policy, release.span).with_note("release set here"));
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use tagman_core::{Limits, Manifest, Policy, SourceFile};

    use super::*;
    use crate::context::ChangedEntries;

    fn manifest() -> Manifest {
        let entry = |tag: &str| {
            format!("  - name: docker.io/starlingx/x\n    src_build_tag: master-debian-stable-20240101T000000Z.0\n    src_ref: https://opendev.org/starlingx/x/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: {tag}\n")
        };
        let text = format!(
            "images:\n{}{}{}",
            entry("stx.9.0-v1.0.0"),
            entry("stx.10.0-v1.0.0"),
            entry("stx.8.0-v1.0.0")
        );
        Manifest::parse(SourceFile::new("m.yaml", text), &Limits::default()).unwrap()
    }

    fn lines(manifests: &[Manifest], changed: Option<&ChangedEntries>) -> Vec<usize> {
        let policy = Policy::parse(
            SourceFile::new("tagman.yaml", "release: \"10.0\"\n"),
            ".".into(),
        )
        .unwrap();
        let mut cx = Context::new(manifests, &[], &policy, 0);
        if let Some(changed) = changed {
            cx = cx.comparing(changed);
        }
        let mut out = Findings::unlimited();
        check(&cx, &mut out);
        out.into_vec()
            .iter()
            .map(|f| f.primary.start().line)
            .collect()
    }

    #[test]
    fn every_entry_without_a_base_only_the_changed_ones_with_one() {
        let manifests = [manifest()];
        assert_eq!(lines(&manifests, None), [5, 13]);
        // With a base, the old stx.9.0 entry is history; the new stx.8.0 one is checked.
        let changed = ChangedEntries::new([(0, 1), (0, 2)]);
        assert_eq!(lines(&manifests, Some(&changed)), [13]);
        assert!(lines(&manifests, Some(&ChangedEntries::default())).is_empty());
    }
}
