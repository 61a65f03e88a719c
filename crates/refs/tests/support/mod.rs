//! The refs tests' scan helpers: the fixture application's manifest, a scan with the default
//! policy; the packages themselves are built by tagman-testkit's `packages`.
#![allow(dead_code)]

use std::path::PathBuf;

use tagman_core::{Limits, Manifest, Policy, SourceFile};
use tagman_refs::{Catalog, Scan, WalkOptions};
pub use tagman_testkit::packages::*;

/// The fixture manifest's catalog.
pub fn manifests() -> Vec<Manifest> {
    let path = release().join("image-tags.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    vec![Manifest::parse(
        SourceFile::new(path.to_string_lossy(), text),
        &Limits::default(),
    )
    .unwrap()]
}

/// Scans `paths` with the default policy and the fixture manifest.
pub fn scan(paths: &[PathBuf], options: WalkOptions) -> (Scan, Catalog, Policy) {
    let policy = Policy::defaults(std::env::temp_dir());
    let manifests = manifests();
    let scan = tagman_refs::scan(paths, &policy, &manifests, options).unwrap();
    (scan, Catalog::new(&manifests), policy)
}

/// Options for an inventory.
pub fn inventory_options() -> WalkOptions {
    WalkOptions {
        all_images: true,
        ..WalkOptions::default()
    }
}
