//! Output: the formats a report is printed in, colour and verbosity decisions, error rendering.

pub mod escape;
pub mod failure;
pub mod github;
pub mod human;
pub mod inventory;
pub mod sarif;
pub mod snippet;
pub mod zuul;

use std::cell::Cell;
use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use tagman_core::SourceFile;
use tagman_diag::Report;

use crate::cli::{ColorChoice, Global};
use crate::error::CliError;

/// `--format`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Source snippets with labels and help, and a summary line.
    #[default]
    Human,
    /// One JSON object: `{"diagnostics": […], "summary": {…}}`.
    Json,
    /// The data for Zuul's `zuul_return`: inline Gerrit comments and a summary warning.
    Zuul,
    /// A SARIF 2.1.0 log.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

/// The path machine formats (zuul, sarif, github) name a project file by: its repository path
/// when known, so a finding attaches to the same file wherever in the work tree tagman runs;
/// else its name made relative to the working directory. `None` for standard input and files
/// outside the project.
pub fn project_path(file: &SourceFile) -> Option<String> {
    match file.repository_path() {
        Some(path) => Some(path.to_owned()),
        None => zuul::project_relative(file.name()),
    }
}

/// Decisions about how to talk to the user, made once from the global options and environment.
#[derive(Debug)]
pub struct Ui {
    /// Colour on stdout.
    pub color: bool,
    /// Colour on stderr.
    pub color_err: bool,
    /// No summary lines.
    pub quiet: bool,
    /// Verbosity level.
    pub verbose: u8,
    /// `--max-findings`, when given.
    pub max_findings: Option<usize>,
    /// Whether a report went to stdout already (an error after it adds no second document).
    printed: Cell<bool>,
}

impl Ui {
    /// From `--color`, `NO_COLOR`, `-q`, `-v` and whether the streams are terminals.
    pub fn new(global: &Global) -> Self {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |tty: bool| match global.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => tty && !no_color,
        };
        Self {
            color: decide(std::io::stdout().is_terminal()),
            color_err: decide(std::io::stderr().is_terminal()),
            quiet: global.quiet,
            verbose: global.verbose,
            max_findings: global.max_findings,
            printed: Cell::new(false),
        }
    }

    /// Notes that stdout holds the run's document, so that an error ending the run later is not
    /// printed there as a second one.
    pub fn mark_printed(&self) {
        self.printed.set(true);
    }

    /// Prints a report in `format` to stdout.
    pub fn print_report(&self, report: &Report, format: Format) -> Result<(), CliError> {
        self.printed.set(true);
        let mut out = std::io::stdout().lock();
        match format {
            Format::Human => {
                human::write_report(&mut out, report, self.color, human::terminal_width())?;
                if !self.quiet {
                    writeln!(out, "{}", human::summary(report))?;
                }
            }
            Format::Json => {
                serde_json::to_writer_pretty(&mut out, &report.to_json())
                    .map_err(std::io::Error::from)?;
                writeln!(out)?;
            }
            Format::Zuul => {
                let doc = zuul::document(report);
                serde_json::to_writer(&mut out, &doc).map_err(std::io::Error::from)?;
                writeln!(out)?;
            }
            Format::Sarif => {
                serde_json::to_writer_pretty(
                    &mut out,
                    &sarif::document(report, crate::registry::registry()),
                )
                .map_err(std::io::Error::from)?;
                writeln!(out)?;
            }
            Format::Github => {
                github::write_report(&mut out, report)?;
                if !self.quiet {
                    writeln!(out, "{}", human::summary(report))?;
                }
            }
        }
        out.flush()?;
        Ok(())
    }

    /// Prints an error to stderr.
    pub fn error(&self, err: CliError) {
        let text = human::render_error(&err, self.color_err, human::terminal_width(), self.limit());
        let _ = std::io::stderr().lock().write_all(text.as_bytes());
    }

    /// A warning on stderr (something was skipped; the run goes on), shown unless `-q`.
    pub fn warn(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            let text = message.to_string();
            let _ = writeln!(
                std::io::stderr().lock(),
                "tagman: warning: {}",
                escape::visible(&text)
            );
        }
    }

    /// What a command did (`added … to …`), on stderr so stdout stays the report; not with `-q`.
    pub fn status(&self, message: impl std::fmt::Display) {
        if !self.quiet {
            let text = message.to_string();
            let _ = writeln!(
                std::io::stderr().lock(),
                "tagman: {}",
                escape::visible(&text)
            );
        }
    }

    /// Prints the error that ends the run (exit 2): to stderr, and when `format` is a JSON
    /// format, as that format's one document on stdout (unless a report is there already).
    pub fn fail(&self, err: CliError, format: Option<Format>) {
        if !self.printed.get() {
            let help = err.help();
            let doc = format.and_then(|f| {
                failure::document(
                    f,
                    &err.to_string(),
                    help.as_deref(),
                    Some(&err),
                    self.limit(),
                )
            });
            if let Some(doc) = doc {
                let mut out = std::io::stdout().lock();
                let _ = serde_json::to_writer(&mut out, &doc);
                let _ = writeln!(out);
            }
        }
        self.error(err);
    }

    /// Findings and problems listed per file: `--max-findings`, else the default.
    fn limit(&self) -> usize {
        self.max_findings
            .unwrap_or(tagman_core::policy::DEFAULT_MAX_FINDINGS)
    }

    /// A progress or context note on stderr, shown with `-v`.
    pub fn note(&self, message: impl std::fmt::Display) {
        if self.verbose > 0 {
            let text = message.to_string();
            let _ = writeln!(
                std::io::stderr().lock(),
                "tagman: {}",
                escape::visible(&text)
            );
        }
    }
}

/// A usage error clap found (exit 2): its message, and with a JSON `--format` among the
/// arguments, that format's one error document on stdout. `--help` and `--version` print and
/// exit 0 as usual.
pub fn usage_error(err: clap::Error) -> ! {
    if err.use_stderr() {
        let message = err
            .kind()
            .as_str()
            .unwrap_or("invalid arguments")
            .to_owned();
        let rendered = err.render().to_string();
        let doc = failure::format_in_args(std::env::args_os())
            .and_then(|f| failure::document(f, &message, Some(rendered.trim()), None, 0));
        if let Some(doc) = doc {
            let mut out = std::io::stdout().lock();
            let _ = serde_json::to_writer(&mut out, &doc);
            let _ = writeln!(out);
        }
    }
    err.exit()
}

/// A diagnostic builder shared by the output formats' tests.
#[cfg(test)]
pub(crate) mod test_support {
    use tagman_core::{Severity, SourceFile, Span};
    use tagman_diag::{Diagnostic, Finding, Label, Rule};

    /// A finding of `rule` at `span` of a file `name` holding `text`.
    pub fn diag(
        rule: &'static Rule,
        name: &str,
        text: &str,
        span: Span,
        severity: Severity,
        message: &str,
    ) -> Diagnostic {
        let file = SourceFile::new(name, text);
        Diagnostic {
            rule,
            severity,
            finding: Finding::new(Label::new(&file, span), message),
        }
    }

    /// TM004, a manifest rule.
    pub fn tag_format() -> &'static Rule {
        &tagman_lint::rules::tag_format::RULE
    }

    /// TM101, a commit-message rule.
    pub fn reference_missing() -> &'static Rule {
        &tagman_git::rules::reference_missing::RULE
    }
}
