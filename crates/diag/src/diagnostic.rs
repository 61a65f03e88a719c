//! The one diagnostic model every check produces and every output format prints.

use serde::Serialize;
use tagman_core::{Position, Severity, SourceFile, Span};

use crate::registry::{Rule, Subject};

/// A place in a file, with an optional note saying what is there.
#[derive(Clone, Debug)]
pub struct Label {
    /// The file (its text too, for snippets and positions).
    pub file: SourceFile,
    /// The bytes pointed at.
    pub span: Span,
    /// What this place is (`first defined here`).
    pub note: Option<String>,
}

impl Label {
    /// A label at `span` in `file`.
    pub fn new(file: &SourceFile, span: Span) -> Self {
        Self {
            file: file.clone(),
            span,
            note: None,
        }
    }

    /// The same label with a note.
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// Start position (1-based).
    pub fn start(&self) -> Position {
        self.file.position(self.span.offset)
    }

    /// End position (1-based, exclusive column; equals the start for a point).
    pub fn end(&self) -> Position {
        self.file.position(self.span.end())
    }
}

/// What a rule found, before the policy decides its severity.
#[derive(Clone, Debug)]
pub struct Finding {
    /// What is wrong, naming the value.
    pub message: String,
    /// How to fix it.
    pub help: Option<String>,
    /// The offending value.
    pub primary: Label,
    /// Related places (the other duplicate, the base revision's value, the policy line).
    pub secondary: Vec<Label>,
}

impl Finding {
    /// A finding at `primary`.
    pub fn new(primary: Label, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            help: None,
            primary,
            secondary: Vec::new(),
        }
    }

    /// Adds how to fix it.
    #[must_use]
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds a related place.
    #[must_use]
    pub fn also(mut self, label: Label) -> Self {
        self.secondary.push(label);
        self
    }
}

/// A finding with its rule and effective severity.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    /// The rule that found it.
    pub rule: &'static Rule,
    /// Error or warning, after the policy's overrides.
    pub severity: Severity,
    /// What was found.
    pub finding: Finding,
}

impl Diagnostic {
    /// The rule's stable code (`TM004`).
    pub fn code(&self) -> &'static str {
        self.rule.code
    }

    /// The rule's kebab-case name (`tag-format`).
    pub fn name(&self) -> &'static str {
        self.rule.name
    }

    /// What the rule looks at, which decides where an output shows the finding.
    pub fn subject(&self) -> Subject {
        self.rule.subject
    }

    /// Whether this stands for findings left out over the file's limit (TM000).
    pub fn is_limit(&self) -> bool {
        std::ptr::eq(self.rule, &crate::sink::LIMIT)
    }

    /// The file name of the primary label.
    pub fn file(&self) -> &str {
        self.finding.primary.file.name()
    }

    /// The JSON shape of one diagnostic: 1-based positions; the file by its repository path
    /// when it has one (so it is the same wherever tagman runs), else as named.
    pub fn to_json(&self) -> JsonDiagnostic<'_> {
        let start = self.finding.primary.start();
        let end = self.finding.primary.end();
        JsonDiagnostic {
            code: self.rule.code,
            rule: self.rule.name,
            severity: self.severity,
            message: &self.finding.message,
            help: self.finding.help.as_deref(),
            file: self
                .finding
                .primary
                .file
                .repository_path()
                .unwrap_or(self.file()),
            line: start.line,
            column: start.column,
            end_line: end.line,
            end_column: end.column,
        }
    }
}

/// One diagnostic in `--format json`.
#[derive(Debug, Serialize)]
pub struct JsonDiagnostic<'a> {
    /// Rule code.
    pub code: &'a str,
    /// Rule name.
    pub rule: &'a str,
    /// `error` or `warning`.
    pub severity: Severity,
    /// What was found.
    pub message: &'a str,
    /// How to fix it.
    pub help: Option<&'a str>,
    /// The file: its repository path when known, else its name.
    pub file: &'a str,
    /// 1-based start line.
    pub line: usize,
    /// 1-based start column (characters).
    pub column: usize,
    /// 1-based end line.
    pub end_line: usize,
    /// 1-based end column (exclusive).
    pub end_column: usize,
}

/// Every diagnostic of a run, plus how many files were checked.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// In file order, then position, then code; a file's TM000 (findings left out) last.
    pub diagnostics: Vec<Diagnostic>,
    /// Files checked.
    pub files: usize,
    /// Things found but deliberately not checked, by reason (`tagman refs`: references in
    /// build-input templates, comments, documentation); empty for most commands.
    pub not_checked: std::collections::BTreeMap<&'static str, usize>,
    /// Errors found but not listed (over a file's `max_findings`; a TM000 stands for them).
    pub omitted_errors: usize,
    /// Warnings found but not listed.
    pub omitted_warnings: usize,
}

impl Report {
    /// Number of errors, listed or not.
    pub fn errors(&self) -> usize {
        self.count(Severity::Error) + self.omitted_errors
    }

    /// Number of warnings, listed or not.
    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning) + self.omitted_warnings
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity && !d.is_limit())
            .count()
    }

    /// Orders diagnostics by file, position and code (a file's TM000 last), so every output is
    /// stable.
    pub fn sort(&mut self) {
        self.diagnostics.sort_by(|a, b| {
            (a.file(), a.is_limit(), a.finding.primary.span, a.code()).cmp(&(
                b.file(),
                b.is_limit(),
                b.finding.primary.span,
                b.code(),
            ))
        });
    }

    /// Adds another report's diagnostics and files.
    pub fn extend(&mut self, other: Report) {
        self.diagnostics.extend(other.diagnostics);
        self.files += other.files;
        for (reason, n) in other.not_checked {
            *self.not_checked.entry(reason).or_default() += n;
        }
        self.omitted_errors += other.omitted_errors;
        self.omitted_warnings += other.omitted_warnings;
    }

    /// The `--format json` document.
    pub fn to_json(&self) -> serde_json::Value {
        let mut doc = serde_json::json!({
            "diagnostics": self.diagnostics.iter().map(Diagnostic::to_json).collect::<Vec<_>>(),
            "summary": {
                "errors": self.errors(),
                "warnings": self.warnings(),
                "files": self.files,
            }
        });
        if !self.not_checked.is_empty() {
            doc["summary"]["not_checked"] = serde_json::json!(self.not_checked);
        }
        doc
    }
}
