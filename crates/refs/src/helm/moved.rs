//! What `--bump` takes a reference for when an override of only the repository moves a chart
//! default to another image: the default's `tag:` is then that image's tag, so bumping that
//! image edits it there (never at the override's repository), and bumping the default's own
//! name leaves it (it does not ship).

use std::collections::HashMap;

use tagman_core::{ImageName, Span};

use super::Overridden;
use crate::walk::ScannedFile;

/// Chart defaults an override of only the repository moves to another image (their `tag:` is
/// that image's tag, so `--bump` of that image edits it there), and where those overrides stand.
pub struct Moved<'s> {
    /// (file, reference) of such a default → the image it ships as.
    ships_as: HashMap<(usize, usize), &'s ImageName>,
    /// (file name, span) of the overrides whose image takes its tag from such a default.
    carried: Vec<(&'s str, Span)>,
}

impl<'s> Moved<'s> {
    /// From the scan's files and the defaults overrides replace.
    pub fn of(files: &'s [ScannedFile], overridden: &'s [Overridden]) -> Self {
        let mut moved = Self {
            ships_as: HashMap::new(),
            carried: Vec::new(),
        };
        for o in overridden.iter().filter(|o| o.moved) {
            let (Some(resolved), Some(tag_at), Some(default)) =
                (&o.resolved, &o.tag_at, files.get(o.file))
            else {
                continue;
            };
            // Only a tag written in the default itself moves with the default.
            if tag_at.file.name() == default.source.name() {
                moved.ships_as.insert((o.file, o.reference), &resolved.name);
                moved.carried.push((o.by.file.name(), o.by.span));
            }
        }
        moved
    }

    /// What each reference of file `index` is bumped as: `Ok(name)` it ships as, or why not.
    pub fn names(
        &self,
        index: usize,
        file: &'s ScannedFile,
    ) -> Vec<Result<&'s ImageName, BumpAs<'s>>> {
        let carried = |r: &crate::ImageRef| {
            self.carried.iter().any(|(name, at)| {
                *name == file.source.name()
                    && r.span.offset <= at.end()
                    && at.offset <= r.span.end()
            })
        };
        let names = file.extracted.refs.iter().enumerate();
        names
            .map(|(i, r)| match self.ships_as.get(&(index, i)) {
                Some(ships_as) => Err(BumpAs::Moved(&r.name, ships_as)),
                None if r.tag_elsewhere && carried(r) => Err(BumpAs::Carried),
                None if r.tag_elsewhere => Err(BumpAs::Elsewhere(&r.name)),
                None => Ok(&r.name),
            })
            .collect()
    }
}

/// A reference `--bump` does not take by its own name.
#[derive(Clone, Copy, Debug)]
pub enum BumpAs<'s> {
    /// A default (its name) that ships as another image (the second), whose tag it holds: bumped
    /// as the second.
    Moved(&'s ImageName, &'s ImageName),
    /// An override's image whose tag such a default holds (edited there).
    Carried,
    /// An override's image (its name) whose tag is written in another override file.
    Elsewhere(&'s ImageName),
}
