//! Tag-only overrides (issue 19): a static override or a HelmRelease's `spec.values` that sets
//! only `…image.tag` is what ships, so it is judged at its own line, resolved against the chart
//! default it overrides, and the default is set aside only then. The shape is StarlingX's
//! ptp-notification-armada-app (the release fixture); the planted tags are the issue's.
//!
//! What still differs from Helm and FluxCD: system overrides (`*-system-overrides.yaml`, made by
//! sysinv at apply time) are not in a source tree, so only static overrides and `spec.values`
//! are weighed; `valuesFrom` naming a ConfigMap is not read.

use std::path::Path;

use tagman_refs::{check, WalkOptions};

use crate::support;

const OVERRIDES: &str = "fluxcd-manifests/ptp-notification/ptp-notification-static-overrides.yaml";
const RELEASE: &str = "fluxcd-manifests/ptp-notification/helmrelease.yaml";

fn app() -> tempfile::TempDir {
    support::release_app()
}

fn append(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    let mut old = std::fs::read_to_string(&path).unwrap();
    old.push_str(text);
    std::fs::write(path, old).unwrap();
}

/// `file:line CODE` per finding, the chart defaults set aside, and the keys that set them aside.
fn run(root: &Path) -> (Vec<String>, Vec<String>) {
    let (scan, catalog, policy) = support::scan(&[root.to_path_buf()], WalkOptions::default());
    let report = check(&scan, &policy, &catalog);
    let found = support::findings_under(&report, root);
    let aside = support::set_aside(&scan, |name| {
        name.rsplit('/').next().unwrap_or("").to_owned()
    });
    (found, aside)
}

#[test]
fn the_fixture_as_it_is() {
    let app = app();
    let (found, aside) = run(app.path());
    // `tracking` floats and nothing overrides it; `location` and the redis exporter are
    // overridden with declared tags.
    assert_eq!(found, ["charts/ptp-notification/values.yaml:17 TM201"]);
    assert_eq!(
        aside,
        [
            "redis.exporter.image.tag by helmrelease.yaml:18",
            "location.image.tag by ptp-notification-static-overrides.yaml:5",
        ]
    );
}

#[test]
fn a_tag_only_static_override_is_judged_at_its_line() {
    let app = app();
    append(
        app.path(),
        OVERRIDES,
        "notification: {image: {tag: stx.9.0-v2.7.999}}\n",
    );
    let (found, aside) = run(app.path());
    assert_eq!(
        found,
        [
            "charts/ptp-notification/values.yaml:17 TM201".to_owned(),
            format!("{OVERRIDES}:6 TM202"),
        ]
    );
    assert!(
        aside.contains(
            &"notification.image.tag by ptp-notification-static-overrides.yaml:6".to_owned()
        ),
        "{aside:?}"
    );
    // A floating override is what ships too: reported where it is written.
    let app = self::app();
    append(
        app.path(),
        OVERRIDES,
        "notification:\n  image:\n    tag: latest\n",
    );
    let (found, _) = run(app.path());
    assert!(found.contains(&format!("{OVERRIDES}:8 TM201")), "{found:?}");
    // A declared tag passes, and the default it replaces is set aside.
    let app = self::app();
    append(
        app.path(),
        OVERRIDES,
        "notification: {image: {tag: \"stx.9.0-v2.8.0\"}}\n",
    );
    let (found, aside) = run(app.path());
    assert_eq!(found, ["charts/ptp-notification/values.yaml:17 TM201"]);
    assert_eq!(aside.len(), 3, "{aside:?}");
}

#[test]
fn a_tag_only_helmrelease_value_is_judged_at_its_line_and_wins_over_static_overrides() {
    let app = app();
    let release = app.path().join(RELEASE);
    let text = std::fs::read_to_string(&release).unwrap();
    let planted = text.replace(
        "  values:\n",
        "  values:\n    notification:\n      image:\n        tag: stx.9.0-v2.7.999\n",
    );
    assert_ne!(planted, text);
    std::fs::write(&release, planted).unwrap();
    let (found, _) = run(app.path());
    assert!(found.contains(&format!("{RELEASE}:17 TM202")), "{found:?}");
    // Both set the tag: `spec.values` is merged last (FluxCD), so only it ships.
    append(
        app.path(),
        OVERRIDES,
        "notification: {image: {tag: latest}}\n",
    );
    let (found, aside) = run(app.path());
    assert!(found.contains(&format!("{RELEASE}:17 TM202")), "{found:?}");
    assert!(!found.iter().any(|f| f.starts_with(OVERRIDES)), "{found:?}");
    assert!(
        aside.contains(&"notification.image.tag by helmrelease.yaml:17".to_owned()),
        "{aside:?}"
    );
}
