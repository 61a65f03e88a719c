//! End to end (issue 19): an override that sets only `…image.repository`. `tagman refs` reports
//! what ships at the override's line, pointing at the chart default's `tag:` it keeps, and
//! `--bump` of the image that ships edits that tag in the chart's values.yaml, never the
//! override's repository. The app is the release fixture (StarlingX's
//! ptp-notification-armada-app shape: `notification.image` at charts/ptp-notification/
//! values.yaml:14-15, `repository: starlingx/notificationservice-base-v2`, `tag: stx.9.0-v2.7.0`).

use std::path::Path;
use std::process::Output;

const VALUES: &str = "charts/ptp-notification/values.yaml";
const OVERRIDES: &str = "fluxcd-manifests/ptp-notification/ptp-notification-static-overrides.yaml";

/// The release fixture with a repository-only static override of `notification` at line 8.
fn app() -> tempfile::TempDir {
    let dir = tagman_testkit::tree::copy_to_temp(&tagman_testkit::packages::release());
    let path = dir.path().join(OVERRIDES);
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(
        "notification:\n  image:\n    repository: docker.io/starlingx/locationservice-base\n",
    );
    std::fs::write(path, text).unwrap();
    dir
}

fn refs(root: &Path, args: &[&str]) -> Output {
    crate::support::tagman_in(root)
        .args(["refs", "--no-history", "--manifests", "image-tags.yaml"])
        .args(args)
        .args(["charts", "fluxcd-manifests"])
        .output()
        .unwrap()
}

fn show(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// `file:line code` of every diagnostic of a JSON run.
fn findings(root: &Path) -> Vec<String> {
    let out = refs(root, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let diagnostics = json["diagnostics"].as_array().cloned().unwrap_or_default();
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "{}:{} {}",
                d["file"].as_str().unwrap_or(""),
                d["line"],
                d["code"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn a_repository_only_override_is_reported_at_its_line_and_bumped_in_the_chart() {
    let app = app();
    let root = app.path();
    assert_eq!(
        findings(root),
        [format!("{VALUES}:17 TM201"), format!("{OVERRIDES}:8 TM202")]
    );
    // The human output shows where the tag it ships with is written.
    let out = refs(root, &[]);
    let human = String::from_utf8_lossy(&out.stdout);
    assert!(
        human.contains(&format!("{OVERRIDES}:8:17")) && human.contains(&format!("{VALUES}:15:10")),
        "{human}"
    );
    assert!(
        human.contains("the override sets only the repository"),
        "{human}"
    );

    // Bumping the image that ships moves the chart's tag; the override is not touched.
    let overrides = std::fs::read(root.join(OVERRIDES)).unwrap();
    let values = std::fs::read_to_string(root.join(VALUES)).unwrap();
    let out = refs(
        root,
        &[
            "--bump",
            "docker.io/starlingx/locationservice-base=stx.9.0-v2.3.0",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(std::fs::read(root.join(OVERRIDES)).unwrap(), overrides);
    assert_eq!(
        std::fs::read_to_string(root.join(VALUES)).unwrap(),
        values
            .replace("tag: master-debian-stable-latest", "tag: stx.9.0-v2.3.0")
            .replace("tag: stx.9.0-v2.7.0", "tag: stx.9.0-v2.3.0")
    );
    // What ships is now declared: only the unrelated floating tracking image is left.
    assert_eq!(findings(root), [format!("{VALUES}:17 TM201")]);
}

#[test]
fn bumping_the_default_s_own_name_leaves_a_moved_tag_alone_and_says_why() {
    let app = app();
    let root = app.path();
    let before = tagman_testkit::tree::contents(root);
    let out = refs(
        root,
        &[
            "--bump",
            "docker.io/starlingx/notificationservice-base-v2=stx.9.0-v2.8.0",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("left alone: {VALUES}:14:17: an override replaces this repository, so this `tag:` is the tag of `docker.io/starlingx/locationservice-base`")),
        "{stderr}"
    );
    assert!(
        stderr.contains("moved 0 reference(s) in 0 file(s)"),
        "{stderr}"
    );
    assert_eq!(tagman_testkit::tree::contents(root), before);
}
