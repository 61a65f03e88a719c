//! What the manifest rules look at: the parsed manifests, the files that did not parse, the
//! policy and "now", with the declarations the comparing rules share computed once, and, when
//! the run compares with a base revision, which entries the change brings.

pub use tagman_core::entry_diff::ChangedEntries;
use tagman_core::load::Unparsed;
use tagman_core::{Entry, Manifest, Policy, SourceFile};

/// Where one entry's (name, tag) was first declared, across all manifests in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Declaration {
    /// Index of the manifest holding the entry.
    pub manifest: usize,
    /// Index of the entry in that manifest.
    pub entry: usize,
    /// The (manifest, entry) that declared the same (name, tag) first, if another one did.
    pub first: Option<(usize, usize)>,
}

/// Everything the manifest rules look at.
#[derive(Debug)]
pub struct Context<'a> {
    /// Parsed manifests, in the order given.
    pub manifests: &'a [Manifest],
    /// Files that did not parse.
    pub unparsed: &'a [Unparsed],
    /// The policy in force.
    pub policy: &'a Policy,
    /// "Now" in Unix seconds, for timestamps in the future.
    pub now: i64,
    /// With a base revision, the entries the change adds or changes (`None`: every entry is
    /// new to the run).
    pub changed: Option<&'a ChangedEntries>,
    /// Computed on first use and shared by the rules that compare entries.
    declarations: std::sync::OnceLock<Vec<Declaration>>,
}

impl<'a> Context<'a> {
    /// The context for one lint run.
    pub fn new(
        manifests: &'a [Manifest],
        unparsed: &'a [Unparsed],
        policy: &'a Policy,
        now: i64,
    ) -> Self {
        Self {
            manifests,
            unparsed,
            policy,
            now,
            changed: None,
            declarations: std::sync::OnceLock::new(),
        }
    }

    /// The same context for a run that compares with a base revision, where `changed` are the
    /// entries the change adds or changes.
    #[must_use]
    pub fn comparing(mut self, changed: &'a ChangedEntries) -> Self {
        self.changed = Some(changed);
        self
    }

    /// Every entry of every manifest, in order, with the file it is in.
    pub fn entries(
        &self,
    ) -> impl Iterator<Item = (&'a tagman_core::SourceFile, &'a tagman_core::Entry)> + '_ {
        self.manifests
            .iter()
            .flat_map(|m| m.entries.iter().map(move |e| (&m.source, e)))
    }

    /// The entries the change adds or changes, with the file each is in: every entry when the
    /// run compares with no base revision.
    pub fn changed_entries(&self) -> impl Iterator<Item = (&'a SourceFile, &'a Entry)> + '_ {
        self.manifests
            .iter()
            .enumerate()
            .flat_map(move |(m, manifest)| {
                manifest
                    .entries
                    .iter()
                    .enumerate()
                    .filter(move |(e, _)| self.changed.is_none_or(|c| c.contains(m, *e)))
                    .map(move |(_, entry)| (&manifest.source, entry))
            })
    }

    /// For every entry with a usable (name, tag), where that pair was first declared.
    pub fn declarations(&self) -> &[Declaration] {
        self.declarations.get_or_init(|| {
            let mut first: std::collections::HashMap<(&str, &str), (usize, usize)> =
                std::collections::HashMap::new();
            let mut out = Vec::new();
            for (m, manifest) in self.manifests.iter().enumerate() {
                for (e, entry) in manifest.entries.iter().enumerate() {
                    let (Some(name), Some(tag)) = (entry.canonical_name(), entry.tag.as_ref())
                    else {
                        continue;
                    };
                    let earlier = first.get(&(name, tag.value.as_str())).copied();
                    if earlier.is_none() {
                        first.insert((name, tag.value.as_str()), (m, e));
                    }
                    out.push(Declaration {
                        manifest: m,
                        entry: e,
                        first: earlier,
                    });
                }
            }
            out
        })
    }
}
