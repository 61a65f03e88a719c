//! `tagman add`: appends one entry to a manifest, leaving every other byte (comments, blank
//! lines, quoting, line endings) as it was, and checks the would-be file before anything is
//! written.
//!
//! The entry goes after the last entry of the last document's `images:` list and the comment
//! lines right below that entry (a note on it, a commented-out template), indented as that entry
//! is; into an empty `images:` it goes right below the key. The result is parsed again and must
//! hold exactly the entry asked for, and it is linted in memory: an entry with errors is refused.

use tagman_core::yaml::{Node, NodeKind};
use tagman_core::{Loaded, SourceName};
use tagman_core::{Manifest, Policy, SourceFile, Span};
use tagman_diag::{Diagnostic, Report, Sink};

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
    /// The file with the entry added does not read back as the original entries plus this one.
    #[error("adding {name}:{tag} to {file} would not read back as the entry asked for")]
    NotRoundTrip {
        /// The manifest.
        file: String,
        /// The image.
        name: String,
        /// The tag.
        tag: String,
    },
}

/// The manifest's text with an entry appended, and where the entry's lines stand in it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Appended {
    /// The whole new text.
    pub text: String,
    /// The entry's lines (from its first indentation to its last line break).
    pub span: Span,
}

/// An entry ready to be written: the new text, where the entry stands, and what lint finds in
/// the would-be file.
#[derive(Clone, Debug)]
pub struct Addition {
    /// The file's new text and the entry's place in it.
    pub appended: Appended,
    /// The would-be file linted in memory, as `tagman lint` would lint it.
    pub report: Report,
}

impl Addition {
    /// The new text.
    pub fn text(&self) -> &str {
        &self.appended.text
    }

    /// The 1-based line the entry starts on.
    pub fn line(&self) -> usize {
        self.appended.text[..self.appended.span.offset]
            .matches('\n')
            .count()
            + 1
    }

    /// Whether a finding lies in the new entry.
    fn in_entry(&self, d: &Diagnostic) -> bool {
        let span = self.appended.span;
        let at = d.finding.primary.span.offset;
        span.offset <= at && at < span.end()
    }

    /// What lint finds in the new entry itself (not what the file held before).
    pub fn entry_report(&self) -> Report {
        Report {
            diagnostics: self
                .report
                .diagnostics
                .iter()
                .filter(|d| self.in_entry(d))
                .cloned()
                .collect(),
            files: self.report.files,
            ..Report::default()
        }
    }

    /// Whether the entry is refused: lint finds an error in it.
    pub fn refused(&self) -> bool {
        self.entry_report().errors() > 0
    }
}

/// Adds `entry` to `manifest` in memory and checks the result, loaded as the file `name`, with
/// `check` (the binary passes the manifest rules). Nothing is written: the caller writes
/// [`Addition::text`] when the entry is not [`refused`](Addition::refused).
pub fn prepare(
    manifest: &Manifest,
    entry: &NewEntry,
    name: SourceName,
    policy: &Policy,
    check: impl FnOnce(&Loaded, &mut Sink<'_>),
) -> Result<Addition, AddError> {
    let appended = append_entry(manifest, entry)?;
    if !verify(manifest, &appended.text, entry) {
        return Err(AddError::NotRoundTrip {
            file: manifest.source.name().to_owned(),
            name: entry.name.clone(),
            tag: entry.tag.clone(),
        });
    }
    let mut loaded = Loaded::default();
    loaded.push(name, appended.text.clone().into_bytes(), policy);
    let mut sink = Sink::new(policy);
    check(&loaded, &mut sink);
    Ok(Addition {
        appended,
        report: sink.finish(),
    })
}

/// The manifest's text with `entry` appended.
pub fn append_entry(manifest: &Manifest, entry: &NewEntry) -> Result<Appended, AddError> {
    refuse_unsafe(manifest, entry)?;
    let text = manifest.source.text();
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let (at, dash_indent, key_indent) = insertion_point(manifest)?;
    let mut block = String::new();
    if at == text.len() && !text.is_empty() && !text.ends_with('\n') {
        block.push_str(newline);
    }
    let entry_start = at + block.len();
    block.push_str(&render(entry, &dash_indent, &key_indent, newline));
    let mut out = String::with_capacity(text.len() + block.len());
    out.push_str(&text[..at]);
    out.push_str(&block);
    out.push_str(&text[at..]);
    Ok(Appended {
        text: out,
        span: Span::new(entry_start, at + block.len() - entry_start),
    })
}

/// Refuses an entry whose (name, tag) the manifest already lists, or a value that would not be
/// read back as the same plain string.
fn refuse_unsafe(manifest: &Manifest, entry: &NewEntry) -> Result<(), AddError> {
    for existing in &manifest.entries {
        let same_name = existing.name.as_ref().map(|n| n.value.as_str()) == Some(&entry.name);
        let same_tag = existing.tag.as_ref().map(|t| t.value.as_str()) == Some(&entry.tag);
        if same_name && same_tag {
            return Err(AddError::Exists {
                file: manifest.source.name().to_owned(),
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
    Ok(())
}

/// Where the new entry goes (after the last entry and its trailing comments, or below an empty
/// `images:`), and the indentation of its `-` and of its keys, copied from the last entry.
fn insertion_point(manifest: &Manifest) -> Result<(usize, String, String), AddError> {
    let file = || manifest.source.name().to_owned();
    let text = manifest.source.text();
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
        .ok_or_else(|| AddError::NoImages { file: file() })?;
    match &images.kind {
        NodeKind::Seq(items) if !items.is_empty() => {
            if text.as_bytes().get(images.span.offset) == Some(&b'[') {
                return Err(AddError::FlowStyle { file: file() });
            }
            let last = items.last().map_or(images, |n| n);
            let first_key = last.pairs().first().map_or(last.span, |(k, _)| k.span);
            let before = text.get(..first_key.offset).unwrap_or("");
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            let prefix = before.get(line_start..).unwrap_or("");
            let dash = prefix.rfind('-').unwrap_or(0);
            Ok((
                after_trailing_comments(text, line_end(text, end_of(last))),
                " ".repeat(dash),
                " ".repeat((prefix.len() - dash).max(2)),
            ))
        }
        NodeKind::Seq(_) => Err(AddError::FlowStyle { file: file() }),
        NodeKind::Null => Ok((
            line_end(text, key.span.end()),
            "  ".to_owned(),
            "  ".to_owned(),
        )),
        _ => Err(AddError::NoImages { file: file() }),
    }
}

/// The entry's four lines: `-` at `dash_indent`, keys at `dash_indent` + `key_indent`.
fn render(entry: &NewEntry, dash_indent: &str, key_indent: &str, newline: &str) -> String {
    let mut block = String::new();
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
            format!("{dash_indent}-{}", key_indent.get(1..).unwrap_or(""))
        } else {
            format!("{dash_indent}{key_indent}")
        };
        block.push_str(&format!("{lead}{k}: {v}{newline}"));
    }
    block
}

/// Past the comment lines that start at `at` (a line start) and belong to the entry above: a
/// note on it or a commented-out template. They end at a blank line, a document marker or the end
/// of the file; comments that lead straight into more YAML introduce it instead, unless they are
/// indented deeper than it.
fn after_trailing_comments(text: &str, at: usize) -> usize {
    let mut comments: Vec<(usize, usize)> = Vec::new();
    let mut pos = at;
    let next_indent = loop {
        if pos >= text.len() {
            break None;
        }
        let next = line_end(text, pos);
        let line = text[pos..next].trim_end_matches(['\n', '\r']);
        let content = line.trim_start_matches([' ', '\t']);
        let indent = line.len() - content.len();
        if content.starts_with('#') {
            comments.push((next, indent));
            pos = next;
            continue;
        }
        let marker = indent == 0 && (content.starts_with("---") || content.starts_with("..."));
        break (!content.is_empty() && !marker).then_some(indent);
    };
    let belongs = comments
        .iter()
        .take_while(|(_, indent)| next_indent.is_none_or(|next| *indent > next))
        .last();
    belongs.map_or(at, |(end, _)| *end)
}

/// A unified diff (`diff -u`, three lines of context) from `before` to `after`: what
/// `tagman add --dry-run` prints. tagman's one unified diff, `tagman_core::unified_diff`.
pub use tagman_core::unified_diff::unified as unified_diff;

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
    use tagman_core::{Limits, Severity};
    use tagman_diag::{Docs, Finding, Label, Rule, Subject};

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
        assert!(verify(&m, &out.text, &entry()), "{}", out.text);
        let lines = &out.text[out.span.offset..out.span.end()];
        assert!(
            lines
                .trim_start()
                .starts_with("- name: docker.io/starlingx/rvmc"),
            "{lines:?}"
        );
        assert!(
            lines.trim_end().ends_with("tag: stx.10.0-v1.0.3"),
            "{lines:?}"
        );
        Ok(out.text)
    }

    const EXISTING: &str = "  - name: docker.io/starlingx/x\n    src_build_tag: master-debian-stable-20241110T070002Z.0\n    src_ref: https://opendev.org/starlingx/x/commit/b78a185adcf03ca10b5d40b3e8f0fec74d9ccd27\n    # a comment inside\n    tag: stx.10.0-v1.5.17\n";

    const NEW: &str = "  - name: docker.io/starlingx/rvmc\n    src_build_tag: master-debian-stable-20241127T050100Z.0\n    src_ref: https://opendev.org/starlingx/utilities/commit/d1b4d9c18ae6c017ee33f5f80e8f10215c2657f2\n    tag: stx.10.0-v1.0.3\n";

    /// Issue 14, point 6: the entry went between the last entry and its trailing comment.
    #[test]
    fn appends_after_the_last_entry_and_its_trailing_comments() {
        let comments = "    # built from the 1.5 branch\n# trailing template\n# - name: y\n";
        let text = format!("# yamllint disable\n---\nimages:\n{EXISTING}{comments}");
        assert_eq!(
            add(&text).unwrap(),
            format!("# yamllint disable\n---\nimages:\n{EXISTING}{comments}{NEW}")
        );
        // Not past a blank line, nor past comments that introduce the next key.
        let text = format!("images:\n{EXISTING}# mine\n\n# footer\n");
        assert_eq!(
            add(&text).unwrap(),
            format!("images:\n{EXISTING}# mine\n{NEW}\n# footer\n")
        );
        let text = format!("images:\n{EXISTING}    # mine\n# about other\nother: 1\n");
        assert_eq!(
            add(&text).unwrap(),
            format!("images:\n{EXISTING}    # mine\n{NEW}# about other\nother: 1\n")
        );
        // A comment on the last line, without a line break, is kept whole.
        let text = format!("images:\n{EXISTING}# end");
        assert_eq!(
            add(&text).unwrap(),
            format!("images:\n{EXISTING}# end\n{NEW}")
        );
    }

    /// A stand-in check: one error wherever `needle` is written in the would-be file. The real
    /// check is the manifest rules, which the binary passes (the CLI tests run them through
    /// `tagman add`); this one tells whether add keeps the findings in the entry and only those.
    fn error_at(needle: &'static str) -> impl Fn(&Loaded, &mut Sink<'_>) {
        static RULE: Rule = Rule {
            code: "TM999",
            name: "test-error",
            default: Severity::Error,
            subject: Subject::Manifest,
            summary: "test",
            docs: Docs {
                what: "",
                why: "",
                example: "",
                fix: "",
            },
        };
        move |loaded: &Loaded, sink: &mut Sink<'_>| {
            let mut findings = sink.findings();
            for m in &loaded.manifests {
                for (at, _) in m.source.text().match_indices(needle) {
                    let label = Label::new(&m.source, Span::new(at, needle.len()));
                    findings.push(Finding::new(label, "bad"));
                }
            }
            sink.push(&RULE, findings);
        }
    }

    #[test]
    fn the_would_be_file_is_checked_and_an_entry_with_errors_refused() {
        let text = format!("images:\n{EXISTING}");
        let m =
            Manifest::parse(SourceFile::new("m.yaml", text.as_str()), &Limits::default()).unwrap();
        let policy = Policy::default();
        let ok = prepare(
            &m,
            &entry(),
            SourceName::new("m.yaml"),
            &policy,
            error_at("nowhere"),
        )
        .unwrap();
        assert!(!ok.refused(), "{:#}", ok.report.to_json());
        assert_eq!(ok.line(), 7);
        let bad = NewEntry {
            tag: "stx.10.0.v1.0.3".into(),
            ..entry()
        };
        let refused = prepare(
            &m,
            &bad,
            SourceName::new("m.yaml"),
            &policy,
            error_at(".v1.0.3"),
        )
        .unwrap();
        assert!(refused.refused());
        let report = refused.entry_report();
        assert_eq!(report.diagnostics.len(), 1);
        assert_eq!(report.diagnostics[0].finding.primary.start().line, 10);
    }

    #[test]
    fn an_error_elsewhere_in_the_file_does_not_refuse_the_entry() {
        let broken = EXISTING.replace("stx.10.0-v1.5.17", "latest");
        let m = Manifest::parse(
            SourceFile::new("m.yaml", format!("images:\n{broken}")),
            &Limits::default(),
        )
        .unwrap();
        let policy = Policy::default();
        let added = prepare(
            &m,
            &entry(),
            SourceName::new("m.yaml"),
            &policy,
            error_at("latest"),
        )
        .unwrap();
        assert!(added.report.errors() > 0);
        assert!(!added.refused());
        assert!(added.entry_report().diagnostics.is_empty());
    }

    #[test]
    fn the_dry_run_diff_shows_the_entry_with_context() {
        let before = "images:\n  - name: a\n    tag: b\n# end\n";
        let after = format!("images:\n  - name: a\n    tag: b\n# end\n{NEW}");
        let diff = unified_diff("m.yaml", before, &after);
        let mut want = String::from(
            "--- a/m.yaml\n+++ b/m.yaml\n@@ -2,3 +2,7 @@\n   - name: a\n     tag: b\n # end\n",
        );
        for line in NEW.lines() {
            want.push_str(&format!("+{line}\n"));
        }
        assert_eq!(diff, want);
        let diff = unified_diff("m.yaml", "images:\n# end", "images:\n# end\n  - x\n");
        assert_eq!(
            diff,
            "--- a/m.yaml\n+++ b/m.yaml\n@@ -1,2 +1,3 @@\n images:\n-# end\n\\ No newline at end of file\n+# end\n+  - x\n"
        );
        assert_eq!(unified_diff("m.yaml", "a\n", "a\n"), "");
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
