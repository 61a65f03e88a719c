//! TM203 build-tag-reference: a timestamped build tag used directly.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM203` prints it.

use tagman_core::tag::parse_build_tag;
use tagman_core::Severity;
use tagman_diag::diagnostic::Finding;
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::FileContext;
use crate::extract::Expansion;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM203",
    name: "build-tag-reference",
    default: Severity::Warning,
    subject: Subject::SourceTree,
    summary: "a managed image is referenced by a timestamped build tag, bypassing tag management",
    docs: Docs {
        what: r#"Flags references whose tag is a loadbuild tag such as
`master-centos-stable-20191203T153530Z.0` (checked for every `@OS_CODENAME@` expansion)."#,
        why: r#"Build tags exist, so the pull works, but they bypass tag management: no manifest
records which upstream version the image is, and nothing re-tags it for the release."#,
        example: r#"```yaml
image: docker.io/starlingx/k8s-cni-sriov:master-centos-stable-20191203T153530Z.0
```"#,
        fix: r#"Reference the release tag a manifest makes from that build tag (`src_build_tag`),
adding the entry first if there is none."#,
    },
};

/// Pushes a finding per pull by a build tag.
pub fn check(ctx: &FileContext<'_>, out: &mut Findings) {
    for (reference, tag) in ctx.pulls() {
        let Some(tag) = tag.checked() else { continue };
        let expansions = match tag.expand(ctx.codenames) {
            Expansion::Literal(t) => vec![t],
            Expansion::Codenames(ts) => ts,
            Expansion::Opaque(_) => continue,
        };
        if expansions.is_empty() || !expansions.iter().all(|t| parse_build_tag(t).is_ok()) {
            continue;
        }
        let name = &reference.name;
        let message = format!(
            "`{name}` is referenced by the build tag `{}`, which bypasses tag management",
            tag.text
        );
        let made = expansions
            .iter()
            .find_map(|t| ctx.catalog.made_from(name, t));
        let finding = match made {
            Some(declared) => Finding::new(ctx.tag_label(reference), message)
                .help(format!(
                    "reference `{}`, the release tag a manifest makes from this build: `tagman refs --bump {name}={}`",
                    declared.tag, declared.tag
                ))
                .also(declared.label("release tag made from this build")),
            None => Finding::new(ctx.tag_label(reference), message).help(format!(
                "add a manifest entry for {name} with `src_build_tag: {}` and reference its release tag",
                tag.text
            )),
        };
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    #[test]
    fn build_tags_warn_and_name_the_release_tag_made_from_them() {
        let found = run_check(
            check,
            "image: docker.io/starlingx/dex:master-centos-stable-20200204T162546Z.0\n",
        );
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .help
            .as_deref()
            .unwrap_or("")
            .starts_with("reference `stx.4.0-v2.14.0-1`"));
        let found = run_check(
            check,
            "image: docker.io/starlingx/dex:master-debian-stable-20250101T000000Z.0\n",
        );
        assert!(found[0]
            .help
            .as_deref()
            .unwrap_or("")
            .starts_with("add a manifest entry"));
        assert!(run_check(check, "image: docker.io/starlingx/dex:stx.4.0-v2.14.0-1\n").is_empty());
    }
}
