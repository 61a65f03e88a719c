//! TM202 undeclared-tag: a pinned tag that no manifest declares for that image.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM202` prints it.

use tagman_core::{ImageName, Severity};
use tagman_diag::diagnostic::Finding;
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::{list, FileContext};
use crate::catalog::Declared;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM202",
    name: "undeclared-tag",
    default: Severity::Error,
    subject: Subject::SourceTree,
    summary: "a managed image is referenced by a tag no manifest declares (it is never created)",
    docs: Docs {
        what: r#"For every pull with a fixed tag (neither floating nor a timestamped build
tag), looks the (image, tag) pair up in the manifests, and, when they are in a git repository,
in every earlier revision of them: a tag an earlier revision declared is superseded (TM205),
not undeclared. A tag with `@OS_CODENAME@` is checked for every codename the manifests' tags end
in (or the policy's `codenames`, when it lists them). An empty Helm `tag:` is checked as the
chart's `appVersion`."#,
        why: r#"Release tags exist only because a manifest entry makes tag management push them: a
reference to any other tag points at an image that is never created, and pulls fail at
install time."#,
        example: r#"```yaml
image: docker.io/starlingx/dex:stx.4.0-v2.14.1   # the manifest declares stx.4.0-v2.14.0-1
```"#,
        fix: r#"Reference a declared tag, or add a manifest entry for this one first."#,
    },
};

/// Pushes a finding per pull whose tag (or any of its expansions) no revision ever declared.
pub fn check(ctx: &FileContext<'_>, out: &mut Findings) {
    for (reference, tag) in ctx.pulls() {
        let Some(checked) = tag.checked() else {
            continue;
        };
        let name = &reference.name;
        let missing: Vec<String> = ctx
            .release_tags(checked)
            .into_iter()
            .filter(|t| ctx.catalog.find(name, t).is_none())
            .filter(|t| ctx.catalog.superseded(name, t).is_none())
            .collect();
        if missing.is_empty() {
            continue;
        }
        // Say which: with the history read, "never" covers every earlier revision too.
        let never = if ctx.catalog.revisions() > 0 {
            ", and no earlier revision did"
        } else {
            ""
        };
        let message = if checked.placeholders.is_empty() {
            format!(
                "no manifest declares `{}` for {name}{never}: this tag is never created",
                checked.text
            )
        } else {
            format!(
                "`{}` expands to {} that no manifest declares for {name}{never}: {}",
                checked.text,
                if missing.len() == 1 { "a tag" } else { "tags" },
                list(&missing)
            )
        };
        let declared = ctx.catalog.tags_for(name);
        let help = help(name, declared, !checked.placeholders.is_empty());
        let mut finding = Finding::new(ctx.tag_label(reference), message).help(help);
        if let Some(label) = tag.written_at() {
            finding = finding.also(label.clone());
        }
        if let Some(latest) = declared.last() {
            finding = finding.also(latest.label("last tag declared for this image"));
        }
        out.push(finding);
    }
}

/// The help: the image's last declared tags, or that it has none.
fn help(name: &ImageName, declared: &[Declared], placeholders: bool) -> String {
    let mut help = if declared.is_empty() {
        format!(
            "no manifest declares any tag for {name}: add an entry for it, then reference its tag"
        )
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
    if placeholders {
        help.push_str(
            "; `@OS_CODENAME@` is checked for every codename the manifests' tags end in (tagman.yaml's `codenames`, when set)",
        );
    }
    help
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    #[test]
    fn only_declared_tags_pass() {
        let found = run_check(check, "image: docker.io/starlingx/dex:stx.4.0-v2.14.1\n");
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "no manifest declares `stx.4.0-v2.14.1` for docker.io/starlingx/dex, and no earlier revision did: this tag is never created"
        );
        assert_eq!(found[0].secondary.len(), 1);
        let found = run_check(check, "image: docker.io/starlingx/other:stx.4.0-v1\n");
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
            // Superseded: TM205's business.
            "image: docker.io/starlingx/dex:stx.9.0-v2.39.0-trixie\n",
            // Not pulls.
            "# image: docker.io/starlingx/dex:stx.4.0-v9\n",
            "docker push docker.io/starlingx/dex:stx.4.0-v9\n",
            // JSON null is no tag string `null`.
            "{\"tag\": null, \"repository\": \"docker.io/starlingx/dex\"}\n",
        ] {
            assert!(run_check(check, ok).is_empty(), "{ok}");
        }
    }

    #[test]
    fn codename_placeholders_are_checked_per_expansion() {
        let found = run_check(
            check,
            "x: docker.io/starlingx/dex:stx.4.0-v2.14.0-1-@OS_CODENAME@\n",
        );
        assert_eq!(found.len(), 1);
        assert!(
            found[0].message.contains("`stx.4.0-v2.14.0-1-trixie`"),
            "{}",
            found[0].message
        );
    }
}
