//! TM204 unexpanded-placeholder: a reference tagman cannot check because a placeholder hides its tag or name.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM204` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::{FileContext, Tag};
use crate::extract::Expansion;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM204",
    name: "unexpanded-placeholder",
    default: Severity::Warning,
    subject: Subject::SourceTree,
    summary:
        "a managed image reference holds a placeholder tagman cannot expand, so it is not checked",
    docs: Docs {
        what: r#"Reports pulls whose tag holds a placeholder other than `@OS_CODENAME@`
(`{{ .Values.tag }}`, `${TAG}`, `$TAG`, `{tag}`, `%(tag)s`, `stx-@BRANCH@`), pulls whose image
name continues with one, and an empty Helm `tag:` with no `Chart.yaml` beside the values file to
take the `appVersion` from. It does not guess their values. A tag made only of package-build
placeholders (`@IMAGE_PREFIX@-@OS@-@OS_CODENAME@-@BUILD_STREAM@`) is filled in by the package
build: a build input, counted in the summary, not reported."#,
        why: r#"Such a reference may well float at run time; saying that it was not checked is more
honest than silence."#,
        example: r#"```yaml
image: docker.io/starlingx/stx-platformclients:{{ .Values.tag }}
```"#,
        fix: r#"Check where the value comes from (Helm values, build environment); turn the rule off
for the file kind in `tagman.yaml` (`rules: {unexpanded-placeholder: off}`) once you have."#,
    },
};

/// Pushes a finding per pull hidden behind a placeholder, or behind an empty `tag:`.
pub fn check(ctx: &FileContext<'_>, out: &mut Findings) {
    for (reference, tag) in ctx.pulls() {
        let tag = match tag {
            Tag::Unresolved(empty) => {
                out.push(
                    Finding::new(
                        ctx.tag_label(reference),
                        format!(
                            "the tag of {} is empty, so Helm uses the chart's appVersion, and there is no Chart.yaml beside this file to read it from: this reference is not checked",
                            reference.name
                        ),
                    )
                    .help(if empty.span.len == 0 {
                        "set the tag to a declared release tag, or keep the chart (Chart.yaml with `appVersion`) beside its values file"
                    } else {
                        "`null` and `~` are no tag: set a declared release tag"
                    }),
                );
                continue;
            }
            Tag::Written(t) | Tag::Elsewhere(t, _) => t,
            Tag::AppVersion(..) | Tag::Missing => continue,
        };
        if let Expansion::Opaque(placeholder) = tag.expand(ctx.codenames) {
            out.push(
                Finding::new(
                    Label::new(ctx.source, placeholder.span),
                    format!(
                        "the tag of {} is `{}`: `{}` cannot be expanded, so this reference is not checked",
                        reference.name, tag.text, placeholder.text
                    ),
                )
                .help("make sure the value it takes is a declared release tag; only `@OS_CODENAME@` is expanded"),
            );
        }
    }
    for unreadable in &ctx.extracted.templated_names {
        out.push(
            Finding::new(
                Label::new(ctx.source, unreadable.placeholder.span),
                format!(
                    "the image name in `{}` continues with `{}`, so this reference is not checked",
                    ctx.source.slice(unreadable.span),
                    unreadable.placeholder.text
                ),
            )
            .help("make sure every image it can name is pinned to a declared release tag"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    #[test]
    fn opaque_placeholders_are_reported_and_codenames_are_not() {
        for (text, placeholder) in [
            (
                "image: docker.io/starlingx/dex:{{ .Values.tag }}\n",
                "{{ .Values.tag }}",
            ),
            ("IMG=docker.io/starlingx/dex:${TAG}\n", "${TAG}"),
            (
                "image: docker.io/starlingx/{{ .Values.name }}:1\n",
                "{{ .Values.name }}",
            ),
        ] {
            let found = run_check(check, text);
            assert_eq!(found.len(), 1, "{text}");
            assert!(
                found[0].message.contains(placeholder),
                "{}",
                found[0].message
            );
        }
        for ok in [
            "x: docker.io/starlingx/dex:stx.9.0-v2.40.0-@OS_CODENAME@\n",
            "x: docker.io/starlingx/dex:@IMAGE_PREFIX@-@OS@-@OS_CODENAME@-@BUILD_STREAM@\n",
        ] {
            assert!(run_check(check, ok).is_empty(), "{ok}");
        }
        let found = run_check(
            check,
            "image:\n  repository: docker.io/starlingx/dex\n  tag: \"\"\n",
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("appVersion"),
            "{}",
            found[0].message
        );
    }
}
