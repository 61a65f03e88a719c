//! What the manifest rules look at: the parsed manifests, the files that did not parse, the
//! policy and "now", with the declarations the comparing rules share computed once.

use tagman_core::{Manifest, Policy};

use crate::load::Unparsed;

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
            declarations: std::sync::OnceLock::new(),
        }
    }

    /// Every entry of every manifest, in order, with the file it is in.
    pub fn entries(
        &self,
    ) -> impl Iterator<Item = (&'a tagman_core::SourceFile, &'a tagman_core::Entry)> + '_ {
        self.manifests
            .iter()
            .flat_map(|m| m.entries.iter().map(move |e| (&m.source, e)))
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
