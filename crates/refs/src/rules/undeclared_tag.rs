//! TM202 undeclared-tag: a pinned tag that no manifest declares for that image.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM202` prints it.

use tagman_core::tag::{is_floating, parse_build_tag};
use tagman_core::Severity;
use tagman_lint::diagnostic::Finding;
use tagman_lint::registry::{Docs, Rule, Subject};
use tagman_lint::Findings;

use super::{list, FileContext};
use crate::extract::Expansion;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM202",
    name: "undeclared-tag",
    default: Severity::Error,
    subject: Subject::SourceTree,
    summary: "a managed image is referenced by a tag no manifest declares (it is never created)",
    docs: Docs {
        what: r#"For every reference with a fixed tag (neither floating nor a timestamped
build tag), looks the (image, tag) pair up in the manifests. A tag with `@OS_CODENAME@` is
checked for every expansion over the policy's `codenames`."#,
        why: r#"Release tags exist only because a manifest entry makes tag management push them: a
reference to any other tag points at an image that is never created, and pulls fail at
install time."#,
        example: r#"```yaml
image: docker.io/starlingx/dex:stx.4.0-v2.14.1   # the manifest declares stx.4.0-v2.14.0-1
```"#,
        fix: r#"Reference a declared tag, or add a manifest entry for this one first."#,
    },
};

/// Pushes a finding per reference whose tag (or any of its expansions) is undeclared.
pub fn check(ctx: &FileContext<'_>, out: &mut Findings) {
    for reference in &ctx.extracted.refs {
        let Some(tag) = &reference.tag else { continue };
        if reference.digest.is_some() || is_floating(&tag.text) {
            continue;
        }
        let candidates = match tag.expand(ctx.codenames) {
            Expansion::Literal(t) => vec![t],
            Expansion::Codenames(ts) => ts,
            Expansion::Opaque(_) => continue,
        };
        let name = &reference.name;
        let missing: Vec<String> = candidates
            .into_iter()
            .filter(|t| parse_build_tag(t).is_err() && ctx.catalog.find(name, t).is_none())
            .collect();
        if missing.is_empty() {
            continue;
        }
        let message = if tag.placeholders.is_empty() {
            format!(
                "no manifest declares `{}` for {name}: this tag is never created",
                tag.text
            )
        } else {
            format!(
                "`{}` expands to {} that no manifest declares for {name}: {}",
                tag.text,
                if missing.len() == 1 { "a tag" } else { "tags" },
                list(&missing)
            )
        };
        let declared = ctx.catalog.tags_for(name);
        let mut help = if declared.is_empty() {
            format!("no manifest declares any tag for {name}: add an entry for it, then reference its tag")
        } else {
            let tags: Vec<String> = declared
                .iter()
                .rev()
                .take(3)
                .map(|d| d.tag.clone())
                .collect();
            format!(
                "reference a declared tag ({}), or add a manifest entry for this one",
                list(&tags)
            )
        };
        if !tag.placeholders.is_empty() {
            help.push_str(
                "; `@OS_CODENAME@` is checked for every codename in tagman.yaml's `codenames`",
            );
        }
        let mut finding = Finding::new(ctx.tag_label(reference), message).help(help);
        if let Some(latest) = declared.last() {
            finding = finding.also(latest.label("last tag declared for this image"));
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    #[test]
    fn only_declared_tags_pass() {
        let found = run_check(
            check,
            "image: docker.io/starlingx/dex:stx.4.0-v2.14.1\n",
            false,
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "no manifest declares `stx.4.0-v2.14.1` for docker.io/starlingx/dex: this tag is never created"
        );
        assert_eq!(found[0].secondary.len(), 1);
        let found = run_check(
            check,
            "image: docker.io/starlingx/other:stx.4.0-v1\n",
            false,
        );
        assert!(found[0]
            .help
            .as_deref()
            .unwrap_or("")
            .starts_with("no manifest declares any tag"));
        for ok in [
            "image: docker.io/starlingx/dex:stx.4.0-v2.14.0-1\n",
            "image: docker.io/starlingx/dex:stx.9.0-v2.40.0-@OS_CODENAME@\n",
            // Other rules' business: floating, build tags, opaque placeholders.
            "image: docker.io/starlingx/dex:latest\n",
            "image: docker.io/starlingx/dex:master-centos-stable-20200204T162546Z.0\n",
            "image: docker.io/starlingx/dex:{{ tag }}\n",
        ] {
            assert!(run_check(check, ok, false).is_empty(), "{ok}");
        }
    }

    #[test]
    fn codename_placeholders_are_checked_per_expansion() {
        let found = run_check(
            check,
            "x: docker.io/starlingx/dex:stx.4.0-v2.14.0-1-@OS_CODENAME@\n",
            false,
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("`stx.4.0-v2.14.0-1-trixie`"),
            "{}",
            found[0].message
        );
    }
}
