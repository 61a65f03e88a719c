//! The schema check against the `jsonschema` crate it replaced at run time: the built-in schemas
//! are valid JSON Schema (checked here, once, instead of on every run), and on every fixture,
//! every corpus manifest and random manifests and policies, tagman's check finds exactly the
//! violations `jsonschema` finds, at the same places, in the same order, except that where two
//! violations stand at the same place tagman always puts a mapping's unknown first key before the
//! keys the mapping lacks (`jsonschema`'s order there depends on how it fused the keywords).

use std::path::Path;

use proptest::prelude::*;
use serde_json::Value;
use tagman_core::schema::{self, Schema, Violation};
use tagman_core::yaml::{parse, Limits, Node, NodeKind};
use tagman_core::SourceFile;

fn schema_json(schema: Schema) -> Value {
    serde_json::from_str(schema.text()).unwrap()
}

#[test]
fn built_in_schemas_are_valid_json_schema() {
    for schema in [Schema::Manifest, Schema::Policy] {
        let json = schema_json(schema);
        if let Err(err) = jsonschema::meta::validate(&json) {
            panic!("{schema:?}: {err}");
        }
        assert!(jsonschema::draft202012::new(&json).is_ok());
    }
}

/// The node a JSON pointer names, the first of duplicated keys (the oracle's way of locating).
fn resolve<'a>(doc: &'a Node, source: &SourceFile, pointer: &str) -> Option<&'a Node> {
    let mut node = doc;
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        node = match &node.kind {
            NodeKind::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| k.key_text(source) == segment)
                .map(|(_, v)| v)?,
            NodeKind::Seq(items) => items.get(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(node)
}

fn type_kind_name(kind: &jsonschema::error::TypeKind) -> String {
    match kind {
        jsonschema::error::TypeKind::Single(t) => t.to_string(),
        jsonschema::error::TypeKind::Multiple(ts) => {
            let names: Vec<String> = ts.iter().map(|t| t.to_string()).collect();
            names.join(" or ")
        }
    }
}

/// What tagman found with `jsonschema` before: the document as JSON, its errors mapped back.
fn oracle(schema: Schema, doc: &Node, source: &SourceFile) -> Vec<Violation> {
    let validator = jsonschema::draft202012::new(&schema_json(schema)).unwrap();
    let json = schema::to_value(doc, source);
    let mut out = Vec::new();
    for error in validator.iter_errors(&json) {
        let pointer = error.instance_path().as_str().to_owned();
        let node = resolve(doc, source, &pointer).unwrap_or(doc);
        let span = node.span;
        match error.kind() {
            jsonschema::error::ValidationErrorKind::Required { property } => {
                out.push(Violation::Missing {
                    key: property
                        .as_str()
                        .map_or_else(|| property.to_string(), str::to_owned),
                    pointer,
                    span: node.pairs().first().map_or(span, |(k, _)| k.span),
                })
            }
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                let mut wanted: std::collections::HashSet<&str> =
                    unexpected.iter().map(String::as_str).collect();
                for (k, _) in node.pairs() {
                    let text = k.key_text(source);
                    if wanted.remove(text) {
                        out.push(Violation::Unknown {
                            key: text.to_owned(),
                            pointer: pointer.clone(),
                            span: k.span,
                        });
                    }
                }
            }
            jsonschema::error::ValidationErrorKind::Type { kind } => {
                out.push(Violation::WrongType {
                    pointer,
                    expected: type_kind_name(kind),
                    found: node.kind.type_name(),
                    span,
                })
            }
            // A key breaking `propertyNames` is reported at the key (the check points there:
            // the object's first token says nothing about which key).
            jsonschema::error::ValidationErrorKind::PropertyNames { error: inner } => {
                let key = inner.instance().as_str().unwrap_or_default().to_owned();
                let at = node
                    .pairs()
                    .iter()
                    .find(|(k, _)| k.key_text(source) == key)
                    .map_or(span, |(k, _)| k.span);
                out.push(Violation::Other {
                    pointer,
                    message: inner.masked().to_string(),
                    span: at,
                });
            }
            _ => out.push(Violation::Other {
                pointer,
                message: error.masked().to_string(),
                span,
            }),
        }
    }
    out.sort_by_key(Violation::span);
    out
}

/// Violations at the same place in one order: the mapping's unknown key, then what it lacks.
fn canonical(mut violations: Vec<Violation>) -> Vec<Violation> {
    violations.sort_by_key(|v| (v.span(), matches!(v, Violation::Missing { .. })));
    violations
}

/// Where tagman's check and the oracle differ on `text`, if they do.
fn disagreement(schema: Schema, text: &str) -> Option<String> {
    let source = SourceFile::new("t.yaml", text);
    let docs = parse(&source, &Limits::default()).ok()?;
    for doc in &docs {
        let ours = canonical(schema::validate(schema, doc, &source).unwrap());
        let theirs = canonical(oracle(schema, doc, &source));
        if ours != theirs {
            return Some(format!("tagman {ours:#?}\njsonschema {theirs:#?}"));
        }
    }
    None
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn fixtures_and_corpus_find_what_jsonschema_finds() {
    let mut all = Vec::new();
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"),
        &mut all,
    );
    let mut checked = 0;
    for path in &all {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let schema = if path.file_name().is_some_and(|n| n == "tagman.yaml") {
            Schema::Policy
        } else {
            Schema::Manifest
        };
        if let Some(d) = disagreement(schema, &text) {
            panic!("{}: {d}", path.display());
        }
        checked += 1;
    }
    assert!(checked > 150, "{checked}");
}

const CORNERS: &[(Schema, &str)] = &[
    (Schema::Manifest, "images:\n  - {}\n  - x\n  - [1]\n  - ~\n"),
    (Schema::Manifest, "images: {a: 1}\nextra: 2\n"),
    (Schema::Manifest, "image: []\n"),
    (Schema::Manifest, "images:\n  - name: ''\n    src_build_tag: 1\n    src_ref: true\n    tag: 1.10\n    tag: x\n    srcref: y\n"),
    (Schema::Manifest, "images:\n  - {name: a, name: b, 1: x, ~: y, [k]: z, {m: 1}: w}\n"),
    (Schema::Manifest, "images:\n  - {name: 99999999999999999999, tag: .inf, src_ref: 2.0, src_build_tag: -0}\n"),
    (Schema::Manifest, "- a\n- b\n"),
    (Schema::Manifest, "just text\n"),
    (Schema::Policy, "release: 13.0\ncodenames: [1, Bad, ok, '']\nmax_file_size: 0\n"),
    (Schema::Policy, "rules: {TM001: loud, TM002: off, x: [1]}\nreferences: [story, epic]\n"),
    (Schema::Policy, "manifests: ''\nsrc_ref_prefixes: [http://x, https://y/]\nmax_file_size: 2.0\n"),
    (Schema::Policy, "max_file_size: 1.5\nregistries: [~]\nrelase: 1\n"),
    (Schema::Policy, "- not a mapping\n"),
    (Schema::Policy, "references: [story, story, epic, 1, 2.5, true, ~]\n"),
    (Schema::Policy, "placeholders: {'@OK@': docker.io/starlingx, PLAIN: x, '@B@': 'a b', 1: y}\n"),
    (Schema::Policy, "per_path: {'**/tests/**': {TM201: warning}, 'doc/**': {TM202: nope}, x: 1}\n"),
];

#[test]
fn corners_find_what_jsonschema_finds() {
    for (schema, text) in CORNERS {
        if let Some(d) = disagreement(*schema, text) {
            panic!("{text:?}: {d}");
        }
    }
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("''".to_owned()),
        Just("1".to_owned()),
        Just("0".to_owned()),
        Just("1.10".to_owned()),
        Just("2.0".to_owned()),
        Just("true".to_owned()),
        Just("~".to_owned()),
        Just("[]".to_owned()),
        Just("{}".to_owned()),
        Just("[x, 1, '']".to_owned()),
        Just("{a: 1}".to_owned()),
        Just("stx.4.0-v2.2".to_owned()),
        Just("https://opendev.org/starlingx/".to_owned()),
        Just("error".to_owned()),
        Just("story".to_owned()),
        Just("13.0".to_owned()),
        Just("'13.0'".to_owned()),
        Just("bookworm".to_owned()),
    ]
}

fn key(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(keys).prop_map(str::to_owned),
        Just("other".to_owned()),
        Just("1".to_owned()),
    ]
}

const MANIFEST_KEYS: &[&str] = &["images", "name", "src_build_tag", "src_ref", "tag"];
const POLICY_KEYS: &[&str] = &[
    "manifests",
    "release",
    "src_ref_prefixes",
    "registries",
    "codenames",
    "rules",
    "max_file_size",
    "references",
    "launchpad_api",
    "managed_namespaces",
    "TM001",
];

fn leaf(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    proptest::collection::vec((key(keys), value()), 0..6).prop_map(|pairs| {
        let body: Vec<String> = pairs
            .into_iter()
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        format!("{{{}}}", body.join(", "))
    })
}

/// A flow mapping of random keys and values, nested a little.
fn mapping(keys: &'static [&'static str]) -> impl Strategy<Value = String> {
    let list = proptest::collection::vec(prop_oneof![leaf(keys), value()], 0..5)
        .prop_map(|items| format!("[{}]", items.join(", ")));
    proptest::collection::vec((key(keys), prop_oneof![value(), leaf(keys), list]), 0..6).prop_map(
        |pairs| {
            let body: Vec<String> = pairs
                .into_iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect();
            format!("{{{}}}\n", body.join(", "))
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn random_manifests_find_what_jsonschema_finds(text in mapping(MANIFEST_KEYS)) {
        if let Some(d) = disagreement(Schema::Manifest, &text) {
            prop_assert!(false, "{text}: {d}");
        }
    }

    #[test]
    fn random_policies_find_what_jsonschema_finds(text in mapping(POLICY_KEYS)) {
        if let Some(d) = disagreement(Schema::Policy, &text) {
            prop_assert!(false, "{text}: {d}");
        }
    }
}
