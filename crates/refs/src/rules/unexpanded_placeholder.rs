//! TM204 unexpanded-placeholder: a reference tagman cannot check because a placeholder hides its tag or name.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM204` prints it.

use tagman_core::Severity;
use tagman_lint::diagnostic::{Finding, Label};
use tagman_lint::registry::{Docs, Rule, Subject};
use tagman_lint::Findings;

use super::FileContext;
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
        what: r#"Reports references whose tag holds a placeholder other than
`@OS_CODENAME@` (`{{ .Values.tag }}`, `${TAG}`, `$TAG`, `{tag}`, `%(tag)s`, `@OTHER@`), and
references whose image name continues with one. It does not guess their values."#,
        why: r#"Such a reference may well float at run time; saying that it was not checked is more
honest than silence."#,
        example: r#"```yaml
image: docker.io/starlingx/stx-platformclients:{{ .Values.tag }}
```"#,
        fix: r#"Check where the value comes from (Helm values, build environment); turn the rule off
for the file kind in `tagman.yaml` (`rules: {unexpanded-placeholder: off}`) once you have."#,
    },
};

/// Pushes a finding per reference hidden behind a placeholder.
pub fn check(ctx: &FileContext<'_>, out: &mut Findings) {
    for reference in &ctx.extracted.refs {
        let Some(tag) = &reference.tag else { continue };
        if reference.digest.is_some() {
            continue;
        }
        if let Expansion::Opaque(placeholder) = tag.expand(ctx.codenames) {
            out.push(
                Finding::new(
                    Label::new(ctx.source, placeholder.span),
                    format!(
                        "the tag of {} is `{}`: `{}` cannot be expanded, so this reference is not checked",
                        reference.name, tag.text, placeholder.text
                    ),
                )
                .help("make sure the value it takes is a declared release tag; only `@OS_CODENAME@` is expanded (over the policy's `codenames`)"),
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
            let found = run_check(check, text, false);
            assert_eq!(found.len(), 1, "{text}");
            assert!(
                found[0].message.contains(placeholder),
                "{}",
                found[0].message
            );
        }
        assert!(run_check(
            check,
            "x: docker.io/starlingx/dex:stx.9.0-v2.40.0-@OS_CODENAME@\n",
            false
        )
        .is_empty());
    }
}
