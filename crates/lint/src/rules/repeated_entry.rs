//! TM010 `repeated-entry`: the same entry in two files.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM010` prints it.

use tagman_core::Severity;
use tagman_diag::sink::Findings;

use crate::context::Context;
use crate::rules::duplicate_tag::{repeats, same_image};
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM010.
pub static RULE: Rule = Rule {
    code: "TM010",
    name: "repeated-entry",
    default: Severity::Warning,
    subject: Subject::Manifest,
    summary: "an identical entry is not repeated in another file",
    docs: Docs {
        what: r#"Warns when an identical entry (same name, tag, `src_build_tag` and
`src_ref`) appears in a second file."#,
        why: r#"It does no harm to the registry, but the copies will drift apart on the next edit."#,
        example: r#"`image-tags-3.0.yaml` and `image-tags-4.0.yaml` both carry `k8s-cni-sriov:stx.4.0-v2.2`."#,
        fix: r#"Keep the entry in one file."#,
    },
};

/// Reports identical entries found in a later file.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (manifest, entry, first_manifest, first_entry) in repeats(cx) {
        if std::ptr::eq(first_manifest, manifest) || !same_image(entry, first_entry) {
            continue;
        }
        let name = entry.name.as_ref().map_or("", |n| n.value.as_str());
        let tag = entry.tag.as_ref().map_or("", |t| t.value.as_str());
        out.push(
            Finding::new(
                Label::new(&manifest.source, entry.label_span()),
                format!(
                    "`{name}:{tag}` is also declared in {}",
                    first_manifest.source.name()
                ),
            )
            .help("keep the entry in one file so the copies cannot drift apart")
            .also(
                Label::new(&first_manifest.source, first_entry.label_span())
                    .with_note("also declared here"),
            ),
        );
    }
}
