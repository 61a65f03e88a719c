//! Escaping per output format of what other people's files put in front of a reader: file and
//! member names, chart names, manifest values and source lines. None of them may move a
//! terminal's cursor, forge a line, run as a spreadsheet formula or break a Markdown row. JSON,
//! SARIF and Zuul are escaped by their serializer.

use std::borrow::Cow;

/// Whether `c` is a control character (C0, DEL or C1): what a terminal acts on.
fn is_control(c: char) -> bool {
    c.is_control()
}

/// `s` with every control character written out as an escape (`\e`, `\r`, `\n`, `\t`,
/// `\u{9b}` …), so text shown on a terminal or in a log is what it says, on the line it says.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\u{1b}' => out.push_str("\\e"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if is_control(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A source text for a snippet: lines and tabs kept, every other control character replaced
/// byte for byte, so the labels' byte offsets still point at the same text: the CR of a CRLF
/// line break by a space (a Windows-edited manifest shows as it reads), any other by `?`.
pub fn snippet_text(s: &str) -> Cow<'_, str> {
    let shown = |c: char| !is_control(c) || c == '\n' || c == '\t';
    if s.chars().all(shown) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if shown(c) {
            out.push(c);
        } else if c == '\r' && chars.peek() == Some(&'\n') {
            out.push(' ');
        } else {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        }
    }
    Cow::Owned(out)
}

/// A CSV cell: control characters escaped, a cell a spreadsheet would take for a formula
/// (`=`, `+`, `-`, `@`, as OWASP lists them) prefixed with `'`, then quoted when needed.
pub fn csv_cell(s: &str) -> String {
    let shown = visible(s);
    let guarded = if shown.starts_with(['=', '+', '-', '@']) {
        Cow::Owned(format!("'{shown}"))
    } else {
        shown
    };
    if guarded.contains([',', '"']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded.into_owned()
    }
}

/// A Markdown table cell (GitHub's tables, where `\|` is a pipe even inside a code span):
/// control characters escaped, `|` escaped so a cell stays one cell.
pub fn markdown_cell(s: &str) -> String {
    visible(s).replace('|', "\\|")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_written_out() {
        assert_eq!(visible("a\u{1b}[2Jb\r\nc\u{9b}"), "a\\e[2Jb\\r\\nc\\u{9b}");
        assert!(matches!(visible("plain · text"), Cow::Borrowed(_)));
    }

    #[test]
    fn snippets_keep_their_offsets() {
        let text = "a: \u{1b}[31m\r\nb: \u{85}x\tz\rc\n";
        let shown = snippet_text(text);
        assert_eq!(shown.len(), text.len());
        // The CR of a line break is a space; a lone CR, which would overwrite the line, is `?`.
        assert_eq!(shown, "a: ?[31m \nb: ??x\tz?c\n");
    }

    #[test]
    fn csv_cells_cannot_run_as_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("x\ny"), "x\\ny");
        assert_eq!(csv_cell("docker.io/starlingx/x"), "docker.io/starlingx/x");
    }

    #[test]
    fn markdown_cells_stay_cells() {
        assert_eq!(markdown_cell("a|b"), "a\\|b");
        assert_eq!(markdown_cell("x\u{1b}y"), "x\\ey");
    }
}
