//! The inventory (`tagman refs --inventory`): every image reference a scan found, managed or not,
//! one row per (image, tag or digest) with every place it is written and what it is there.
//!
//! Flags per row:
//! - `managed`: the image lies in a policy `managed_namespaces` entry;
//! - `declared`: a manifest declares the tag for the image (with `@OS_CODENAME@`, for every
//!   codename of the policy);
//! - `template`: a build template (package-build placeholders), listed but never declared;
//! - `superseded`: declared, but a manifest also declares a tag for the same image and OS codename
//!   made from a later build (`src_build_tag` timestamp), so a newer tag exists. Only the
//!   manifests as they stand are read today; when manifest history is read, a tag declared only
//!   in an earlier revision is superseded too.
//!
//! Rows are sorted managed first, then by name, tag and digest; locations by file, line and
//! column, so two inventories diff line by line.

mod block;
mod context;
mod dockerfile;
pub mod find;

use std::collections::BTreeMap;

use serde::Serialize;
use tagman_core::tag::parse_build_tag;
use tagman_core::ImageName;

use crate::catalog::Catalog;
use crate::extract::{Expansion, ImageRef, Role};
use crate::{Scan, ScannedFile};

/// Every image and where it is referenced.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// One per (image, tag, digest), sorted.
    pub images: Vec<Row>,
    /// Counts.
    pub summary: Summary,
}

/// One image at one tag or digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Row {
    /// Canonical name (`docker.io/starlingx/dex`).
    pub name: String,
    /// The tag as written (placeholders kept); `None` when only a digest or nothing is given.
    pub tag: Option<String>,
    /// The digest (`sha256:…`), if pinned.
    pub digest: Option<String>,
    /// In a managed namespace.
    pub managed: bool,
    /// Declared by a manifest.
    pub declared: bool,
    /// Declared, but a later build of the same image and codename is declared too.
    pub superseded: bool,
    /// A build template: its tag (or its registry) is made of package-build placeholders
    /// (`@PLATFORM_REGISTRY@/stx-x:@IMAGE_PREFIX@-…`), filled in when the package is built. Listed
    /// as StarlingX's `report-helm-image-tags.sh` lists them; never declared or superseded.
    pub template: bool,
    /// Every place it is written, sorted.
    pub locations: Vec<Location>,
}

/// One place an image is written.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Location {
    /// The file, a `!` path inside archives.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
    /// `chart-default` or `override` for Helm values; `None` elsewhere.
    pub origin: Option<&'static str>,
    /// The chart, for Helm values.
    pub chart: Option<String>,
    /// A chart default whose tag an override replaces (it does not ship as written).
    pub overridden: bool,
}

/// Counts over the rows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Rows.
    pub images: usize,
    /// Rows in a managed namespace.
    pub managed: usize,
    /// Managed rows a manifest declares.
    pub declared: usize,
    /// Managed rows no manifest declares.
    pub undeclared: usize,
    /// Declared rows a later build supersedes.
    pub superseded: usize,
    /// Rows outside the managed namespaces.
    pub unmanaged: usize,
    /// Build-template rows (managed, filled in by the package build).
    pub templates: usize,
    /// Locations over all rows.
    pub locations: usize,
    /// Files (and archive members) with at least one reference.
    pub files: usize,
}

type Key = (bool, String, Option<String>, Option<String>);

/// Builds the inventory of a scan made with `all_images`.
pub fn build(scan: &Scan, catalog: &Catalog, codenames: &[String]) -> Inventory {
    let mut rows: BTreeMap<Key, Row> = BTreeMap::new();
    let mut files = 0;
    for (index, file) in scan.walked.files.iter().enumerate() {
        // Only what something pulls is a reference of the release (not comments, docs, images
        // being built, build templates or names held in code).
        let managed = file
            .extracted
            .refs
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r.role, Role::Pull | Role::BuildTemplate))
            .map(|(i, r)| (Some(i), r, true));
        let unmanaged = file.unmanaged.iter().map(|r| (None, r, false));
        let mut any = false;
        for (ref_index, reference, is_managed) in managed.chain(unmanaged) {
            any = true;
            let tag = reference.tag.as_ref().map(|t| t.text.clone());
            let digest = reference
                .digest
                .map(|d| file.source.slice(d).trim_start_matches('@').to_owned());
            let name = reference.name.to_string();
            let key = (!is_managed, name.clone(), tag.clone(), digest.clone());
            let template = reference.role == Role::BuildTemplate;
            let row = rows.entry(key).or_insert_with(|| Row {
                template,
                name,
                tag,
                digest,
                managed: is_managed,
                ..Row::judged(reference, is_managed, template, catalog, codenames)
            });
            let overridden = ref_index.is_some_and(|i| {
                scan.overridden
                    .iter()
                    .any(|o| o.file == index && o.reference == i)
            });
            row.locations
                .push(Location::of(file, reference.span.offset, overridden));
        }
        files += usize::from(any);
    }
    let mut images: Vec<Row> = rows.into_values().collect();
    for row in &mut images {
        row.locations.sort();
        row.locations.dedup();
    }
    Inventory {
        summary: Summary::of(&images, files),
        images,
    }
}

impl Row {
    /// A row with what the manifests say of `reference` (declared, superseded), its other
    /// fields empty.
    fn judged(
        reference: &ImageRef,
        is_managed: bool,
        template: bool,
        catalog: &Catalog,
        codenames: &[String],
    ) -> Self {
        let declared = is_managed && !template && declared(reference, catalog, codenames);
        // Superseded: an earlier revision of the manifests declared it (history), or a
        // manifest also declares a later build of the same image and OS codename.
        let replaced = reference.tag.as_ref().is_some_and(|t| {
            catalog.superseded(&reference.name, &t.text).is_some()
                || (declared && superseded(&reference.name, &t.text, catalog, codenames))
        });
        Self {
            superseded: is_managed && !template && replaced,
            template,
            name: String::new(),
            tag: None,
            digest: None,
            managed: is_managed,
            declared,
            locations: Vec::new(),
        }
    }
}

impl Location {
    /// Where the reference at `offset` of `file` stands, with the Helm role it plays there.
    fn of(file: &ScannedFile, offset: usize, overridden: bool) -> Self {
        let position = file.source.position(offset);
        let origin = file.role.as_ref().and_then(|r| r.origin_at(offset));
        Self {
            file: file.source.name().to_owned(),
            line: position.line,
            column: position.column,
            origin: origin.as_ref().map(|o| o.kind.as_str()),
            chart: origin.map(|o| o.chart),
            overridden,
        }
    }
}

impl Summary {
    /// The counts of `images`, found in `files` files.
    fn of(images: &[Row], files: usize) -> Self {
        Self {
            images: images.len(),
            managed: images.iter().filter(|r| r.managed).count(),
            declared: images.iter().filter(|r| r.managed && r.declared).count(),
            undeclared: images
                .iter()
                .filter(|r| r.managed && !r.declared && !r.template)
                .count(),
            templates: images.iter().filter(|r| r.template).count(),
            superseded: images.iter().filter(|r| r.superseded).count(),
            unmanaged: images.iter().filter(|r| !r.managed).count(),
            locations: images.iter().map(|r| r.locations.len()).sum(),
            files,
        }
    }
}

/// Whether every tag the reference stands for is declared.
fn declared(reference: &ImageRef, catalog: &Catalog, codenames: &[String]) -> bool {
    let Some(tag) = &reference.tag else {
        return false;
    };
    match tag.expand(codenames) {
        Expansion::Literal(t) => catalog.find(&reference.name, &t).is_some(),
        Expansion::Codenames(ts) => {
            !ts.is_empty()
                && ts
                    .iter()
                    .all(|t| catalog.find(&reference.name, t).is_some())
        }
        Expansion::Opaque(_) => false,
    }
}

/// Whether a later build of the same image and codename is declared than the one `tag` is made from.
fn superseded(name: &ImageName, tag: &str, catalog: &Catalog, codenames: &[String]) -> bool {
    let codename = |t: &str| {
        codenames
            .iter()
            .find(|c| t.ends_with(&format!("-{c}")) || t.ends_with("-@OS_CODENAME@"))
            .cloned()
    };
    let built = |t: &str| {
        catalog
            .find(name, t)
            .and_then(|d| d.src_build_tag.as_deref())
            .and_then(|b| parse_build_tag(b).ok())
    };
    let mine = codename(tag);
    let probe = match &mine {
        Some(c) if tag.ends_with("-@OS_CODENAME@") => tag.replace("@OS_CODENAME@", c),
        _ => tag.to_owned(),
    };
    let Some(when) = built(&probe) else {
        return false;
    };
    catalog.tags_for(name).iter().any(|d| {
        codename(&d.tag) == mine
            && d.src_build_tag
                .as_deref()
                .and_then(|b| parse_build_tag(b).ok())
                .is_some_and(|other| other > when)
    })
}
