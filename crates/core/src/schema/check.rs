//! The schema check itself: the keywords tagman's two schemas use, compiled once from the schema
//! text and applied to the YAML tree directly, in document order, materialising at most a given
//! number of violations and counting the rest.
//!
//! The schemas are fixed at build time, so they are checked against the JSON Schema meta-schema
//! once, in the tests, instead of on every run; a test also holds this check equal to the
//! `jsonschema` crate's on fixtures, the corpus and random documents (`tests/schema_oracle.rs`).
//! A keyword this module does not know is refused when the schema is compiled, so a schema edit
//! that needs more cannot pass silently.

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::Violation;
use crate::source::SourceFile;
use crate::span::Span;
use crate::yaml::{Node, NodeKind};

/// Keywords that only describe: they never make a value invalid.
const ANNOTATIONS: &[&str] = &[
    "$schema",
    "$id",
    "$defs",
    "$comment",
    "title",
    "description",
    "default",
    "examples",
];

/// A JSON type, in the order `jsonschema` lists them in messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum JsonType {
    Null,
    Boolean,
    Integer,
    Number,
    String,
    Array,
    Object,
}

impl JsonType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "null" => Self::Null,
            "boolean" => Self::Boolean,
            "integer" => Self::Integer,
            "number" => Self::Number,
            "string" => Self::String,
            "array" => Self::Array,
            "object" => Self::Object,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Boolean => "boolean",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::String => "string",
            Self::Array => "array",
            Self::Object => "object",
        }
    }
}

/// What the keywords of one schema object demand.
#[derive(Debug, Default)]
pub(super) struct Rule {
    types: Vec<JsonType>,
    required: Vec<String>,
    properties: Vec<(String, Rule)>,
    /// `additionalProperties`: `None` allows anything, `Some(None)` nothing, else a schema.
    additional: Option<Option<Box<Rule>>>,
    items: Option<Box<Rule>>,
    /// `propertyNames`: what every key of an object must be (as a string).
    property_names: Option<Box<Rule>>,
    min_length: Option<u64>,
    minimum: Option<serde_json::Number>,
    pattern: Option<(String, regex::Regex)>,
    enumeration: Option<Vec<Value>>,
}

/// Compiles a schema document; an unknown keyword or a `$ref` outside the document is an error.
pub(super) fn compile(document: &Value) -> Result<Rule, String> {
    compile_at(document, document, 0)
}

fn compile_at(root: &Value, schema: &Value, depth: usize) -> Result<Rule, String> {
    if depth > 32 {
        return Err("`$ref` nests deeper than 32 levels (a cycle?)".to_owned());
    }
    let Value::Object(object) = schema else {
        return match schema {
            Value::Bool(true) => Ok(Rule::default()),
            _ => Err(format!("unsupported schema {schema}")),
        };
    };
    let mut rule = Rule::default();
    for (keyword, value) in object {
        match keyword.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "$ref" => {
                let target = value
                    .as_str()
                    .and_then(|r| r.strip_prefix('#'))
                    .and_then(|pointer| root.pointer(pointer))
                    .ok_or_else(|| format!("unresolvable $ref {value}"))?;
                merge(&mut rule, compile_at(root, target, depth + 1)?);
            }
            "type" => rule.types = types(value)?,
            "required" => rule.required = strings(value)?,
            "properties" => {
                let Value::Object(props) = value else {
                    return Err("`properties` is not an object".to_owned());
                };
                for (name, sub) in props {
                    rule.properties
                        .push((name.clone(), compile_at(root, sub, depth + 1)?));
                }
            }
            "additionalProperties" => {
                rule.additional = Some(match value {
                    Value::Bool(false) => None,
                    other => Some(Box::new(compile_at(root, other, depth + 1)?)),
                });
            }
            "items" => rule.items = Some(Box::new(compile_at(root, value, depth + 1)?)),
            "propertyNames" => {
                rule.property_names = Some(Box::new(compile_at(root, value, depth + 1)?));
            }
            other => value_constraint(&mut rule, other, value)?,
        }
    }
    Ok(rule)
}

/// Compiles a keyword that constrains a value itself (`minLength`, `minimum`, `pattern`, `enum`);
/// any other keyword is not supported.
fn value_constraint(rule: &mut Rule, keyword: &str, value: &Value) -> Result<(), String> {
    match keyword {
        "minLength" => {
            rule.min_length = Some(
                value
                    .as_u64()
                    .ok_or_else(|| "`minLength` is not a count".to_owned())?,
            );
        }
        "minimum" => {
            let Value::Number(n) = value else {
                return Err("`minimum` is not a number".to_owned());
            };
            rule.minimum = Some(n.clone());
        }
        "pattern" => {
            let text = value
                .as_str()
                .ok_or_else(|| "`pattern` is not a string".to_owned())?;
            let regex = regex::Regex::new(text).map_err(|e| e.to_string())?;
            rule.pattern = Some((text.to_owned(), regex));
        }
        "enum" => {
            let Value::Array(options) = value else {
                return Err("`enum` is not an array".to_owned());
            };
            rule.enumeration = Some(options.clone());
        }
        other => return Err(format!("keyword `{other}` is not supported")),
    }
    Ok(())
}

/// Adds a `$ref` target's keywords to the schema object that refers to it.
fn merge(rule: &mut Rule, other: Rule) {
    let Rule {
        types,
        required,
        properties,
        additional,
        items,
        property_names,
        min_length,
        minimum,
        pattern,
        enumeration,
    } = other;
    if rule.types.is_empty() {
        rule.types = types;
    }
    rule.required.extend(required);
    rule.properties.extend(properties);
    rule.additional = rule.additional.take().or(additional);
    rule.items = rule.items.take().or(items);
    rule.property_names = rule.property_names.take().or(property_names);
    rule.min_length = rule.min_length.or(min_length);
    rule.minimum = rule.minimum.take().or(minimum);
    rule.pattern = rule.pattern.take().or(pattern);
    rule.enumeration = rule.enumeration.take().or(enumeration);
}

fn types(value: &Value) -> Result<Vec<JsonType>, String> {
    let names = match value {
        Value::String(name) => vec![name.as_str()],
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
        _ => return Err("`type` is neither a name nor a list".to_owned()),
    };
    let mut types = names
        .into_iter()
        .map(|n| JsonType::parse(n).ok_or_else(|| format!("unknown type `{n}`")))
        .collect::<Result<Vec<_>, _>>()?;
    types.sort();
    Ok(types)
}

fn strings(value: &Value) -> Result<Vec<String>, String> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| "a list of names holds a non-string".to_owned())
            })
            .collect(),
        _ => Err("expected a list of names".to_owned()),
    }
}

/// The JSON a node stands for (as [`super::to_value`] converts it): its type, and its value for
/// the keywords that compare values.
fn json_type(node: &Node) -> JsonType {
    match &node.kind {
        NodeKind::String(_) => JsonType::String,
        NodeKind::Bool(_) => JsonType::Boolean,
        // An integer beyond i64 becomes its decimal string, a non-finite float null.
        NodeKind::Int(i) if i64::try_from(*i).is_err() => JsonType::String,
        NodeKind::Int(_) => JsonType::Integer,
        NodeKind::Float(f) if !f.is_finite() => JsonType::Null,
        NodeKind::Float(_) => JsonType::Number,
        NodeKind::Null => JsonType::Null,
        NodeKind::Seq(_) => JsonType::Array,
        NodeKind::Map(_) => JsonType::Object,
    }
}

fn has_type(node: &Node, actual: JsonType, wanted: JsonType) -> bool {
    match (wanted, actual) {
        (w, a) if w == a => true,
        (JsonType::Number, JsonType::Integer) => true,
        // JSON Schema counts 2.0 as an integer.
        (JsonType::Integer, JsonType::Number) => {
            matches!(node.kind, NodeKind::Float(f) if f.fract() == 0.0)
        }
        _ => false,
    }
}

/// The walk: where violations go, how many may be kept, and how many more there were.
pub(super) struct Walk<'a> {
    source: &'a SourceFile,
    out: Vec<Violation>,
    limit: usize,
    unlisted: usize,
    first_unlisted: Option<Span>,
    pointer: String,
}

impl<'a> Walk<'a> {
    pub(super) fn new(source: &'a SourceFile, limit: usize) -> Self {
        Self {
            source,
            out: Vec::new(),
            limit,
            unlisted: 0,
            first_unlisted: None,
            pointer: String::new(),
        }
    }

    /// The violations kept, how many more were found, and where the first of those is.
    pub(super) fn finish(self) -> (Vec<Violation>, usize, Option<Span>) {
        (self.out, self.unlisted, self.first_unlisted)
    }

    /// Keeps a violation at `span` while there is room; only counts it after.
    fn emit(&mut self, span: Span, make: impl FnOnce(&Self) -> Violation) {
        if self.out.len() < self.limit {
            let violation = make(self);
            self.out.push(violation);
        } else {
            self.unlisted += 1;
            self.first_unlisted = Some(self.first_unlisted.map_or(span, |s| s.min(span)));
        }
    }

    fn enter(&mut self, segment: &str) -> usize {
        let len = self.pointer.len();
        self.pointer.push('/');
        for c in segment.chars() {
            match c {
                '~' => self.pointer.push_str("~0"),
                '/' => self.pointer.push_str("~1"),
                c => self.pointer.push(c),
            }
        }
        len
    }

    /// Applies `rule` to `node`.
    pub(super) fn node(&mut self, rule: &Rule, node: &Node) {
        let actual = json_type(node);
        match &node.kind {
            NodeKind::Map(pairs) => self.object(rule, node, pairs),
            NodeKind::Seq(items) => {
                if let Some(item_rule) = &rule.items {
                    for (i, item) in items.iter().enumerate() {
                        let back = self.enter(&i.to_string());
                        self.node(item_rule, item);
                        self.pointer.truncate(back);
                    }
                }
            }
            _ => self.scalar(rule, node, actual),
        }
        if let Some(options) = &rule.enumeration {
            if !options.iter().any(|o| equals(node, o, self.source)) {
                self.emit(node.span, |w| Violation::Other {
                    pointer: w.pointer.clone(),
                    message: enum_message(options),
                    span: node.span,
                });
            }
        }
        if !rule.types.is_empty() && !rule.types.iter().any(|t| has_type(node, actual, *t)) {
            self.emit(node.span, |w| Violation::WrongType {
                pointer: w.pointer.clone(),
                expected: rule
                    .types
                    .iter()
                    .map(|t| t.name())
                    .collect::<Vec<_>>()
                    .join(" or "),
                found: node.kind.type_name(),
                span: node.span,
            });
        }
    }

    fn scalar(&mut self, rule: &Rule, node: &Node, actual: JsonType) {
        if let NodeKind::String(s) = &node.kind {
            if let Some(min) = rule.min_length {
                let len = s.chars().count() as u64;
                if len < min {
                    self.emit(node.span, |w| Violation::Other {
                        pointer: w.pointer.clone(),
                        message: format!(
                            "value is shorter than {min} character{}",
                            if min == 1 { "" } else { "s" }
                        ),
                        span: node.span,
                    });
                }
            }
            if let Some((text, regex)) = &rule.pattern {
                if !regex.is_match(s) {
                    self.emit(node.span, |w| Violation::Other {
                        pointer: w.pointer.clone(),
                        message: format!("value does not match \"{text}\""),
                        span: node.span,
                    });
                }
            }
        }
        if let Some(minimum) = &rule.minimum {
            let below = match (&node.kind, actual) {
                (NodeKind::Int(i), JsonType::Integer) => {
                    minimum.as_f64().is_some_and(|m| (*i as f64) < m)
                }
                (NodeKind::Float(f), JsonType::Number) => minimum.as_f64().is_some_and(|m| *f < m),
                _ => false,
            };
            if below {
                self.emit(node.span, |w| Violation::Other {
                    pointer: w.pointer.clone(),
                    message: format!("value is less than the minimum of {minimum}"),
                    span: node.span,
                });
            }
        }
    }

    /// Checks one member of an object (its key's name, written at `key`) against the object's
    /// rule: the key under `propertyNames`, the value under its property's or the additional
    /// properties' rule, or an unknown key.
    fn member(&mut self, rule: &Rule, name: &str, key: &Node, value: &Node) {
        if let Some(names) = &rule.property_names {
            // A key is checked as the string JSON makes of it, where it is written; the
            // violation belongs to the object, as JSON Schema reports it.
            let key_node = Node {
                kind: NodeKind::String(name.to_owned()),
                span: key.span,
            };
            self.node(names, &key_node);
        }
        let property = rule.properties.iter().find(|(p, _)| p == name);
        let checked = match (property, &rule.additional) {
            (Some((_, property)), _) => property,
            (None, Some(Some(additional))) => additional.as_ref(),
            (None, Some(None)) => {
                return self.emit(key.span, |w| Violation::Unknown {
                    key: name.to_owned(),
                    pointer: w.pointer.clone(),
                    span: key.span,
                });
            }
            (None, None) => return,
        };
        let back = self.enter(name);
        self.node(checked, value);
        self.pointer.truncate(back);
    }

    fn object(&mut self, rule: &Rule, node: &Node, pairs: &[(Node, Node)]) {
        let source = self.source;
        // Of duplicated keys the first counts (the duplicate-key rule reports the others); a
        // set, not a search of the earlier keys, once a mapping is large.
        let mut seen: HashSet<&str> = HashSet::new();
        let large = pairs.len() > 16;
        for (index, (key, value)) in pairs.iter().enumerate() {
            let name = key.key_text(source);
            let first = if large {
                seen.insert(name)
            } else {
                !pairs[..index]
                    .iter()
                    .any(|(k, _)| k.key_text(source) == name)
            };
            if !first {
                continue;
            }
            self.member(rule, name, key, value);
        }
        for required in &rule.required {
            let present = pairs
                .iter()
                .any(|(k, _)| k.key_text(source) == required.as_str());
            if !present {
                // A mapping's span is its first token; the first key is the better place.
                let span = pairs.first().map_or(node.span, |(k, _)| k.span);
                self.emit(span, |w| Violation::Missing {
                    key: required.clone(),
                    pointer: w.pointer.clone(),
                    span,
                });
            }
        }
    }
}

/// Whether a node equals a JSON value (for `enum`).
fn equals(node: &Node, value: &Value, source: &SourceFile) -> bool {
    match (&node.kind, value) {
        (NodeKind::String(s), Value::String(v)) => s == v,
        (NodeKind::Bool(b), Value::Bool(v)) => b == v,
        (NodeKind::Null, Value::Null) => true,
        (NodeKind::Float(f), Value::Null) => !f.is_finite(),
        (NodeKind::Int(i), Value::String(v)) if i64::try_from(*i).is_err() => i.to_string() == *v,
        (NodeKind::Int(i), Value::Number(n)) => {
            n.as_i64().is_some_and(|v| i128::from(v) == *i)
                || n.as_u64().is_some_and(|v| i128::from(v) == *i)
                || n.as_f64()
                    .is_some_and(|v| v.fract() == 0.0 && v == *i as f64)
        }
        (NodeKind::Float(f), Value::Number(n)) => n.as_f64().is_some_and(|v| v == *f),
        (NodeKind::Seq(items), Value::Array(values)) => {
            items.len() == values.len()
                && items.iter().zip(values).all(|(i, v)| equals(i, v, source))
        }
        (NodeKind::Map(_), Value::Object(object)) => {
            let json = super::to_value(node, source);
            json.as_object()
                .is_some_and(|m: &Map<String, Value>| m == object)
        }
        _ => false,
    }
}

/// `value is not one of "a", "b" or "c"` (the first two and a count past three), as
/// `jsonschema` words it.
fn enum_message(options: &[Value]) -> String {
    let mut text = String::from("value is not one of ");
    if options.len() <= 3 {
        for (i, option) in options.iter().enumerate() {
            match i {
                0 => text.push_str(&option.to_string()),
                _ if i + 1 == options.len() => text.push_str(&format!(" or {option}")),
                _ => text.push_str(&format!(", {option}")),
            }
        }
    } else {
        let shown: Vec<String> = options.iter().take(2).map(Value::to_string).collect();
        text.push_str(&shown.join(", "));
        text.push_str(&format!(" or {} other candidates", options.len() - 2));
    }
    text
}
