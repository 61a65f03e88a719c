//! Helm and FluxCD semantics: which references are a chart's defaults and which override them.
//!
//! A chart's `values.yaml` (a directory or archive member beside a `Chart.yaml`), and its
//! sub-charts' under `charts/`, hold **chart defaults**. FluxCD's `*-static-overrides.yaml` and a
//! HelmRelease's `spec.values` hold **overrides** for the chart the HelmRelease in the same
//! directory names (`spec.chart.spec.chart`; else the file name's prefix). What ships is the
//! default as overridden, so a default whose tag an override replaces with a fixed tag is not
//! reported: [`annotate`] says which references those are.
//!
//! This is data beside the extractor's references (a [`Role`] per file, an [`Origin`] per
//! reference), computed after the walk; the extractor itself knows nothing of Helm.

mod moved;
mod resolve;
pub mod values;

pub use moved::{BumpAs, Moved};
pub use resolve::place_resolved;

use std::collections::HashMap;
use std::sync::Arc;

use tagman_core::{SourceFile, Span};
use tagman_diag::diagnostic::Label;

use crate::extract::ImageRef;
use crate::walk::ScannedFile;
use values::Values;

/// Where a reference takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OriginKind {
    /// A chart's `values.yaml` or a sub-chart's.
    ChartDefault,
    /// A FluxCD static overrides file or a HelmRelease's `spec.values`.
    Override,
}

impl OriginKind {
    /// `chart-default` or `override`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChartDefault => "chart-default",
            Self::Override => "override",
        }
    }
}

/// A reference's origin and chart.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Origin {
    /// Default or override.
    pub kind: OriginKind,
    /// The chart (`ptp-notification`; a sub-chart as `parent/sub`).
    pub chart: String,
}

/// A file the Helm pass needs, picked up by the walk whether or not it references an image.
#[derive(Clone, Debug)]
pub enum HelmDoc {
    /// A `Chart.yaml`: its directory (a `!` path inside archives) and its `name:`.
    Chart {
        /// The chart's directory, as findings name paths.
        dir: String,
        /// The chart's name.
        name: String,
    },
    /// A `*-static-overrides.yaml`.
    Overrides(SourceFile),
    /// A file holding a FluxCD `HelmRelease`.
    Release(SourceFile),
}

/// The Helm document `text` is, judged by its file name (and `kind: HelmRelease`).
pub fn doc_for(name: &str, text: &str) -> Option<HelmDoc> {
    let (dir, base) = split_dir(name);
    if base == "Chart.yaml" {
        let chart = text.lines().find_map(|l| {
            let v = l.strip_prefix("name:")?.trim();
            let v = v
                .split(" #")
                .next()
                .unwrap_or(v)
                .trim()
                .trim_matches(['"', '\'']);
            (!v.is_empty()).then(|| v.to_owned())
        })?;
        return Some(HelmDoc::Chart {
            dir: dir.to_owned(),
            name: chart,
        });
    }
    let yaml = base.ends_with(".yaml") || base.ends_with(".yml");
    if base.ends_with("-static-overrides.yaml") {
        return Some(HelmDoc::Overrides(SourceFile::new(name, text)));
    }
    if yaml && text.contains("HelmRelease") && text.lines().any(|l| l.trim() == "kind: HelmRelease")
    {
        return Some(HelmDoc::Release(SourceFile::new(name, text)));
    }
    None
}

/// What a scanned file is to Helm.
#[derive(Clone, Debug)]
pub struct Role {
    /// Default or override.
    pub kind: OriginKind,
    /// The chart as shown (`parent/sub` for a sub-chart).
    pub chart: String,
    /// The chart a release installs (the top chart of a sub-chart).
    pub release_chart: String,
    /// Key path of the values within the release chart's values (a sub-chart's name).
    pub prefix: Vec<String>,
    /// The values' leaves (for a HelmRelease: those under `spec.values` only).
    pub values: Arc<Values>,
    /// Whether only references inside `values` have this origin (a HelmRelease's other keys do not).
    pub only_values: bool,
}

impl Role {
    /// The origin of a reference at byte `offset` of the file.
    pub fn origin_at(&self, offset: usize) -> Option<Origin> {
        if self.only_values && self.values.at(offset).is_none() {
            return None;
        }
        Some(Origin {
            kind: self.kind,
            chart: self.chart.clone(),
        })
    }
}

/// A chart default that an override replaces.
#[derive(Clone, Debug)]
pub struct Overridden {
    /// Index of the file in the walk's files.
    pub file: usize,
    /// Index of the reference in the file's `extracted.refs`.
    pub reference: usize,
    /// The chart.
    pub chart: String,
    /// The key the override sets (`image.tag`).
    pub key: String,
    /// Where the override sets it.
    pub by: Label,
    /// The value the override sets at `key`: the tag it ships, or (when it sets only the
    /// repository) the image.
    pub tag: String,
    /// The reference that ships when the override sets only the tag (`image.tag`): the default's
    /// image with the override's tag, written at the override (in the file `by` names). `None`
    /// when the override writes a whole reference, which the extractor reads where it stands.
    pub resolved: Option<ImageRef>,
    /// Where the resolved reference's tag is written when that is not at the override: the
    /// chart default's `tag:` (or a lower override's) that an override of only the repository
    /// leaves in place.
    pub tag_at: Option<Label>,
    /// Whether the override replaces the image (its `repository`), not only the tag: the
    /// resolved reference is then the override's image, which ships whether or not it is managed.
    pub moved: bool,
}

/// Gives each scanned file its Helm role and returns the chart defaults overrides replace.
pub fn annotate(files: &mut [ScannedFile], docs: &[HelmDoc]) -> Vec<Overridden> {
    let charts: HashMap<&str, &str> = docs
        .iter()
        .filter_map(|d| match d {
            HelmDoc::Chart { dir, name } => Some((dir.as_str(), name.as_str())),
            _ => None,
        })
        .collect();
    let overrides = Overrides::collect(docs);
    let mut out = Vec::new();
    for (index, file) in files.iter_mut().enumerate() {
        file.role = role_of(&file.source, &charts, &overrides);
        let Some(role) = &file.role else { continue };
        if role.kind != OriginKind::ChartDefault {
            continue;
        }
        for (r, reference) in file.extracted.refs.iter().enumerate() {
            if let Some(o) = overrides.replacing(role, &file.source, reference) {
                out.push(Overridden {
                    file: index,
                    reference: r,
                    chart: role.chart.clone(),
                    key: o.key,
                    by: o.by,
                    tag: o.tag,
                    resolved: o.resolved,
                    tag_at: o.tag_at,
                    moved: o.moved,
                });
            }
        }
    }
    out
}

/// The override leaves of every release chart, with the files they come from.
#[derive(Default)]
struct Overrides {
    by_chart: HashMap<String, Vec<(Arc<Values>, SourceFile)>>,
    /// Directory of a HelmRelease → the chart it installs.
    release_dirs: HashMap<String, String>,
    /// File name of a HelmRelease → its chart and `spec.values`.
    releases: HashMap<String, (String, Arc<Values>)>,
    /// File name of a static overrides file → its chart and values.
    statics: HashMap<String, (String, Arc<Values>)>,
}

struct Replacement {
    key: String,
    by: Label,
    tag: String,
    resolved: Option<ImageRef>,
    tag_at: Option<Label>,
    moved: bool,
}

impl Overrides {
    fn collect(docs: &[HelmDoc]) -> Self {
        let mut o = Self::default();
        for doc in docs {
            let HelmDoc::Release(source) = doc else {
                continue;
            };
            let all = Values::parse(source);
            let Some(chart) = all
                .string(&["spec", "chart", "spec", "chart"])
                .map(str::to_owned)
            else {
                continue;
            };
            let values = Arc::new(all.under(&["spec", "values"]));
            o.release_dirs
                .insert(split_dir(source.name()).0.to_owned(), chart.clone());
            o.by_chart
                .entry(chart.clone())
                .or_default()
                .push((Arc::clone(&values), source.clone()));
            o.releases.insert(source.name().to_owned(), (chart, values));
        }
        for doc in docs {
            let HelmDoc::Overrides(source) = doc else {
                continue;
            };
            let (dir, base) = split_dir(source.name());
            let chart = o
                .release_dirs
                .get(dir)
                .cloned()
                .unwrap_or_else(|| base.trim_end_matches("-static-overrides.yaml").to_owned());
            let values = Arc::new(Values::parse(source));
            o.by_chart
                .entry(chart.clone())
                .or_default()
                .push((Arc::clone(&values), source.clone()));
            o.statics.insert(source.name().to_owned(), (chart, values));
        }
        o
    }

    /// The override that replaces what `reference` (a chart default in `source`) ships, if any:
    /// the key holding its tag, or, for the split form, its `repository` key (the image moves;
    /// the tag stays the default's unless an override sets it too).
    fn replacing(
        &self,
        role: &Role,
        source: &SourceFile,
        reference: &ImageRef,
    ) -> Option<Replacement> {
        let overrides = self.by_chart.get(&role.release_chart)?;
        let (offset, tag_key) = match &reference.tag {
            Some(tag) if tag.split => (tag.span.offset, false),
            None if reference.repository_key => (reference.span.offset, true),
            _ => (reference.span.offset, false),
        };
        let mut key = role.key_at(offset)?;
        if tag_key {
            // `repository:` with no `tag:`: Helm charts take the tag from the sibling `tag` key.
            key.pop();
            key.push("tag".to_owned());
        }
        // A split-form key holds only the tag; a single token holds a whole reference.
        let only_tag = tag_key || reference.tag.as_ref().is_some_and(|t| t.split);
        let tag_set = first_set(overrides, &key);
        let tag_rank = tag_set.map(|(rank, ..)| rank);
        let moved = (only_tag && reference.repository_key)
            .then(|| repository_set(overrides, role, reference, &key, tag_rank))
            .flatten();
        let tag_set = tag_set.map(|(_, source, leaf)| (source, leaf));
        match moved {
            Some(((_, file, leaf), repository_key)) => {
                let repository = (file, leaf);
                let tag = resolve::TagSource::of(tag_set, source, reference)?;
                // One override writing both is a whole reference, named by its tag key.
                let whole = matches!(tag, resolve::TagSource::Override(f, _) if f.name() == repository.0.name());
                let key = if whole {
                    key.join(".")
                } else {
                    repository_key.join(".")
                };
                resolve::moved(reference, repository, tag).map(|r| Replacement { key, ..r })
            }
            None => {
                let (values, set) = tag_set?;
                let r = resolve::replacement(reference, values, set, only_tag)?;
                Some(Replacement {
                    key: key.join("."),
                    ..r
                })
            }
        }
    }
}

/// The highest override of a split-form default's `repository` key (with its rank and the full
/// key), when the image it names is judged there: it is set alone, or at least as high as the
/// override of the tag (`tag_key`, ranked `tag_rank`). A repository set with a tag of its own
/// under a higher tag override is a whole reference the extractor reads, and the higher tag a
/// tag-only override, judged where it is written.
type Set<'o> = (usize, &'o SourceFile, &'o values::Leaf);
fn repository_set<'o>(
    overrides: &'o [(Arc<Values>, SourceFile)],
    role: &Role,
    reference: &ImageRef,
    tag_key: &[String],
    tag_rank: Option<usize>,
) -> Option<(Set<'o>, Vec<String>)> {
    let key = role.key_at(reference.span.offset)?;
    let set = first_set(overrides, &key)?;
    let judged_here = match tag_rank {
        Some(tag_rank) if tag_rank < set.0 => overrides
            .get(set.0)
            .is_some_and(|(values, _)| values.get(tag_key).is_none()),
        _ => true,
    };
    judged_here.then_some((set, key))
}

/// The highest-precedence override (see [`Overrides::collect`]) that sets `key` to a value: the
/// one that ships, with its rank (0 is the highest). An empty value does not count (Helm keeps
/// the default's meaning).
fn first_set<'o>(overrides: &'o [(Arc<Values>, SourceFile)], key: &[String]) -> Option<Set<'o>> {
    overrides
        .iter()
        .enumerate()
        .find_map(|(rank, (values, source))| {
            let set = values.get(key)?;
            let value = set.value.as_deref()?;
            (!value.trim().is_empty()).then_some((rank, source, set))
        })
}

impl Role {
    /// The full key (within the release chart's values) of the leaf holding byte `offset`.
    fn key_at(&self, offset: usize) -> Option<Vec<String>> {
        let leaf = self.values.at(offset)?;
        let mut key = self.prefix.clone();
        key.extend(leaf.path.iter().cloned());
        Some(key)
    }
}

fn role_of(
    source: &SourceFile,
    charts: &HashMap<&str, &str>,
    overrides: &Overrides,
) -> Option<Role> {
    let name = source.name();
    // A HelmRelease's `spec.values` hold only values; a static-overrides file is values too.
    let release = overrides.releases.get(name).map(|found| (found, true));
    if let Some(((chart, values), only_values)) =
        release.or_else(|| overrides.statics.get(name).map(|found| (found, false)))
    {
        return Some(Role {
            kind: OriginKind::Override,
            chart: chart.clone(),
            release_chart: chart.clone(),
            prefix: Vec::new(),
            values: Arc::clone(values),
            only_values,
        });
    }
    let (dir, base) = split_dir(name);
    if base != "values.yaml" {
        return None;
    }
    let chain = chart_chain(dir, charts)?;
    let (top, subs) = chain.split_first()?;
    Some(Role {
        kind: OriginKind::ChartDefault,
        chart: chain.join("/"),
        release_chart: (*top).to_owned(),
        prefix: subs.iter().map(|s| (*s).to_owned()).collect(),
        values: Arc::new(Values::parse(source)),
        only_values: false,
    })
}

/// The names of the charts from the top chart down to the one in `dir`: a chart under another's
/// `charts/` (a directory, or an archive member `charts/x.tgz!x`) is its sub-chart.
fn chart_chain<'c>(dir: &str, charts: &HashMap<&str, &'c str>) -> Option<Vec<&'c str>> {
    let mut chain = vec![*charts.get(dir)?];
    let mut current = dir;
    for _ in 0..64 {
        let Some(at) = current.rfind("/charts/") else {
            break;
        };
        let parent = &current[..at];
        let Some(name) = charts.get(parent) else {
            break;
        };
        chain.push(name);
        current = parent;
    }
    chain.reverse();
    Some(chain)
}

/// `(directory, base name)` of a path that may hold `!` archive separators.
fn split_dir(name: &str) -> (&str, &str) {
    match name.rfind(['/', '!']) {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => ("", name),
    }
}

/// Where a reference's tag is shown by a label (its tag, or its name when it has none).
pub fn tag_span(reference: &ImageRef) -> Span {
    reference
        .tag
        .as_ref()
        .map_or(reference.name_span, |t| t.span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_are_known_by_name() {
        let chart = doc_for(
            "a.tgz!ptp/Chart.yaml",
            "apiVersion: v1\nname: ptp # x\nversion: 1\n",
        );
        assert!(
            matches!(chart, Some(HelmDoc::Chart { ref dir, ref name }) if dir == "a.tgz!ptp" && name == "ptp")
        );
        assert!(matches!(
            doc_for("f/ptp/ptp-static-overrides.yaml", "replicaCount: 1\n"),
            Some(HelmDoc::Overrides(_))
        ));
        assert!(matches!(
            doc_for(
                "f/ptp/helmrelease.yaml",
                "apiVersion: x\nkind: HelmRelease\n"
            ),
            Some(HelmDoc::Release(_))
        ));
        assert!(doc_for("f/values.yaml", "kind: Deployment\n").is_none());
    }

    #[test]
    fn sub_charts_chain_to_their_parents() {
        let charts: HashMap<&str, &str> = [
            ("p.deb!usr/lib/helm/ptp.tgz!ptp", "ptp"),
            (
                "p.deb!usr/lib/helm/ptp.tgz!ptp/charts/redis.tgz!redis",
                "redis",
            ),
            ("tree/ptp", "ptp"),
            ("tree/ptp/charts/redis", "redis"),
        ]
        .into_iter()
        .collect();
        assert_eq!(
            chart_chain(
                "p.deb!usr/lib/helm/ptp.tgz!ptp/charts/redis.tgz!redis",
                &charts
            ),
            Some(vec!["ptp", "redis"])
        );
        assert_eq!(
            chart_chain("tree/ptp/charts/redis", &charts),
            Some(vec!["ptp", "redis"])
        );
        assert_eq!(chart_chain("tree/other", &charts), None);
    }

    fn scanned(name: &str, text: &str) -> ScannedFile {
        let matcher = crate::Matcher::new(&["docker.io/starlingx/".to_owned()]).unwrap();
        ScannedFile {
            path: name.into(),
            relative: name.to_owned(),
            source: SourceFile::new(name, text),
            extracted: matcher.extract(text),
            in_archive: false,
            unmanaged: Vec::new(),
            role: None,
            chart: None,
        }
    }

    #[test]
    fn an_override_of_the_same_key_replaces_a_default() {
        // `c.image.repository` has no `tag:`: Helm takes the tag from the sibling `tag` key. (A
        // `repository:` outside an image key is a name, not a pull, so it has no default.)
        let values = "a:\n  image:\n    repository: docker.io/starlingx/a\n    tag: latest\nb:\n  image: docker.io/starlingx/b:latest\nc:\n  image:\n    repository: docker.io/starlingx/c\n";
        let chart = HelmDoc::Chart {
            dir: "t/ch".into(),
            name: "ch".into(),
        };
        for (overrides, expected) in [
            ("a:\n  image:\n    tag: stx.9.0-v1\n", vec!["a.image.tag"]),
            (
                "b:\n  image: docker.io/starlingx/b:stx.9.0-v1\n",
                vec!["b.image"],
            ),
            ("c:\n  image:\n    tag: stx.9.0-v1\n", vec!["c.image.tag"]),
            // A floating override replaces the default too: it is what ships, judged where it
            // is written.
            (
                "a:\n  image:\n    tag: master-latest\nb:\n  image: docker.io/starlingx/b\n",
                vec!["a.image.tag", "b.image"],
            ),
            // Another key, an empty tag (Helm keeps the default), another chart: nothing.
            ("a:\n  image:\n    pullPolicy: Always\n", vec![]),
            ("a:\n  image:\n    tag: \"\"\n", vec![]),
        ] {
            let mut files = vec![scanned("t/ch/values.yaml", values)];
            let docs = vec![
                chart.clone(),
                HelmDoc::Overrides(SourceFile::new("f/ch/ch-static-overrides.yaml", overrides)),
            ];
            let found: Vec<String> = annotate(&mut files, &docs)
                .into_iter()
                .map(|o| o.key)
                .collect();
            assert_eq!(found, expected, "{overrides}");
            assert_eq!(
                files[0].role.as_ref().map(|r| r.kind),
                Some(OriginKind::ChartDefault)
            );
            let other = vec![
                chart.clone(),
                HelmDoc::Overrides(SourceFile::new("f/x/x-static-overrides.yaml", overrides)),
            ];
            assert!(annotate(&mut files, &other).is_empty());
        }
    }

    #[test]
    fn a_tag_only_override_resolves_to_the_default_image_at_its_own_line() {
        let values = "p:\n  image:\n    repository: starlingx/p\n    tag: stx.9.0-v1\n";
        let overrides = "# c\np:\n  image:\n    tag: \"stx.13.0-v2.7.999\"\n";
        let mut files = vec![scanned("t/ch/values.yaml", values)];
        let docs = vec![
            HelmDoc::Chart {
                dir: "t/ch".into(),
                name: "ch".into(),
            },
            HelmDoc::Overrides(SourceFile::new("f/ch/ch-static-overrides.yaml", overrides)),
        ];
        let found = annotate(&mut files, &docs);
        let resolved = found[0].resolved.as_ref().map(|r| {
            let tag = r.tag.as_ref().map(|t| (t.text.as_str(), t.span));
            (r.name.to_string(), tag)
        });
        let at = overrides.find("stx.13").unwrap_or_default();
        assert_eq!(
            resolved,
            Some((
                "docker.io/starlingx/p".to_owned(),
                Some(("stx.13.0-v2.7.999", Span::new(at, 17)))
            ))
        );
    }
}
