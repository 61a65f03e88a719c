//! TM002 `schema`: structure, types, missing and unknown keys, duplicate keys.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM002` prints it.

use tagman_core::schema::{self, Schema, Violation};
use tagman_core::yaml::{Node, NodeKind};
use tagman_core::{Manifest, Severity, Span};
use tagman_diag::sink::Findings;

use crate::context::Context;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM002.
pub static RULE: Rule = Rule {
    code: "TM002",
    name: "schema",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "structure, value types, missing, unknown and duplicate keys",
    docs: Docs {
        what: r#"Checks each YAML document against `schemas/image-tags.schema.json` and
maps every schema error back to the YAML: a missing key at its entry, an unknown key at that
key, a wrong type at the value. Also reports duplicate mapping keys at both places, and a file
with no document at all."#,
        why: r#"YAML silently turns `tag: 1.10` into the number 1.1 and keeps only one of two equal
keys; an unknown key (`srcref:`) is a typo that would otherwise be dropped without a word."#,
        example: r#"`tag: 1.10`, `srcref: …`, an entry without `src_ref`."#,
        fix: r#"Quote values YAML reads as numbers or booleans, spell keys as the schema does, give
every entry all four keys."#,
    },
};

/// Checks every document of every manifest.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for manifest in cx.manifests {
        let src = &manifest.source;
        if manifest.documents.is_empty() {
            out.push(
                Finding::new(Label::new(src, Span::default()), "the file holds no YAML document")
                    .help("a tag manifest is a mapping with an `images:` list; an empty one is `images: []` or `images:` followed by commented-out entries"),
            );
        }
        for doc in &manifest.documents {
            // A hostile file holds millions of violations: the check makes as many as the file
            // can show and counts the others.
            match schema::validate_at_most(Schema::Manifest, doc, src, out.limit()) {
                Ok(checked) => {
                    out.extend(checked.violations.iter().map(|v| finding(manifest, v)));
                    let first = checked.first_unlisted.unwrap_or(doc.span);
                    out.count_more(&Label::new(src, first), checked.unlisted);
                }
                Err(err) => out.push(Finding::new(Label::new(src, doc.span), err.to_string())),
            }
            duplicate_keys(manifest, doc, out);
        }
    }
}

fn finding(manifest: &Manifest, violation: &Violation) -> Finding {
    let described = Schema::Manifest.describe(violation, &manifest.source);
    Finding::new(
        Label::new(&manifest.source, violation.span()),
        described.message,
    )
    .help(described.help)
}

fn duplicate_keys(manifest: &Manifest, node: &Node, out: &mut Findings) {
    let src = &manifest.source;
    match &node.kind {
        NodeKind::Map(pairs) => {
            // One map of the keys seen, not a search of the earlier keys for each key: a
            // hostile file can hold a mapping with tens of thousands of them.
            let mut seen: std::collections::HashMap<&str, &Node> =
                std::collections::HashMap::with_capacity(pairs.len());
            for (key, value) in pairs {
                let text = key.key_text(src);
                if let Some(first) = seen.get(text).copied() {
                    out.push(
                        Finding::new(Label::new(src, key.span), format!("duplicate key `{text}`"))
                            .help("YAML keeps only one of two equal keys; remove the one you did not mean")
                            .also(Label::new(src, first.span).with_note("first defined here")),
                    );
                } else {
                    seen.insert(text, key);
                }
                duplicate_keys(manifest, value, out);
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|n| duplicate_keys(manifest, n, out)),
        _ => {}
    }
}
