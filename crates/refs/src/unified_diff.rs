//! A unified diff of one file's bump. Tags never contain a newline, so before and after have the
//! same lines and line `i` of one pairs with line `i` of the other: no alignment search needed.

use std::fmt::Write;

/// Lines of context around each change, as `diff -u`.
const CONTEXT: usize = 3;

/// The unified diff from `before` to `after`, with `---`/`+++` headers naming `path`.
pub fn unified(path: &str, before: &str, after: &str) -> String {
    let old: Vec<&str> = before.split_inclusive('\n').collect();
    let new: Vec<&str> = after.split_inclusive('\n').collect();
    let mut out = String::new();
    if old == new {
        return out;
    }
    let _ = writeln!(out, "--- a/{path}\n+++ b/{path}");
    if old.len() != new.len() {
        // Not a tag-only change; show it whole rather than align lines.
        hunk(&mut out, &old, &new, 0..old.len(), 0..new.len());
        return out;
    }
    let changed: Vec<usize> = (0..old.len()).filter(|&i| old[i] != new[i]).collect();
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for &i in &changed {
        let start = i.saturating_sub(CONTEXT);
        let end = (i + CONTEXT + 1).min(old.len());
        match groups.last_mut() {
            Some(last) if start <= last.1 => last.1 = end,
            _ => groups.push((start, end)),
        }
    }
    for (start, end) in groups {
        hunk(&mut out, &old, &new, start..end, start..end);
    }
    out
}

fn hunk(
    out: &mut String,
    old: &[&str],
    new: &[&str],
    old_range: std::ops::Range<usize>,
    new_range: std::ops::Range<usize>,
) {
    let header = |r: &std::ops::Range<usize>| {
        let len = r.len();
        let first = if len == 0 { r.start } else { r.start + 1 };
        format!("{first},{len}")
    };
    let _ = writeln!(out, "@@ -{} +{} @@", header(&old_range), header(&new_range));
    let whole = old_range.len() != new_range.len() || old_range.start != new_range.start;
    if whole {
        for line in &old[old_range] {
            push_line(out, '-', line);
        }
        for line in &new[new_range] {
            push_line(out, '+', line);
        }
        return;
    }
    // Same range on both sides: context lines once, each changed run as its removals then additions.
    let mut i = old_range.start;
    while i < old_range.end {
        if old[i] == new[i] {
            push_line(out, ' ', old[i]);
            i += 1;
            continue;
        }
        let run_end = (i..old_range.end)
            .find(|&j| old[j] == new[j])
            .unwrap_or(old_range.end);
        for line in &old[i..run_end] {
            push_line(out, '-', line);
        }
        for line in &new[i..run_end] {
            push_line(out, '+', line);
        }
        i = run_end;
    }
}

fn push_line(out: &mut String, sign: char, line: &str) {
    out.push(sign);
    out.push_str(line);
    if !line.ends_with('\n') {
        out.push_str("\n\\ No newline at end of file\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_with_context_and_merging() {
        let before = "a\nb\nc\nd: x:1\ne\nf\ng\nh\ni\nj\nk\nl: x:1\nm";
        let after = before.replace("x:1", "x:2");
        let diff = unified("f.yaml", before, &after);
        assert_eq!(
            diff,
            "--- a/f.yaml\n+++ b/f.yaml\n@@ -1,7 +1,7 @@\n a\n b\n c\n-d: x:1\n+d: x:2\n e\n f\n g\n\
             @@ -9,5 +9,5 @@\n i\n j\n k\n-l: x:1\n+l: x:2\n m\n\\ No newline at end of file\n"
        );
        assert_eq!(unified("f", "same\n", "same\n"), "");
    }
}
