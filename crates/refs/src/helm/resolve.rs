//! An override resolved against the chart default it overrides: the repository from the default,
//! the tag from the override, judged at the override's line.
//!
//! FluxCD apps mostly override only `image.tag`. That override holds no image name, so the
//! extractor never sees it; yet it silences the default. Here the default's image and the
//! override's tag become one [`ImageRef`] written at the override, which [`place_resolved`] adds
//! to the override file's references so the rules judge what ships where it is written.

use tagman_core::reference::Reference;
use tagman_core::{SourceFile, Span};
use tagman_diag::diagnostic::Label;

use super::values::Leaf;
use super::{Overridden, Replacement};
use crate::extract::{self, ImageRef, TagRef};
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
    };
    Some(Replacement {
        key: String::new(),
        by,
        tag: tag.text,
        resolved: Some(resolved),
    })
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
/// in file order, so the rules judge it there. Returns how many were placed; an override whose
/// file the walk did not keep is not placed, and its default stays checked (see [`annotate`]).
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
        let refs = &mut file.extracted.refs;
        // An override that sets the repository too was read whole by the extractor, its tag
        // at the same place: that reference is the one that ships.
        let read = |r: &ImageRef| {
            r.span == resolved.span || r.tag.as_ref().is_some_and(|t| t.span == resolved.span)
        };
        if !refs.iter().any(read) {
            let at = refs.partition_point(|r| r.span.offset < resolved.span.offset);
            refs.insert(at, resolved.clone());
            placed += 1;
        }
        true
    });
    placed
}
