//! Helm's and kustomize's split form: a repository in one key (`repository:`, `name:`) and its
//! tag in a sibling key (`tag:`, `newTag:`), found on the same line or among the sibling lines.

use super::{line_bounds, scan_tag, TagRef};

/// Whether the token is the value of a key whose tag lives in a sibling key: Helm's
/// `repository:` + `tag:`, kustomize's `name:`/`newName:` + `newTag:`.
pub(super) fn split_name_key(before: &str) -> bool {
    let key = key_before(before);
    key.ends_with("repository") || key.ends_with("repo") || key == "name" || key == "newname"
}

/// The key a value follows (`repository` in `  "repository": "`), lower-cased; empty when none.
pub(super) fn key_before(before: &str) -> String {
    let trimmed = before.trim_end_matches([' ', '\t', '"', '\'']);
    let Some(trimmed) = trimmed.strip_suffix([':', '=']) else {
        return String::new();
    };
    let trimmed = trimmed.trim_end_matches([' ', '\t', '"', '\'']);
    trimmed[key_start(trimmed)..].to_ascii_lowercase()
}

/// Where the key word that ends `s` starts (a byte offset on a character boundary).
fn key_start(s: &str) -> usize {
    s.char_indices()
        .rev()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// Keys that hold a split-off tag: `tag`, `newTag`, `imageTag`, `image_tag`, `image.tag`.
/// Not `src_build_tag` and the like, which name other things.
fn is_tag_key(key: &str) -> bool {
    let squashed: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '.' | '-'))
        .collect();
    matches!(squashed.as_str(), "tag" | "newtag" | "imagetag") || key.ends_with(".tag")
}

/// Indentation of a line's content, counting list markers (`- `) as indentation.
fn content_indent(line: &str) -> (usize, bool) {
    let mut n = 0;
    let mut item = false;
    let bytes = line.as_bytes();
    loop {
        match bytes.get(n) {
            Some(b' ' | b'\t') => n += 1,
            Some(b'-') if bytes.get(n + 1) == Some(&b' ') => {
                item = true;
                n += 2;
            }
            _ => return (n, item),
        }
    }
}

/// The split form: `repository: docker.io/starlingx/x` with a sibling `tag:` key (Helm values,
/// Python dicts). Looks on the same line after the token, then among the sibling lines.
pub(super) fn split_tag(text: &str, start: usize) -> Option<TagRef> {
    let (line_start, line_end) = line_bounds(text, start);
    if !split_name_key(&text[line_start..start]) {
        return None;
    }
    let after_token = start
        + text[start..line_end]
            .find(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | '}'))
            .unwrap_or(line_end - start);
    if let Some(t) = tag_key_value(text, after_token, line_end) {
        return Some(t);
    }
    let (indent, is_item) = content_indent(&text[line_start..line_end]);
    // Following siblings, until the block or the list item ends.
    let mut pos = line_end;
    for _ in 0..8 {
        if pos >= text.len() {
            break;
        }
        let (s, e) = line_bounds(text, pos + 1);
        pos = e;
        let line = &text[s..e];
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (ind, item) = content_indent(line);
        if ind < indent || (ind == indent && item) {
            break;
        }
        if ind == indent {
            if let Some(t) = tag_key_value(text, s, e) {
                return Some(t);
            }
        }
    }
    if is_item {
        return None;
    }
    // Preceding siblings, up to the start of the list item or block.
    let mut pos = line_start;
    for _ in 0..8 {
        if pos == 0 {
            break;
        }
        let (s, e) = line_bounds(text, pos - 1);
        pos = s;
        let line = &text[s..e];
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (ind, item) = content_indent(line);
        if ind < indent {
            break;
        }
        if ind == indent {
            if let Some(t) = tag_key_value(text, s, e) {
                return Some(t);
            }
            if item {
                break;
            }
        }
    }
    None
}

/// The value of a `tag` key (`tag:`, `"tag":`, `image_tag=`, `imageTag:`) in `text[from..to]`.
fn tag_key_value(text: &str, from: usize, to: usize) -> Option<TagRef> {
    let segment = &text[from..to];
    for (i, b) in segment.bytes().enumerate() {
        if b != b':' && b != b'=' {
            continue;
        }
        let key_part = segment[..i].trim_end_matches([' ', '\t', '"', '\'']);
        let key = key_part[key_start(key_part)..].to_ascii_lowercase();
        if !is_tag_key(&key) {
            continue;
        }
        let value_rest = &segment[i + 1..];
        let skip = value_rest.len() - value_rest.trim_start_matches([' ', '\t']).len();
        let mut at = from + i + 1 + skip;
        if matches!(text.as_bytes().get(at), Some(b'"' | b'\'')) {
            at += 1;
        }
        return scan_tag(text, at).map(|mut t| {
            t.split = true;
            t
        });
    }
    None
}
