//! The refs rules (TM2xx): one file each, registered once in [`RULES`]. Every rule looks only
//! at the references something pulls ([`crate::extract::Role::Pull`]).

pub mod build_tag_reference;
pub mod floating_reference;
pub mod superseded_tag;
pub mod undeclared_tag;
pub mod unexpanded_placeholder;

use tagman_core::tag::{is_floating, parse_build_tag};
use tagman_core::{SourceFile, Span};
use tagman_diag::diagnostic::Label;
use tagman_diag::registry::{self, Rule};
use tagman_diag::Findings;

use crate::catalog::Catalog;
use crate::extract::{Expansion, Extracted, ImageRef, TagRef};
use crate::walk::Chart;

/// Everything a refs rule looks at for one file.
#[derive(Debug)]
pub struct FileContext<'a> {
    /// The file.
    pub source: &'a SourceFile,
    /// Its references.
    pub extracted: &'a Extracted,
    /// What the manifests declare (and earlier revisions declared).
    pub catalog: &'a Catalog,
    /// What `@OS_CODENAME@` expands over.
    pub codenames: &'a [String],
    /// The Helm chart beside the file, whose `appVersion` an empty `tag:` stands for.
    pub chart: Option<&'a Chart>,
    /// Where the tags of its [`ImageRef::tag_elsewhere`] references are written, by the
    /// reference's span (an override of only the repository keeps the chart default's tag).
    pub tags_elsewhere: &'a [(Span, Label)],
}

/// A reference's tag as the rules see it.
#[derive(Clone, Debug)]
pub enum Tag<'a> {
    /// No tag at all: the image's `latest`.
    Missing,
    /// A tag written in the file (inline or in a sibling key).
    Written(&'a TagRef),
    /// An empty Helm `tag:` resolved to the chart's `appVersion` (the tag, then a label at it).
    AppVersion(TagRef, Label),
    /// An empty `tag:` with no chart beside the file to resolve it.
    Unresolved(&'a TagRef),
    /// A tag written in another file (the label): the chart default's `tag:`, which an override
    /// of only the repository leaves in place. Judged at the reference (the override).
    Elsewhere(&'a TagRef, Label),
}

impl<'a> Tag<'a> {
    /// The tag to check, when there is one.
    pub fn checked(&self) -> Option<&TagRef> {
        match self {
            Self::Written(t) | Self::Elsewhere(t, _) => Some(t),
            Self::AppVersion(t, _) => Some(t),
            Self::Missing | Self::Unresolved(_) => None,
        }
    }

    /// Where the tag is written when that is not at the reference (the chart's `appVersion`,
    /// the chart default's `tag:`): a secondary label for findings.
    pub fn written_at(&self) -> Option<&Label> {
        match self {
            Self::AppVersion(_, label) | Self::Elsewhere(_, label) => Some(label),
            Self::Written(_) | Self::Missing | Self::Unresolved(_) => None,
        }
    }
}

impl FileContext<'_> {
    /// The references something pulls, each with its tag as checked.
    pub fn pulls(&self) -> impl Iterator<Item = (&ImageRef, Tag<'_>)> {
        self.extracted
            .pulls()
            .filter(|r| r.digest.is_none())
            .map(|r| (r, self.tag(r)))
    }

    /// A reference's tag, resolving an empty Helm `tag:` to the chart's `appVersion`.
    pub fn tag<'r>(&self, reference: &'r ImageRef) -> Tag<'r> {
        match &reference.tag {
            None => Tag::Missing,
            Some(t) if reference.tag_elsewhere => {
                match self
                    .tags_elsewhere
                    .iter()
                    .find(|(at, _)| *at == reference.span)
                {
                    Some((_, label)) => Tag::Elsewhere(t, label.clone()),
                    None => Tag::Written(t),
                }
            }
            Some(t) if !t.empty => Tag::Written(t),
            Some(t) => match self.chart.and_then(|c| c.app_version.map(|v| (c, v))) {
                Some((chart, span)) => Tag::AppVersion(
                    TagRef {
                        span: t.span,
                        text: chart.source.slice(span).to_owned(),
                        placeholders: Vec::new(),
                        split: true,
                        empty: false,
                    },
                    Label::new(&chart.source, span)
                        .with_note("the chart's appVersion, which an empty `tag:` stands for"),
                ),
                None => Tag::Unresolved(t),
            },
        }
    }

    /// The fixed tags a checked tag stands for (its `@OS_CODENAME@` expansions), leaving out
    /// floating tags, build tags and tags with other placeholders: what TM202 and TM205 check.
    pub fn release_tags(&self, tag: &TagRef) -> Vec<String> {
        if is_floating(&tag.text) {
            return Vec::new();
        }
        let candidates = match tag.expand(self.codenames) {
            Expansion::Literal(t) => vec![t],
            Expansion::Codenames(ts) => ts,
            Expansion::Opaque(_) => return Vec::new(),
        };
        candidates
            .into_iter()
            .filter(|t| parse_build_tag(t).is_err())
            .collect()
    }

    /// A label at `reference`'s tag, or at its name when it has none (or an empty one).
    pub fn tag_label(&self, reference: &ImageRef) -> Label {
        let span = reference
            .tag
            .as_ref()
            .filter(|t| t.span.len > 0)
            .map_or(reference.name_span, |t| t.span);
        Label::new(self.source, span)
    }

    /// The reference's text as written (without the split form's separate tag).
    pub fn text(&self, reference: &ImageRef) -> &str {
        self.source.slice(reference.span)
    }
}

/// A refs check: pushes findings for one file, never fails.
pub type Check = fn(&FileContext<'_>, &mut Findings);

/// Every refs rule with its check, in code order.
pub static RULES: &[(&Rule, Check)] = &[
    (&floating_reference::RULE, floating_reference::check),
    (&undeclared_tag::RULE, undeclared_tag::check),
    (&build_tag_reference::RULE, build_tag_reference::check),
    (&unexpanded_placeholder::RULE, unexpanded_placeholder::check),
    (&superseded_tag::RULE, superseded_tag::check),
];

/// Every refs rule's metadata, for the registry.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    registry::metadata(RULES)
}

/// `a`, `a and b`, `a, b and c`, each in backticks.
pub(crate) fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| format!("`{i}`")).collect();
    list_plain(&quoted)
}

/// `a`, `a and b`, `a, b and c`, as given.
pub(crate) fn list_plain(items: &[String]) -> String {
    match items.split_last() {
        None => String::new(),
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
    }
}

/// Runs one check over `text` (a YAML file) with the fixture manifest, for the rules' unit tests.
#[cfg(test)]
pub(crate) fn run_check(check: Check, text: &str) -> Vec<tagman_diag::Finding> {
    use tagman_core::{Limits, Manifest};

    const MANIFEST: &str = "images:
  - name: docker.io/starlingx/dex
    src_build_tag: master-centos-stable-20200204T162546Z.0
    src_ref: https://opendev.org/starlingx/oidc-auth-armada-app/commit/5d6701bdf214e77f460f2e3dd2b6f7d3186830c8
    tag: stx.4.0-v2.14.0-1
  - name: docker.io/starlingx/dex
    src_build_tag: master-debian-stable-20240227T070056Z.0
    src_ref: https://opendev.org/starlingx/oidc-auth-armada-app/commit/5d6701bdf214e77f460f2e3dd2b6f7d3186830c8
    tag: stx.9.0-v2.40.0-trixie
";
    let manifest = Manifest::parse(
        SourceFile::new("image-tags.yaml", MANIFEST),
        &Limits::default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut catalog = Catalog::new(&[manifest]);
    let stamp = |commit: &str, date: &str| crate::catalog::Stamp {
        commit: commit.to_owned(),
        date: date.to_owned(),
    };
    catalog.set_history(
        [(
            "docker.io/starlingx/dex".to_owned(),
            crate::catalog::Superseded {
                tag: "stx.9.0-v2.39.0-trixie".to_owned(),
                declared: stamp("1111111", "2024-01-02"),
                removed: Some(crate::catalog::Removal {
                    at: stamp("2222222", "2024-03-04"),
                    file: "image-tags.yaml".to_owned(),
                    replaced_by: vec!["stx.9.0-v2.40.0-trixie".to_owned()],
                }),
            },
        )],
        2,
    );
    let matcher =
        crate::Matcher::new(&["docker.io/starlingx/".to_owned()]).unwrap_or_else(|e| panic!("{e}"));
    let source = SourceFile::new("t.yaml", text);
    let extracted = matcher.extract_file("t.yaml", text);
    let codenames = ["trixie".to_owned()];
    let ctx = FileContext {
        source: &source,
        extracted: &extracted,
        catalog: &catalog,
        codenames: &codenames,
        chart: None,
        tags_elsewhere: &[],
    };
    let mut out = Findings::unlimited();
    check(&ctx, &mut out);
    out.into_vec()
}
