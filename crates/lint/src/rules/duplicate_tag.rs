//! TM008 `duplicate-tag`: one (name, tag) is declared once, and everywhere for the same image.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM008` prints it.

use tagman_core::{Entry, Manifest, Severity};
use tagman_diag::sink::Findings;

use crate::context::Context;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM008.
pub static RULE: Rule = Rule {
    code: "TM008",
    name: "duplicate-tag",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "a (name, tag) is declared once per file, and identically across files",
    docs: Docs {
        what: r#"Reports an entry whose (name, tag) appears earlier in the same file, labelled
at both; and one whose (name, tag) appears in another file with a different `src_build_tag` or
`src_ref`. Names are compared canonically (`docker.io/x` = `index.docker.io/x`)."#,
        why: r#"A tag names one image. Two entries for one tag either repeat each other or, worse,
disagree, and then which image the tag gets depends on the order the applier reads them."#,
        example: r#"Two `docker.io/starlingx/rvmc` entries with `tag: stx.8.0-v1.0.2`."#,
        fix: r#"Keep one entry; if the image really changed, give it a new tag."#,
    },
};

/// Every entry declared earlier under the same (name, tag): (manifest, entry, first manifest, first entry).
pub(crate) fn repeats<'a>(
    cx: &'a Context<'_>,
) -> impl Iterator<Item = (&'a Manifest, &'a Entry, &'a Manifest, &'a Entry)> + 'a {
    cx.declarations().iter().filter_map(|d| {
        let (fm, fe) = d.first?;
        let manifest = cx.manifests.get(d.manifest)?;
        let first_manifest = cx.manifests.get(fm)?;
        Some((
            manifest,
            manifest.entries.get(d.entry)?,
            first_manifest,
            first_manifest.entries.get(fe)?,
        ))
    })
}

/// Whether two entries name the same build from the same source.
pub(crate) fn same_image(a: &Entry, b: &Entry) -> bool {
    let value = |f: &Option<tagman_core::Spanned<String>>| f.as_ref().map(|s| s.value.clone());
    value(&a.src_build_tag) == value(&b.src_build_tag) && value(&a.src_ref) == value(&b.src_ref)
}

/// Reports repeats within a file and disagreements across files.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (manifest, entry, first_manifest, first_entry) in repeats(cx) {
        let same_file = std::ptr::eq(first_manifest, manifest);
        let tag = entry.tag.as_ref().map_or("", |t| t.value.as_str());
        let name = entry.name.as_ref().map_or("", |n| n.value.as_str());
        let here = Label::new(&manifest.source, entry.label_span());
        let there = Label::new(&first_manifest.source, first_entry.label_span());
        if same_file {
            out.push(
                Finding::new(
                    here,
                    format!("`{name}:{tag}` is declared twice in this file"),
                )
                .help("keep one entry; a tag names one image")
                .also(there.with_note("first declared here")),
            );
        } else if !same_image(entry, first_entry) {
            out.push(
                Finding::new(
                    here,
                    format!("`{name}:{tag}` is declared in two files for different images"),
                )
                .help("a tag names one image: keep one entry, or give the new image a new tag")
                .also(there.with_note("declared here with another src_build_tag or src_ref")),
            );
        }
    }
}
