//! TM205 superseded-tag: a pinned tag an earlier revision of the manifests declared, since
//! replaced.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM205` prints it.

use tagman_core::{ImageName, Severity};
use tagman_diag::diagnostic::Finding;
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::{list, FileContext};
use crate::catalog::Superseded;
use crate::codename::{self, FileBuild, SharedByCodenames, TagChoice};

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM205",
    name: "superseded-tag",
    default: Severity::Warning,
    subject: Subject::SourceTree,
    summary: "a managed image is referenced by a tag an earlier manifest revision declared, since replaced",
    docs: Docs {
        what: r#"When the manifests sit in a git repository, `tagman refs` reads every revision of
them once per run (every commit touching their directories, by the manifests' file-name
pattern, so renamed manifests count). A pull whose tag today's manifests do not declare but an
earlier revision did is reported here, with the change that replaced it, instead of as TM202:
the tag was created and still exists, but the reference is stale."#,
        why: r#"StarlingX replaces a manifest entry in place when an image gets a new tag, so a
release tag vanishing from the manifests does not vanish from the registry. The reference still
pulls, but not the image the release is meant to ship."#,
        example: r#"```yaml
# image-tags.yaml once declared stx.12.0-v18.2.2-0; fbb56b1 replaced it by stx.13.0-v18.2.2-0
stx_ceph_manager: registry.local:9001/docker.io/starlingx/stx-ceph-manager:stx.12.0-v18.2.2-0
```"#,
        fix: r#"Move the reference to the tag that replaced it: the finding's help is the
`tagman refs --bump NAME=TAG` command that does it."#,
    },
};

/// Pushes a finding per pull whose tag (or an expansion of it) is superseded.
pub fn check(ctx: &FileContext<'_>, out: &mut Findings) {
    if ctx.catalog.revisions() == 0 {
        return; // no history read: nothing can be superseded
    }
    for (reference, tag) in ctx.pulls() {
        let Some(checked) = tag.checked() else {
            continue;
        };
        let name = &reference.name;
        let stale: Vec<&Superseded> = ctx
            .release_tags(checked)
            .iter()
            .filter(|t| ctx.catalog.find(name, t).is_none())
            .filter_map(|t| ctx.catalog.superseded(name, t))
            .collect();
        let Some(first) = stale.first() else {
            continue;
        };
        let tags: Vec<String> = stale.iter().map(|s| s.tag.clone()).collect();
        let message = format!("superseded: {}", story(&tags, first));
        let help = match ctx.catalog.successor(name, &first.tag, ctx.codenames) {
            Some(now) => bump_help(ctx, name, &now.tag),
            None => format!(
                "no manifest declares a tag for {name} any more: drop the reference, or add an entry"
            ),
        };
        let mut finding = Finding::new(ctx.tag_label(reference), message).help(help);
        if let Some(label) = tag.written_at() {
            finding = finding.also(label.clone());
        }
        if let Some(now) = ctx.catalog.successor(name, &first.tag, ctx.codenames) {
            finding = finding.also(now.label("declared today"));
        }
        out.push(finding);
    }
}

/// The bump command to paste, with the manifests this scan used; never one codename's tag for a
/// file shared by several ([`codename::tag_for_file`] decides, as `--bump` does).
fn bump_help(ctx: &FileContext<'_>, name: &ImageName, successor: &str) -> String {
    let manifests = match ctx.catalog.files() {
        [] => String::new(),
        files => format!(" --manifests {}", files.join(",")),
    };
    let file = FileBuild::of(ctx.source.name(), ctx.source.text(), ctx.codenames, false);
    match codename::tag_for_file(ctx.catalog, name, successor, &file, ctx.codenames) {
        Ok(TagChoice::Literal(tag)) => format!("`tagman refs{manifests} --bump {name}={tag}`"),
        Ok(TagChoice::Placeholder(tag)) => format!(
            "`tagman refs{manifests} --bump {name}={successor}` (it writes `{tag}`, which the build fills in per codename)"
        ),
        Err(SharedByCodenames { release }) => format!(
            "this file ships on every codename and the manifests declare {}: write `{}` where the package build fills in @OS_CODENAME@, or keep one file per codename",
            release.describe(),
            release.placeholder()
        ),
    }
}

/// `` `X` was replaced by `Y` in FILE at COMMIT (DATE) `` and the variants.
fn story(tags: &[String], first: &Superseded) -> String {
    let what = list(tags);
    let was = if tags.len() == 1 { "was" } else { "were" };
    match &first.removed {
        Some(removal) if !removal.replaced_by.is_empty() => format!(
            "{what} {was} replaced by {} in {} at {} ({})",
            list(&removal.replaced_by),
            removal.file,
            removal.at.commit,
            removal.at.date
        ),
        Some(removal) => format!(
            "{what} {was} removed from {} at {} ({})",
            removal.file, removal.at.commit, removal.at.date
        ),
        None => format!(
            "{what} {was} declared at {} ({}) and no manifest declares it today",
            first.declared.commit, first.declared.date
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    #[test]
    fn superseded_tags_name_the_change_and_the_bump() {
        let found = run_check(
            check,
            "image: docker.io/starlingx/dex:stx.9.0-v2.39.0-trixie\n",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].message,
            "superseded: `stx.9.0-v2.39.0-trixie` was replaced by `stx.9.0-v2.40.0-trixie` in image-tags.yaml at 2222222 (2024-03-04)"
        );
        assert_eq!(
            found[0].help.as_deref(),
            // The command carries the manifests the scan used, so it can be pasted as it is.
            Some("`tagman refs --manifests image-tags.yaml --bump docker.io/starlingx/dex=stx.9.0-v2.40.0-trixie`")
        );
        for ok in [
            "image: docker.io/starlingx/dex:stx.9.0-v2.40.0-trixie\n",
            "image: docker.io/starlingx/dex:stx.9.0-v9-trixie\n",
            "# image: docker.io/starlingx/dex:stx.9.0-v2.39.0-trixie\n",
        ] {
            assert!(run_check(check, ok).is_empty(), "{ok}");
        }
    }
}
