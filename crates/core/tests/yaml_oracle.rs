//! The YAML tree built from parser events against the tree serde-saphyr built before (the oracle
//! below is the code tagman used until the event builder replaced it): on every fixture, every
//! StarlingX manifest of the corpus, a list of YAML corners and random manifest-shaped text, both
//! accept or refuse the same input, build the same values at the same spans, and a syntax error
//! stops at the same place.
//!
//! Intended differences, each checked here: a non-finite float (`.inf`, `.nan`, `1e999`) is a
//! number to tagman (serde-saphyr refused the whole file), and budget messages are tagman's own
//! words (where a budget stops the input does not change).

use std::fmt;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::{DuplicateKeyPolicy, Location};
use tagman_core::yaml::{parse, Limits, Node, NodeKind, YamlError};
use tagman_core::{SourceFile, Span};

/// What the oracle made of an input: the documents, or where it stopped and whether a budget did.
type Outcome = Result<Vec<Node>, (Option<Span>, String, bool)>;

fn oracle(source: &SourceFile) -> Outcome {
    let limits = Limits::default();
    let budget = serde_saphyr::budget! {
        max_depth: limits.max_depth,
        max_nodes: limits.max_nodes,
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
            max_total_replayed_events: limits.max_aliases.saturating_mul(100),
            max_replay_stack_depth: 16,
        },
    };
    match serde_saphyr::from_str_multiple_with_options::<RawNode, Vec<RawNode>>(
        source.text(),
        options,
    ) {
        Ok(docs) => Ok(docs.into_iter().map(|d| d.resolve(source)).collect()),
        Err(err) => {
            let text = err.to_string();
            let span = err
                .location()
                .filter(|loc| loc.line() > 0)
                .map(|loc| span_of(source, &loc));
            let budget = ["budget", "recursion limit", "limit exceeded"]
                .iter()
                .any(|needle| text.contains(needle));
            Err((span, text, budget))
        }
    }
}

fn span_of(source: &SourceFile, loc: &Location) -> Span {
    let span = loc.span();
    let from_bytes = span
        .byte_offset()
        .zip(span.byte_len())
        .and_then(|(o, l)| Some((usize::try_from(o).ok()?, usize::try_from(l).ok()?)))
        .filter(|(o, l)| o + l <= source.text().len());
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

/// Where two trees first differ, if they do (NaN equals NaN here).
fn first_difference(a: &Node, b: &Node, path: &str) -> Option<String> {
    if a.span != b.span {
        return Some(format!("{path}: span {:?} vs {:?}", a.span, b.span));
    }
    match (&a.kind, &b.kind) {
        (NodeKind::Float(x), NodeKind::Float(y)) if x.is_nan() && y.is_nan() => None,
        (NodeKind::Seq(xs), NodeKind::Seq(ys)) => {
            if xs.len() != ys.len() {
                return Some(format!("{path}: {} vs {} items", xs.len(), ys.len()));
            }
            xs.iter()
                .zip(ys)
                .enumerate()
                .find_map(|(i, (x, y))| first_difference(x, y, &format!("{path}/{i}")))
        }
        (NodeKind::Map(xs), NodeKind::Map(ys)) => {
            if xs.len() != ys.len() {
                return Some(format!("{path}: {} vs {} pairs", xs.len(), ys.len()));
            }
            xs.iter()
                .zip(ys)
                .enumerate()
                .find_map(|(i, ((kx, vx), (ky, vy)))| {
                    first_difference(kx, ky, &format!("{path}/key{i}"))
                        .or_else(|| first_difference(vx, vy, &format!("{path}/{i}")))
                })
        }
        (x, y) if x == y => None,
        (x, y) => Some(format!("{path}: {x:?} vs {y:?}")),
    }
}

/// Whether serde-saphyr refused the input only for a non-finite float, which tagman reads.
fn refused_for_non_finite(message: &str) -> bool {
    message.contains("non-finite")
}

/// Compares the two parsers on `text`; `None` when they agree.
fn disagreement(text: &str) -> Option<String> {
    let source = SourceFile::new("t.yaml", text);
    let ours = parse(&source, &Limits::default());
    let theirs = oracle(&source);
    match (ours, theirs) {
        (Ok(a), Ok(b)) => {
            if a.len() != b.len() {
                return Some(format!("{} vs {} documents", a.len(), b.len()));
            }
            a.iter()
                .zip(&b)
                .enumerate()
                .find_map(|(i, (x, y))| first_difference(x, y, &format!("doc{i}")))
        }
        (
            Err(YamlError {
                span,
                budget,
                message,
            }),
            Err((their_span, their_message, their_budget)),
        ) => {
            if span.is_none() && their_span.is_some() {
                return Some(format!("tagman's error is not located: {message}"));
            }
            if budget != their_budget {
                return Some(format!(
                    "budget {budget} vs {their_budget}: {message} / {their_message}"
                ));
            }
            // A budget is charged event by event in both, but not always at the same event; and
            // where a broken input holds two errors, the two may report a different one first
            // (serde-saphyr resolved a key's tag only after reading ahead). The same error must
            // stand at the same place.
            let same_error = their_message.contains(message.as_str());
            if !budget && same_error && span != their_span {
                return Some(format!(
                    "error at {span:?} vs {their_span:?}: {message} / {their_message}"
                ));
            }
            None
        }
        (Ok(_), Err((_, message, _))) if refused_for_non_finite(&message) => None,
        (Ok(docs), Err((span, message, _))) => Some(format!(
            "tagman accepts ({} documents), serde-saphyr refuses at {span:?}: {message}",
            docs.len()
        )),
        (Err(e), Ok(_)) => Some(format!(
            "tagman refuses at {:?} ({}), serde-saphyr accepts",
            e.span, e.message
        )),
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

#[test]
fn every_fixture_and_corpus_manifest_parses_as_before() {
    let mut files = Vec::new();
    yaml_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures"),
        &mut files,
    );
    assert!(files.len() > 150, "fixtures not found: {}", files.len());
    let mut disagreements = Vec::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        if let Some(d) = disagreement(&text) {
            disagreements.push(format!("{}: {d}", file.display()));
        }
    }
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

/// YAML's corners: scalars of every type and style, tags, anchors, merges, documents, errors.
const CORNERS: &[&str] = &[
    "",
    "# only a comment\n",
    "---\n",
    "--- ~\n",
    "---\n---\na: 1\n...\n---\nnull\n",
    "~\n",
    "!!str ~\n",
    "!custom ~\n",
    "plain text document\n",
    "a: 1\na: 2\n",
    "a: [1, 2.5, -3, +4, 0x1F, 0o17, 0b11, 0X1F, 012, -012, 1_000, 1__0, _1, 1e3, .5, 5., -.inf, +.nan, .NaN, inf, nan]\n",
    "b: [true, True, TRUE, false, yes, no, on, off, y, n, tRUE]\n",
    "n: [null, Null, NULL, ~, , nULL]\n",
    "s: ['1.10', \"yes\", |\n  literal\n, >\n  folded\n]\n",
    "t: [!!str 1.10, !!int \"12\", !!float \"1\", !!bool \"true\", !!null x, ! 12, !custom 12, !!int -5, !!int 0x10]\n",
    "big: [99999999999999999999, -99999999999999999999, 18446744073709551615, 18446744073709551616, -9223372036854775808, -9223372036854775809]\n",
    "k:\n  ? [a, b]\n  : complex key\n  ? {x: 1}\n  : map key\n  1: int key\n  ~: null key\n",
    "a: &x [1, 2]\nb: *x\nc: &y {k: v, l: [1]}\nd: *y\n",
    "base: &b {name: a, tag: b}\nentry:\n  <<: *b\n  tag: c\n",
    "base: &b {name: a}\nmore: &m {src: s}\nentry:\n  <<: [*b, *m]\n  tag: c\n",
    "entry: {<<: {a: 1, b: 2}, b: 3}\n",
    "entry: {'<<': {a: 1}}\n",
    "entry: {<<: ~}\n",
    "images:\n  - &e {name: a}\n  - *e\n",
    "\u{feff}images:\r\n  - name: a\r\n    tag: b\r\n",
    "images:\n\t- name: a\n",
    "a: [1, 2\nb: 3\n",
    "a: {b: 1\n",
    "a: 'unclosed\n",
    "a: b: c\n",
    "- a\nb: c\n",
    "a: *nowhere\n",
    "a: &x [*x]\n",
    "%YAML 1.2\n---\na: 1\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!thing 1\n",
    "a: !!map [1]\n",
    "a: !!seq {b: 1}\n",
    "a: !!str {b: 1}\n",
    "key with spaces: value with: colon\n",
    "\"quoted key\": 1\n'single': 2\n",
    "a: \"\\u00e9\\t\\x41\"\n",
    "multi: line\n  plain\n  scalar\n",
    "- - - - nested\n",
    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[x]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n",
];

/// serde-saphyr recurses deeply in a debug build: run the comparison on a thread with room.
fn with_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn yaml_corners_parse_as_before() {
    with_stack(corners);
}

fn corners() {
    let disagreements: Vec<String> = CORNERS
        .iter()
        .filter_map(|text| disagreement(text).map(|d| format!("{text:?}: {d}")))
        .collect();
    assert!(disagreements.is_empty(), "{disagreements:#?}");
}

/// Inputs at and just past each budget: both parsers refuse the same ones, as budget breaches.
fn budget_edges() -> Vec<String> {
    let nested = |depth: usize| {
        (0..depth)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect::<String>()
            + &"  ".repeat(depth)
            + "leaf\n"
    };
    let aliases = |anchors: usize, aliases: usize| {
        let mut text: String = (0..anchors).map(|i| format!("a{i}: &a{i} x\n")).collect();
        text.push_str("list:\n");
        text.extend((0..aliases).map(|i| format!("  - *a{}\n", i % anchors.max(1))));
        text
    };
    vec![
        nested(63),
        nested(64),
        nested(65),
        aliases(1, 10),
        aliases(1, 99),
        aliases(1, 100),
        aliases(20, 200),
        aliases(10, 200),
        aliases(999, 1),
        aliases(1_001, 1),
        aliases(100, 1_000),
        aliases(101, 1_001),
        format!("[{}]", vec!["x"; 10_000].join(",")),
    ]
}

#[test]
fn budgets_refuse_what_they_refused() {
    with_stack(|| {
        let disagreements: Vec<String> = budget_edges()
            .iter()
            .filter_map(|text| {
                disagreement(text).map(|d| format!("{}…: {d}", &text[..40.min(text.len())]))
            })
            .collect();
        assert!(disagreements.is_empty(), "{disagreements:#?}");
    });
}

#[test]
fn non_finite_floats_are_numbers_not_refusals() {
    let source = SourceFile::new("t.yaml", "tag: .inf\n");
    let docs = parse(&source, &Limits::default()).unwrap();
    assert_eq!(
        docs[0].get("tag").map(|n| &n.kind),
        Some(&NodeKind::Float(f64::INFINITY))
    );
    assert!(oracle(&source).is_err());
}

/// Pieces manifests and hostile inputs are made of.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("images:\n".to_owned()),
        Just("  - name: ".to_owned()),
        Just("    tag: ".to_owned()),
        Just("docker.io/starlingx/x".to_owned()),
        Just("stx.4.0-v2.2".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("---\n".to_owned()),
        Just("...\n".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("&b ".to_owned()),
        Just("*b".to_owned()),
        Just("<<: ".to_owned()),
        Just("!!str ".to_owned()),
        Just("!!int ".to_owned()),
        Just("! ".to_owned()),
        Just("? ".to_owned()),
        Just(": ".to_owned()),
        Just("- ".to_owned()),
        Just(", ".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("{".to_owned()),
        Just("}".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("|\n".to_owned()),
        Just("# c\n".to_owned()),
        Just("  ".to_owned()),
        Just("1.10".to_owned()),
        Just("0x1F".to_owned()),
        Just("true".to_owned()),
        Just("~".to_owned()),
        "[ -~]{0,8}",
        "\\PC{0,3}",
    ];
    proptest::collection::vec(piece, 0..48).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn random_manifest_shaped_text_parses_as_before(text in yamlish()) {
        let probe = text.clone();
        if let Some(d) = with_stack(move || disagreement(&probe)) {
            prop_assert!(false, "{text:?}: {d}");
        }
    }
}
