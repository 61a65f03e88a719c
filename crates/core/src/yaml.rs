//! YAML to a spanned node tree with serde-saphyr: no type coercion, duplicate keys kept, budgets set.
//!
//! The tree keeps every scalar as YAML resolved it (so `1.10` arrives as a number and can be
//! reported as a type error rather than silently becoming `1.1`), keeps both copies of a duplicate
//! key so a check can point at both, and knows where every node starts.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Location};

use crate::source::{SourceFile, DEFAULT_MAX_FILE_SIZE};
use crate::span::Span;

/// Parser budgets: hostile input is refused before it costs much time or memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file read, in bytes.
    pub max_file_size: u64,
    /// Deepest nesting of collections.
    pub max_depth: usize,
    /// Most YAML nodes in one file.
    pub max_nodes: usize,
    /// Most alias references (`*name`) in one file.
    pub max_aliases: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            // A manifest is four levels deep; 64 leaves room for anything sensible.
            max_depth: 64,
            // Six nodes an entry: room for well over a million entries.
            max_nodes: 8_000_000,
            max_aliases: 1_000,
        }
    }
}

/// What a scalar or collection is.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeKind {
    /// A string (plain scalars YAML does not resolve to another type, and quoted scalars).
    String(String),
    /// `true` / `false` (YAML 1.2 core spellings only; `yes` stays a string).
    Bool(bool),
    /// An integer.
    Int(i128),
    /// A floating-point number.
    Float(f64),
    /// `null`, `~` or nothing.
    Null,
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, in source order, duplicates kept.
    Map(Vec<(Node, Node)>),
}

impl NodeKind {
    /// The YAML type name used in messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::String(_) => "string",
            Self::Bool(_) => "boolean",
            Self::Int(_) => "integer",
            Self::Float(_) => "number",
            Self::Null => "null",
            Self::Seq(_) => "sequence",
            Self::Map(_) => "mapping",
        }
    }
}

/// A YAML node and where it starts (scalars: their whole text; collections: their first token).
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// The value.
    pub kind: NodeKind,
    /// Where it was written.
    pub span: Span,
}

impl Node {
    /// The string value, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value of key `key` in a mapping (the first, if duplicated).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            NodeKind::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| k.as_str() == Some(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key and value pairs of a mapping (empty for anything else).
    pub fn pairs(&self) -> &[(Node, Node)] {
        match &self.kind {
            NodeKind::Map(pairs) => pairs,
            _ => &[],
        }
    }

    /// The text a key is matched by: strings as they are, other scalars by their source text.
    pub fn key_text<'a>(&'a self, source: &'a SourceFile) -> &'a str {
        self.as_str().unwrap_or_else(|| source.slice(self.span))
    }
}

/// Why a file is not acceptable YAML: a syntax error, an unsupported construct or a broken budget.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// The parser's explanation, without its own location prefix.
    pub message: String,
    /// Where the parser stopped, when it said.
    pub span: Option<Span>,
    /// Whether a budget (depth, nodes, aliases) was exceeded rather than the syntax broken.
    pub budget: bool,
}

/// Parses every `---` document of `source`.
pub fn parse(source: &SourceFile, limits: &Limits) -> Result<Vec<Node>, YamlError> {
    let budget = serde_saphyr::budget! {
        max_depth: limits.max_depth,
        max_nodes: limits.max_nodes,
        // Every node is a few events (start, end, key); scale with the node budget.
        max_events: limits.max_nodes.saturating_mul(4),
        max_aliases: limits.max_aliases,
        max_anchors: limits.max_aliases,
    };
    let options = serde_saphyr::options! {
        budget: budget,
        strict_booleans: true,
        duplicate_keys: DuplicateKeyPolicy::PassThrough,
        with_snippet: false,
        alias_limits: serde_saphyr::alias_limits! {
            // Anchors are rare in manifests; this bounds the work an alias bomb can cause.
            max_total_replayed_events: limits.max_aliases.saturating_mul(100),
            max_replay_stack_depth: 16,
        },
    };
    let docs: Vec<RawNode> = serde_saphyr::from_str_multiple_with_options(source.text(), options)
        .map_err(|err| invalid(source, &err))?;
    Ok(docs.into_iter().map(|d| d.resolve(source)).collect())
}

fn invalid(source: &SourceFile, err: &serde_saphyr::Error) -> YamlError {
    let text = err.to_string();
    let span = err
        .location()
        .filter(|loc| loc.line() > 0)
        .map(|loc| span_of(source, &loc))
        .map(|span| {
            let words = text.split(|c: char| !c.is_ascii_alphabetic());
            if words.into_iter().any(|w| w == "tab" || w == "tabs") {
                at_tab(source.text(), span)
            } else {
                span
            }
        });
    let budget = ["budget", "recursion limit", "limit exceeded"]
        .iter()
        .any(|needle| text.contains(needle));
    YamlError {
        message: clean_message(&text),
        span,
        budget,
    }
}

/// The tab a tab error is about: the parser points where the scalar or line it was reading
/// started, which for a tab-indented line is the line before; the tab is the first one from there
/// to the end of the next line.
fn at_tab(text: &str, span: Span) -> Span {
    let from = span.offset.min(text.len());
    let rest = text.get(from..).unwrap_or("");
    let window = rest
        .match_indices('\n')
        .nth(1)
        .map_or(rest, |(end, _)| &rest[..end]);
    window.find('\t').map_or(span, |i| Span::new(from + i, 1))
}

/// serde-saphyr prefixes `error: line N column M: `; tagman shows positions itself.
fn clean_message(text: &str) -> String {
    let first = text.lines().next().unwrap_or(text).trim();
    let first = first.strip_prefix("error:").unwrap_or(first).trim_start();
    let stripped = first
        .strip_prefix("line ")
        .and_then(|rest| rest.split_once(": "))
        .filter(|(pos, _)| pos.contains("column"))
        .map_or(first, |(_, msg)| msg);
    // Positions are shown by the diagnostic itself.
    let stripped = stripped.split(" at line ").next().unwrap_or(stripped);
    stripped.trim_end_matches([' ', ':']).to_owned()
}

/// Turns a parser location into a byte span, computing the offset from line and column when the
/// parser did not record one.
fn span_of(source: &SourceFile, loc: &Location) -> Span {
    let span = loc.span();
    let from_bytes = span
        .byte_offset()
        .zip(span.byte_len())
        .and_then(|(o, l)| Some((usize::try_from(o).ok()?, usize::try_from(l).ok()?)))
        .filter(|(o, l)| {
            o.checked_add(*l)
                .is_some_and(|end| end <= source.text().len())
        });
    match from_bytes {
        Some((offset, len)) => Span::new(offset, len),
        None => {
            let line = usize::try_from(loc.line()).unwrap_or(usize::MAX);
            let column = usize::try_from(loc.column()).unwrap_or(usize::MAX);
            let offset = source
                .offset_of(line, column)
                .unwrap_or(source.text().len());
            Span::new(offset, 0)
        }
    }
}

/// The tree as serde-saphyr hands it over, before locations become byte spans.
struct RawNode {
    kind: RawKind,
    location: Location,
}

enum RawKind {
    Scalar(NodeKind),
    Seq(Vec<RawNode>),
    Map(Vec<(RawNode, RawNode)>),
}

impl RawNode {
    fn resolve(self, source: &SourceFile) -> Node {
        let span = span_of(source, &self.location);
        let kind = match self.kind {
            RawKind::Scalar(kind) => kind,
            RawKind::Seq(items) => {
                NodeKind::Seq(items.into_iter().map(|n| n.resolve(source)).collect())
            }
            RawKind::Map(pairs) => NodeKind::Map(
                pairs
                    .into_iter()
                    .map(|(k, v)| (k.resolve(source), v.resolve(source)))
                    .collect(),
            ),
        };
        Node { kind, span }
    }
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<RawKind>::deserialize(deserializer)?;
        Ok(Self {
            kind: spanned.value,
            location: spanned.referenced,
        })
    }
}

impl<'de> Deserialize<'de> for RawKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(KindVisitor)
    }
}

struct KindVisitor;

impl<'de> Visitor<'de> for KindVisitor {
    type Value = RawKind;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::String(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::String(v)))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::String(
            String::from_utf8_lossy(v).into_owned(),
        )))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::Int(v.into())))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::Int(v.into())))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::Int(v)))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::Int(
            i128::try_from(v).unwrap_or(i128::MAX),
        )))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::Float(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<RawKind, E> {
        Ok(RawKind::Scalar(NodeKind::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawKind, D::Error> {
        RawKind::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawKind, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<RawNode>()? {
            items.push(item);
        }
        Ok(RawKind::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawKind, A::Error> {
        let mut pairs = Vec::new();
        while let Some(key) = map.next_key::<RawNode>()? {
            let value = map.next_value::<RawNode>()?;
            pairs.push((key, value));
        }
        Ok(RawKind::Map(pairs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Vec<Node>, YamlError> {
        parse(&SourceFile::new("t.yaml", text), &Limits::default())
    }

    #[test]
    fn scalars_keep_their_yaml_type_and_span() {
        let docs = parse_str("tag: 1.10\nok: yes\nn: 7\ns: '1.10'\n").unwrap();
        let doc = &docs[0];
        assert_eq!(doc.get("tag").unwrap().kind, NodeKind::Float(1.1));
        assert_eq!(doc.get("tag").unwrap().span, Span::new(5, 4));
        assert_eq!(doc.get("ok").unwrap().kind, NodeKind::String("yes".into()));
        assert_eq!(doc.get("n").unwrap().kind, NodeKind::Int(7));
        assert_eq!(doc.get("s").unwrap().kind, NodeKind::String("1.10".into()));
    }

    #[test]
    fn duplicate_keys_are_kept() {
        let docs = parse_str("a: 1\na: 2\n").unwrap();
        assert_eq!(docs[0].pairs().len(), 2);
        assert_eq!(docs[0].pairs()[1].0.span, Span::new(5, 1));
    }

    #[test]
    fn bom_and_crlf_are_fine_and_offsets_count_the_bom() {
        let docs = parse_str("\u{feff}images:\r\n  - name: a\r\n").unwrap();
        let images = docs[0].get("images").unwrap();
        let NodeKind::Seq(items) = &images.kind else {
            panic!("not a seq")
        };
        let name = items[0].get("name").unwrap();
        assert_eq!(name.span, Span::new(22, 1));
    }

    #[test]
    fn multiple_documents() {
        let docs = parse_str("a: 1\n---\nb: 2\n").unwrap();
        assert_eq!(docs.len(), 2);
    }

    #[test]
    fn syntax_errors_are_located() {
        let err = parse_str("a: [1, 2\nb: 3\n").unwrap_err();
        let YamlError { span, budget, .. } = err;
        assert!(span.is_some());
        assert!(!budget);
    }

    /// Issue 14: a tab-indented line was reported on the line above it.
    #[test]
    fn a_tab_error_points_at_the_tab() {
        for text in [
            "images:\n  - name: a\n\t  tag: b\n",
            "images:\n  - name: a\n    tag: b\n\tsrc_ref: c\n",
        ] {
            let err = parse_str(text).unwrap_err();
            let span = err.span.unwrap();
            assert_eq!(
                &text[span.offset..span.end()],
                "\t",
                "{text:?}: {}",
                err.message
            );
        }
        assert_eq!(at_tab("a\nb\nc\n\t", Span::new(0, 1)), Span::new(0, 1));
    }

    #[test]
    fn deep_nesting_and_alias_bombs_break_budgets() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let YamlError { budget, .. } = parse_str(&deep).unwrap_err();
        assert!(budget);
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        let mut prev = "a".to_owned();
        for i in 0..12 {
            bomb.push_str(&format!(
                "b{i}: &b{i} [{}]\n",
                vec![format!("*{prev}"); 9].join(",")
            ));
            prev = format!("b{i}");
        }
        let YamlError { message, .. } = parse_str(&bomb).unwrap_err();
        assert!(message.contains("alias"), "{message}");
    }
}
