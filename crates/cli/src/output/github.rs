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

    fn diag(name: &str, text: &str, span: Span, severity: Severity, message: &str) -> Diagnostic {
        let file = SourceFile::new(name, text);
        Diagnostic {
            code: "TM004",
            rule: "tag-format",
            severity,
            finding: Finding::new(Label::new(&file, span), message),
        }
    }

    #[test]
    fn error_annotation_with_escaped_message() {
        let mut d = diag(
            "./image-tags.yaml",
            "tag: v1\n",
            Span::new(5, 2),
            Severity::Error,
            "50% wrong, a:b",
        );
        d.finding.help = Some("use stx.10".to_owned());
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
        let d = diag("-", "x", Span::new(0, 0), Severity::Warning, "m");
        assert_eq!(command(&d), "::warning title=TM004 tag-format::m");
    }
}
