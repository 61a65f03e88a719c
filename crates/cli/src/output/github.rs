//! `--format github`: GitHub Actions workflow commands (`::error file=…,line=…::message`), which
//! the runner turns into annotations on the pull request's changed lines.

use std::io::Write;

use tagman_core::Severity;
use tagman_lint::{Diagnostic, Report};

use crate::output::zuul::project_relative;

/// Writes one workflow command per diagnostic.
pub fn write_report(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    for d in &report.diagnostics {
        writeln!(out, "{}", command(d))?;
    }
    Ok(())
}

/// `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`.
pub fn command(d: &Diagnostic) -> String {
    let kind = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let start = d.finding.primary.start();
    let end = d.finding.primary.end();
    let mut props = Vec::new();
    if let Some(path) = project_relative(d.file()) {
        props.push(format!("file={}", escape_property(&path)));
        props.push(format!("line={}", start.line));
        props.push(format!("col={}", start.column));
        if end > start {
            props.push(format!("endLine={}", end.line));
            props.push(format!("endColumn={}", end.column));
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("{} {}", d.code, d.rule))
    ));
    let mut message = d.finding.message.clone();
    if let Some(help) = &d.finding.help {
        message.push_str("\nFix: ");
        message.push_str(help);
    }
    format!("::{kind} {}::{}", props.join(","), escape_data(&message))
}

/// The runner's escaping for a command's message.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// The runner's escaping for a property value (also `:` and `,`, which delimit properties).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use tagman_core::{SourceFile, Span};
    use tagman_lint::{Finding, Label};

    use super::*;

    #[test]
    fn error_annotation_with_escaped_message() {
        let file = SourceFile::new("./image-tags.yaml", "tag: v1\n");
        let d = Diagnostic {
            code: "TM004",
            rule: "tag-format",
            severity: Severity::Error,
            finding: Finding::new(Label::new(&file, Span::new(5, 2)), "50% wrong, a:b")
                .help("use stx.10"),
        };
        assert_eq!(
            command(&d),
            "::error file=image-tags.yaml,line=1,col=6,endLine=1,endColumn=8,\
             title=TM004 tag-format::50%25 wrong, a:b%0AFix: use stx.10"
        );
    }

    #[test]
    fn property_escaping() {
        assert_eq!(escape_property("a,b:c%"), "a%2Cb%3Ac%25");
    }

    #[test]
    fn stdin_warning_has_no_file() {
        let file = SourceFile::new("-", "x");
        let d = Diagnostic {
            code: "TM001",
            rule: "yaml",
            severity: Severity::Warning,
            finding: Finding::new(Label::new(&file, Span::new(0, 0)), "m"),
        };
        assert_eq!(command(&d), "::warning title=TM001 yaml::m");
    }
}
