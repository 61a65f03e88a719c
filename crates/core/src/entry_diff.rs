//! Which entries a change adds, re-points, removes or moves between files, and whether it needs
//! a bug or story reference. Pure functions over two snapshots.

use std::collections::{BTreeMap, HashSet};

use crate::{Entry, Manifest};
use serde::Serialize;

use crate::snapshot::Snapshot;

/// The entries a change adds or changes, as (manifest index, entry index) into the checked
/// manifests: known when the run compares with a base revision. Rules that judge what a change
/// brings rather than what a file holds (the policy's `release`) look at these only, so a file
/// that lists every past release's tags stays clean while each new entry is still checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangedEntries {
    entries: HashSet<(usize, usize)>,
}

impl ChangedEntries {
    /// The change that brings exactly these (manifest index, entry index) pairs.
    pub fn new(entries: impl IntoIterator<Item = (usize, usize)>) -> Self {
        Self {
            entries: entries.into_iter().collect(),
        }
    }

    /// Whether entry `entry` of manifest `manifest` is added or changed.
    pub fn contains(&self, manifest: usize, entry: usize) -> bool {
        self.entries.contains(&(manifest, entry))
    }

    /// How many entries the change adds or changes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the change adds or changes no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// One entry as the diff shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffEntry {
    /// Repository-relative path of its manifest.
    pub file: String,
    /// 1-based line of its first key.
    pub line: usize,
    /// Canonical image name.
    pub name: String,
    /// The release tag.
    pub tag: String,
    /// The build tag it is made from.
    pub src_build_tag: Option<String>,
    /// The source commit URL.
    pub src_ref: Option<String>,
    /// Index of its file in the snapshot.
    #[serde(skip)]
    pub file_index: usize,
    /// Index of the entry in that file.
    #[serde(skip)]
    pub entry_index: usize,
}

/// A pair of the same (name, tag) on both sides.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiffPair {
    /// As it was at the base.
    pub base: DiffEntry,
    /// As it is now.
    pub head: DiffEntry,
}

/// The entries that differ between a base and a head snapshot, identified by (name, tag).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EntryDiff {
    /// New (name, tag) pairs.
    pub added: Vec<DiffEntry>,
    /// Pairs whose `src_build_tag` or `src_ref` changed: a published tag re-pointed.
    pub changed: Vec<DiffPair>,
    /// Pairs no longer listed.
    pub removed: Vec<DiffEntry>,
    /// Pairs unchanged but now in another file.
    pub moved: Vec<DiffPair>,
}

impl EntryDiff {
    /// Compares `base` with `head`.
    pub fn between(base: &Snapshot, head: &Snapshot) -> Self {
        let base_keys = keyed(base.manifests());
        let head_keys = keyed(head.manifests());
        let mut diff = Self::default();
        for (key, now) in &head_keys {
            match base_keys.get(key) {
                None => diff.added.push(now.clone()),
                Some(was)
                    if was.src_build_tag != now.src_build_tag || was.src_ref != now.src_ref =>
                {
                    diff.changed.push(DiffPair {
                        base: was.clone(),
                        head: now.clone(),
                    });
                }
                Some(was) if was.file != now.file => diff.moved.push(DiffPair {
                    base: was.clone(),
                    head: now.clone(),
                }),
                Some(_) => {}
            }
        }
        diff.removed = base_keys
            .iter()
            .filter(|(key, _)| !head_keys.contains_key(*key))
            .map(|(_, was)| was.clone())
            .collect();
        let order = |e: &DiffEntry| (e.file_index, e.entry_index);
        diff.added.sort_by_key(order);
        diff.removed.sort_by_key(order);
        diff.changed.sort_by_key(|p| order(&p.head));
        diff.moved.sort_by_key(|p| order(&p.head));
        diff
    }

    /// Whether nothing was added, changed, removed or moved.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.changed.is_empty()
            && self.removed.is_empty()
            && self.moved.is_empty()
    }
}

/// The first entry of each (name, tag), in file order.
fn keyed(manifests: &[Manifest]) -> BTreeMap<(String, String), DiffEntry> {
    let mut map = BTreeMap::new();
    for (file_index, manifest) in manifests.iter().enumerate() {
        for (entry_index, entry) in manifest.entries.iter().enumerate() {
            let Some(key) = entry.key() else { continue };
            let line = manifest.source.position(entry.span.offset).line;
            map.entry(key.clone()).or_insert_with(|| DiffEntry {
                file: manifest.source.name().to_owned(),
                line,
                name: key.0,
                tag: key.1,
                src_build_tag: value(entry.src_build_tag.as_ref()),
                src_ref: value(entry.src_ref.as_ref()),
                file_index,
                entry_index,
            });
        }
    }
    map
}

fn value(v: Option<&crate::Spanned<String>>) -> Option<String> {
    v.map(|s| s.value.clone())
}

/// Whether a change must carry a bug or story reference, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Requirement {
    /// It adds or changes entries, or tagman cannot tell.
    Required {
        /// Why, for the finding's message.
        reason: String,
    },
    /// It only moves, renames or removes entries (or touches no manifest).
    NotRequired,
}

impl Requirement {
    /// Whether a reference is required.
    pub fn is_required(&self) -> bool {
        matches!(self, Self::Required { .. })
    }

    /// Required because the change cannot be compared with anything.
    pub fn unknown(why: impl Into<String>) -> Self {
        Self::Required { reason: why.into() }
    }
}

/// The entries of `head` a change adds or changes against `base`, compared field by field
/// (canonical name where it parses): an entry is new when the base holds no identical entry in
/// any file, so moving an entry between files brings nothing new.
pub fn changed_entries(base: &Snapshot, head: &Snapshot) -> ChangedEntries {
    let known: HashSet<Fields> = base
        .manifests()
        .iter()
        .flat_map(|m| m.entries.iter().map(fields))
        .collect();
    ChangedEntries::new(
        head.manifests()
            .iter()
            .enumerate()
            .flat_map(|(m, manifest)| {
                let known = &known;
                manifest
                    .entries
                    .iter()
                    .enumerate()
                    .filter(move |(_, e)| !known.contains(&fields(e)))
                    .map(move |(e, _)| (m, e))
            }),
    )
}

/// Whether a change needs a reference: when the head holds an entry the base does not hold
/// anywhere (see [`changed_entries`]), or does not parse.
pub fn reference_requirement(base: &Snapshot, head: &Snapshot) -> Requirement {
    if let Some(broken) = head.broken().first() {
        return Requirement::Required {
            reason: format!(
                "{} does not parse, so what it changes is unknown",
                broken.source.name()
            ),
        };
    }
    let changed = changed_entries(base, head);
    let new = head
        .manifests()
        .iter()
        .enumerate()
        .flat_map(|(m, manifest)| {
            manifest
                .entries
                .iter()
                .enumerate()
                .map(move |(e, entry)| (m, e, manifest, entry))
        })
        .find(|(m, e, _, _)| changed.contains(*m, *e));
    match new {
        Some((_, _, file, entry)) => {
            let line = file.source.position(entry.span.offset).line;
            let what = entry
                .tag
                .as_ref()
                .map_or_else(|| "an entry".to_owned(), |t| format!("`{}`", t.value));
            Requirement::Required {
                reason: format!("it adds or changes {what} ({}:{line})", file.source.name()),
            }
        }
        None => Requirement::NotRequired,
    }
}

type Fields = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn fields(entry: &Entry) -> Fields {
    let name = entry
        .canonical_name()
        .map(str::to_owned)
        .or_else(|| value(entry.name.as_ref()));
    (
        name,
        value(entry.tag.as_ref()),
        value(entry.src_build_tag.as_ref()),
        value(entry.src_ref.as_ref()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Policy;

    fn snap(files: &[(&str, &str)]) -> Snapshot {
        Snapshot::from_files(
            "test",
            files
                .iter()
                .map(|(p, t)| ((*p).to_owned(), t.as_bytes().to_vec())),
            &Policy::default(),
        )
    }

    fn entry(name: &str, build: &str, tag: &str) -> String {
        format!(
            "  - name: docker.io/starlingx/{name}\n    src_build_tag: master-debian-stable-{build}.0\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: {tag}\n"
        )
    }

    #[test]
    fn classifies_added_changed_removed_moved() {
        let a = entry("a", "20240101T000000Z", "stx.10.0-v1.0.0");
        let b = entry("b", "20240101T000000Z", "stx.10.0-v1.0.0");
        let c = entry("c", "20240101T000000Z", "stx.10.0-v1.0.0");
        let b2 = entry("b", "20240202T000000Z", "stx.10.0-v1.0.0");
        let d = entry("d", "20240101T000000Z", "stx.10.0-v1.0.0");
        let base = snap(&[("x.yaml", &format!("images:\n{a}{b}{c}"))]);
        let head = snap(&[
            ("x.yaml", &format!("images:\n{b2}{d}")),
            ("y.yaml", &format!("images:\n{a}")),
        ]);
        let diff = EntryDiff::between(&base, &head);
        let names = |v: &[DiffEntry]| v.iter().map(|e| e.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(&diff.added), ["docker.io/starlingx/d"]);
        assert_eq!(names(&diff.removed), ["docker.io/starlingx/c"]);
        assert_eq!(diff.changed.len(), 1);
        assert_eq!(diff.changed[0].head.line, 2);
        assert_eq!(diff.moved.len(), 1);
        assert_eq!(diff.moved[0].head.file, "y.yaml");
        assert!(reference_requirement(&base, &head).is_required());
        // b2 (re-pointed) and d (added) are new; a, moved to y.yaml unchanged, is not.
        assert_eq!(
            changed_entries(&base, &head),
            ChangedEntries::new([(0, 0), (0, 1)])
        );
    }

    #[test]
    fn moves_removals_and_empty_manifests_need_no_reference() {
        let a = entry("a", "20240101T000000Z", "stx.10.0-v1.0.0");
        let b = entry("b", "20240101T000000Z", "stx.10.0-v1.0.0");
        let base = snap(&[("x.yaml", &format!("images:\n{a}{b}"))]);
        let head = snap(&[
            ("y.yaml", &format!("# moved\nimages:\n{a}")),
            ("z.yaml", "images:\n# - name: template\n"),
        ]);
        assert_eq!(
            reference_requirement(&base, &head),
            Requirement::NotRequired
        );
    }

    #[test]
    fn a_broken_head_needs_a_reference() {
        let head = snap(&[("x.yaml", "images: [\n")]);
        assert!(reference_requirement(&Snapshot::empty("base"), &head).is_required());
    }
}
