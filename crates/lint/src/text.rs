//! Small text helpers the rules share: sub-spans inside a scalar.

use tagman_core::{SourceFile, Span, Spanned};

/// The span of `value[start..start+len]` inside a scalar written at `spanned.span`, accounting
/// for quotes; the whole scalar when the source text is not the value verbatim (escapes, folding).
pub fn value_span(
    source: &SourceFile,
    spanned: &Spanned<String>,
    start: usize,
    len: usize,
) -> Span {
    let written = source.slice(spanned.span);
    let quote = usize::from(written.starts_with(['"', '\'']));
    let inner = written.get(quote..quote + spanned.value.len());
    if inner == Some(spanned.value.as_str()) && start + len <= spanned.value.len() {
        spanned.span.sub(quote + start, len)
    } else {
        spanned.span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_span_skips_quotes() {
        let src = SourceFile::new("t", "tag: \"stx.8.0.v1\"\n");
        let v = Spanned::new("stx.8.0.v1".to_owned(), Span::new(5, 12));
        assert_eq!(src.slice(value_span(&src, &v, 7, 2)), ".v");
    }
}
