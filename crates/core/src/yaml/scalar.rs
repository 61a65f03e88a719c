//! How a scalar's text becomes a typed value: YAML 1.2 core schema with only the six core boolean
//! spellings, explicit tags honoured, no other coercion (the rules serde-saphyr applied before).

use std::borrow::Cow;

use granit_parser::{ScalarStyle, Tag};

use super::NodeKind;

const CORE: &str = "tag:yaml.org,2002:";

/// What a node's explicit tag asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TagKind {
    /// No tag.
    None,
    /// `!` alone: the non-specific tag, which keeps the text a string.
    NonSpecific,
    /// `!!str`.
    Str,
    /// `!!int`.
    Int,
    /// `!!float`.
    Float,
    /// `!!bool`.
    Bool,
    /// `!!null`.
    Null,
    /// `!!seq`.
    Seq,
    /// `!!map`.
    Map,
    /// `!!binary` and `!!timestamp`: kept as the text they hold.
    Text,
    /// `!!merge` (on a `<<` key).
    Merge,
    /// Any other tag (`!custom`, `!!set`): ignored, the value resolves as if untagged.
    Other,
}

/// The node kinds a tag can stand on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// A scalar.
    Scalar,
    /// A sequence.
    Sequence,
    /// A mapping.
    Mapping,
}

impl Shape {
    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Scalar => "a scalar",
            Self::Sequence => "a sequence",
            Self::Mapping => "a mapping",
        }
    }
}

impl TagKind {
    /// Classifies a parser tag.
    pub(super) fn of(tag: Option<&Tag>) -> Self {
        let Some(tag) = tag else {
            return Self::None;
        };
        if let Some(core) = tag.core_suffix() {
            return Self::core(core).unwrap_or(Self::Other);
        }
        if let Some(name) = tag.suffix_in_namespace(CORE) {
            return Self::named(name.strip_prefix('!').unwrap_or(&name));
        }
        match tag.suffix_in_namespace("!").as_deref() {
            Some("" | "!") => Self::NonSpecific,
            Some(name) => match name.strip_prefix('!') {
                Some(core) => Self::core(core).unwrap_or(Self::Other),
                None => Self::named(name),
            },
            None => Self::Other,
        }
    }

    fn core(name: &str) -> Option<Self> {
        Some(match name {
            "str" => Self::Str,
            "int" => Self::Int,
            "float" => Self::Float,
            "bool" => Self::Bool,
            "null" => Self::Null,
            "seq" => Self::Seq,
            "map" => Self::Map,
            _ => return None,
        })
    }

    fn named(name: &str) -> Self {
        match name {
            "binary" | "timestamp" => Self::Text,
            "merge" => Self::Merge,
            other => Self::core(other).unwrap_or(Self::Other),
        }
    }

    /// The node shape the tag requires, if it requires one.
    pub(super) fn requires(self) -> Option<Shape> {
        match self {
            Self::Str | Self::Int | Self::Float | Self::Bool | Self::Null | Self::Text => {
                Some(Shape::Scalar)
            }
            Self::Merge => Some(Shape::Scalar),
            Self::Seq => Some(Shape::Sequence),
            Self::Map => Some(Shape::Mapping),
            Self::None | Self::NonSpecific | Self::Other => None,
        }
    }
}

/// A scalar the tag or the text says is something else than what it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct BadScalar {
    /// What the tag asked for.
    pub(super) wanted: &'static str,
}

/// Spaces, tabs and line breaks around a scalar's text, which conversion ignores.
fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

fn nullish(value: &str, style: ScalarStyle) -> bool {
    style == ScalarStyle::Plain && matches!(value, "" | "~" | "null" | "Null" | "NULL")
}

fn boolean(value: &str) -> Option<bool> {
    match trim(value) {
        "true" | "True" | "TRUE" => Some(true),
        "false" | "False" | "FALSE" => Some(false),
        _ => None,
    }
}

/// Whether a document whose root is this scalar holds nothing (a null document is not a document).
pub(super) fn is_null_document(tag: TagKind, value: &str, style: ScalarStyle) -> bool {
    match tag {
        TagKind::Null => true,
        TagKind::None | TagKind::Merge => nullish(value, style),
        _ => false,
    }
}

/// Resolves a scalar to its value.
pub(super) fn resolve(
    value: Cow<'_, str>,
    style: ScalarStyle,
    tag: TagKind,
) -> Result<NodeKind, BadScalar> {
    match tag {
        TagKind::Null => return Ok(NodeKind::Null),
        TagKind::Bool => {
            return boolean(&value).map(NodeKind::Bool).ok_or(BadScalar {
                wanted: "a boolean",
            })
        }
        TagKind::Int => {
            return integer(trim(&value)).map(NodeKind::Int).ok_or(BadScalar {
                wanted: "an integer",
            });
        }
        TagKind::Float => {
            return float(&value)
                .map(NodeKind::Float)
                .ok_or(BadScalar { wanted: "a number" })
        }
        TagKind::Str | TagKind::NonSpecific | TagKind::Text => {
            return Ok(NodeKind::String(value.into_owned()))
        }
        TagKind::Seq | TagKind::Map => {
            return Err(BadScalar {
                wanted: "a collection",
            })
        }
        TagKind::None | TagKind::Merge | TagKind::Other => {}
    }
    if nullish(&value, style) {
        return Ok(NodeKind::Null);
    }
    if style != ScalarStyle::Plain {
        return Ok(NodeKind::String(value.into_owned()));
    }
    Ok(plain(value))
}

/// An untagged plain scalar: a boolean, an integer, a float, or else the string it is.
fn plain(value: Cow<'_, str>) -> NodeKind {
    if let Some(b) = boolean(&value) {
        return NodeKind::Bool(b);
    }
    let t = trim(&value);
    let unsigned_text = t.strip_prefix(['+', '-']).unwrap_or(t);
    let upper_radix = matches!(unsigned_text.as_bytes(), [b'0', b'X' | b'O' | b'B', ..]);
    let signed_nan = matches!(unsigned_text, ".nan" | ".NaN" | ".NAN") && unsigned_text != t;
    if upper_radix || signed_nan {
        return NodeKind::String(value.into_owned());
    }
    // `-012` is not an integer (a leading zero is no decimal), though it is a float.
    let int = if t.starts_with('-') && leading_zero_decimal(t) {
        None
    } else {
        integer(t)
    };
    if let Some(i) = int {
        return NodeKind::Int(i);
    }
    match float(&value) {
        Some(f) => NodeKind::Float(f),
        None => NodeKind::String(value.into_owned()),
    }
}

/// An integer as 64 bits hold it: signed when negative, else unsigned.
fn integer(t: &str) -> Option<i128> {
    if t.starts_with('-') {
        signed(t)
            .and_then(|v| i64::try_from(v).ok())
            .map(i128::from)
    } else {
        unsigned(t)
            .and_then(|v| u64::try_from(v).ok())
            .map(i128::from)
    }
}

fn leading_zero_decimal(t: &str) -> bool {
    let digits = t.strip_prefix(['+', '-']).unwrap_or(t);
    digits.len() > 1 && digits.starts_with('0') && digits.bytes().all(|b| b.is_ascii_digit())
}

/// The radix and digits of an integer's text after its sign.
fn radix(rest: &str) -> (u32, &str) {
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = rest.strip_prefix(prefix) {
            return (radix, digits);
        }
    }
    (10, rest)
}

/// Digits in `radix`, `_` allowed between two digits.
fn digits(text: &str, radix: u32) -> Option<u128> {
    let bytes = text.as_bytes();
    let mut value: u128 = 0;
    let mut saw = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let between = i > 0
                && bytes.get(i - 1).is_some_and(|p| *p != b'_')
                && bytes.get(i + 1).is_some_and(|n| *n != b'_');
            if !between {
                return None;
            }
            continue;
        }
        let d = char::from(b).to_digit(radix)?;
        value = value
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(d))?;
        saw = true;
    }
    saw.then_some(value)
}

fn unsigned(t: &str) -> Option<u128> {
    if t.starts_with('-') {
        return None;
    }
    let rest = t.strip_prefix('+').unwrap_or(t);
    let (radix, text) = radix(rest);
    if radix == 10 && text.starts_with('0') && text != "0" {
        return None;
    }
    digits(text, radix)
}

fn signed(t: &str) -> Option<i128> {
    let (negative, rest) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (radix, text) = radix(rest);
    if radix == 10 && text.starts_with('0') && text != "0" {
        return None;
    }
    let magnitude = digits(text, radix)?;
    if negative {
        if magnitude == i128::MAX.unsigned_abs() + 1 {
            return Some(i128::MIN);
        }
        i128::try_from(magnitude).ok()?.checked_neg()
    } else {
        i128::try_from(magnitude).ok()
    }
}

/// A YAML 1.2 float: `.inf`, `.nan` and numerals (a numeral too large for f64 is infinite).
fn float(value: &str) -> Option<f64> {
    let t = trim(value);
    let (negative, unsigned_text) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    match unsigned_text {
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        ".inf" | ".Inf" | ".INF" if negative => return Some(f64::NEG_INFINITY),
        ".inf" | ".Inf" | ".INF" => return Some(f64::INFINITY),
        _ => {}
    }
    // Rust also reads `inf`, `infinity` and `nan`, which YAML keeps as strings: a numeral too
    // large for f64 is infinite only when it starts with a digit.
    match t.parse::<f64>() {
        Ok(f) if f.is_finite() => Some(f),
        Ok(f)
            if f.is_infinite()
                && unsigned_text
                    .bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_digit()) =>
        {
            Some(f)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain_kind(text: &str) -> NodeKind {
        resolve(Cow::Borrowed(text), ScalarStyle::Plain, TagKind::None).unwrap()
    }

    #[test]
    fn core_schema_without_coercion() {
        assert_eq!(plain_kind("1.10"), NodeKind::Float(1.1));
        assert_eq!(plain_kind("yes"), NodeKind::String("yes".into()));
        assert_eq!(plain_kind("True"), NodeKind::Bool(true));
        assert_eq!(plain_kind("~"), NodeKind::Null);
        assert_eq!(plain_kind("0x1f"), NodeKind::Int(31));
        assert_eq!(plain_kind("0X1F"), NodeKind::String("0X1F".into()));
        assert_eq!(plain_kind("1_000"), NodeKind::Int(1000));
        assert_eq!(plain_kind("012"), NodeKind::Float(12.0));
        assert_eq!(plain_kind("-012"), NodeKind::Float(-12.0));
        assert_eq!(plain_kind("inf"), NodeKind::String("inf".into()));
        assert_eq!(plain_kind("-.nan"), NodeKind::String("-.nan".into()));
        assert_eq!(plain_kind("-.inf"), NodeKind::Float(f64::NEG_INFINITY));
        assert_eq!(plain_kind("1e999"), NodeKind::Float(f64::INFINITY));
        assert_eq!(
            plain_kind("99999999999999999999"),
            NodeKind::Float(99999999999999999999.0)
        );
        assert_eq!(
            plain_kind("-9223372036854775808"),
            NodeKind::Int(i128::from(i64::MIN))
        );
        assert_eq!(
            plain_kind("stx.4.0-v2.2"),
            NodeKind::String("stx.4.0-v2.2".into())
        );
    }

    #[test]
    fn quoted_and_tagged_scalars() {
        let quoted = resolve(
            Cow::Borrowed("1.10"),
            ScalarStyle::SingleQuoted,
            TagKind::None,
        );
        assert_eq!(quoted, Ok(NodeKind::String("1.10".into())));
        let tagged = resolve(Cow::Borrowed("1.10"), ScalarStyle::Plain, TagKind::Str);
        assert_eq!(tagged, Ok(NodeKind::String("1.10".into())));
        let int = resolve(Cow::Borrowed("12"), ScalarStyle::DoubleQuoted, TagKind::Int);
        assert_eq!(int, Ok(NodeKind::Int(12)));
        let bad = resolve(Cow::Borrowed("yes"), ScalarStyle::Plain, TagKind::Bool);
        assert!(bad.is_err());
        let empty = resolve(Cow::Borrowed(""), ScalarStyle::DoubleQuoted, TagKind::None);
        assert_eq!(empty, Ok(NodeKind::String(String::new())));
    }
}
