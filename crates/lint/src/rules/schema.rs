//! TM002 `schema`: structure, types, missing and unknown keys, duplicate keys.
//!
//! **What it does.** Checks each YAML document against `schemas/image-tags.schema.json` and
//! maps every schema error back to the YAML: a missing key at its entry, an unknown key at that
//! key, a wrong type at the value. Also reports duplicate mapping keys at both places, and a file
//! with no document at all.
//!
//! **Why.** YAML silently turns `tag: 1.10` into the number 1.1 and keeps only one of two equal
//! keys; an unknown key (`srcref:`) is a typo that would otherwise be dropped without a word.
//!
//! **Example.** `tag: 1.10`, `srcref: …`, an entry without `src_ref`.
//!
//! **Fix.** Quote values YAML reads as numbers or booleans, spell keys as the schema does, give
//! every entry all four keys.

use tagman_core::schema::{self, Schema, Violation};
use tagman_core::yaml::{Node, NodeKind};
use tagman_core::{Manifest, Severity, Span};

use crate::diagnostic::{Finding, Label};
use crate::rule::{Context, Rule};
use crate::text::closest;

/// TM002.
pub static RULE: Rule = Rule {
    code: "TM002",
    name: "schema",
    severity: Severity::Error,
    summary: "structure, value types, missing, unknown and duplicate keys",
};

const ENTRY_KEYS: [&str; 4] = ["name", "src_build_tag", "src_ref", "tag"];

/// Checks every document of every manifest.
pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for manifest in cx.manifests {
        let src = &manifest.source;
        if manifest.documents.is_empty() {
            out.push(
                Finding::new(Label::new(src, Span::default()), "the file holds no YAML document")
                    .help("a tag manifest is a mapping with an `images:` list; an empty one is `images: []` or `images:` followed by commented-out entries"),
            );
        }
        for doc in &manifest.documents {
            match schema::validate(Schema::Manifest, doc, src) {
                Ok(violations) => out.extend(violations.iter().map(|v| finding(manifest, v))),
                Err(err) => out.push(Finding::new(Label::new(src, doc.span), err.to_string())),
            }
            duplicate_keys(manifest, doc, out);
        }
    }
}

fn finding(manifest: &Manifest, violation: &Violation) -> Finding {
    let src = &manifest.source;
    let label = Label::new(src, violation.span());
    match violation {
        Violation::Missing { key, pointer, .. } if pointer.is_empty() => {
            Finding::new(label, format!("the document has no `{key}:` key"))
                .help("a tag manifest is a mapping with an `images:` list of entries")
        }
        Violation::Missing { key, .. } => Finding::new(label, format!("this entry has no `{key}`"))
            .help("every entry needs `name`, `src_build_tag`, `src_ref` and `tag`"),
        Violation::Unknown { key, pointer, .. } => {
            let allowed: &[&str] = if pointer.is_empty() {
                &["images"]
            } else {
                &ENTRY_KEYS
            };
            let help = match closest(key, allowed) {
                Some(near) => format!("did you mean `{near}`?"),
                None => format!("allowed keys here: {}", allowed.join(", ")),
            };
            Finding::new(label, format!("unknown key `{key}`")).help(help)
        }
        Violation::WrongType {
            pointer,
            expected,
            found,
            span,
        } => {
            let what = what_is(pointer);
            let written = src.slice(*span);
            let scalar = matches!(*found, "number" | "integer" | "boolean" | "null");
            if scalar && expected.contains("string") && !written.is_empty() {
                Finding::new(
                    label,
                    format!(
                        "{what} must be a string, but YAML reads `{written}` as {}",
                        article(found)
                    ),
                )
                .help(format!("quote it: \"{written}\""))
            } else {
                Finding::new(
                    label,
                    format!(
                        "{what} must be {}, found {}",
                        article_list(expected),
                        article(found)
                    ),
                )
                .help(shape_help(pointer))
            }
        }
        Violation::Other {
            pointer, message, ..
        } => Finding::new(label, format!("{}: {message}", what_is(pointer)))
            .help(shape_help(pointer)),
    }
}

/// Names the value at a JSON pointer for a message: `tag`, `images`, `an entry`, `the document`.
fn what_is(pointer: &str) -> String {
    match pointer.rsplit('/').next() {
        _ if pointer.is_empty() => "the document".to_owned(),
        Some(last) if last.bytes().all(|b| b.is_ascii_digit()) => {
            "each entry of `images`".to_owned()
        }
        Some(last) => format!("`{last}`"),
        None => "the value".to_owned(),
    }
}

fn shape_help(pointer: &str) -> &'static str {
    if pointer.is_empty() {
        "a tag manifest document is a mapping with an `images:` list"
    } else if pointer == "/images" {
        "`images:` holds a list of entries, each starting with `- name: …`"
    } else {
        "each entry is a mapping of name, src_build_tag, src_ref and tag, all strings"
    }
}

fn article(kind: &str) -> String {
    match kind {
        "integer" | "array" => format!("an {kind}"),
        "null" => "null (nothing)".to_owned(),
        other => format!("a {other}"),
    }
}

fn article_list(expected: &str) -> String {
    expected
        .split(" or ")
        .map(|k| match k {
            "array" => "a list".to_owned(),
            "object" => "a mapping".to_owned(),
            other => article(other),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

fn duplicate_keys(manifest: &Manifest, node: &Node, out: &mut Vec<Finding>) {
    let src = &manifest.source;
    match &node.kind {
        NodeKind::Map(pairs) => {
            for (i, (key, value)) in pairs.iter().enumerate() {
                let text = key.key_text(src);
                if let Some((first, _)) = pairs[..i].iter().find(|(k, _)| k.key_text(src) == text) {
                    out.push(
                        Finding::new(Label::new(src, key.span), format!("duplicate key `{text}`"))
                            .help("YAML keeps only one of two equal keys; remove the one you did not mean")
                            .also(Label::new(src, first.span).with_note("first defined here")),
                    );
                }
                duplicate_keys(manifest, value, out);
            }
        }
        NodeKind::Seq(items) => items.iter().for_each(|n| duplicate_keys(manifest, n, out)),
        _ => {}
    }
}
