//! `tagman add`: appends one entry to a manifest, leaving every other byte (comments, blank
//! lines, quoting, line endings) as it was.
//!
//! The entry goes right after the last entry of the last document's `images:` list, indented as
//! that entry is; into an empty `images:` it goes right below the key. The result is parsed again
//! and must hold exactly the entry asked for, else nothing is written.

use tagman_core::yaml::{Node, NodeKind};
use tagman_core::{Manifest, SourceFile};

/// The entry to add.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewEntry {
    /// Image name.
    pub name: String,
    /// Build tag.
    pub src_build_tag: String,
    /// Source commit URL.
    pub src_ref: String,
    /// Release tag.
    pub tag: String,
}

/// Why an entry could not be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AddError {
    /// No document has an `images:` key.
    #[error("{file} has no `images:` list to add to")]
    NoImages {
        /// The manifest.
        file: String,
    },
    /// The list is written in flow style (`images: [...]`), which tagman does not rewrite.
    #[error("`images:` in {file} is a flow-style list; tagman adds only to block lists")]
    FlowStyle {
        /// The manifest.
        file: String,
    },
    /// The (name, tag) is already listed.
    #[error("{name}:{tag} is already listed in {file} at line {line}")]
    Exists {
        /// The manifest.
        file: String,
        /// The image.
        name: String,
        /// The tag.
        tag: String,
        /// Where.
        line: usize,
    },
    /// A value would not survive as a plain YAML scalar.
    #[error("the value `{value}` cannot be written as a plain YAML scalar")]
    BadValue {
        /// The value.
        value: String,
    },
}

/// The manifest's text with `entry` appended.
pub fn append_entry(manifest: &Manifest, entry: &NewEntry) -> Result<String, AddError> {
    let file = manifest.source.name().to_owned();
    for existing in &manifest.entries {
        let same_name = existing.name.as_ref().map(|n| n.value.as_str()) == Some(&entry.name);
        let same_tag = existing.tag.as_ref().map(|t| t.value.as_str()) == Some(&entry.tag);
        if same_name && same_tag {
            return Err(AddError::Exists {
                file,
                name: entry.name.clone(),
                tag: entry.tag.clone(),
                line: manifest.source.position(existing.span.offset).line,
            });
        }
    }
    for value in [
        &entry.name,
        &entry.src_build_tag,
        &entry.src_ref,
        &entry.tag,
    ] {
        if !plain_safe(value) {
            return Err(AddError::BadValue {
                value: value.clone(),
            });
        }
    }
    let text = manifest.source.text();
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let (key, images) = manifest
        .documents
        .iter()
        .rev()
        .find_map(|doc| {
            doc.pairs()
                .iter()
                .find(|(k, _)| k.as_str() == Some("images"))
                .map(|(k, v)| (k, v))
        })
        .ok_or_else(|| AddError::NoImages { file: file.clone() })?;
    let (at, dash_indent, key_indent) = match &images.kind {
        NodeKind::Seq(items) if !items.is_empty() => {
            if text.as_bytes().get(images.span.offset) == Some(&b'[') {
                return Err(AddError::FlowStyle { file });
            }
            let last = items.last().map_or(images, |n| n);
            let first_key = last.pairs().first().map_or(last.span, |(k, _)| k.span);
            let line_start = text[..first_key.offset].rfind('\n').map_or(0, |i| i + 1);
            let prefix = &text[line_start..first_key.offset];
            let dash = prefix.rfind('-').unwrap_or(0);
            (
                line_end(text, end_of(last)),
                " ".repeat(dash),
                " ".repeat(prefix.len() - dash),
            )
        }
        NodeKind::Seq(_) => return Err(AddError::FlowStyle { file }),
        NodeKind::Null => (
            line_end(text, key.span.end()),
            "  ".to_owned(),
            "  ".to_owned(),
        ),
        _ => return Err(AddError::NoImages { file }),
    };
    let mut block = String::new();
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        block.push_str(newline);
    }
    for (i, (k, v)) in [
        ("name", &entry.name),
        ("src_build_tag", &entry.src_build_tag),
        ("src_ref", &entry.src_ref),
        ("tag", &entry.tag),
    ]
    .into_iter()
    .enumerate()
    {
        let lead = if i == 0 {
            format!("{dash_indent}-{}", &key_indent[1..])
        } else {
            format!("{dash_indent}{key_indent}")
        };
        block.push_str(&format!("{lead}{k}: {v}{newline}"));
    }
    let mut out = String::with_capacity(text.len() + block.len());
    out.push_str(&text[..at]);
    out.push_str(&block);
    out.push_str(&text[at..]);
    Ok(out)
}

/// Whether the appended text parses to the original entries plus exactly `entry`.
pub fn verify(original: &Manifest, new_text: &str, entry: &NewEntry) -> bool {
    let source = SourceFile::new(original.source.name(), new_text);
    let Ok(parsed) = Manifest::parse(source, &tagman_core::Limits::default()) else {
        return false;
    };
    let value = |f: &Option<tagman_core::Spanned<String>>| f.as_ref().map(|s| s.value.clone());
    let fields = |e: &tagman_core::Entry| {
        (
            value(&e.name),
            value(&e.src_build_tag),
            value(&e.src_ref),
            value(&e.tag),
        )
    };
    let mut want: Vec<_> = original.entries.iter().map(fields).collect();
    want.push((
        Some(entry.name.clone()),
        Some(entry.src_build_tag.clone()),
        Some(entry.src_ref.clone()),
        Some(entry.tag.clone()),
    ));
    let mut got: Vec<_> = parsed.entries.iter().map(fields).collect();
    want.sort();
    got.sort();
    want == got
}

/// The furthest byte any part of `node` reaches.
fn end_of(node: &Node) -> usize {
    match &node.kind {
        NodeKind::Seq(items) => items.iter().map(end_of).fold(node.span.end(), usize::max),
        NodeKind::Map(pairs) => pairs
            .iter()
            .map(|(k, v)| end_of(k).max(end_of(v)))
            .fold(node.span.end(), usize::max),
        _ => node.span.end(),
    }
}

/// The offset just past the line break of the line holding `offset` (or the end of the text).
fn line_end(text: &str, offset: usize) -> usize {
    let offset = offset.min(text.len());
    text[offset..]
        .find('\n')
        .map_or(text.len(), |i| offset + i + 1)
}

/// A value YAML reads back as the same string when written plain after `key: `.
fn plain_safe(value: &str) -> bool {
    !value.is_empty()
        && !value.contains(": ")
        && !value.contains(" #")
        && !value.ends_with(':')
        && !value.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        && value.chars().all(|c| !c.is_control() && c != '\u{feff}')
        && !value.ends_with(' ')
}

#[cfg(test)]
mod tests {
    use super::*;
    use tagman_core::Limits;

    fn entry() -> NewEntry {
        NewEntry {
            name: "docker.io/starlingx/rvmc".into(),
            src_build_tag: "master-debian-stable-20241127T050100Z.0".into(),
            src_ref: "https://opendev.org/starlingx/utilities/commit/d1b4d9c18ae6c017ee33f5f80e8f10215c2657f2".into(),
            tag: "stx.10.0-v1.0.3".into(),
        }
    }

    fn add(text: &str) -> Result<String, AddError> {
        let m = Manifest::parse(SourceFile::new("m.yaml", text), &Limits::default()).unwrap();
        let out = append_entry(&m, &entry())?;
        assert!(verify(&m, &out, &entry()), "{out}");
        Ok(out)
    }

    const EXISTING: &str = "  - name: docker.io/starlingx/x\n    src_build_tag: master-debian-stable-20241110T070002Z.0\n    src_ref: https://opendev.org/starlingx/x/commit/b78a185adcf03ca10b5d40b3e8f0fec74d9ccd27\n    # a comment inside\n    tag: stx.10.0-v1.5.17\n";

    #[test]
    fn appends_after_the_last_entry_keeping_trailing_comments() {
        let text = format!(
            "# yamllint disable\n---\nimages:\n{EXISTING}# trailing template\n# - name: y\n"
        );
        let out = add(&text).unwrap();
        let expected = format!(
            "# yamllint disable\n---\nimages:\n{EXISTING}  - name: docker.io/starlingx/rvmc\n    src_build_tag: master-debian-stable-20241127T050100Z.0\n    src_ref: https://opendev.org/starlingx/utilities/commit/d1b4d9c18ae6c017ee33f5f80e8f10215c2657f2\n    tag: stx.10.0-v1.0.3\n# trailing template\n# - name: y\n"
        );
        assert_eq!(out, expected);
    }

    #[test]
    fn other_indentation_no_final_newline_and_crlf() {
        let text = "images:\n- name: docker.io/starlingx/x\n  tag: stx.10.0-v1.5.17";
        let out = add(text).unwrap();
        assert!(out.ends_with("stx.10.0-v1.5.17\n- name: docker.io/starlingx/rvmc\n  src_build_tag: master-debian-stable-20241127T050100Z.0\n  src_ref: https://opendev.org/starlingx/utilities/commit/d1b4d9c18ae6c017ee33f5f80e8f10215c2657f2\n  tag: stx.10.0-v1.0.3\n"), "{out}");
        let crlf = "images:\r\n  - name: docker.io/starlingx/x\r\n    tag: stx.10.0-v1.5.17\r\n";
        let out = add(crlf).unwrap();
        assert!(out.ends_with("    tag: stx.10.0-v1.0.3\r\n"), "{out:?}");
        assert!(!out.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn empty_images_gets_its_first_entry() {
        let out = add("---\nimages:\n# - name: template\n").unwrap();
        assert!(
            out.starts_with("---\nimages:\n  - name: docker.io/starlingx/rvmc\n"),
            "{out}"
        );
        assert!(out.ends_with("# - name: template\n"));
    }

    #[test]
    fn refusals() {
        assert!(matches!(
            add("images: []\n"),
            Err(AddError::FlowStyle { .. })
        ));
        assert!(matches!(add("other: 1\n"), Err(AddError::NoImages { .. })));
        let dup = "images:\n  - name: docker.io/starlingx/rvmc\n    tag: stx.10.0-v1.0.3\n";
        assert!(matches!(add(dup), Err(AddError::Exists { line: 2, .. })));
    }
}
