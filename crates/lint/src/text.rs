//! Small text helpers the rules share: sub-spans inside a scalar, "did you mean" suggestions.

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

/// The candidate closest to `word` by edit distance, if it is within a third of its length.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, c)| *d > 0 && *d <= (c.len() / 3).max(1))
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
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

    #[test]
    fn closest_suggests_near_keys_only() {
        let keys = ["name", "src_build_tag", "src_ref", "tag"];
        assert_eq!(closest("srcref", &keys), Some("src_ref"));
        assert_eq!(closest("tags", &keys), Some("tag"));
        assert_eq!(closest("colour", &keys), None);
    }
}
