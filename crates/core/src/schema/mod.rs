//! The JSON Schemas (the single source of truth for structure) and their errors mapped back to YAML spans.
//!
//! The check ([`check`]) walks the YAML tree itself: no copy of the document as JSON, no schema
//! compiler at run time, violations in document order up to a limit and counted beyond it.

mod check;

use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::source::SourceFile;
use crate::span::Span;
use crate::yaml::{Node, NodeKind};

// The schemas are embedded from this crate's own copy of the repository's `schemas/` (which editors
// fetch by URL), so the crate packages and builds on its own; a test in crates/cli/tests/packaging.rs
// keeps the copies equal.
/// The manifest schema, `schemas/image-tags.schema.json`.
pub const MANIFEST_SCHEMA: &str = include_str!("../../schemas/image-tags.schema.json");
/// The policy schema, `schemas/tagman.schema.json`.
pub const POLICY_SCHEMA: &str = include_str!("../../schemas/tagman.schema.json");

/// Which schema to check against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// A tag manifest document.
    Manifest,
    /// A `tagman.yaml` policy.
    Policy,
}

impl Schema {
    /// The schema text.
    pub fn text(self) -> &'static str {
        match self {
            Self::Manifest => MANIFEST_SCHEMA,
            Self::Policy => POLICY_SCHEMA,
        }
    }

    /// The schema as JSON, parsed once.
    fn document(self) -> Result<&'static Value, SchemaError> {
        static MANIFEST: OnceLock<Result<Value, String>> = OnceLock::new();
        static POLICY: OnceLock<Result<Value, String>> = OnceLock::new();
        let cell = match self {
            Self::Manifest => &MANIFEST,
            Self::Policy => &POLICY,
        };
        cell.get_or_init(|| serde_json::from_str(self.text()).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|message| SchemaError {
                schema: self,
                message: message.clone(),
            })
    }

    /// The compiled keywords, compiled once per run.
    fn rule(self) -> Result<&'static check::Rule, SchemaError> {
        static MANIFEST: OnceLock<Result<check::Rule, String>> = OnceLock::new();
        static POLICY: OnceLock<Result<check::Rule, String>> = OnceLock::new();
        let cell = match self {
            Self::Manifest => &MANIFEST,
            Self::Policy => &POLICY,
        };
        let document = self.document()?;
        cell.get_or_init(|| check::compile(document))
            .as_ref()
            .map_err(|message| SchemaError {
                schema: self,
                message: message.clone(),
            })
    }
}

/// An embedded schema failed to compile (a build defect, reported rather than panicked on).
#[derive(Clone, Debug, thiserror::Error)]
#[error("the built-in {schema:?} schema does not compile: {message}")]
pub struct SchemaError {
    /// Which schema.
    pub schema: Schema,
    /// The compiler's message.
    pub message: String,
}

/// One way a document breaks the schema, at the span of the offending YAML.
#[derive(Clone, Debug, PartialEq)]
pub enum Violation {
    /// A required key is missing from the mapping at `span`.
    Missing {
        /// The missing key.
        key: String,
        /// The mapping's JSON pointer (`""` for the document, `/images/3` for an entry).
        pointer: String,
        /// Where the mapping starts.
        span: Span,
    },
    /// A key the schema does not know.
    Unknown {
        /// The key.
        key: String,
        /// The mapping's JSON pointer.
        pointer: String,
        /// The key's span.
        span: Span,
    },
    /// A value of the wrong YAML type.
    WrongType {
        /// The JSON pointer of the value.
        pointer: String,
        /// What the schema wants (`string`, `array`, …).
        expected: String,
        /// What YAML made of it.
        found: &'static str,
        /// The value's span.
        span: Span,
    },
    /// Anything else (pattern, enum, minimum …), with the validator's message.
    Other {
        /// The JSON pointer of the value.
        pointer: String,
        /// The validator's message.
        message: String,
        /// The value's span.
        span: Span,
    },
}

impl Violation {
    /// Where to point.
    pub fn span(&self) -> Span {
        match self {
            Self::Missing { span, .. }
            | Self::Unknown { span, .. }
            | Self::WrongType { span, .. }
            | Self::Other { span, .. } => *span,
        }
    }
}

/// Checks one YAML document against `schema`.
pub fn validate(
    schema: Schema,
    doc: &Node,
    source: &SourceFile,
) -> Result<Vec<Violation>, SchemaError> {
    Ok(validate_at_most(schema, doc, source, usize::MAX)?.violations)
}

/// What [`validate_at_most`] found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checked {
    /// The first violations in document order, at most the limit, sorted by position.
    pub violations: Vec<Violation>,
    /// How many more there are.
    pub unlisted: usize,
    /// Where the first of those stands.
    pub first_unlisted: Option<Span>,
}

/// Checks one YAML document against `schema`, keeping the first `limit` violations (in document
/// order) and counting the others: a hostile file can hold millions, and reading every one
/// costs no more than counting it.
pub fn validate_at_most(
    schema: Schema,
    doc: &Node,
    source: &SourceFile,
    limit: usize,
) -> Result<Checked, SchemaError> {
    let rule = schema.rule()?;
    let mut walk = check::Walk::new(source, limit);
    walk.node(rule, doc);
    let (mut violations, unlisted, first_unlisted) = walk.finish();
    violations.sort_by_key(Violation::span);
    Ok(Checked {
        violations,
        unlisted,
        first_unlisted,
    })
}

/// A violation in words: what is wrong, naming the value, and how to fix it. The one wording for
/// manifests (TM002) and for the policy file, so both say the same thing the same way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Described {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl Schema {
    /// Puts `violation` into words; `source` is the file it was found in (for the value as written).
    pub fn describe(self, violation: &Violation, source: &SourceFile) -> Described {
        let (message, help) = match violation {
            Violation::Missing { key, pointer, .. } if pointer.is_empty() => (
                format!("the document has no `{key}:` key"),
                self.shape_help(pointer).to_owned(),
            ),
            Violation::Missing { key, pointer, .. } => self.missing(key, pointer),
            Violation::Unknown { key, pointer, .. } => {
                let allowed = self.keys_at(pointer, "properties");
                let candidates: Vec<&str> = allowed.iter().map(String::as_str).collect();
                let help = match crate::text::closest(key, &candidates) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None if allowed.is_empty() => self.shape_help(pointer).to_owned(),
                    None => format!("allowed keys here: {}", allowed.join(", ")),
                };
                (format!("unknown key `{key}`"), help)
            }
            Violation::WrongType {
                pointer,
                expected,
                found,
                span,
            } => self.wrong_type(pointer, expected, found, source.slice(*span)),
            Violation::Other {
                pointer, message, ..
            } => (
                format!("{}: {message}", self.what_is(pointer)),
                self.shape_help(pointer).to_owned(),
            ),
        };
        Described { message, help }
    }

    /// A required key missing below the document: (message, help).
    fn missing(self, key: &str, pointer: &str) -> (String, String) {
        let required = self.keys_at(pointer, "required");
        // The mapping that lacks the key: one item of a list, or a named mapping.
        let item = pointer
            .rsplit('/')
            .next()
            .is_some_and(|last| last.bytes().all(|b| b.is_ascii_digit()));
        let (this, every) = if item {
            ("this entry".to_owned(), "every entry".to_owned())
        } else {
            let what = self.what_is(pointer);
            (what.clone(), what)
        };
        let help = if required.is_empty() {
            self.shape_help(pointer).to_owned()
        } else {
            format!("{every} needs {}", list(&required))
        };
        (format!("{this} has no `{key}`"), help)
    }

    /// A value of the wrong type, `written` as it stands in the file: (message, help).
    fn wrong_type(
        self,
        pointer: &str,
        expected: &str,
        found: &str,
        written: &str,
    ) -> (String, String) {
        let what = self.what_is(pointer);
        let scalar = matches!(found, "number" | "integer" | "boolean" | "null");
        if scalar && expected.contains("string") && !written.is_empty() {
            (
                format!(
                    "{what} must be a string, but YAML reads `{written}` as {}",
                    article(found)
                ),
                format!("quote it: \"{written}\""),
            )
        } else {
            (
                format!(
                    "{what} must be {}, found {}",
                    article_list(expected),
                    article(found)
                ),
                self.shape_help(pointer).to_owned(),
            )
        }
    }

    /// Names the value at a JSON pointer: `the document`, `` `tag` ``, `each entry of `images``.
    fn what_is(self, pointer: &str) -> String {
        let mut segments = pointer.rsplit('/');
        match (segments.next(), segments.next()) {
            _ if pointer.is_empty() => "the document".to_owned(),
            (Some(last), parent) if last.bytes().all(|b| b.is_ascii_digit()) => match parent {
                Some(parent) if !parent.is_empty() => format!("each entry of `{parent}`"),
                _ => "each entry".to_owned(),
            },
            (Some(last), _) => format!("`{}`", unescape(last)),
            (None, _) => "the value".to_owned(),
        }
    }

    /// What the whole shape is, for a value of the wrong kind.
    fn shape_help(self, pointer: &str) -> &'static str {
        match self {
            Self::Manifest if pointer.is_empty() => {
                "a tag manifest document is a mapping with an `images:` list"
            }
            Self::Manifest if pointer == "/images" => {
                "`images:` holds a list of entries, each starting with `- name: …`"
            }
            Self::Manifest => {
                "each entry is a mapping of name, src_build_tag, src_ref and tag, all strings"
            }
            Self::Policy => {
                "see `tagman schema --policy` for the keys tagman.yaml accepts and their types"
            }
        }
    }

    /// The schema's `properties` keys or `required` list for the value at an instance pointer.
    fn keys_at(self, pointer: &str, which: &str) -> Vec<String> {
        let Ok(schema) = self.document() else {
            return Vec::new();
        };
        let mut node = schema;
        for segment in pointer.split('/').skip(1) {
            node = follow_ref(schema, node);
            let segment = unescape(segment);
            let next = node
                .get("properties")
                .and_then(|p| p.get(segment.as_str()))
                .or_else(|| {
                    node.get("items")
                        .filter(|_| segment.parse::<usize>().is_ok())
                });
            match next {
                Some(next) => node = next,
                None => return Vec::new(),
            }
        }
        match follow_ref(schema, node).get(which) {
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }
}

/// Follows a local `$ref` (`#/$defs/entry`) once.
fn follow_ref<'a>(schema: &'a Value, node: &'a Value) -> &'a Value {
    node.get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix('#'))
        .and_then(|pointer| schema.pointer(pointer))
        .unwrap_or(node)
}

fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// `a`, `a and b`, `a, b and c`, each in backticks.
fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

fn article(kind: &str) -> String {
    match kind {
        "integer" | "array" => format!("an {kind}"),
        "null" => "null (nothing)".to_owned(),
        other => format!("a {other}"),
    }
}

fn article_list(expected: &str) -> String {
    expected
        .split(" or ")
        .map(|k| match k {
            "array" => "a list".to_owned(),
            "object" => "a mapping".to_owned(),
            other => article(other),
        })
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The document as JSON (duplicate keys: the first wins), for the schema and for typed reading.
pub fn to_value(node: &Node, source: &SourceFile) -> Value {
    match &node.kind {
        NodeKind::String(s) => Value::String(s.clone()),
        NodeKind::Bool(b) => Value::Bool(*b),
        NodeKind::Int(i) => {
            i64::try_from(*i).map_or_else(|_| Value::String(i.to_string()), Value::from)
        }
        NodeKind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        NodeKind::Null => Value::Null,
        NodeKind::Seq(items) => Value::Array(items.iter().map(|i| to_value(i, source)).collect()),
        NodeKind::Map(pairs) => {
            let mut map = Map::new();
            for (key, value) in pairs {
                // The first of duplicated keys counts; the schema rule reports the others.
                let name = key.key_text(source);
                if !map.contains_key(name) {
                    map.insert(name.to_owned(), to_value(value, source));
                }
            }
            Value::Object(map)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{parse, Limits};

    fn check(text: &str) -> Vec<Violation> {
        let src = SourceFile::new("t.yaml", text);
        let docs = parse(&src, &Limits::default()).unwrap();
        validate(Schema::Manifest, &docs[0], &src).unwrap()
    }

    #[test]
    fn schemas_compile() {
        assert!(Schema::Manifest.rule().is_ok());
        assert!(Schema::Policy.rule().is_ok());
    }

    #[test]
    fn an_unknown_keyword_is_refused() {
        let schema: Value =
            serde_json::from_str(r#"{"type": "object", "maxProperties": 3}"#).unwrap();
        let err = check::compile(&schema).unwrap_err();
        assert!(err.contains("maxProperties"), "{err}");
    }

    #[test]
    fn beyond_the_limit_violations_are_counted() {
        let text = format!("images:\n{}", "  - {}\n".repeat(10));
        let src = SourceFile::new("t.yaml", text);
        let docs = parse(&src, &Limits::default()).unwrap();
        let checked = validate_at_most(Schema::Manifest, &docs[0], &src, 5).unwrap();
        assert_eq!(checked.violations.len(), 5);
        assert_eq!(checked.unlisted, 35);
        assert!(checked
            .violations
            .iter()
            .all(|v| matches!(v, Violation::Missing { .. })));
    }

    #[test]
    fn violations_point_at_the_yaml() {
        let text = "images:\n  - name: a\n    src_build_tag: b\n    srcref: c\n    tag: 1.10\n";
        let v = check(text);
        assert_eq!(v.len(), 3, "{v:?}");
        assert!(
            matches!(&v[0], Violation::Missing { key, pointer, span } if key == "src_ref" && pointer == "/images/0" && span.offset == 12)
        );
        assert!(
            matches!(&v[1], Violation::Unknown { key, span, .. } if key == "srcref" && span.offset == 45)
        );
        assert!(
            matches!(&v[2], Violation::WrongType { expected, found: "number", span, .. } if expected == "string" && span.offset == 64)
        );
    }

    #[test]
    fn empty_images_is_valid() {
        assert!(check("images:\n# - name: x\n").is_empty());
        assert!(check("images: []\n").is_empty());
    }
}
