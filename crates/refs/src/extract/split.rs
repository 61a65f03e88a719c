//! Split forms: a name in one key and its tag in a sibling key, joined back into one reference.
//! Helm's `repository:` + `tag:`, kustomize's `newName:` + `newTag:`, `image:` + `imageTag:`,
//! `image_name =` + `image_tag =` and `foo_image:` + `foo_tag:`, in YAML, Python, shell and
//! JSON alike: the sibling is on the same line after the name, or on a line of the same block
//! (same indentation, same list item) below or above it. Every search is bounded.

use tagman_core::Span;

use super::context::{content_indent, squash, tag_keys_for};
use super::read::Line;
use super::token::{head, scan_tag};
use super::TagRef;

/// Sibling lines looked at in each direction, and bytes at most.
const SIBLING_LINES: usize = 8;
const SIBLING_BYTES: usize = 4096;
/// Bytes of one line looked at for a `key: value`.
const SEGMENT: usize = 512;

/// The tag of a name written as the value of `key`, the token starting at `start` on `line`.
pub(super) fn split_tag(text: &str, line: Line, start: usize, key: &str) -> Option<TagRef> {
    let wanted = tag_keys_for(key);
    if wanted.is_empty() {
        return None;
    }
    let after_token = start
        + text[start..line.end]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}'))
            .unwrap_or(line.end - start);
    // Same line: after the name (`{'repository': x, 'tag': y}`), or before it (`"tag": null,
    // "name": x`).
    if let Some(t) = tag_key_value(text, after_token, line.end, &wanted)
        .or_else(|| tag_key_value(text, line.start, start, &wanted))
    {
        return Some(t);
    }
    let (indent, is_item) = content_indent(&text[line.start..line.end]);
    let mut following = Siblings::new(text, line.end, true);
    while let Some((s, e)) = following.next_line() {
        let (ind, item) = content_indent(&text[s..e]);
        if ind < indent || (ind == indent && item) {
            break;
        }
        if ind == indent {
            if let Some(t) = tag_key_value(text, s, e, &wanted) {
                return Some(t);
            }
        }
    }
    if is_item {
        return None;
    }
    let mut preceding = Siblings::new(text, line.start, false);
    while let Some((s, e)) = preceding.next_line() {
        let (ind, item) = content_indent(&text[s..e]);
        if ind < indent {
            break;
        }
        if ind == indent {
            if let Some(t) = tag_key_value(text, s, e, &wanted) {
                return Some(t);
            }
            if item {
                break;
            }
        }
    }
    None
}

/// The non-blank, non-comment lines next to a position, one direction, within the bounds.
struct Siblings<'t> {
    text: &'t str,
    pos: usize,
    down: bool,
    lines: usize,
    budget: usize,
}

impl<'t> Siblings<'t> {
    fn new(text: &'t str, pos: usize, down: bool) -> Self {
        Self {
            text,
            pos,
            down,
            lines: 0,
            budget: SIBLING_BYTES,
        }
    }

    /// The next line's `(start, end)`.
    fn next_line(&mut self) -> Option<(usize, usize)> {
        loop {
            if self.lines == SIBLING_LINES {
                return None;
            }
            let (s, e) = if self.down {
                let s = self.pos.checked_add(1).filter(|&s| s <= self.text.len())?;
                let rest = self.text.get(s..)?;
                let e = s + rest.find('\n').unwrap_or(rest.len());
                self.pos = e;
                (s, e)
            } else {
                let e = self.pos.checked_sub(1)?;
                let floor = e.saturating_sub(self.budget);
                let above = self.text.get(floor..e)?;
                let s = match above.rfind('\n') {
                    Some(i) => floor + i + 1,
                    None if floor == 0 => 0,
                    None => return None,
                };
                self.pos = s;
                (s, e)
            };
            self.lines += 1;
            self.budget = self.budget.checked_sub(e - s + 1)?;
            let line = self.text.get(s..e)?;
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            return Some((s, e));
        }
    }
}

/// The value of a key in `wanted` (squashed: `tag`, `imagetag`, `newtag`) in `text[from..to]`:
/// `tag: x`, `"tag": "x"`, `image_tag = "x"`. A key with no value (`""`, `null`, `~`, nothing)
/// gives an empty tag.
fn tag_key_value(text: &str, from: usize, to: usize, wanted: &[String]) -> Option<TagRef> {
    let segment = head(text.get(from..to)?, SEGMENT);
    for (i, b) in segment.bytes().enumerate() {
        if b != b':' && b != b'=' {
            continue;
        }
        let key_part = segment[..i].trim_end_matches([' ', '\t', '"', '\'']);
        let key = &key_part[super::context::key_start(key_part)..];
        if key.is_empty() || !wanted.contains(&squash(key)) {
            continue;
        }
        let value_rest = &segment[i + 1..];
        let skip = value_rest.len() - value_rest.trim_start_matches([' ', '\t']).len();
        let at = from + i + 1 + skip;
        return value_at(text, at).map(|mut t| {
            t.split = true;
            t
        });
    }
    None
}

/// A tag value at `at`, quoted or not; `""`, `''`, `null`, `~` and nothing are an empty tag.
fn value_at(text: &str, at: usize) -> Option<TagRef> {
    let rest = text.get(at..).unwrap_or("");
    let empty = |span: Span| TagRef {
        span,
        text: String::new(),
        placeholders: Vec::new(),
        split: true,
        empty: true,
    };
    for quote in ["\"", "'"] {
        if let Some(inner) = rest.strip_prefix(quote) {
            if inner.starts_with(quote) {
                return Some(empty(Span::new(at + 1, 0)));
            }
            return scan_tag(text, at + 1);
        }
    }
    let word_end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '~'))
        .unwrap_or(rest.len());
    let word = &rest[..word_end];
    if matches!(word, "null" | "Null" | "NULL" | "~" | "None") {
        return Some(empty(Span::new(at, word.len())));
    }
    let next = rest.chars().next();
    if next.is_none_or(|c| matches!(c, '\r' | '\n' | ',' | '}' | '#')) {
        return Some(empty(Span::new(at, 0)));
    }
    scan_tag(text, at)
}
