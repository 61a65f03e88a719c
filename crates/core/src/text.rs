//! "Did you mean" suggestions: the candidate a misspelt word most likely meant.

/// The candidate closest to `word` by edit distance, if it is within a third of its length (at
/// least one edit); ties go to the first candidate in order.
pub fn closest<'a, S: AsRef<str> + ?Sized>(word: &str, candidates: &'a [&'a S]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| c.as_ref())
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d > 0 && *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters; inputs are short (keys, codes, names).
pub fn edit_distance(a: &str, b: &str) -> usize {
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
    fn closest_suggests_near_words_only() {
        let keys = ["name", "src_build_tag", "src_ref", "tag"];
        let keys: Vec<&str> = keys.to_vec();
        assert_eq!(closest("srcref", &keys), Some("src_ref"));
        assert_eq!(closest("tags", &keys), Some("tag"));
        assert_eq!(closest("colour", &keys), None);
        assert_eq!(
            closest("tag", &keys),
            None,
            "an exact word needs no suggestion"
        );
    }

    #[test]
    fn edit_distance_counts_single_edits() {
        assert_eq!(edit_distance("tm004", "tm004"), 0);
        assert_eq!(edit_distance("tm04", "tm004"), 1);
        assert_eq!(edit_distance("src-rfe", "src-ref"), 2);
    }
}
