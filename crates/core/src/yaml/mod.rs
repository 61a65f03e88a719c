//! YAML to a spanned node tree: no type coercion, duplicate keys kept, budgets set.
//!
//! The tree keeps every scalar as YAML resolved it (so `1.10` arrives as a number and can be
//! reported as a type error rather than silently becoming `1.1`), keeps both copies of a duplicate
//! key so a check can point at both, and knows where every node starts. It is built straight from
//! granit-parser's events (the parser serde-saphyr uses) in [`build`], scalars typed in [`scalar`].

mod build;
mod merge;
mod scalar;

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

/// Parses every `---` document of `source` (a document holding only null is no document).
pub fn parse(source: &SourceFile, limits: &Limits) -> Result<Vec<Node>, YamlError> {
    build::build(source, limits)
}

/// A file that is not acceptable YAML: the file as read (for a snippet) and the parser's error.
#[derive(Debug, thiserror::Error)]
#[error("{}: {error}", source_file.name())]
pub struct NotYaml {
    /// The file as read.
    pub source_file: SourceFile,
    /// The parser's error.
    #[source]
    pub error: YamlError,
}

/// Parses every document of `source`, keeping the file with the error when it does not parse.
pub fn parse_file(source: SourceFile, limits: &Limits) -> Result<(SourceFile, Vec<Node>), NotYaml> {
    match parse(&source, limits) {
        Ok(docs) => Ok((source, docs)),
        Err(error) => Err(NotYaml {
            source_file: source,
            error,
        }),
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
        assert_eq!(
            build::at_tab("a\nb\nc\n\t", Span::new(0, 1)),
            Span::new(0, 1)
        );
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
