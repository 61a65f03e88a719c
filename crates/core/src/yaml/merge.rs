//! The YAML merge key (`<<`): which values may be merged, and how their entries join a mapping;
//! and where replayed (aliased or merged) nodes stand.

use std::collections::HashSet;

use super::{Node, NodeKind, YamlError};
use crate::span::Span;

/// A replayed node stands where its alias is written, everything in it too.
pub(super) fn relocate(node: &mut Node, span: Span) {
    node.span = span;
    match &mut node.kind {
        NodeKind::Seq(items) => items.iter_mut().for_each(|n| relocate(n, span)),
        NodeKind::Map(pairs) => pairs.iter_mut().for_each(|(k, v)| {
            relocate(k, span);
            relocate(v, span);
        }),
        _ => {}
    }
}

/// A `<<` value must be null, a mapping or a sequence of mappings; a null in the sequence merges
/// nothing, as a null value does (serde-saphyr, the differential oracle, reads it so too).
pub(super) fn mergeable(value: &Node) -> Result<(), YamlError> {
    let bad = match &value.kind {
        NodeKind::Null | NodeKind::Map(_) => None,
        NodeKind::Seq(items) => items
            .iter()
            .find(|i| !matches!(i.kind, NodeKind::Map(_) | NodeKind::Null)),
        _ => Some(value),
    };
    match bad {
        None => Ok(()),
        Some(node) => Err(YamlError {
            message: "YAML merge value must be mapping or sequence of mappings".to_owned(),
            span: Some(node.span),
            budget: false,
        }),
    }
}

/// Appends the entries of the `<<` values (checked by [`mergeable`]) to a mapping, after its own
/// keys, skipping keys it already has (the YAML merge key: explicit keys win, then earlier
/// merges). A merged entry stands where the mapping it came from is written.
pub(super) fn merge(pairs: &mut Vec<(Node, Node)>, merges: Vec<Node>) {
    let mut seen: HashSet<String> = pairs.iter().map(|(k, _)| fingerprint(k)).collect();
    for value in merges {
        let sources: Vec<Node> = match value.kind {
            NodeKind::Map(_) => vec![value],
            NodeKind::Seq(items) => items,
            _ => Vec::new(),
        };
        for source in sources {
            let span = source.span;
            let NodeKind::Map(entries) = source.kind else {
                continue;
            };
            for (mut k, mut v) in entries {
                if seen.insert(fingerprint(&k)) {
                    relocate(&mut k, span);
                    relocate(&mut v, span);
                    pairs.push((k, v));
                }
            }
        }
    }
}

/// What makes two keys the same key: their value, whatever their position.
fn fingerprint(node: &Node) -> String {
    match &node.kind {
        NodeKind::String(s) => format!("s{s}"),
        NodeKind::Bool(b) => format!("b{b}"),
        NodeKind::Int(i) => format!("i{i}"),
        NodeKind::Float(f) => format!("f{}", f.to_bits()),
        NodeKind::Null => "n".to_owned(),
        NodeKind::Seq(items) => {
            let inner: Vec<String> = items.iter().map(fingerprint).collect();
            format!("[{}]", inner.join(","))
        }
        NodeKind::Map(pairs) => {
            let inner: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{}:{}", fingerprint(k), fingerprint(v)))
                .collect();
            format!("{{{}}}", inner.join(","))
        }
    }
}
