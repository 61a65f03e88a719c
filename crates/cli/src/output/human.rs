//! Human output: each diagnostic as a miette report with a source snippet, labels and help.
//!
//! Each file is indexed once and every snippet is read through the index ([`super::snippet`]),
//! so the output grows with the findings, not with findings times file size.

use std::collections::HashMap;
use std::fmt;
use std::io::Write;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use tagman_core::policy::DEFAULT_MAX_FINDINGS;
use tagman_core::{Severity, SourceFile, Span};
use tagman_diag::{Diagnostic, Label, Report};

use super::escape::{self, visible};
use super::snippet::{Indexed, LineIndex, Window};
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
    let mut indexes = Indexes::default();
    let mut text = String::new();
    for diagnostic in &report.diagnostics {
        text.clear();
        let rendered = Rendered::from_diagnostic(diagnostic, &mut indexes);
        if handler.render_report(&mut text, &rendered).is_err() {
            // Rendering a snippet can only fail on a formatter error; fall back to one line.
            text = format!("{}\n", one_line(diagnostic));
        }
        out.write_all(text.as_bytes())?;
    }
    Ok(())
}

/// Each file's line index and the text its snippets show, made on its first finding.
#[derive(Default)]
struct Indexes {
    by_text: HashMap<usize, (Arc<str>, Arc<LineIndex>)>,
}

impl Indexes {
    /// The text snippets of `file` show (control characters replaced byte for byte, so a file
    /// cannot drive the terminal) and its line index.
    fn of(&mut self, file: &SourceFile) -> (Arc<str>, Arc<LineIndex>) {
        let text = file.text_arc();
        // A file's clones share its text: the text's address names the file.
        let key = Arc::as_ptr(&text).cast::<u8>() as usize;
        let (shown, index) = self.by_text.entry(key).or_insert_with(|| {
            let shown: Arc<str> = match escape::snippet_text(&text) {
                std::borrow::Cow::Borrowed(_) => Arc::clone(&text),
                std::borrow::Cow::Owned(s) => Arc::from(s),
            };
            (shown, Arc::new(LineIndex::new(&text)))
        });
        (Arc::clone(shown), Arc::clone(index))
    }
}

/// `file:line:col: severity[code]: message`, for logs that want one line per finding.
pub fn one_line(d: &Diagnostic) -> String {
    let p = d.finding.primary.start();
    format!(
        "{}:{}:{}: {}[{}]: {}",
        visible(&d.finding.primary.file.display_name()),
        p.line,
        p.column,
        d.severity,
        d.code(),
        visible(&d.finding.message)
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

/// Renders an error that ends the run; policy problems are shown at their lines, the first
/// `limit` of them (0: all), then how many more there are.
pub fn render_error(err: &CliError, color: bool, width: usize, limit: usize) -> String {
    let handler = handler(color, width);
    let (located, unlisted) = super::failure::problems(err, limit);
    let mut text = String::new();
    let mut indexes = Indexes::default();
    let name = located.first().map(|p| p.file.display_name().into_owned());
    let listed = located.len();
    for problem in located {
        let rendered = Rendered {
            code: Some("policy".to_owned()),
            severity: miette::Severity::Error,
            message: visible(&format!(
                "{}: {}",
                problem.file.display_name(),
                problem.message
            ))
            .into_owned(),
            help: Some(visible(&problem.help).into_owned()),
            labels: vec![Label::new(problem.file, problem.span)],
            related: Vec::new(),
            source: None,
        }
        .with_source(&mut indexes);
        let _ = handler.render_report(&mut text, &rendered);
    }
    if let (Some(name), true) = (name, unlisted > 0) {
        text.push_str(&format!(
            "tagman: … and {unlisted} more problem{} in {}, not shown (the first {listed} are above; --max-findings N shows up to N, at most {DEFAULT_MAX_FINDINGS} for a policy file)\n",
            if unlisted == 1 { "" } else { "s" },
            visible(&name),
        ));
    }
    if !text.is_empty() {
        return text;
    }
    let rendered = Rendered {
        code: None,
        severity: miette::Severity::Error,
        message: visible(&err.to_string()).into_owned(),
        help: err.help().map(|h| visible(&h).into_owned()),
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
    source: Option<Snippet>,
}

/// What a snippet is read from: the whole file through its index, or a window of a long line
/// (then the labels are the window's spans).
enum Snippet {
    Indexed(NamedSource<Indexed>),
    Window(NamedSource<Window>, Vec<(Span, Option<String>)>),
}

impl Rendered {
    fn from_diagnostic(d: &Diagnostic, indexes: &mut Indexes) -> Self {
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
                message: l
                    .note
                    .as_deref()
                    .map_or_else(|| "related".to_owned(), |n| visible(n).into_owned()),
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
            message: visible(&d.finding.message).into_owned(),
            help: d.finding.help.as_deref().map(|h| visible(h).into_owned()),
            labels,
            related,
            source: None,
        }
        .with_source(indexes)
    }

    fn with_source(mut self, indexes: &mut Indexes) -> Self {
        self.source = self.labels.first().map(|l| {
            let (shown, index) = indexes.of(&l.file);
            let name = visible(&l.file.display_name()).into_owned();
            match Window::around(&l.file, &index, l.span) {
                // A long line: the labels on it, as spans of the window; the others left out.
                Some(window) => {
                    let spans = self
                        .labels
                        .iter()
                        .filter_map(|l| {
                            let note = l.note.as_deref().map(|n| visible(n).into_owned());
                            Some((window.map(l.span)?, note))
                        })
                        .collect();
                    Snippet::Window(NamedSource::new(name, window), spans)
                }
                None => Snippet::Indexed(NamedSource::new(name, Indexed::new(shown, index))),
            }
        });
        let related = std::mem::take(&mut self.related);
        self.related = related
            .into_iter()
            .map(|r| r.with_source(indexes))
            .collect();
        self
    }

    /// The labels as miette draws them: `(span, note)`, the primary first.
    fn spans(&self) -> Vec<(Span, Option<String>)> {
        match &self.source {
            Some(Snippet::Window(_, spans)) => spans.clone(),
            _ => self
                .labels
                .iter()
                .map(|l| (l.span, l.note.as_deref().map(|n| visible(n).into_owned())))
                .collect(),
        }
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
        match &self.source {
            Some(Snippet::Indexed(s)) => Some(s as &dyn SourceCode),
            Some(Snippet::Window(s, _)) => Some(s as &dyn SourceCode),
            None => None,
        }
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            return None;
        }
        let spans = self.spans();
        Some(Box::new(spans.into_iter().enumerate().map(
            |(i, (span, note))| {
                let span = (span.offset, span.len);
                if i == 0 {
                    LabeledSpan::new_primary_with_span(note, span)
                } else {
                    LabeledSpan::new_with_span(note, span)
                }
            },
        )))
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
