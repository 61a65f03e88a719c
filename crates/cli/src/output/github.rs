//! `--format github`: GitHub Actions workflow commands (`::error file=…,line=…::message`), which
//! the runner turns into annotations on the pull request's changed lines.

use std::io::Write;

use tagman_diag::{Diagnostic, Report, Subject};

use crate::output::project_path;

/// Writes one workflow command per diagnostic.
pub fn write_report(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    for d in &report.diagnostics {
        writeln!(out, "{}", command(d))?;
    }
    Ok(())
}

/// `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`.
pub fn command(d: &Diagnostic) -> String {
    let kind = d.severity.as_str();
    let start = d.finding.primary.start();
    let end = d.finding.primary.end();
    let mut props = Vec::new();
    // A commit message is a file of the checkout only when it was read from one
    // (`--commit-msg-file` inside the work tree); else its findings are annotations without one.
    let file = &d.finding.primary.file;
    let path = match d.subject() {
        Subject::CommitMessage => file.repository_path().map(str::to_owned),
        _ => project_path(file),
    };
    if let Some(path) = path {
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
        escape_property(&format!("{} {}", d.code(), d.name()))
    ));
    let mut message = d.finding.message.clone();
    if let Some(help) = &d.finding.help {
        message.push_str("\nFix: ");
        message.push_str(help);
    }
    format!("::{kind} {}::{}", props.join(","), escape_data(&message))
}

/// The runner's escaping for a command's message, then every other control character
/// written out, so that no name can drive the log's terminal.
fn escape_data(s: &str) -> String {
    let escaped = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    crate::output::escape::visible(&escaped).into_owned()
}

/// The runner's escaping for a property value (also `:` and `,`, which delimit properties).
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use tagman_core::{Severity, Span};

    use super::*;
    use crate::output::test_support::{diag, reference_missing, tag_format};

    #[test]
    fn error_annotation_with_escaped_message() {
        let mut d = diag(
            tag_format(),
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
    fn stdin_and_commit_message_findings_have_no_file() {
        let d = diag(
            tag_format(),
            "-",
            "x",
            Span::new(0, 0),
            Severity::Warning,
            "m",
        );
        assert_eq!(command(&d), "::warning title=TM004 tag-format::m");
        let d = diag(
            reference_missing(),
            "COMMIT_MSG",
            "x",
            Span::new(0, 0),
            Severity::Error,
            "m",
        );
        assert_eq!(command(&d), "::error title=TM101 reference-missing::m");
    }
}
