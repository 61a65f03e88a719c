//! Human output: each diagnostic as a miette report with a source snippet, labels and help.

use std::fmt;
use std::io::Write;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use tagman_core::policy::PolicyError;
use tagman_core::schema::Schema;
use tagman_core::{Severity, SourceFile, Span};
use tagman_lint::{Diagnostic, Label, Report};

use crate::error::CliError;

/// Width used when stdout is not a terminal (and in snapshots).
pub const DEFAULT_WIDTH: usize = 100;

/// The terminal width from `COLUMNS`, else [`DEFAULT_WIDTH`].
pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .filter(|w| *w >= 40)
        .unwrap_or(DEFAULT_WIDTH)
}

fn handler(color: bool, width: usize) -> GraphicalReportHandler {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    // No terminal hyperlinks: CI logs show them as escape garbage.
    GraphicalReportHandler::new_themed(theme)
        .with_links(false)
        .with_width(width)
        .without_syntax_highlighting()
}

/// Writes every diagnostic of `report`.
pub fn write_report(
    out: &mut impl Write,
    report: &Report,
    color: bool,
    width: usize,
) -> std::io::Result<()> {
    let handler = handler(color, width);
    for diagnostic in &report.diagnostics {
        let mut text = String::new();
        let rendered = Rendered::from_diagnostic(diagnostic);
        if handler.render_report(&mut text, &rendered).is_err() {
            // Rendering a snippet can only fail on a formatter error; fall back to one line.
            text = format!("{}\n", one_line(diagnostic));
        }
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// `file:line:col: severity[code]: message`, for logs that want one line per finding.
pub fn one_line(d: &Diagnostic) -> String {
    let p = d.finding.primary.start();
    format!(
        "{}:{}:{}: {}[{}]: {}",
        d.finding.primary.file.display_name(),
        p.line,
        p.column,
        d.severity,
        d.code(),
        d.finding.message
    )
}

/// `tagman: 2 errors, 1 warning in 3 files`, then what was found and not checked, if anything
/// (`; not checked: 261 in build-input templates, 3 in comments`).
pub fn summary(report: &Report) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let mut line = format!(
        "tagman: {}, {} in {}",
        plural(report.errors(), "error"),
        plural(report.warnings(), "warning"),
        plural(report.files, "file")
    );
    let skipped: Vec<String> = report
        .not_checked
        .iter()
        .map(|(reason, n)| format!("{n} {reason}"))
        .collect();
    if !skipped.is_empty() {
        line.push_str("; not checked: ");
        line.push_str(&skipped.join(", "));
    }
    line
}

/// Renders an error that ends the run; policy problems are shown at their lines.
pub fn render_error(err: &CliError, color: bool, width: usize) -> String {
    let handler = handler(color, width);
    let located: Vec<(&SourceFile, Span, String, String)> = match err {
        CliError::Policy(PolicyError::Invalid {
            source_file,
            violations,
        }) => violations
            .iter()
            .map(|v| {
                let described = Schema::Policy.describe(v, source_file);
                (source_file, v.span(), described.message, described.help)
            })
            .collect(),
        CliError::UnknownRules {
            source_file,
            unknown,
        } => unknown
            .iter()
            .map(|u| {
                if let Some(rule) = u.wrong_subject {
                    return (
                        source_file,
                        u.span,
                        format!(
                            "{} ({}) checks the {}, but `per_path` sets levels for source-tree rules",
                            rule.code, rule.name, rule.subject
                        ),
                        "move it under `rules:`, or name a TM2xx rule (`tagman rules` lists them)"
                            .to_owned(),
                    );
                }
                let help = match u.suggestion {
                    Some(rule) => format!("did you mean {} ({})?", rule.code, rule.name),
                    None => "`tagman rules` lists every rule's code and name".to_owned(),
                };
                (
                    source_file,
                    u.span,
                    format!("no rule is called `{}`", u.text),
                    help,
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut text = String::new();
    for (source_file, span, message, help) in located {
        let rendered = Rendered {
            code: Some("policy".to_owned()),
            severity: miette::Severity::Error,
            message: format!("{}: {message}", source_file.display_name()),
            help: Some(help),
            labels: vec![Label::new(source_file, span)],
            related: Vec::new(),
            source: None,
        }
        .with_source();
        let _ = handler.render_report(&mut text, &rendered);
    }
    if !text.is_empty() {
        return text;
    }
    let rendered = Rendered {
        code: None,
        severity: miette::Severity::Error,
        message: err.to_string(),
        help: err.help(),
        labels: Vec::new(),
        related: Vec::new(),
        source: None,
    };
    if handler.render_report(&mut text, &rendered).is_err() {
        text = format!("error: {err}\n");
    }
    text
}

/// A diagnostic in the shape miette renders. Labels in other files become related reports.
struct Rendered {
    code: Option<String>,
    severity: miette::Severity,
    message: String,
    help: Option<String>,
    /// All in one file: the first label's.
    labels: Vec<Label>,
    related: Vec<Rendered>,
    source: Option<NamedSource<Arc<str>>>,
}

impl Rendered {
    fn from_diagnostic(d: &Diagnostic) -> Self {
        let primary = &d.finding.primary;
        let (same, other): (Vec<&Label>, Vec<&Label>) = d
            .finding
            .secondary
            .iter()
            .partition(|l| l.file.display_name() == primary.file.display_name());
        let mut labels = vec![primary.clone()];
        labels.extend(same.into_iter().cloned());
        let related = other
            .into_iter()
            .map(|l| Rendered {
                code: None,
                severity: miette::Severity::Advice,
                message: l.note.clone().unwrap_or_else(|| "related".to_owned()),
                help: None,
                labels: vec![Label {
                    note: None,
                    ..l.clone()
                }],
                related: Vec::new(),
                source: None,
            })
            .collect();
        Self {
            code: Some(format!("{}({})", d.code(), d.name())),
            severity: match d.severity {
                Severity::Error => miette::Severity::Error,
                Severity::Warning => miette::Severity::Warning,
            },
            message: d.finding.message.clone(),
            help: d.finding.help.clone(),
            labels,
            related,
            source: None,
        }
        .with_source()
    }

    fn with_source(mut self) -> Self {
        self.source = self
            .labels
            .first()
            .map(|l| NamedSource::new(l.file.display_name(), l.file.text_arc()));
        self.related = self.related.into_iter().map(Self::with_source).collect();
        self
    }
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.code
            .as_ref()
            .map(|c| Box::new(c) as Box<dyn fmt::Display>)
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().enumerate().map(|(i, l)| {
            let span = (l.span.offset, l.span.len);
            if i == 0 {
                LabeledSpan::new_primary_with_span(l.note.clone(), span)
            } else {
                LabeledSpan::new_with_span(l.note.clone(), span)
            }
        })))
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(
            self.related.iter().map(|r| r as &dyn miette::Diagnostic),
        ))
    }
}
