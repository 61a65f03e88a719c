//! The one unified diff (`diff -u`, three lines of context) tagman prints: `tagman add --dry-run`
//! and `tagman refs --bump --dry-run`. Lines are aligned by `similar` (Myers), so any two texts
//! diff correctly; a missing final newline is marked as GNU diff marks it.

use similar::TextDiff;

/// Lines of context around each change, as `diff -u`.
const CONTEXT: usize = 3;

/// The unified diff from `before` to `after`, with `--- a/PATH` and `+++ b/PATH` headers; empty
/// when the texts are equal. Hunk ranges are GNU diff's (`-5` for one line, `-4,0` for none).
pub fn unified(path: &str, before: &str, after: &str) -> String {
    TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(CONTEXT)
        .missing_newline_hint(true)
        .header(&format!("a/{path}"), &format!("b/{path}"))
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_with_context_merge_and_mark_a_missing_newline() {
        let before = "a\nb\nc\nd: x:1\ne\nf\ng\nh\ni\nj\nk\nl: x:1\nm";
        let after = before.replace("x:1", "x:2");
        assert_eq!(
            unified("f.yaml", before, &after),
            "--- a/f.yaml\n+++ b/f.yaml\n@@ -1,7 +1,7 @@\n a\n b\n c\n-d: x:1\n+d: x:2\n e\n f\n g\n\
             @@ -9,5 +9,5 @@\n i\n j\n k\n-l: x:1\n+l: x:2\n m\n\\ No newline at end of file\n"
        );
        assert_eq!(unified("f", "same\n", "same\n"), "");
    }

    #[test]
    fn an_inserted_run_and_lines_of_different_counts() {
        let before = "images:\n  - a\n# end";
        let after = "images:\n  - a\n# end\n  - x\n";
        assert_eq!(
            unified("m.yaml", before, after),
            "--- a/m.yaml\n+++ b/m.yaml\n@@ -1,3 +1,4 @@\n images:\n   - a\n-# end\n\\ No newline at end of file\n\
             +# end\n+  - x\n"
        );
        assert_eq!(
            unified("e", "", "one\n"),
            "--- a/e\n+++ b/e\n@@ -0,0 +1 @@\n+one\n"
        );
        // A line removed in the middle and another changed: Myers aligns what `diff -u` aligns.
        assert_eq!(
            unified("g", "a\nb\nc\nd\n", "a\nc\nD\n"),
            "--- a/g\n+++ b/g\n@@ -1,4 +1,3 @@\n a\n-b\n c\n-d\n+D\n"
        );
    }
}
