//! `--format zuul`: the data a Zuul job hands to `zuul_return`, so findings become inline Gerrit
//! comments (`file_comments`) and a one-line summary on the build (`warnings`).
//!
//! Zuul validates `file_comments` as `{path: [{line: int, message: str, range: {start_line,
//! start_character, end_line, end_character: int}}]}` and drops *all* comments when one is
//! malformed, so every comment is built here from integers we know are in range. Paths are
//! relative to the repository root (the project root in Gerrit), wherever tagman runs; the
//! commit message, whatever file it came from, is Gerrit's magic `/COMMIT_MSG` file, whose first
//! lines are a header Gerrit adds before the message.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};
use tagman_diag::{Diagnostic, Report, Subject};

use crate::output::{human, project_path};

/// Gerrit's name for the commit message in a change's file list.
pub const COMMIT_MSG_PATH: &str = "/COMMIT_MSG";

/// Lines Gerrit puts before the message in `/COMMIT_MSG` for a single-parent commit:
/// `Parent:`, `Author:`, `AuthorDate:`, `Commit:`, `CommitDate:` and a blank line.
pub const COMMIT_MSG_HEADER_LINES: usize = 6;

/// One inline comment.
#[derive(Debug, PartialEq, Eq)]
pub struct FileComment {
    /// 1-based line; with a range, its end line (as Gerrit wants).
    pub line: usize,
    /// The text of the comment.
    pub message: String,
    /// The characters pointed at, when the finding covers some.
    pub range: Option<CommentRange>,
}

/// Gerrit's comment range: 1-based lines, 0-based characters, end exclusive.
#[derive(Debug, PartialEq, Eq)]
pub struct CommentRange {
    /// First line.
    pub start_line: usize,
    /// First character (0-based).
    pub start_character: usize,
    /// Last line.
    pub end_line: usize,
    /// One past the last character (0-based).
    pub end_character: usize,
}

impl FileComment {
    /// The shape Zuul validates; `range` only when there is one.
    pub fn to_json(&self) -> Value {
        let mut c = json!({ "line": self.line, "message": self.message });
        if let Some(r) = &self.range {
            c["range"] = json!({
                "start_line": r.start_line,
                "start_character": r.start_character,
                "end_line": r.end_line,
                "end_character": r.end_character,
            });
        }
        c
    }
}

/// The whole `zuul_return` data: `{"zuul": {"file_comments": …, "warnings": […]}}`.
pub fn document(report: &Report) -> Value {
    let mut comments: BTreeMap<String, Vec<FileComment>> = BTreeMap::new();
    let mut warnings = Vec::new();
    if !report.diagnostics.is_empty() {
        warnings.push(human::summary(report));
    }
    for d in &report.diagnostics {
        let message = comment_text(d);
        if d.subject() == Subject::CommitMessage {
            comments
                .entry(COMMIT_MSG_PATH.to_owned())
                .or_default()
                .push(comment(d, message, COMMIT_MSG_HEADER_LINES));
            continue;
        }
        match project_path(&d.finding.primary.file) {
            Some(path) => comments
                .entry(path)
                .or_default()
                .push(comment(d, message, 0)),
            // Standard input or a file outside the project: Gerrit has no line to put it on.
            None => warnings.push(human::one_line(d)),
        }
    }
    let file_comments: serde_json::Map<String, Value> = comments
        .into_iter()
        .map(|(path, list)| (path, list.iter().map(FileComment::to_json).collect()))
        .collect();
    json!({ "zuul": { "file_comments": file_comments, "warnings": warnings } })
}

fn comment(d: &Diagnostic, message: String, line_offset: usize) -> FileComment {
    let start = d.finding.primary.start();
    let end = d.finding.primary.end();
    let (start_line, end_line) = (start.line + line_offset, end.line + line_offset);
    // A point, or a span that ends right after a newline, has no useful character range.
    let range = (end > start && end.column > 1).then_some(CommentRange {
        start_line,
        start_character: start.column.saturating_sub(1),
        end_line,
        end_character: end.column.saturating_sub(1),
    });
    FileComment {
        line: if range.is_some() {
            end_line
        } else {
            start_line
        },
        message,
        range,
    }
}

/// `TM004 (tag-format) error: message`, the help after a blank line, and the related places.
fn comment_text(d: &Diagnostic) -> String {
    let mut text = format!(
        "{} ({}) {}: {}",
        d.code(),
        d.name(),
        d.severity,
        d.finding.message
    );
    if let Some(help) = &d.finding.help {
        text.push_str("\n\nFix: ");
        text.push_str(help);
    }
    for label in &d.finding.secondary {
        let p = label.start();
        text.push_str(&format!("\n\nSee {}:{}", label.file.display_name(), p.line));
        if let Some(note) = &label.note {
            text.push_str(&format!(" ({note})"));
        }
    }
    text
}

/// A file name as a path relative to the project root (the working directory): `./x` becomes
/// `x`, an absolute path under the working directory loses that prefix; standard input and
/// paths outside the project give `None`.
pub fn project_relative(name: &str) -> Option<String> {
    if name == "-" || name.is_empty() {
        return None;
    }
    let path = Path::new(name);
    let relative = if path.is_absolute() {
        let cwd = std::env::current_dir().ok()?;
        path.strip_prefix(&cwd).ok()?.to_path_buf()
    } else {
        path.to_path_buf()
    };
    let mut parts = Vec::new();
    for part in relative.components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            // `..` leaves the project; a prefix or root cannot occur after stripping.
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

#[cfg(test)]
mod tests {
    use tagman_core::{Severity, Span};
    use tagman_diag::{Diagnostic, Report, Rule};

    use super::*;
    use crate::output::test_support::{reference_missing, tag_format};

    fn diag(rule: &'static Rule, name: &str, text: &str, span: Span) -> Diagnostic {
        let mut d = crate::output::test_support::diag(
            rule,
            name,
            text,
            span,
            Severity::Error,
            "tag `v1` is not stx.<release>",
        );
        d.finding.help = Some("use stx.10.0-v1.2.3".to_owned());
        d
    }

    fn report(diagnostics: Vec<Diagnostic>) -> Report {
        Report {
            diagnostics,
            files: 1,
            ..Report::default()
        }
    }

    const TEXT: &str = "images:\n  - name: a\n    tag: v1\n";

    #[test]
    fn comment_has_range_on_the_value_and_line_is_its_end() {
        // `v1` on line 3, columns 10..12.
        let offset = TEXT.find("v1").unwrap();
        let doc = document(&report(vec![diag(
            tag_format(),
            "./a/image-tags.yaml",
            TEXT,
            Span::new(offset, 2),
        )]));
        assert_eq!(
            doc,
            json!({"zuul": {
                "file_comments": {"a/image-tags.yaml": [{
                    "line": 3,
                    "message": "TM004 (tag-format) error: tag `v1` is not stx.<release>\n\nFix: use stx.10.0-v1.2.3",
                    "range": {"start_line": 3, "start_character": 9, "end_line": 3, "end_character": 11}
                }]},
                "warnings": ["tagman: 1 error, 0 warnings in 1 file"]
            }})
        );
    }

    #[test]
    fn a_file_is_named_by_its_repository_path_when_it_has_one() {
        let mut d = diag(tag_format(), "image-tags.yaml", TEXT, Span::new(8, 0));
        d.finding.primary.file = d
            .finding
            .primary
            .file
            .clone()
            .in_repository("sub/image-tags.yaml");
        let doc = document(&report(vec![d]));
        let paths: Vec<&String> = doc["zuul"]["file_comments"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(paths, ["sub/image-tags.yaml"]);
    }

    #[test]
    fn point_has_no_range() {
        let doc = document(&report(vec![diag(
            tag_format(),
            "x.yaml",
            TEXT,
            Span::new(8, 0),
        )]));
        let c = &doc["zuul"]["file_comments"]["x.yaml"][0];
        assert_eq!(c["line"], 2);
        assert!(c.get("range").is_none());
    }

    #[test]
    fn commit_message_rules_go_to_commit_msg_below_gerrits_header() {
        let msg = "Bump images\n\nno reference here\n";
        // Routed by the rule's subject, whatever the message's file is called.
        for name in ["COMMIT_MSG", ".git/COMMIT_EDITMSG"] {
            let doc = document(&report(vec![diag(
                reference_missing(),
                name,
                msg,
                Span::new(13, 17),
            )]));
            let c = &doc["zuul"]["file_comments"]["/COMMIT_MSG"][0];
            assert_eq!(c["line"], 9, "{name}");
            assert_eq!(c["range"]["start_line"], 9);
        }
    }

    /// The online rules' findings go where the other commit-message findings go, by their
    /// rule's subject (tagman-git's `the_online_rules_are_commit_message_rules_too` asserts the
    /// subject): under Gerrit's header on `/COMMIT_MSG`, whatever the message file is called.
    #[test]
    fn online_rule_findings_go_to_the_commit_message() {
        let msg = "Bump images\n\nCloses-Bug: 1\n";
        for rule in [
            &tagman_git::rules::reference_not_found::RULE,
            &tagman_git::rules::reference_private::RULE,
            &tagman_git::rules::reference_unchecked::RULE,
        ] {
            let doc = document(&report(vec![diag(
                rule,
                ".git/COMMIT_EDITMSG",
                msg,
                Span::new(25, 1),
            )]));
            let comments = doc["zuul"]["file_comments"].as_object().unwrap();
            assert_eq!(comments.len(), 1, "{}: {doc}", rule.code);
            let c = &comments["/COMMIT_MSG"][0];
            assert_eq!(
                c["line"], 9,
                "{}: line 3 below the 6 header lines",
                rule.code
            );
            assert_eq!(c["range"]["start_character"], 12, "{}: {doc}", rule.code);
        }
    }

    #[test]
    fn clean_report_returns_empty_data() {
        let doc = document(&report(Vec::new()));
        assert_eq!(doc, json!({"zuul": {"file_comments": {}, "warnings": []}}));
    }

    #[test]
    fn stdin_findings_become_warnings() {
        let doc = document(&report(vec![diag(
            tag_format(),
            "-",
            TEXT,
            Span::new(0, 6),
        )]));
        assert_eq!(doc["zuul"]["file_comments"], json!({}));
        assert_eq!(doc["zuul"]["warnings"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn paths_are_made_project_relative() {
        assert_eq!(project_relative("./x.yaml").as_deref(), Some("x.yaml"));
        assert_eq!(project_relative("a/./b.yaml").as_deref(), Some("a/b.yaml"));
        assert_eq!(project_relative("../b.yaml"), None);
        assert_eq!(project_relative("-"), None);
        let cwd = std::env::current_dir().unwrap();
        let abs = cwd.join("d").join("image-tags.yaml");
        assert_eq!(
            project_relative(&abs.to_string_lossy()).as_deref(),
            Some("d/image-tags.yaml")
        );
        assert_eq!(project_relative("/elsewhere/x.yaml"), None);
    }
}
