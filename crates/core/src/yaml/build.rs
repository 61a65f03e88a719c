//! The event builder: granit-parser's events become the spanned node tree in one pass, each budget
//! charged as the events arrive (the same budgets serde-saphyr enforced, without its per-node
//! serde detour, which cost four times the parse and most of the memory on large files).

use granit_parser::{Event, Parser, ScalarStyle, ScanError};
use std::borrow::Cow;

use super::merge::{merge, mergeable, relocate};
use super::scalar::{self, Shape, TagKind};
use super::{Limits, Node, NodeKind, YamlError};
use crate::source::SourceFile;
use crate::span::Span;

/// Budgets tagman does not expose, kept at serde-saphyr's defaults so a file refused before is
/// refused now.
const MAX_DOCUMENTS: usize = 1_024;
const MAX_SCALAR_BYTES: usize = 64 * 1024 * 1024;
const MAX_RECORDED_ANCHOR_EVENTS: usize = 1_000_000;
const MAX_MERGE_KEYS: usize = 10_000;
/// An alias bomb made of few anchors: at least this many aliases, more than ten per anchor.
const RATIO_MIN_ALIASES: usize = 100;
const RATIO_ALIASES_PER_ANCHOR: usize = 10;

/// Parses every document of `source`.
pub(super) fn build(source: &SourceFile, limits: &Limits) -> Result<Vec<Node>, YamlError> {
    let mut builder = Builder::new(limits);
    for item in Parser::new_from_str(source.text()) {
        let (event, span) = item.map_err(|e| scan_error(source, &e))?;
        let span = byte_span(source, &span);
        builder.event(event, span)?;
    }
    builder.finish()
}

/// What one finished subtree costs when an alias replays it, and how it must be replayed.
#[derive(Clone, Copy, Debug, Default)]
struct Cost {
    /// Parser events (a scalar is one, a collection two plus its children's).
    events: usize,
    /// Nodes (scalars and collections).
    nodes: usize,
    /// Bytes of scalar text.
    scalar_bytes: usize,
    /// Collection levels (0 for a scalar).
    height: usize,
}

impl Cost {
    fn add(&mut self, child: Cost) {
        self.events = self.events.saturating_add(child.events);
        self.nodes = self.nodes.saturating_add(child.nodes);
        self.scalar_bytes = self.scalar_bytes.saturating_add(child.scalar_bytes);
        self.height = self.height.max(child.height);
    }
}

/// An anchored node, kept for the aliases that name it.
#[derive(Debug)]
struct Anchored {
    node: Node,
    cost: Cost,
    /// A null scalar, which as a document's root means no document.
    null_document: bool,
    /// A plain `<<`, which as a key means a merge.
    merge_key: bool,
}

#[derive(Debug)]
enum Items {
    Seq(Vec<Node>),
    Map {
        pairs: Vec<(Node, Node)>,
        key: Option<Node>,
        /// The key just read was `<<`: the value is merged in, not kept as a pair.
        merging: bool,
        merges: Vec<Node>,
    },
}

/// A collection being read.
#[derive(Debug)]
struct Frame {
    items: Items,
    span: Span,
    anchor: usize,
    cost: Cost,
}

/// A finished node on its way to its parent.
struct Done {
    node: Node,
    cost: Cost,
    null_document: bool,
    merge_key: bool,
}

struct Builder<'s> {
    limits: &'s Limits,
    stack: Vec<Frame>,
    root: Option<(Node, bool)>,
    documents: Vec<Node>,
    /// Indexed by the parser's anchor id.
    anchors: Vec<Option<Anchored>>,
    /// Anchored collections still open: every event is recorded once for each.
    recording: usize,
    counts: Counts,
}

/// Running totals for the budgets.
#[derive(Debug, Default)]
struct Counts {
    events: usize,
    nodes: usize,
    scalar_bytes: usize,
    anchors: usize,
    aliases: usize,
    replayed: usize,
    recorded: usize,
    documents: usize,
    merge_keys: usize,
    /// Where the last alias stands (an alias bomb is reported there).
    last_alias: Span,
}

impl<'s> Builder<'s> {
    fn new(limits: &'s Limits) -> Self {
        Self {
            limits,
            stack: Vec::new(),
            root: None,
            documents: Vec::new(),
            anchors: Vec::new(),
            recording: 0,
            counts: Counts::default(),
        }
    }

    fn budget(&self, span: Span, message: String) -> YamlError {
        YamlError {
            message,
            span: Some(span),
            budget: true,
        }
    }

    fn error(&self, span: Span, message: String) -> YamlError {
        YamlError {
            message,
            span: Some(span),
            budget: false,
        }
    }

    /// Charges one event from the parser: the event budget, and a copy in every open recording.
    /// Charges `events` parser events (one, or an alias's replay): the event budget, and a
    /// copy in every open recording.
    fn charge_events(&mut self, events: usize, span: Span) -> Result<(), YamlError> {
        self.counts.events = self.counts.events.saturating_add(events);
        let max = self.limits.max_nodes.saturating_mul(4);
        if self.counts.events > max {
            return Err(self.budget(
                span,
                format!(
                    "more than {max} YAML events (the file is far larger or more complex than a manifest)"
                ),
            ));
        }
        self.charge_recording(self.recording.saturating_mul(events), span)
    }

    fn charge_event(&mut self, span: Span) -> Result<(), YamlError> {
        self.charge_events(1, span)
    }

    fn charge_recording(&mut self, events: usize, span: Span) -> Result<(), YamlError> {
        self.counts.recorded = self.counts.recorded.saturating_add(events);
        if self.counts.recorded > MAX_RECORDED_ANCHOR_EVENTS {
            return Err(self.budget(
                span,
                format!("anchored values hold more than {MAX_RECORDED_ANCHOR_EVENTS} events"),
            ));
        }
        Ok(())
    }

    fn charge_node(&mut self, span: Span, scalar_bytes: usize) -> Result<(), YamlError> {
        self.charge_nodes(1, scalar_bytes, span)
    }

    /// Charges nodes and their scalar text against the node and text budgets.
    fn charge_nodes(
        &mut self,
        nodes: usize,
        scalar_bytes: usize,
        span: Span,
    ) -> Result<(), YamlError> {
        self.counts.nodes = self.counts.nodes.saturating_add(nodes);
        if self.counts.nodes > self.limits.max_nodes {
            return Err(self.budget(
                span,
                format!("more than {} YAML nodes", self.limits.max_nodes),
            ));
        }
        self.counts.scalar_bytes = self.counts.scalar_bytes.saturating_add(scalar_bytes);
        if self.counts.scalar_bytes > MAX_SCALAR_BYTES {
            return Err(self.budget(
                span,
                format!("more than {MAX_SCALAR_BYTES} bytes of scalar text"),
            ));
        }
        Ok(())
    }

    fn charge_anchor(&mut self, anchor: usize, span: Span) -> Result<(), YamlError> {
        if anchor == 0 {
            return Ok(());
        }
        self.counts.anchors += 1;
        if self.counts.anchors > self.limits.max_aliases {
            return Err(self.budget(
                span,
                format!("more than {} anchors", self.limits.max_aliases),
            ));
        }
        // The anchored node's own copy.
        self.charge_recording(1, span)
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), YamlError> {
        match event {
            Event::Alias(id) => self.alias(id, span),
            Event::Scalar(value, style, anchor, tag) => {
                self.charge_event(span)?;
                self.scalar(value, style, anchor, TagKind::of(tag.as_deref()), span)
            }
            Event::SequenceStart(_, anchor, tag) => {
                self.charge_event(span)?;
                self.open(Shape::Sequence, anchor, TagKind::of(tag.as_deref()), span)
            }
            Event::MappingStart(_, anchor, tag) => {
                self.charge_event(span)?;
                self.open(Shape::Mapping, anchor, TagKind::of(tag.as_deref()), span)
            }
            Event::SequenceEnd | Event::MappingEnd => {
                self.charge_event(span)?;
                self.close(span)
            }
            Event::DocumentStart(..) => {
                self.charge_event(span)?;
                self.counts.documents += 1;
                if self.counts.documents > MAX_DOCUMENTS {
                    return Err(self.budget(span, format!("more than {MAX_DOCUMENTS} documents")));
                }
                Ok(())
            }
            Event::DocumentEnd => {
                self.charge_event(span)?;
                if let Some((root, null_document)) = self.root.take() {
                    if !null_document {
                        self.documents.push(root);
                    }
                }
                Ok(())
            }
            _ => self.charge_event(span),
        }
    }

    fn scalar(
        &mut self,
        value: Cow<'_, str>,
        style: ScalarStyle,
        anchor: usize,
        tag: TagKind,
        span: Span,
    ) -> Result<(), YamlError> {
        self.charge_node(span, value.len())?;
        self.charge_anchor(anchor, span)?;
        let null_document = scalar::is_null_document(tag, &value, style);
        let merge_key = value == "<<"
            && (tag == TagKind::Merge || (tag == TagKind::None && style == ScalarStyle::Plain));
        let scalar_bytes = value.len();
        let kind = scalar::resolve(value, style, tag).map_err(|bad| {
            self.error(
                span,
                format!("the tag asks for {}, but this value is not one", bad.wanted),
            )
        })?;
        let done = Done {
            node: Node { kind, span },
            cost: Cost {
                events: 1,
                nodes: 1,
                scalar_bytes,
                height: 0,
            },
            null_document,
            merge_key,
        };
        if anchor != 0 {
            self.remember(anchor, &done);
        }
        self.attach(done)
    }

    /// Whether the next node is the value of a `<<` key.
    fn expecting_merge_value(&self) -> bool {
        matches!(
            self.stack.last(),
            Some(Frame {
                items: Items::Map { merging: true, .. },
                ..
            })
        )
    }

    fn open(
        &mut self,
        shape: Shape,
        anchor: usize,
        tag: TagKind,
        span: Span,
    ) -> Result<(), YamlError> {
        if let Some(required) = tag.requires().filter(|r| *r != shape) {
            return Err(self.error(
                span,
                format!("a tag for {} stands on {}", required.name(), shape.name()),
            ));
        }
        self.charge_node(span, 0)?;
        self.charge_anchor(anchor, span)?;
        if self.stack.len() >= self.limits.max_depth {
            return Err(self.budget(
                span,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        if anchor != 0 {
            self.recording += 1;
        }
        let items = match shape {
            Shape::Mapping => Items::Map {
                pairs: Vec::new(),
                key: None,
                merging: false,
                merges: Vec::new(),
            },
            _ => Items::Seq(Vec::new()),
        };
        self.stack.push(Frame {
            items,
            span,
            anchor,
            cost: Cost {
                events: 1,
                nodes: 1,
                scalar_bytes: 0,
                height: 0,
            },
        });
        Ok(())
    }

    fn close(&mut self, end: Span) -> Result<(), YamlError> {
        let Some(frame) = self.stack.pop() else {
            return Err(self.error(end, "a collection ends that never started".to_owned()));
        };
        let Frame {
            items,
            span,
            anchor,
            mut cost,
        } = frame;
        cost.events += 1;
        cost.height += 1;
        let kind = match items {
            Items::Seq(mut items) => {
                items.shrink_to_fit();
                NodeKind::Seq(items)
            }
            Items::Map {
                mut pairs, merges, ..
            } => {
                if !merges.is_empty() {
                    merge(&mut pairs, merges);
                }
                pairs.shrink_to_fit();
                NodeKind::Map(pairs)
            }
        };
        let done = Done {
            node: Node { kind, span },
            cost,
            null_document: false,
            merge_key: false,
        };
        if anchor != 0 {
            self.recording = self.recording.saturating_sub(1);
            self.remember(anchor, &done);
        }
        self.attach(done)
    }

    fn alias(&mut self, id: usize, span: Span) -> Result<(), YamlError> {
        self.counts.events += 1;
        self.counts.aliases += 1;
        self.counts.last_alias = span;
        if self.counts.aliases > self.limits.max_aliases {
            return Err(self.budget(
                span,
                format!("more than {} aliases", self.limits.max_aliases),
            ));
        }
        let Some(anchored) = self.anchors.get(id).and_then(Option::as_ref) else {
            // The parser resolves names; an id with nothing recorded is a collection that is
            // still open, i.e. an alias inside the value it names.
            return Err(self.error(
                span,
                "an alias refers to the collection it stands in (a recursive reference)".to_owned(),
            ));
        };
        let cost = anchored.cost;
        let max_replayed = self.limits.max_aliases.saturating_mul(100);
        if self.counts.replayed.saturating_add(cost.events) > max_replayed {
            return Err(self.budget(
                span,
                format!(
                    "alias replay limit exceeded: total_replayed_events={} > {max_replayed}",
                    max_replayed.saturating_add(1)
                ),
            ));
        }
        self.counts.replayed += cost.events;
        if self.stack.len().saturating_add(cost.height) > self.limits.max_depth {
            return Err(self.budget(
                span,
                format!("nesting deeper than {} levels", self.limits.max_depth),
            ));
        }
        let mut node = anchored.node.clone();
        let (null_document, merge_key) = (anchored.null_document, anchored.merge_key);
        self.charge_replay(cost, span)?;
        if self.expecting_merge_value() {
            // A value that cannot be merged is reported where it is written, not at the alias.
            mergeable(&node)?;
        }
        relocate(&mut node, span);
        self.attach(Done {
            node,
            cost,
            null_document,
            merge_key,
        })
    }

    /// Charges what a replay adds: its events (and their recordings), nodes and bytes.
    fn charge_replay(&mut self, cost: Cost, span: Span) -> Result<(), YamlError> {
        self.charge_events(cost.events, span)?;
        self.charge_nodes(cost.nodes, cost.scalar_bytes, span)
    }

    fn remember(&mut self, anchor: usize, done: &Done) {
        if self.anchors.len() <= anchor {
            self.anchors.resize_with(anchor + 1, || None);
        }
        if let Some(slot) = self.anchors.get_mut(anchor) {
            *slot = Some(Anchored {
                node: done.node.clone(),
                cost: done.cost,
                null_document: done.null_document,
                merge_key: done.merge_key,
            });
        }
    }

    /// Hands a finished node to the collection it is in, or makes it the document's root.
    fn attach(&mut self, done: Done) -> Result<(), YamlError> {
        let Some(parent) = self.stack.last_mut() else {
            self.root = Some((done.node, done.null_document));
            return Ok(());
        };
        parent.cost.add(done.cost);
        match &mut parent.items {
            Items::Seq(items) => items.push(done.node),
            Items::Map {
                pairs,
                key,
                merging,
                merges,
            } => match key.take() {
                None if done.merge_key && !*merging => {
                    *merging = true;
                    self.counts.merge_keys += 1;
                    if self.counts.merge_keys > MAX_MERGE_KEYS {
                        let span = done.node.span;
                        return Err(self.budget(
                            span,
                            format!("more than {MAX_MERGE_KEYS} merge keys (`<<`)"),
                        ));
                    }
                }
                None if *merging => {
                    *merging = false;
                    mergeable(&done.node)?;
                    merges.push(done.node);
                }
                None => *key = Some(done.node),
                Some(k) => pairs.push((k, done.node)),
            },
        }
        Ok(())
    }

    fn finish(mut self) -> Result<Vec<Node>, YamlError> {
        if let Some((root, null_document)) = self.root.take() {
            if !null_document {
                self.documents.push(root);
            }
        }
        let Counts {
            aliases,
            anchors,
            last_alias,
            ..
        } = self.counts;
        if aliases >= RATIO_MIN_ALIASES
            && (anchors == 0 || aliases > RATIO_ALIASES_PER_ANCHOR.saturating_mul(anchors))
        {
            return Err(YamlError {
                message: format!(
                    "{aliases} aliases for {anchors} anchors (more than {RATIO_ALIASES_PER_ANCHOR} per anchor looks like an alias bomb)"
                ),
                span: Some(last_alias),
                budget: true,
            });
        }
        Ok(self.documents)
    }
}

/// The byte span of a parser span (from its line and column when it has no byte offsets).
fn byte_span(source: &SourceFile, span: &granit_parser::Span) -> Span {
    let bytes = span
        .start
        .byte_offset()
        .zip(span.end.byte_offset())
        .filter(|(start, end)| start <= end && *end <= source.text().len());
    match bytes {
        Some((start, end)) => Span::new(start, end - start),
        None => {
            let offset = source
                .offset_of(span.start.line(), span.start.col() + 1)
                .unwrap_or(source.text().len());
            Span::new(offset, 0)
        }
    }
}

/// A syntax error (or a parser limit) at the parser's position.
fn scan_error(source: &SourceFile, err: &ScanError) -> YamlError {
    let mark = err.marker();
    let span = (mark.line() > 0).then(|| {
        let offset = source
            .offset_of(mark.line(), mark.col() + 1)
            .unwrap_or(source.text().len());
        Span::new(offset, 0)
    });
    let info = err.info();
    let message = info.lines().next().unwrap_or(&info).trim().to_owned();
    let budget = ["recursion limit", "limit exceeded", "budget"]
        .iter()
        .any(|needle| message.contains(needle));
    let tab = message
        .split(|c: char| !c.is_ascii_alphabetic())
        .any(|w| w == "tab" || w == "tabs");
    YamlError {
        span: span.map(|s| if tab { at_tab(source.text(), s) } else { s }),
        message,
        budget,
    }
}

/// The tab a tab error is about: a parser may point where the scalar or line it was reading
/// started, which for a tab-indented line is the line before; the tab is the first one from there
/// to the end of the next line.
pub(super) fn at_tab(text: &str, span: Span) -> Span {
    let from = span.offset.min(text.len());
    let rest = text.get(from..).unwrap_or("");
    let window = rest
        .match_indices('\n')
        .nth(1)
        .map_or(rest, |(end, _)| &rest[..end]);
    window.find('\t').map_or(span, |i| Span::new(from + i, 1))
}
