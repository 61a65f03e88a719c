//! The mapping a `key: value` line sits in, read by indentation (YAML, and the dict literals of
//! code laid out the same way): its parent key and its sibling keys. The inventory finder reads
//! one line at a time; what an `image:` value is depends on this context (a VM's image beside a
//! `flavor:`, a URL path under `service_endpoints:`, a name completed by a `host:` sibling).
//!
//! In a patch, the lines it removes are not in the mapping that ships, and the others are read
//! without their diff prefix. Every search is bounded.

pub(super) use crate::extract::squash;
use crate::extract::{content_indent, FileKind};

/// Lines looked at in each direction, and bytes at most.
const LINES: usize = 16;
const BYTES: usize = 4096;

/// One sibling `key: value` (the key as written, the value's offset in the text and its text,
/// quotes and a trailing comment taken off).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Sibling<'t> {
    pub key: &'t str,
    pub at: usize,
    pub value: &'t str,
}

/// The parent key and siblings of one line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Block<'t> {
    /// The key of the nearest line above with less indentation.
    pub parent: Option<&'t str>,
    /// The other `key: value` lines of the same mapping (same indentation, same list item).
    pub siblings: Vec<Sibling<'t>>,
}

impl<'t> Block<'t> {
    /// The sibling whose key, lower-cased without `_`/`-`, is one of `keys`.
    pub fn sibling(&self, keys: &[&str]) -> Option<&Sibling<'t>> {
        self.siblings
            .iter()
            .find(|s| keys.contains(&squash(s.key).as_str()))
    }
}

/// The block of the line starting at `line_start` of `text` (a file of `kind`).
pub(super) fn around(text: &str, line_start: usize, kind: FileKind) -> Block<'_> {
    let patch = kind == FileKind::Patch;
    let Some(own) = content(text, line_start, text[line_start..].find('\n'), patch) else {
        return Block::default();
    };
    let (indent, _) = content_indent(own.1);
    let mut block = Block::default();
    let mut budget = BYTES;
    // Below: up to a line less indented, or the next item of the same list.
    let mut pos = line_start;
    for _ in 0..LINES {
        let Some(next) = text[pos..].find('\n').map(|i| pos + i + 1) else {
            break;
        };
        let Some(end) = text
            .get(next..)
            .map(|rest| rest.find('\n').map_or(text.len(), |i| next + i))
        else {
            break;
        };
        budget = budget.saturating_sub(end - next + 1);
        pos = next;
        let Some((at, line)) = content(text, next, Some(end - next), patch) else {
            continue;
        };
        let (ind, item) = content_indent(line);
        if ind < indent || (ind == indent && item) || budget == 0 {
            break;
        }
        if ind == indent {
            block.siblings.extend(sibling(text, at, line));
        }
    }
    with_parent(text, line_start, indent, patch, block)
}

/// Adds the siblings above `line_start` (up to the line opening the mapping, whose key is the
/// parent). When the line, or one above it, opens a list item, the lines above that item belong
/// to another item.
fn with_parent<'t>(
    text: &'t str,
    line_start: usize,
    indent: usize,
    patch: bool,
    mut block: Block<'t>,
) -> Block<'t> {
    let own_item = text
        .get(line_start..)
        .and_then(|rest| content(text, line_start, rest.find('\n'), patch))
        .is_some_and(|(_, line)| content_indent(line).1);
    let mut pos = line_start;
    let mut budget = BYTES;
    let mut in_item = own_item;
    for _ in 0..LINES {
        if pos == 0 {
            break;
        }
        let start = text[..pos - 1].rfind('\n').map_or(0, |i| i + 1);
        budget = budget.saturating_sub(pos - start);
        let end = pos - 1;
        pos = start;
        let Some((at, line)) = content(text, start, Some(end - start), patch) else {
            continue;
        };
        let (ind, item) = content_indent(line);
        if ind < indent {
            block.parent = key_of(line);
            break;
        }
        if budget == 0 {
            break;
        }
        if ind == indent && !in_item {
            block.siblings.extend(sibling(text, at, line));
            in_item = item;
        }
    }
    block
}

/// A line's text as it ships (`None` for a blank or comment line, or one a patch removes), and
/// where that text starts.
fn content(text: &str, start: usize, len: Option<usize>, patch: bool) -> Option<(usize, &str)> {
    let end = len.map_or(text.len(), |l| start + l);
    let mut line = text.get(start..end)?.trim_end_matches('\r');
    let mut at = start;
    if patch {
        match line.as_bytes().first() {
            Some(b'-') | None => return None,
            Some(b'+' | b' ') if !line.starts_with("+++ ") => {
                line = &line[1..];
                at += 1;
            }
            _ => return None,
        }
    }
    let trimmed = line.trim();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with("//") {
        return None;
    }
    Some((at, line))
}

fn sibling<'t>(text: &'t str, at: usize, line: &'t str) -> Option<Sibling<'t>> {
    let (key, value_at, _) = key_value(line)?;
    let rest = &line[value_at..];
    let value = rest
        .split(" #")
        .next()
        .unwrap_or(rest)
        .trim()
        .trim_end_matches(',')
        .trim_matches(['"', '\'']);
    let offset = at + value_at;
    (text.get(offset..offset + 1).is_some()).then_some(Sibling {
        key,
        at: offset,
        value,
    })
}

/// The key, where the value starts and whether it is quoted, for `key: value`,
/// `"key": "value"`, `key=value`.
pub(super) fn key_value(line: &str) -> Option<(&str, usize, bool)> {
    let bytes = line.as_bytes();
    let (key, sep) = key_sep(line)?;
    let mut v = sep + 1;
    while bytes.get(v).is_some_and(|b| *b == b' ' || *b == b'\t') {
        v += 1;
    }
    let quoted = matches!(bytes.get(v), Some(b'"' | b'\''));
    if quoted {
        v += 1;
    }
    (v < bytes.len()).then_some((key, v, quoted))
}

/// The key of a `key: value`, `key:`, `'key': {` or `key=value` line.
pub(super) fn key_of(line: &str) -> Option<&str> {
    key_sep(line).map(|(key, _)| key)
}

/// The key and where its separator (`:` or `=`) is.
fn key_sep(line: &str) -> Option<(&str, usize)> {
    let sep = line.bytes().position(|b| matches!(b, b':' | b'='))?;
    let key = line[..sep]
        .trim()
        .trim_matches(['"', '\''])
        .trim_start_matches("- ");
    let key = key
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .next()?;
    (!key.is_empty()).then_some((key, sep))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_at(text: &str, needle: &str, kind: FileKind) -> (Option<String>, Vec<String>) {
        let at = text.find(needle).unwrap_or(0);
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        let block = around(text, start, kind);
        let siblings = block
            .siblings
            .iter()
            .map(|s| {
                assert!(
                    text[s.at..].starts_with(s.value.chars().next().unwrap_or(' '))
                        || text[s.at..].starts_with(['"', '\''])
                );
                format!("{}={}", s.key, s.value)
            })
            .collect();
        (block.parent.map(str::to_owned), siblings)
    }

    #[test]
    fn parents_and_siblings_in_yaml_dicts_and_patches() {
        let yaml = "conf:\n  service_endpoints:\n    image: 'service/storage/image'\n    volume: x\nimage:\n  host: registry.local:9001/icr.io/portieris\n  pullSecret: k # c\n  image: portieris\n  tag: v0.13.28\n";
        assert_eq!(
            block_at(yaml, "image: 'service", FileKind::Hash),
            (Some("service_endpoints".into()), vec!["volume=x".into()])
        );
        let (parent, siblings) = block_at(yaml, "image: portieris", FileKind::Hash);
        assert_eq!(parent.as_deref(), Some("image"));
        assert_eq!(
            siblings,
            [
                "tag=v0.13.28",
                "pullSecret=k",
                "host=registry.local:9001/icr.io/portieris"
            ]
        );
        let python = "x = {\n    'conf': {\n        'service_endpoints': {\n            'image': 'docker.io/service/storage/image'\n        }\n    }\n}\n";
        assert_eq!(
            block_at(python, "'image'", FileKind::Python).0.as_deref(),
            Some("service_endpoints")
        );
        // A patch: removed lines are not siblings, the others lose their prefix.
        let patch = " toolkit:\n-  enabled: true\n+  enabled: false\n   repository: nvcr.io/nvidia/k8s\n   image: container-toolkit\n-  version: 1.6.0\n+  version: 1.7.1-ubi8\n";
        let (parent, siblings) = block_at(patch, "image: container", FileKind::Patch);
        assert_eq!(parent.as_deref(), Some("toolkit"));
        assert_eq!(
            siblings,
            [
                "version=1.7.1-ubi8",
                "repository=nvcr.io/nvidia/k8s",
                "enabled=false"
            ]
        );
        // List items: another item's keys are not siblings.
        let items = "containers:\n- name: a\n  flavor: x\n- name: b\n  image: cirros\n";
        assert_eq!(
            block_at(items, "image: cirros", FileKind::Hash).1,
            ["name=b"]
        );
    }
}
