//! What the manifests declare: for each canonical image name, its release tags and where they
//! stand; and, when the manifests' git history was read, the tags earlier revisions declared and
//! what replaced them.

use std::collections::HashMap;

use tagman_core::{ImageName, Manifest, SourceFile, Span};
use tagman_diag::diagnostic::Label;

/// One declared release tag.
#[derive(Clone, Debug)]
pub struct Declared {
    /// The release tag.
    pub tag: String,
    /// The build tag it is made from, if the entry gives one.
    pub src_build_tag: Option<String>,
    /// The manifest it is declared in.
    pub file: SourceFile,
    /// Where its `tag:` value stands.
    pub span: Span,
}

impl Declared {
    /// A label at the declaration.
    pub fn label(&self, note: &str) -> Label {
        Label::new(&self.file, self.span).with_note(note)
    }
}

/// A commit, as a finding shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The abbreviated commit id.
    pub commit: String,
    /// Its date, `YYYY-MM-DD`.
    pub date: String,
}

/// Where and how an earlier revision's tag left the manifests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Removal {
    /// The change that removed it (the commit a merge brought in, when it came by a merge).
    pub at: Stamp,
    /// The manifest it was removed from (repository-relative).
    pub file: String,
    /// The tags the same change declared for the image instead (none: it was removed).
    pub replaced_by: Vec<String>,
}

/// A (name, tag) an earlier revision of the manifests declared and today's do not: the tag was
/// created then, and exists, but is superseded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Superseded {
    /// The release tag.
    pub tag: String,
    /// The oldest commit that declared it.
    pub declared: Stamp,
    /// Where it left the manifests, when the first-parent history shows it.
    pub removed: Option<Removal>,
}

/// Every declared tag, by canonical image name.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    by_name: HashMap<String, Vec<Declared>>,
    manifests: usize,
    files: Vec<String>,
    history: HashMap<String, Vec<Superseded>>,
    revisions: usize,
}

impl Catalog {
    /// Collects the declarations of `manifests`, in manifest order.
    pub fn new(manifests: &[Manifest]) -> Self {
        let mut by_name: HashMap<String, Vec<Declared>> = HashMap::new();
        for manifest in manifests {
            for entry in &manifest.entries {
                let (Some(key), Some(tag)) = (entry.key(), entry.tag.as_ref()) else {
                    continue;
                };
                by_name.entry(key.0).or_default().push(Declared {
                    tag: key.1,
                    src_build_tag: entry.src_build_tag.as_ref().map(|t| t.value.clone()),
                    file: manifest.source.clone(),
                    span: tag.span,
                });
            }
        }
        Self {
            by_name,
            manifests: manifests.len(),
            files: manifests
                .iter()
                .map(|m| m.source.name().to_owned())
                .collect(),
            history: HashMap::new(),
            revisions: 0,
        }
    }

    /// How many manifests were read.
    pub fn manifests(&self) -> usize {
        self.manifests
    }

    /// The manifests read, as named (what `--manifests` repeats in a help command).
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Every tag declared for `name`, in manifest order.
    pub fn tags_for(&self, name: &ImageName) -> &[Declared] {
        self.by_name
            .get(&name.to_string())
            .map_or(&[], Vec::as_slice)
    }

    /// The declaration of `tag` for `name`, if any.
    pub fn find(&self, name: &ImageName, tag: &str) -> Option<&Declared> {
        self.tags_for(name).iter().find(|d| d.tag == tag)
    }

    /// The release tag a manifest makes from `build_tag` for `name`, if any (the last one wins).
    pub fn made_from(&self, name: &ImageName, build_tag: &str) -> Option<&Declared> {
        self.tags_for(name)
            .iter()
            .rev()
            .find(|d| d.src_build_tag.as_deref() == Some(build_tag))
    }

    /// The most recently declared tag for `name` (last in manifest order).
    pub fn latest(&self, name: &ImageName) -> Option<&Declared> {
        self.tags_for(name).last()
    }

    /// Every image name declared, canonical, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// Records what earlier revisions declared (canonical name, tag and its story), read from
    /// `revisions` commits; a tag today's manifests declare is not superseded and is dropped.
    pub fn set_history(
        &mut self,
        past: impl IntoIterator<Item = (String, Superseded)>,
        revisions: usize,
    ) {
        self.history.clear();
        for (name, superseded) in past {
            let current = self
                .by_name
                .get(&name)
                .is_some_and(|d| d.iter().any(|d| d.tag == superseded.tag));
            if !current {
                self.history.entry(name).or_default().push(superseded);
            }
        }
        self.revisions = revisions;
    }

    /// How many revisions of the manifests the history was read from (0: no history).
    pub fn revisions(&self) -> usize {
        self.revisions
    }

    /// The story of `tag` for `name`, when an earlier revision declared it and today's do not.
    pub fn superseded(&self, name: &ImageName, tag: &str) -> Option<&Superseded> {
        self.history
            .get(&name.to_string())?
            .iter()
            .find(|s| s.tag == tag)
    }

    /// The OS codenames (from `known`) that declared tags end in (`-bullseye`, `-trixie`), in
    /// `known`'s order: what `@OS_CODENAME@` stands for in this project's builds.
    pub fn codenames(&self, known: &[String]) -> Vec<String> {
        known
            .iter()
            .filter(|c| {
                let suffix = format!("-{c}");
                self.by_name
                    .values()
                    .flatten()
                    .any(|d| d.tag.ends_with(&suffix))
            })
            .cloned()
            .collect()
    }

    /// The declared tag `--bump` should move a reference at `tag` to: one ending in the same
    /// codename when there is one, else the latest.
    pub fn successor(&self, name: &ImageName, tag: &str, known: &[String]) -> Option<&Declared> {
        let codename = known.iter().find(|c| {
            tag.strip_suffix(c.as_str())
                .is_some_and(|t| t.ends_with('-'))
        });
        let tags = self.tags_for(name);
        codename
            .and_then(|c| {
                let suffix = format!("-{c}");
                tags.iter().rev().find(|d| d.tag.ends_with(&suffix))
            })
            .or_else(|| tags.last())
    }
}
