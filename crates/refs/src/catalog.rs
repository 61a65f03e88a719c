//! What the manifests declare: for each canonical image name, its release tags and where they stand.

use std::collections::HashMap;

use tagman_core::{ImageName, Manifest, SourceFile, Span};
use tagman_lint::diagnostic::Label;

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

/// Every declared tag, by canonical image name.
#[derive(Clone, Debug, Default)]
pub struct Catalog {
    by_name: HashMap<String, Vec<Declared>>,
    manifests: usize,
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
        }
    }

    /// How many manifests were read.
    pub fn manifests(&self) -> usize {
        self.manifests
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
}
