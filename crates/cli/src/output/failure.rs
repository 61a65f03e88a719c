//! What a run that ends in an error (exit 2) prints on standard output when a JSON format was
//! asked for: still exactly one JSON object, so a tool reading the output never gets nothing or
//! half a document. The human rendering goes to standard error as always.

use serde_json::{json, Value};
use tagman_core::policy::PolicyError;
use tagman_core::schema::Schema;
use tagman_core::{SourceFile, Span};

use super::Format;
use crate::error::CliError;

/// A place an error points at: a line of the policy file, what is wrong there, the fix.
pub struct Problem<'a> {
    /// The file.
    pub file: &'a SourceFile,
    /// Where.
    pub span: Span,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// The places `err` points at, the first `limit` of them (0: all), and how many more there are.
pub fn problems(err: &CliError, limit: usize) -> (Vec<Problem<'_>>, usize) {
    let limit = if limit == 0 { usize::MAX } else { limit };
    match err {
        CliError::Policy(PolicyError::Invalid {
            source_file,
            violations,
            unlisted,
        }) => (
            violations
                .iter()
                .take(limit)
                .map(|v| {
                    let d = Schema::Policy.describe(v, source_file);
                    Problem {
                        file: source_file,
                        span: v.span(),
                        message: d.message,
                        help: d.help,
                    }
                })
                .collect(),
            unlisted + violations.len().saturating_sub(limit),
        ),
        CliError::UnknownRules {
            source_file,
            unknown,
        } => (
            unknown
                .iter()
                .take(limit)
                .map(|u| match u.wrong_subject {
                    Some(rule) => Problem {
                        file: source_file,
                        span: u.span,
                        message: format!(
                            "{} ({}) checks the {}, but `per_path` sets levels for source-tree rules",
                            rule.code, rule.name, rule.subject
                        ),
                        help: "move it under `rules:`, or name a TM2xx rule (`tagman rules` lists them)"
                            .to_owned(),
                    },
                    None => Problem {
                        file: source_file,
                        span: u.span,
                        message: format!("no rule is called `{}`", u.text),
                        help: u.suggestion.map_or_else(
                            || "`tagman rules` lists every rule's code and name".to_owned(),
                            |r| format!("did you mean {} ({})?", r.code, r.name),
                        ),
                    },
                })
                .collect(),
            unknown.len().saturating_sub(limit),
        ),
        _ => (Vec::new(), 0),
    }
}

/// The error's message, help, and the places it points at (the first `limit`, 0 for all).
fn error_object(message: &str, help: Option<&str>, err: Option<&CliError>, limit: usize) -> Value {
    let (problems, unlisted) = err.map_or_else(|| (Vec::new(), 0), |e| problems(e, limit));
    let problems: Vec<Value> = problems
        .iter()
        .map(|p| {
            let start = p.file.position(p.span.offset);
            json!({
                "file": p.file.name(),
                "line": start.line,
                "column": start.column,
                "message": p.message,
                "help": p.help,
            })
        })
        .collect();
    json!({
        "message": message,
        "help": help,
        "problems": problems,
        "unlisted": unlisted,
    })
}

/// The one JSON object `format` prints for an error, or `None` for a format that is not JSON.
pub fn document(
    format: Format,
    message: &str,
    help: Option<&str>,
    err: Option<&CliError>,
    limit: usize,
) -> Option<Value> {
    let error = error_object(message, help, err, limit);
    match format {
        Format::Json => Some(json!({ "error": error })),
        Format::Zuul => Some(json!({
            "zuul": { "file_comments": {}, "warnings": [format!("tagman could not check this change: {message}")] }
        })),
        Format::Sarif => Some(json!({
            "$schema": super::sarif::SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": { "driver": super::sarif::driver() },
                "invocations": [{
                    "executionSuccessful": false,
                    "toolExecutionNotifications": [{
                        "level": "error",
                        "message": { "text": message },
                    }],
                }],
                "results": [],
            }]
        })),
        Format::Human | Format::Github => None,
    }
}

/// The `--format` among raw arguments (`--format json`, `--format=json`), for an error clap
/// raises before the arguments are parsed.
pub fn format_in_args(args: impl IntoIterator<Item = std::ffi::OsString>) -> Option<Format> {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let value = args.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--format=").map(str::to_owned).or_else(|| {
            (a == "--format")
                .then(|| args.get(i + 1).cloned())
                .flatten()
        })
    })?;
    match value.as_str() {
        "json" => Some(Format::Json),
        "zuul" => Some(Format::Zuul),
        "sarif" => Some(Format::Sarif),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_json_format_has_one_error_object() {
        for format in [Format::Json, Format::Zuul, Format::Sarif] {
            let doc = document(format, "boom", Some("fix it"), None, 0).unwrap();
            assert!(doc.is_object());
            assert!(doc.to_string().contains("boom"), "{doc}");
        }
        assert!(document(Format::Human, "boom", None, None, 0).is_none());
    }

    #[test]
    fn the_format_is_found_among_raw_arguments() {
        let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
        assert_eq!(
            format_in_args(args(&["tagman", "lint", "--format", "json", "--bogus"])),
            Some(Format::Json)
        );
        assert_eq!(
            format_in_args(args(&["tagman", "lint", "--format=sarif"])),
            Some(Format::Sarif)
        );
        assert_eq!(
            format_in_args(args(&["tagman", "lint", "--format", "human"])),
            None
        );
        assert_eq!(format_in_args(args(&["tagman", "lint"])), None);
    }
}
