//! The tag manifest: a YAML file of `images:` entries, each value with its span.

use std::path::Path;

use crate::reference::{ImageName, NameError};
use crate::source::{SourceError, SourceFile};
use crate::span::{Span, Spanned};
use crate::yaml::{self, Limits, Node, NodeKind};

/// One `images:` entry. A field is `None` when it is missing or not a string; the schema check
/// reports why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where the entry starts (its first key).
    pub span: Span,
    /// Which `---` document it is in (0-based).
    pub document: usize,
    /// Its position in that document's `images:` list (0-based).
    pub index: usize,
    /// The repository, e.g. `docker.io/starlingx/k8s-cni-sriov`.
    pub name: Option<Spanned<String>>,
    /// The timestamped build tag the release tag is made from.
    pub src_build_tag: Option<Spanned<String>>,
    /// The source commit URL.
    pub src_ref: Option<Spanned<String>>,
    /// The release tag.
    pub tag: Option<Spanned<String>>,
    /// `name` parsed once, with its canonical spelling (`docker.io/…`) when valid.
    // Boxed: an entry without a name is common in a broken file and should cost 8 bytes here.
    image: Option<Box<Result<ImageName, NameError>>>,
}

impl Entry {
    /// A new entry; `name` is parsed here, once.
    pub fn new(
        span: Span,
        document: usize,
        index: usize,
        [name, src_build_tag, src_ref, tag]: [Option<Spanned<String>>; 4],
    ) -> Self {
        let image = name.as_ref().map(|n| Box::new(ImageName::parse(&n.value)));
        Self {
            span,
            document,
            index,
            name,
            src_build_tag,
            src_ref,
            tag,
            image,
        }
    }

    /// The parsed image name, when `name` is present (an error when it is not a valid name).
    pub fn image_name(&self) -> Option<Result<&ImageName, &NameError>> {
        self.image.as_deref().map(Result::as_ref)
    }

    /// The canonical name (`docker.io/starlingx/x` for every Hub spelling), when valid.
    pub fn canonical_name(&self) -> Option<&str> {
        match self.image.as_deref()? {
            Ok(image) => Some(image.as_str()),
            Err(_) => None,
        }
    }

    /// The identity of a published tag: canonical image name and tag, when both are usable.
    pub fn key(&self) -> Option<(String, String)> {
        let name = self.canonical_name()?;
        let tag = self.tag.as_ref()?;
        Some((name.to_owned(), tag.value.clone()))
    }

    /// The first span among the fields, or the entry's own.
    pub fn label_span(&self) -> Span {
        self.name.as_ref().map_or(self.span, |n| n.span)
    }
}

/// A parsed manifest file.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The file as read.
    pub source: SourceFile,
    /// Its YAML documents.
    pub documents: Vec<Node>,
    /// Every entry (a mapping of `images:` with at least one of the four fields as a string),
    /// in file order.
    pub entries: Vec<Entry>,
}

/// Why a manifest could not be parsed at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file could not be read as text.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The text is not acceptable YAML.
    #[error(transparent)]
    Yaml(#[from] yaml::NotYaml),
}

impl Manifest {
    /// Reads and parses `path` (`-` for standard input).
    pub fn read(path: &Path, limits: &Limits) -> Result<Self, ManifestError> {
        let source = SourceFile::read(path, limits.max_file_size)?;
        Self::parse(source, limits)
    }

    /// Parses a file already in memory.
    pub fn parse(source: SourceFile, limits: &Limits) -> Result<Self, ManifestError> {
        let (source, documents) = yaml::parse_file(source, limits)?;
        // Into one vector, document by document: collecting per-document vectors into another
        // held every entry twice at the peak.
        let mut entries = Vec::new();
        for (d, doc) in documents.iter().enumerate() {
            push_entries(d, doc, &mut entries);
        }
        entries.shrink_to_fit();
        Ok(Self {
            source,
            documents,
            entries,
        })
    }
}

fn push_entries(document: usize, doc: &Node, entries: &mut Vec<Entry>) {
    let Some(Node {
        kind: NodeKind::Seq(items),
        ..
    }) = doc.get("images")
    else {
        return;
    };
    let field = |item: &Node, key: &str| {
        item.get(key)
            .and_then(|v| v.as_str().map(|s| Spanned::new(s.to_owned(), v.span)))
    };
    // A mapping with none of the four fields (`- {}`) is nothing the naming rules can check
    // (the schema check reports what it lacks); keeping it out keeps a hostile file of them
    // from costing an entry each.
    entries.reserve(items.len());
    entries.extend(
        items
            .iter()
            .enumerate()
            .filter(|(_, item)| matches!(item.kind, NodeKind::Map(_)))
            .filter_map(|(index, item)| {
                let fields =
                    ["name", "src_build_tag", "src_ref", "tag"].map(|key| field(item, key));
                fields.iter().any(Option::is_some).then(|| {
                    Entry::new(
                        item.pairs().first().map_or(item.span, |(k, _)| k.span),
                        document,
                        index,
                        fields,
                    )
                })
            }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "images:
  - name: docker.io/starlingx/k8s-cni-sriov
    src_build_tag: master-centos-stable-20191203T153530Z.0
    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4
    tag: stx.4.0-v2.2
";

    #[test]
    fn entries_keep_spans() {
        let m = Manifest::parse(SourceFile::new("m.yaml", SEED), &Limits::default()).unwrap();
        assert_eq!(m.entries.len(), 1);
        let e = &m.entries[0];
        let tag = e.tag.as_ref().unwrap();
        assert_eq!(tag.value, "stx.4.0-v2.2");
        assert_eq!(m.source.slice(tag.span), "stx.4.0-v2.2");
        assert_eq!(m.source.position(tag.span.offset).line, 5);
        assert_eq!(
            e.key(),
            Some((
                "docker.io/starlingx/k8s-cni-sriov".into(),
                "stx.4.0-v2.2".into()
            ))
        );
    }

    #[test]
    fn commented_template_is_an_empty_manifest() {
        let text = "---\nimages:\n# - name: docker.io/starlingx/x\n#   tag: stx.9.0-v1.0.0\n";
        let m = Manifest::parse(SourceFile::new("m.yaml", text), &Limits::default()).unwrap();
        assert!(m.entries.is_empty());
        assert_eq!(m.documents.len(), 1);
    }

    #[test]
    fn non_string_values_are_absent_from_the_model() {
        let text = "images:\n  - name: a\n    tag: 1.10\n";
        let m = Manifest::parse(SourceFile::new("m.yaml", text), &Limits::default()).unwrap();
        assert_eq!(m.entries[0].tag, None);
    }
}
