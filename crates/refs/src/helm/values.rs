//! A Helm values document flattened to its scalar leaves, each with its key path and span, so a
//! reference found by byte offset can be named by key (`image.tag`) and matched with the override
//! that sets the same key.

use tagman_core::yaml::{self, Limits, Node, NodeKind};
use tagman_core::{SourceFile, Span};

/// One scalar and where it sits.
#[derive(Clone, Debug, PartialEq)]
pub struct Leaf {
    /// Keys from the document's root (sequence items by index).
    pub path: Vec<String>,
    /// Where the scalar is written.
    pub span: Span,
    /// Its text when it is a string or number (`None` for null, booleans, empty collections).
    pub value: Option<String>,
}

/// The leaves of one values document (or of a part of one).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Values {
    /// In document order.
    pub leaves: Vec<Leaf>,
}

impl Values {
    /// Every leaf of every document of `source`; empty when it is not YAML (a template).
    pub fn parse(source: &SourceFile) -> Self {
        let mut leaves = Vec::new();
        if let Ok(docs) = yaml::parse(source, &Limits::default()) {
            for doc in &docs {
                flatten(source, doc, &mut Vec::new(), &mut leaves);
            }
        }
        Self { leaves }
    }

    /// Only the leaves under `prefix`, with the prefix taken off their paths (`spec.values`).
    #[must_use]
    pub fn under(&self, prefix: &[&str]) -> Self {
        let leaves = self
            .leaves
            .iter()
            .filter(|l| {
                l.path.len() > prefix.len() && l.path.iter().zip(prefix).all(|(a, b)| a == b)
            })
            .map(|l| Leaf {
                path: l.path[prefix.len()..].to_vec(),
                span: l.span,
                value: l.value.clone(),
            })
            .collect();
        Self { leaves }
    }

    /// The leaf whose scalar holds byte `offset`.
    pub fn at(&self, offset: usize) -> Option<&Leaf> {
        // A quoted scalar's span may or may not include its quotes: allow one byte either side.
        self.leaves
            .iter()
            .find(|l| l.span.offset <= offset + 1 && offset <= l.span.end() + 1)
    }

    /// The leaf at `path`.
    pub fn get(&self, path: &[String]) -> Option<&Leaf> {
        self.leaves.iter().find(|l| l.path == path)
    }

    /// The string value at `path` (`spec.chart.spec.chart`).
    pub fn string(&self, path: &[&str]) -> Option<&str> {
        self.leaves
            .iter()
            .find(|l| l.path.iter().map(String::as_str).eq(path.iter().copied()))
            .and_then(|l| l.value.as_deref())
    }
}

fn flatten(source: &SourceFile, node: &Node, path: &mut Vec<String>, out: &mut Vec<Leaf>) {
    match &node.kind {
        NodeKind::Map(pairs) => {
            for (key, value) in pairs {
                path.push(key.key_text(source).to_owned());
                flatten(source, value, path, out);
                path.pop();
            }
        }
        NodeKind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(i.to_string());
                flatten(source, item, path, out);
                path.pop();
            }
        }
        NodeKind::String(s) => out.push(leaf(path, node.span, Some(s.clone()))),
        NodeKind::Int(_) | NodeKind::Float(_) => {
            out.push(leaf(
                path,
                node.span,
                Some(source.slice(node.span).to_owned()),
            ));
        }
        NodeKind::Bool(_) | NodeKind::Null => out.push(leaf(path, node.span, None)),
    }
}

fn leaf(path: &[String], span: Span, value: Option<String>) -> Leaf {
    Leaf {
        path: path.to_vec(),
        span,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_have_paths_and_spans() {
        let text = "image:\n  repository: docker.io/starlingx/x\n  tag: \"stx.9.0-v1\"\nlist:\n  - a\nspec:\n  values:\n    n: 1\n";
        let values = Values::parse(&SourceFile::new("v.yaml", text));
        let tag = text.find("stx.9.0").unwrap();
        let leaf = values.at(tag).unwrap();
        assert_eq!(leaf.path, ["image", "tag"]);
        assert_eq!(leaf.value.as_deref(), Some("stx.9.0-v1"));
        assert_eq!(values.string(&["list", "0"]), Some("a"));
        let under = values.under(&["spec", "values"]);
        assert_eq!(under.leaves.len(), 1);
        assert_eq!(under.leaves[0].path, ["n"]);
        assert_eq!(under.leaves[0].value.as_deref(), Some("1"));
        assert!(Values::parse(&SourceFile::new("t", "{{ if }}: ["))
            .leaves
            .is_empty());
    }
}
