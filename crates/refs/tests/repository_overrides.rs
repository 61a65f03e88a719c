//! Repository-only overrides (issue 19): a static override or a HelmRelease's `spec.values`
//! that sets only `…image.repository` moves the chart default to another image, whose tag is
//! still the default's `tag:`. What ships is judged at the override's line, the default is set
//! aside only then, and `--bump` edits the tag where it is written (the chart's values.yaml),
//! never the repository. The shape is StarlingX's ptp-notification-armada-app (the release
//! fixture): `notification.image` is `repository: starlingx/notificationservice-base-v2` with
//! `tag: stx.9.0-v2.7.0` at charts/ptp-notification/values.yaml:14-15.
//!
//! What still differs from Helm and FluxCD: only `repository` and `tag` are merged (a chart
//! that builds its image from `registry` + `repository` is read by the extractor as written);
//! system overrides and `valuesFrom` ConfigMaps are not in a source tree (see overrides.rs).

use std::path::Path;

use tagman_refs::bump::{self, BumpSpec, SkipReason};
use tagman_refs::{check, inventory, WalkOptions};

use crate::support;

const VALUES: &str = "charts/ptp-notification/values.yaml";
const OVERRIDES: &str = "fluxcd-manifests/ptp-notification/ptp-notification-static-overrides.yaml";
const RELEASE: &str = "fluxcd-manifests/ptp-notification/helmrelease.yaml";

/// The release fixture with `text` appended to its static overrides (lines 6 on).
fn app_with_override(text: &str) -> tempfile::TempDir {
    let app = support::release_app();
    let path = app.path().join(OVERRIDES);
    let mut old = std::fs::read_to_string(&path).unwrap();
    old.push_str(text);
    std::fs::write(path, old).unwrap();
    app
}

/// The release fixture with `text` (indented under `spec.values`) planted in its HelmRelease.
fn plant_in_release(root: &Path, text: &str) {
    let path = root.join(RELEASE);
    let old = std::fs::read_to_string(&path).unwrap();
    let planted = old.replace("  values:\n", &format!("  values:\n{text}"));
    assert_ne!(planted, old);
    std::fs::write(path, planted).unwrap();
}

const MOVED: &str =
    "notification:\n  image:\n    repository: docker.io/starlingx/locationservice-base\n";

/// Each finding as `file:line CODE message | secondary file:line…`, and the defaults set aside.
fn run(root: &Path) -> (Vec<String>, Vec<String>) {
    let (scan, catalog, policy) = support::scan(&[root.to_path_buf()], WalkOptions::default());
    let report = check(&scan, &policy, &catalog);
    let short = |name: &str| {
        name.trim_start_matches(&*root.to_string_lossy())
            .trim_start_matches('/')
            .to_owned()
    };
    let found = report
        .diagnostics
        .iter()
        .map(|d| {
            let f = &d.finding;
            let also: Vec<String> = f
                .secondary
                .iter()
                .filter(|l| !l.file.name().ends_with("image-tags.yaml"))
                .map(|l| format!("{}:{}", short(l.file.name()), l.start().line))
                .collect();
            let at = f.primary.start().line;
            let file = short(f.primary.file.name());
            format!(
                "{file}:{at} {} {} | {}",
                d.code(),
                f.message,
                also.join(" ")
            )
        })
        .collect();
    let aside = support::set_aside(&scan, short);
    (found, aside)
}

#[test]
fn a_repository_only_static_override_is_judged_at_its_line_with_the_default_tag() {
    let app = app_with_override(MOVED);
    let (found, aside) = run(app.path());
    // The image moves to locationservice-base, whose declared tag is stx.9.0-v2.3.0: the
    // default's stx.9.0-v2.7.0 ships with it, undeclared. Reported at the repository (line 8),
    // pointing at the tag in values.yaml; no "no tag" finding for the bare repository.
    assert_eq!(
        found,
        [
            format!("{VALUES}:17 TM201 `docker.io/starlingx/ptptracking` is referenced by the floating tag `master-debian-stable-latest` | "),
            format!("{OVERRIDES}:8 TM202 no manifest declares `stx.9.0-v2.7.0` for docker.io/starlingx/locationservice-base: this tag is never created | {VALUES}:15"),
        ]
    );
    assert!(
        aside.contains(&format!("notification.image.repository by {OVERRIDES}:8")),
        "{aside:?}"
    );
}

#[test]
fn a_repository_only_override_of_a_declared_pair_passes_and_sets_the_default_aside() {
    // The same image, written whole: its default tag is declared for it.
    let app = app_with_override(
        "notification:\n  image:\n    repository: \"docker.io/starlingx/notificationservice-base-v2\"\n",
    );
    let (found, aside) = run(app.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with(&format!("{VALUES}:17 TM201")));
    assert_eq!(aside.len(), 3, "{aside:?}");
}

#[test]
fn a_repository_only_helmrelease_value_is_judged_at_its_line() {
    let app = support::release_app();
    plant_in_release(
        app.path(),
        "    notification:\n      image:\n        repository: docker.io/starlingx/locationservice-base\n",
    );
    let (found, aside) = run(app.path());
    assert!(
        found.contains(&format!("{RELEASE}:17 TM202 no manifest declares `stx.9.0-v2.7.0` for docker.io/starlingx/locationservice-base: this tag is never created | {VALUES}:15")),
        "{found:?}"
    );
    assert!(
        aside.contains(&format!("notification.image.repository by {RELEASE}:17")),
        "{aside:?}"
    );
}

/// The repository from `spec.values`, the tag from the static overrides (FluxCD merges both):
/// one image, judged at the repository, its tag shown where the static override writes it.
#[test]
fn the_repository_and_the_tag_from_two_overrides_are_one_image() {
    let app = app_with_override("notification: {image: {tag: stx.9.0-v2.8.0}}\n");
    plant_in_release(
        app.path(),
        "    notification:\n      image:\n        repository: docker.io/starlingx/locationservice-base\n",
    );
    let (found, _) = run(app.path());
    assert!(
        found.contains(&format!("{RELEASE}:17 TM202 no manifest declares `stx.9.0-v2.8.0` for docker.io/starlingx/locationservice-base: this tag is never created | {OVERRIDES}:6")),
        "{found:?}"
    );
    // Nothing is reported at the static tag alone: it is part of the image judged above.
    assert!(!found.iter().any(|f| f.starts_with(OVERRIDES)), "{found:?}");
}

/// A repository moved outside the managed namespaces: the override's image is what ships. It is
/// not ours to judge, the managed default no longer ships (not judged), and the inventory lists
/// the override's image with the tag it ships with, at the override's line.
#[test]
fn a_repository_moved_to_another_registry_ships_the_other_image() {
    let app = app_with_override(
        "notification:\n  image:\n    repository: quay.io/example/notification\n",
    );
    let (found, aside) = run(app.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with(&format!("{VALUES}:17 TM201")));
    assert!(
        aside.contains(&format!("notification.image.repository by {OVERRIDES}:8")),
        "{aside:?}"
    );
    let (scan, catalog, policy) =
        support::scan(&[app.path().to_path_buf()], support::inventory_options());
    let inv = inventory::build(&scan, &catalog, &policy.codenames);
    let row = |name: &str| inv.images.iter().find(|r| r.name == name);
    let moved = row("quay.io/example/notification").expect("the override's image is a row");
    assert_eq!(moved.tag.as_deref(), Some("stx.9.0-v2.7.0"));
    assert!(!moved.managed);
    let at: Vec<(String, usize, Option<&str>)> = moved
        .locations
        .iter()
        .map(|l| {
            (
                l.file.rsplit('/').next().unwrap_or("").to_owned(),
                l.line,
                l.origin,
            )
        })
        .collect();
    assert_eq!(
        at,
        [(
            "ptp-notification-static-overrides.yaml".to_owned(),
            8,
            Some("override")
        )]
    );
    let default = row("docker.io/starlingx/notificationservice-base-v2").unwrap();
    assert!(
        default.locations.iter().all(|l| l.overridden),
        "{default:?}"
    );
    // Moved with a tag of its own, in one override: still the other image, never the default's
    // name with the override's tag.
    let app = app_with_override(
        "notification:\n  image:\n    repository: quay.io/example/notification\n    tag: \"1.0\"\n",
    );
    let (found, aside) = run(app.path());
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        aside.contains(&format!("notification.image.tag by {OVERRIDES}:9")),
        "{aside:?}"
    );
}

fn plan(root: &Path, spec: &str) -> bump::BumpPlan {
    let (scan, catalog, policy) = support::scan(&[root.to_path_buf()], WalkOptions::default());
    bump::plan(
        &scan,
        &BumpSpec::parse(spec).unwrap(),
        &catalog,
        &policy.codenames,
    )
    .unwrap()
}

/// `file:line` of each edit's changes, and the text each change writes.
fn edits(plan: &bump::BumpPlan) -> Vec<String> {
    let mut out = Vec::new();
    for edit in &plan.edits {
        let file = edit
            .label
            .rsplit_once("ptp-notification/")
            .map_or("", |(_, f)| f);
        for span in &edit.changes {
            let line = edit.before.position(span.offset).line;
            out.push(format!("{file}:{line}"));
        }
    }
    out
}

#[test]
fn bump_edits_a_moved_image_tag_in_the_chart_and_never_the_repository() {
    let app = app_with_override(MOVED);
    // locationservice-base ships twice: the location default (its own tag, line 10) and the
    // moved notification image, whose tag is values.yaml:15. The override's repository line is
    // not an edit; the static override's own location tag is already at the tag.
    let plan = plan(
        app.path(),
        "docker.io/starlingx/locationservice-base=stx.9.0-v2.3.0",
    );
    assert_eq!(edits(&plan), ["values.yaml:10", "values.yaml:15"]);
    assert!(plan.skipped.is_empty(), "{:?}", plan.skipped);
    let values = plan
        .edits
        .iter()
        .find(|e| e.label.ends_with("values.yaml"))
        .unwrap();
    let before = values.before.text();
    assert_eq!(
        values.after,
        before
            .replace("tag: master-debian-stable-latest", "tag: stx.9.0-v2.3.0")
            .replace("tag: stx.9.0-v2.7.0", "tag: stx.9.0-v2.3.0")
    );
    // The default's own name no longer ships here: its tag is the moved image's, left alone.
    let plan = self::plan(
        app.path(),
        "docker.io/starlingx/notificationservice-base-v2=stx.9.0-v2.8.0",
    );
    assert!(plan.edits.is_empty());
    let reasons: Vec<&SkipReason> = plan.skipped.iter().map(|s| &s.reason).collect();
    assert_eq!(
        reasons,
        [&SkipReason::RepositoryOverridden(
            "docker.io/starlingx/locationservice-base".to_owned()
        )]
    );
}

/// The tag from `spec.values` (merged last), the repository alone from the static overrides:
/// one image, judged at the repository with the HelmRelease's tag (whatever image it names).
/// (A static override writing repository and tag under a higher tag is planted.rs's first
/// form: the higher tag is judged where it is written.)
#[test]
fn a_higher_tag_override_goes_with_a_lower_repository_override() {
    let app = app_with_override(MOVED);
    plant_in_release(
        app.path(),
        "    notification:\n      image:\n        tag: stx.9.0-v2.8.0\n",
    );
    let (found, _) = run(app.path());
    assert!(
        found.contains(&format!("{OVERRIDES}:8 TM202 no manifest declares `stx.9.0-v2.8.0` for docker.io/starlingx/locationservice-base: this tag is never created | {RELEASE}:17")),
        "{found:?}"
    );
    assert!(!found.iter().any(|f| f.starts_with(RELEASE)), "{found:?}");
    let app = app_with_override(
        "notification:\n  image:\n    repository: docker.io/starlingx/notificationservice-base-v2\n",
    );
    plant_in_release(
        app.path(),
        "    notification:\n      image:\n        tag: stx.9.0-v2.7.999\n",
    );
    let (found, _) = run(app.path());
    assert!(
        found.contains(&format!("{OVERRIDES}:8 TM202 no manifest declares `stx.9.0-v2.7.999` for docker.io/starlingx/notificationservice-base-v2: this tag is never created | {RELEASE}:17")),
        "{found:?}"
    );
    assert_eq!(found.len(), 2, "{found:?}");
}

#[test]
fn bump_leaves_a_tag_written_in_another_override_file_and_says_so() {
    let app = app_with_override("notification: {image: {tag: stx.9.0-v2.8.0}}\n");
    plant_in_release(
        app.path(),
        "    notification:\n      image:\n        repository: docker.io/starlingx/locationservice-base\n",
    );
    let plan = plan(
        app.path(),
        "docker.io/starlingx/locationservice-base=stx.9.0-v2.3.0",
    );
    // Only the location default's own tag; the HelmRelease's repository is never edited.
    assert_eq!(edits(&plan), ["values.yaml:10"]);
    let skipped: Vec<(usize, &SkipReason)> = plan
        .skipped
        .iter()
        .map(|s| (s.label.start().line, &s.reason))
        .collect();
    assert_eq!(skipped, [(17, &SkipReason::TagElsewhere)]);
}
