//! "Did you mean" suggestions: the candidate a misspelt word most likely meant.

/// The candidate closest to `word` by edit distance (Levenshtein over characters, `strsim`), if it is within a third of its length (at
/// least one edit); ties go to the first candidate in order.
pub fn closest<'a, S: AsRef<str> + ?Sized>(word: &str, candidates: &'a [&'a S]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| c.as_ref())
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d > 0 && *d <= (c.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
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
    fn one_edit_per_third_of_the_candidate() {
        let codes = ["tm004", "src-ref", "ab"];
        let codes: Vec<&str> = codes.to_vec();
        assert_eq!(closest("tm04", &codes), Some("tm004"), "one insertion");
        assert_eq!(
            closest("src-rfe", &codes),
            Some("src-ref"),
            "two edits in seven"
        );
        assert_eq!(closest("zz", &codes), None, "two edits in two is too many");
        assert_eq!(closest("ä", &["a"]), Some("a"), "characters, not bytes");
    }
}
