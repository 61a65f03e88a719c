//! An override resolved against the chart default it overrides: the repository from the default,
//! the tag from the override, judged at the override's line.
//!
//! FluxCD apps mostly override only `image.tag`. That override holds no image name, so the
//! extractor never sees it; yet it silences the default. Here the default's image and the
//! override's tag become one [`ImageRef`] written at the override, which [`place_resolved`] adds
//! to the override file's references so the rules judge what ships where it is written.
//!
//! An override that sets only `…image.repository` moves the image and keeps the default's tag:
//! the resolved reference is the override's image, judged at its line, with the tag the default
//! (or a lower override) writes, marked [`ImageRef::tag_elsewhere`] so nothing edits the tag at
//! the repository; `--bump` edits it where it is written.

use tagman_core::reference::Reference;
use tagman_core::{SourceFile, Span};
use tagman_diag::diagnostic::Label;

use super::values::Leaf;
use super::{Overridden, Replacement};
use crate::extract::{self, ImageRef, Placeholder, TagRef};
use crate::walk::ScannedFile;

/// The replacement `set` (a leaf of the override file `source`) makes of `default`, when it
/// replaces it: `only_tag` says the key holds only a tag (`image.tag`), else a whole reference.
/// An empty or unreadable value replaces nothing (Helm then keeps the default's meaning).
pub(super) fn replacement(
    default: &ImageRef,
    source: &SourceFile,
    set: &Leaf,
    only_tag: bool,
) -> Option<Replacement> {
    let value = set.value.as_deref().filter(|v| !v.trim().is_empty())?;
    let by = Label::new(source, set.span);
    if !only_tag {
        // A whole reference: the extractor reads it where it stands (a managed one is judged
        // there; another image is not ours to judge, but it is what ships).
        let parsed = Reference::parse(value).ok()?;
        return Some(Replacement {
            key: String::new(),
            by,
            tag: parsed.tag.unwrap_or_default(),
            resolved: None,
            tag_at: None,
            moved: false,
        });
    }
    let tag = written_tag(source, set, value)?;
    let resolved = ImageRef {
        span: tag.span,
        mirror: None,
        name_span: tag.span,
        name: default.name.clone(),
        tag: Some(tag.clone()),
        digest: None,
        repository_key: false,
        role: default.role,
        appendable: false,
        tag_elsewhere: false,
    };
    Some(Replacement {
        key: String::new(),
        by,
        tag: tag.text,
        resolved: Some(resolved),
        tag_at: None,
        moved: false,
    })
}

/// Where the tag of a default whose repository an override replaces comes from.
pub(super) enum TagSource<'a> {
    /// An override sets the tag too (the highest that does).
    Override(&'a SourceFile, &'a Leaf),
    /// The chart default's own `tag:`.
    Default(&'a SourceFile, &'a TagRef),
    /// Neither writes one (`repository:` without a `tag:` key).
    Missing,
}

impl<'a> TagSource<'a> {
    /// The tag `default` (written in `source`) ships with when its repository is overridden;
    /// `None` for an empty default `tag:` (it stands for the chart's `appVersion`, which the
    /// override's file cannot show), so such a default is left as it is read.
    pub(super) fn of(
        set: Option<(&'a SourceFile, &'a Leaf)>,
        source: &'a SourceFile,
        default: &'a ImageRef,
    ) -> Option<Self> {
        match (set, &default.tag) {
            (Some((file, leaf)), _) => Some(Self::Override(file, leaf)),
            (None, Some(tag)) if tag.empty => None,
            (None, Some(tag)) => Some(Self::Default(source, tag)),
            (None, None) => Some(Self::Missing),
        }
    }
}

/// The replacement an override of only the repository (`set`, a leaf of `source`) makes of
/// `default`: the override's image with `tag`, at the override's line. A value that is not a
/// bare image name (it holds a tag, a digest, a template) replaces nothing.
pub(super) fn moved(
    default: &ImageRef,
    (source, set): (&SourceFile, &Leaf),
    tag: TagSource<'_>,
) -> Option<Replacement> {
    let value = set.value.as_deref()?.trim();
    let parsed = Reference::parse(value).ok()?;
    if parsed.tag.is_some() || parsed.digest.is_some() {
        return None;
    }
    let quote = usize::from(source.slice(set.span).starts_with(['"', '\'']));
    let at = Span::new(
        set.span.offset + quote,
        value.len().min(set.span.len.saturating_sub(quote)),
    );
    let note = "the tag it ships with, written here: the override sets only the repository";
    let mut by = Label::new(source, set.span);
    let mut written = value.to_owned();
    let (tag, tag_at) = match tag {
        TagSource::Override(file, leaf) if file.name() == source.name() => {
            // A whole reference in one override: named by its tag, as a tag-only one is.
            by = Label::new(file, leaf.span);
            let tag = written_tag(file, leaf, leaf.value.as_deref()?)?;
            written.clone_from(&tag.text);
            (Some(tag), None)
        }
        TagSource::Override(file, leaf) => (
            Some(borrowed(
                written_tag(file, leaf, leaf.value.as_deref()?)?,
                at,
            )),
            Some(Label::new(file, leaf.span).with_note(note)),
        ),
        TagSource::Default(file, written) => (
            Some(borrowed(written.clone(), at)),
            Some(Label::new(file, written.span).with_note(note)),
        ),
        TagSource::Missing => (None, None),
    };
    let resolved = ImageRef {
        span: at,
        mirror: None,
        name_span: at,
        name: parsed.name,
        tag_elsewhere: tag_at.is_some(),
        tag,
        digest: None,
        repository_key: true,
        role: default.role,
        appendable: false,
    };
    Some(Replacement {
        key: String::new(),
        by,
        tag: written,
        resolved: Some(resolved),
        tag_at,
        moved: true,
    })
}

/// `tag` as a reference written at `at` judges it: its text and placeholders, every span at
/// `at` (the tag itself is written in another file).
fn borrowed(tag: TagRef, at: Span) -> TagRef {
    TagRef {
        span: at,
        placeholders: tag
            .placeholders
            .into_iter()
            .map(|p| Placeholder { span: at, ..p })
            .collect(),
        ..tag
    }
}

/// The tag as written at the leaf (quotes skipped), with its placeholders; else, for a value the
/// tag reader does not take whole (a number such as `1.10`), the scalar as parsed.
fn written_tag(source: &SourceFile, set: &Leaf, value: &str) -> Option<TagRef> {
    let text = source.text();
    let raw = source.slice(set.span);
    let quote = usize::from(raw.starts_with(['"', '\'']));
    if let Some(tag) = extract::tag_at(text, set.span.offset + quote) {
        if tag.text == value {
            return Some(tag);
        }
    }
    let start = set.span.offset + quote;
    let len = value.len().min(set.span.len.saturating_sub(quote));
    Some(TagRef {
        span: Span::new(start, len),
        text: value.to_owned(),
        placeholders: Vec::new(),
        split: true,
        empty: false,
    })
}

/// Adds each resolved override reference to the scanned file it is written in (once per place),
/// in file order, so the rules judge it there. Returns how many were placed or completed; an
/// override whose file the walk did not keep is not placed, and its default stays checked (see
/// [`annotate`]).
///
/// The reference the extractor (or, for an image outside the managed namespaces, the inventory)
/// already read at the override is the one that ships: a repository read without its tag gets
/// the tag it ships with. A moved image nobody read is not ours to judge (it is outside the
/// managed namespaces): its default is still set aside, as it does not ship.
///
/// [`annotate`]: super::annotate
pub fn place_resolved(files: &mut [ScannedFile], overridden: &mut Vec<Overridden>) -> usize {
    let mut placed = 0;
    overridden.retain(|o| {
        let Some(resolved) = &o.resolved else {
            return true;
        };
        let Some(file) = files
            .iter_mut()
            .find(|f| f.source.name() == o.by.file.name())
        else {
            // Nowhere to judge what ships: keep checking the default instead.
            return false;
        };
        // Read at the override: the repository, or (for a whole override) its sibling tag.
        let at = o.by.span;
        let here = |r: &&mut ImageRef| {
            overlaps(r.span, at) || r.tag.as_ref().is_some_and(|t| overlaps(t.span, at))
        };
        let refs = &mut file.extracted.refs;
        if let Some(read) = refs.iter_mut().chain(file.unmanaged.iter_mut()).find(here) {
            if read.tag.is_none() && resolved.tag.is_some() {
                let tag = resolved.tag.clone().map(|t| borrowed(t, read.name_span));
                read.tag = if resolved.tag_elsewhere {
                    tag
                } else {
                    resolved.tag.clone()
                };
                read.tag_elsewhere = resolved.tag_elsewhere;
                placed += 1;
            }
        } else if !o.moved {
            let at = refs.partition_point(|r| r.span.offset < resolved.span.offset);
            refs.insert(at, resolved.clone());
            placed += 1;
        }
        true
    });
    placed
}

/// Whether two spans share a byte (or touch, for quotes around a scalar).
fn overlaps(a: Span, b: Span) -> bool {
    a.offset <= b.end() && b.offset <= a.end()
}
