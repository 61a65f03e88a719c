//! TM107 `published-tag-removed`: an image listed at the base revision is no longer listed.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM107` prints it.

use std::collections::HashSet;
use tagman_diag::Findings;

use tagman_core::Severity;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

use super::published_tag_moved::locate;
use super::RevisionContext;

/// TM107.
pub static RULE: Rule = Rule {
    code: "TM107",
    name: "published-tag-removed",
    default: Severity::Warning,
    subject: Subject::Manifest,
    summary: "an image listed at the base revision has no entry left",
    docs: Docs {
        what: r#"With a base revision, reports each (name, tag) of the base for whose image
no entry is left at all. Replacing an image's tag with a newer one (how StarlingX updates an
image, in place) is not reported; neither is moving an entry to another file."#,
        why: r#"The published tag still exists in the registry and deployed releases still pull it;
once its entry is gone nothing stops a later change from reusing the tag for another build."#,
        example: r#"A change deletes the only `docker.io/starlingx/rvmc` entry."#,
        fix: r#"Keep the entry if the image is still shipped; otherwise acknowledge the warning."#,
    },
};

/// Reports base entries whose image has no entry left.
pub fn check(cx: &RevisionContext<'_>, out: &mut Findings) {
    let names: HashSet<&str> = cx
        .head
        .manifests()
        .iter()
        .flat_map(|m| m.entries.iter().filter_map(|e| e.canonical_name()))
        .collect();
    for gone in &cx.diff.removed {
        if names.contains(gone.name.as_str()) {
            continue;
        }
        let Some((manifest, entry)) = locate(cx.base.manifests(), gone) else {
            continue;
        };
        out.push(
            Finding::new(
                Label::new(&manifest.source, entry.label_span()),
                format!("`{}:{}` was published but no entry for {} is left", gone.name, gone.tag, gone.name),
            )
            .help("keep the entry while releases still pull the tag, so it is never reused for another build"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{entry, revision};
    use super::*;

    const BUILD: &str = "master-debian-stable-20240101T000000Z.0";

    #[test]
    fn dropped_image_warns_superseded_tag_does_not() {
        let found = revision(
            check,
            &[(
                "a.yaml",
                &[
                    entry("rvmc", BUILD, "stx.8.0-v1.0.1"),
                    entry("snmp", BUILD, "stx.8.0-v1.0.0"),
                ],
            )],
            &[("a.yaml", &[entry("rvmc", BUILD, "stx.8.0-v1.0.2")])],
        );
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .message
            .contains("docker.io/starlingx/snmp:stx.8.0-v1.0.0"));
        assert_eq!(found[0].primary.file.display_name(), "HEAD~1:a.yaml");
    }
}
