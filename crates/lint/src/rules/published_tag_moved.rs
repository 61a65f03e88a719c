//! TM106 `published-tag-moved`: a tag published at the base revision now points at another build.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM106` prints it.

use tagman_core::{Entry, Manifest, Severity, Spanned};
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::RevisionContext;
use tagman_core::DiffEntry;

/// TM106.
pub static RULE: Rule = Rule {
    code: "TM106",
    name: "published-tag-moved",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "a tag published at the base revision is re-pointed to another build or source",
    docs: Docs {
        what: r#"With a base revision (`--base REV`, or the parent for `--commit REV`), reads
every manifest as it stood there and reports each entry whose (name, tag) existed at the base
with a different `src_build_tag` or `src_ref`. Names compare canonically; an entry moved to
another file with the same values is fine."#,
        why: r#"A published tag is what deployed releases pull. Re-pointing it silently changes what
they run, and no two pulls of the tag can be trusted to be the same image again."#,
        example: r#"At the base `stx.4.0-v2.2` was built from `master-centos-stable-20191203T153530Z.0`;
the change gives the same tag `master-centos-stable-20200115T120000Z.0`."#,
        fix: r#"Restore the published values and give the new build a new tag (bump the version)."#,
    },
};

fn value(field: Option<&Spanned<String>>) -> Option<&str> {
    field.map(|s| s.value.as_str())
}

/// The manifest and entry a diff entry stands for.
pub(crate) fn locate<'a>(
    manifests: &'a [Manifest],
    at: &DiffEntry,
) -> Option<(&'a Manifest, &'a Entry)> {
    let manifest = manifests.get(at.file_index)?;
    Some((manifest, manifest.entries.get(at.entry_index)?))
}

/// Reports every re-pointed tag, at the new value, quoting the published one.
pub fn check(cx: &RevisionContext<'_>, out: &mut Findings) {
    for pair in &cx.diff.changed {
        let (Some((manifest, entry)), Some((old_manifest, old))) = (
            locate(cx.head.manifests(), &pair.head),
            locate(cx.base.manifests(), &pair.base),
        ) else {
            continue;
        };
        let build_moved = value(entry.src_build_tag.as_ref()) != value(old.src_build_tag.as_ref());
        let (new_field, old_field) = if build_moved {
            (entry.src_build_tag.as_ref(), old.src_build_tag.as_ref())
        } else {
            (entry.src_ref.as_ref(), old.src_ref.as_ref())
        };
        let at = new_field.map_or(entry.label_span(), |f| f.span);
        let message = format!(
            "`{}:{}` was published from {} ({}); re-pointing it changes what deployed releases run",
            pair.head.name,
            pair.head.tag,
            value(old.src_build_tag.as_ref()).unwrap_or("(none)"),
            value(old.src_ref.as_ref()).unwrap_or("(none)"),
        );
        let old_at = old_field.map_or(old.label_span(), |f| f.span);
        out.push(
            Finding::new(Label::new(&manifest.source, at), message)
                .help("restore the published values and give the new build a new tag")
                .also(
                    Label::new(&old_manifest.source, old_at).with_note("published with this value"),
                ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{entry, revision};
    use super::*;

    const OLD: &str = "master-centos-stable-20191203T153530Z.0";
    const NEW: &str = "master-centos-stable-20200115T120000Z.0";

    #[test]
    fn repointed_tag_is_reported_with_the_old_value() {
        let found = revision(
            check,
            &[("a.yaml", &[entry("k8s-cni-sriov", OLD, "stx.4.0-v2.2")])],
            &[("a.yaml", &[entry("k8s-cni-sriov", NEW, "stx.4.0-v2.2")])],
        );
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .message
            .contains(&format!("was published from {OLD}")));
        assert_eq!(found[0].primary.start().line, 3);
        assert_eq!(found[0].secondary[0].file.display_name(), "HEAD~1:a.yaml");
    }

    #[test]
    fn unchanged_or_moved_is_fine() {
        let base: &[(&str, &[String])] =
            &[("a.yaml", &[entry("k8s-cni-sriov", OLD, "stx.4.0-v2.2")])];
        assert!(revision(
            check,
            base,
            &[("b.yaml", &[entry("k8s-cni-sriov", OLD, "stx.4.0-v2.2")])]
        )
        .is_empty());
        assert!(revision(
            check,
            &[],
            &[("b.yaml", &[entry("k8s-cni-sriov", NEW, "stx.4.0-v2.2")])]
        )
        .is_empty());
    }
}
