//! The source text miette draws a snippet from, read through a line index so that drawing one
//! finding costs the lines it shows, not the file before it (miette's own `str` source scans
//! from the first byte for every label: 5,000 findings in one file took 20 s), and cut to a
//! window around the label when a line is too long to show whole (a minified or hostile file:
//! one 16 MiB line must not be printed once per finding).

use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};
use tagman_core::{SourceFile, Span};

/// A snippet whose lines are longer than this (in bytes) shows a window of the label's line
/// instead (a generous bound: the deep-nesting fixture's 2 KB line still shows whole).
pub const LONG_LINE: usize = 4_096;
/// Characters of a long line shown on each side of the label.
const WINDOW: usize = 80;

/// Where every line of a text starts, counting line breaks as miette does (`\n`, `\r\n` and a
/// lone `\r`), so its line numbers match miette's.
#[derive(Debug)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    /// Indexes `text` (one pass).
    pub fn new(text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let mut i = 0;
        while i < bytes.len() {
            match bytes.get(i) {
                Some(b'\r') if bytes.get(i + 1) == Some(&b'\n') => {
                    i += 2;
                    starts.push(i);
                }
                Some(b'\r' | b'\n') => {
                    i += 1;
                    starts.push(i);
                }
                _ => i += 1,
            }
        }
        Self {
            starts,
            len: bytes.len(),
        }
    }

    /// The 0-based line holding byte `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Where line `line` starts (the text's end past the last line).
    pub fn start(&self, line: usize) -> usize {
        self.starts.get(line).copied().unwrap_or(self.len)
    }

    /// The byte range of line `line`, without its line break.
    pub fn line_range(&self, text: &str, line: usize) -> (usize, usize) {
        let start = self.start(line);
        let mut end = self.start(line + 1);
        let bytes = text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        (start, end)
    }
}

/// A whole file, read through its line index.
#[derive(Debug)]
pub struct Indexed {
    text: Arc<str>,
    index: Arc<LineIndex>,
}

impl Indexed {
    /// `text` with its `index`.
    pub fn new(text: Arc<str>, index: Arc<LineIndex>) -> Self {
        Self { text, index }
    }
}

impl SourceCode for Indexed {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let start = span.offset();
        let end = start.saturating_add(span.len());
        if end > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        // The lines miette will look at, one before them (it looks at the byte before an empty
        // span) and a couple past them: its reading of the slice is then its reading of the
        // whole text, shifted.
        let first = self.index.line_of(start);
        let last = self.index.line_of(end.saturating_sub(1).max(start));
        let from_line = first.saturating_sub(context_lines_before).saturating_sub(1);
        let to_line = last.saturating_add(context_lines_after).saturating_add(2);
        let from = self.index.start(from_line);
        let to = self.index.start(to_line);
        let slice = self.text.get(from..to).ok_or(MietteError::OutOfBounds)?;
        let shifted = SourceSpan::new((start - from).into(), span.len());
        let inner = slice.read_span(&shifted, context_lines_before, context_lines_after)?;
        let data = inner.data();
        Ok(Box::new(MietteSpanContents::new(
            data,
            SourceSpan::new((inner.span().offset() + from).into(), inner.span().len()),
            inner.line() + from_line,
            inner.column(),
            inner.line_count() + from_line,
        )))
    }
}

/// One long line cut to a window around a label: `…` marks what is left out on each side.
#[derive(Debug)]
pub struct Window {
    /// The window's text: `…`, the bytes shown, `…`.
    pub text: String,
    /// The 0-based line it is cut from.
    line: usize,
    /// Bytes of the real line before the window's first byte, less the leading `…`.
    column_shift: isize,
    /// The file's bytes shown: `from..to`.
    from: usize,
    to: usize,
    /// Bytes of the leading `…` (0 when the window starts the line).
    prefix: usize,
}

impl Window {
    /// The window of `file`'s line holding `span`, or `None` when that line is short enough to
    /// show whole.
    pub fn around(file: &SourceFile, index: &LineIndex, span: Span) -> Option<Self> {
        let text = file.text();
        let line = index.line_of(span.offset);
        let (line_start, line_end) = index.line_range(text, line);
        // The label's line and the context lines miette shows around it.
        let long = |l: usize| {
            let (start, end) = index.line_range(text, l);
            end - start > LONG_LINE
        };
        if !long(line) && !long(line.saturating_sub(1)) && !long(line + 1) {
            return None;
        }
        // The label's start with some context, and at most two windows of the label itself (a
        // 14 MiB scalar is not underlined whole).
        let label_end = span.end().min(line_end).max(span.offset);
        let label_shown = forward_chars(text, span.offset, 2 * WINDOW, label_end);
        let from = back_chars(text, span.offset.max(line_start), WINDOW, line_start);
        let to = forward_chars(text, label_shown, WINDOW, line_end);
        let shown = text.get(from..to)?;
        let mut window = String::with_capacity(shown.len() + 8);
        let prefix = if from > line_start { "…" } else { "" };
        window.push_str(prefix);
        window.push_str(&super::escape::snippet_text(shown));
        if to < line_end {
            window.push('…');
        }
        let shift = isize::try_from(from - line_start).unwrap_or(isize::MAX)
            - isize::try_from(prefix.len()).unwrap_or(0);
        Some(Self {
            text: window,
            line,
            column_shift: shift,
            from,
            to,
            prefix: prefix.len(),
        })
    }

    /// `span` of the file as a span of the window, clipped to what it shows; `None` when it
    /// lies outside.
    pub fn map(&self, span: Span) -> Option<Span> {
        if span.end() < self.from || span.offset > self.to {
            return None;
        }
        let start = span.offset.clamp(self.from, self.to);
        let end = span.end().clamp(start, self.to);
        Some(Span::new(self.prefix + start - self.from, end - start))
    }
}

impl SourceCode for Window {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        let column = if inner.column() == 0 && context_lines_before > 0 {
            0
        } else {
            usize::try_from(isize::try_from(inner.column()).unwrap_or(0) + self.column_shift)
                .unwrap_or(0)
        };
        Ok(Box::new(MietteSpanContents::new(
            inner.data(),
            *inner.span(),
            inner.line() + self.line,
            column,
            inner.line_count() + self.line,
        )))
    }
}

/// The offset `n` characters before `offset`, not before `floor`.
fn back_chars(text: &str, offset: usize, n: usize, floor: usize) -> usize {
    text.get(floor..offset)
        .and_then(|s| s.char_indices().rev().nth(n.saturating_sub(1)))
        .map_or(floor, |(i, _)| floor + i)
}

/// The offset `n` characters after `offset`, not past `ceiling`.
fn forward_chars(text: &str, offset: usize, n: usize, ceiling: usize) -> usize {
    text.get(offset..ceiling)
        .and_then(|s| s.char_indices().nth(n))
        .map_or(ceiling, |(i, _)| offset + i)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading through the index gives exactly what miette reads from the whole text.
    #[test]
    fn indexed_reads_equal_miettes_whole_text_reads() {
        let text = "a: 1\r\nbb: 2\n\nccc: 3\rd: 4\n  - e\n  - ff\nlast";
        let index = Arc::new(LineIndex::new(text));
        let indexed = Indexed::new(Arc::from(text), index);
        for offset in 0..text.len() {
            if !text.is_char_boundary(offset) {
                continue;
            }
            for len in [0, 1, 3, 9] {
                if offset + len > text.len() {
                    continue;
                }
                for context in [0, 1, 2] {
                    let span = SourceSpan::new(offset.into(), len);
                    let ours = indexed.read_span(&span, context, context).ok();
                    let theirs = text.read_span(&span, context, context).ok();
                    let show = |c: Option<Box<dyn SpanContents<'_> + '_>>| {
                        c.map(|c| {
                            (
                                c.data().to_vec(),
                                *c.span(),
                                c.line(),
                                c.column(),
                                c.line_count(),
                            )
                        })
                    };
                    assert_eq!(show(ours), show(theirs), "{offset}+{len} ±{context}");
                }
            }
        }
    }

    #[test]
    fn a_long_line_is_windowed_around_the_label() {
        let line = format!("key: [{}]", "x, ".repeat(3000));
        let file = SourceFile::new("t.yaml", format!("first: 1\n{line}\n"));
        let index = LineIndex::new(file.text());
        let at = file.text().len() / 2;
        let window = Window::around(&file, &index, Span::new(at, 1)).unwrap();
        assert!(window.text.starts_with('…') && window.text.ends_with('…'));
        assert!(
            window.text.chars().count() <= 2 * WINDOW + 3,
            "{}",
            window.text
        );
        let mapped = window.map(Span::new(at, 1)).unwrap();
        assert_eq!(
            &window.text[mapped.offset..mapped.end()],
            &file.text()[at..at + 1]
        );
        // A label longer than the window is shown in part.
        let long_label = Window::around(&file, &index, Span::new(20, 5_000)).unwrap();
        assert!(
            long_label.text.chars().count() <= 4 * WINDOW + 3,
            "{}",
            long_label.text
        );
        let short = SourceFile::new("t.yaml", "a: 1\n");
        assert!(Window::around(&short, &LineIndex::new(short.text()), Span::new(3, 1)).is_none());
        // A short line next to a long one is shown alone, whole.
        let next = SourceFile::new("t.yaml", format!("a: 1\n{line}\n"));
        let window = Window::around(&next, &LineIndex::new(next.text()), Span::new(3, 1)).unwrap();
        assert_eq!(window.text, "a: 1");
    }
}
