//! End-to-end tests of `tagman refs`: exit codes, formats, and `--bump` writing (or not) files.

use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

const TREE: &str = "../../fixtures/refs/tree";

fn tagman(dir: &Path) -> Command {
    crate::support::tagman_in(dir)
}

fn tree() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(TREE)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn show(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    )
}

/// A copy of the fixture tree (its files only, no hidden build state).
fn copy_tree() -> tempfile::TempDir {
    tagman_testkit::tree::copy_to_temp(&tree())
}

/// The fixture tree's manifest sits in tagman's own repository: scans of the tree in place leave
/// its history out, so they do not depend on how that file evolved (history has its own tests).
#[test]
fn findings_exit_1_with_human_output() {
    let out = tagman(&tree())
        .args(["refs", "--no-history"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stdout = text(&out.stdout);
    for code in ["TM201", "TM202", "TM203", "TM204"] {
        assert!(stdout.contains(code), "{code} missing:\n{stdout}");
    }
    assert!(
        stdout.contains(
            "tagman: 7 errors, 5 warnings in 17 files; not checked: 1 in build inputs (policy), 3 in documentation"
        ),
        "{stdout}"
    );
}

#[test]
fn json_format_has_the_lint_shape() {
    let out = tagman(&tree())
        .args(["refs", "--no-history", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["summary"]["errors"], 7);
    assert_eq!(json["summary"]["warnings"], 5);
    assert_eq!(json["summary"]["not_checked"]["in documentation"], 3);
    let first = &json["diagnostics"][0];
    assert_eq!(first["code"], "TM202");
    assert_eq!(first["file"], "ansible/vars.yml");
    assert_eq!(first["line"], 5);
}

#[test]
fn clean_tree_exits_0_and_warnings_fail_only_when_denied() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        tree().join("image-tags.yaml"),
        dir.path().join("image-tags.yaml"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("values.yaml"),
        "image: docker.io/starlingx/dex:stx.9.0-v2.40.0\n",
    )
    .unwrap();
    let out = tagman(dir.path()).arg("refs").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(text(&out.stdout).contains("0 errors, 0 warnings"));

    std::fs::write(
        dir.path().join("pod.yaml"),
        "image: docker.io/starlingx/dex:master-centos-stable-20200204T162546Z.0\n",
    )
    .unwrap();
    let out = tagman(dir.path()).arg("refs").output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(
        text(&out.stdout).contains("stx.4.0-v2.14.0-1"),
        "{}",
        show(&out)
    );
    let out = tagman(dir.path())
        .args(["refs", "--deny-warnings"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
}

#[test]
fn bump_dry_run_prints_the_diff_and_writes_nothing() {
    let dir = copy_tree();
    let before = std::fs::read(dir.path().join("helm/values.yaml")).unwrap();
    let out = tagman(dir.path())
        .args([
            "refs",
            "--bump",
            "docker.io/starlingx/dex=stx.9.0-v2.40.0",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("--- a/helm/values.yaml\n+++ b/helm/values.yaml\n"),
        "{stdout}"
    );
    assert!(stdout.contains("-    dex: docker.io/starlingx/dex:stx.4.0-v2.14.0-1\n+    dex: docker.io/starlingx/dex:stx.9.0-v2.40.0\n"));
    assert!(
        text(&out.stderr).contains("would move 5 reference(s) in 4 file(s)"),
        "{}",
        show(&out)
    );
    assert_eq!(
        std::fs::read(dir.path().join("helm/values.yaml")).unwrap(),
        before
    );
}

#[test]
fn bump_writes_and_the_references_are_then_clean() {
    let dir = copy_tree();
    let out = tagman(dir.path())
        .args([
            "refs",
            "--bump",
            "docker.io/starlingx/dex=stx.9.0-v2.40.0",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let after = std::fs::read_to_string(dir.path().join("k8s/pod.yaml")).unwrap();
    assert!(after.contains("image: docker.io/starlingx/dex:stx.9.0-v2.40.0\n"));
    let out = tagman(dir.path())
        .args(["refs", "--format", "json"])
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let dex_errors = json["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| {
            d["severity"] == "error" && d["message"].as_str().unwrap().contains("starlingx/dex")
        })
        .count();
    assert_eq!(dex_errors, 0, "{json:#}");
}

#[test]
fn bump_refuses_an_undeclared_tag_with_exit_2() {
    let dir = copy_tree();
    let out = tagman(dir.path())
        .args(["refs", "--bump", "docker.io/starlingx/dex=stx.10.0-v9.9.9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("no manifest declares `stx.10.0-v9.9.9`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("stx.4.0-v2.14.0-1, stx.9.0-v2.40.0"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn usage_and_io_errors_exit_2() {
    let cases: [&[&str]; 3] = [
        &["refs", "--bump", "docker.io/starlingx/dex"],
        &["refs", "no/such/dir"],
        &["refs", "--dry-run"],
    ];
    for args in cases {
        let out = tagman(&tree()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", show(&out));
    }
    // No manifest anywhere: nothing to check tags against.
    let empty = tempfile::tempdir().unwrap();
    let out = tagman(empty.path()).arg("refs").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

#[test]
fn bump_of_an_unreferenced_image_exits_1() {
    let out = tagman(&tree())
        .args([
            "refs",
            "--bump",
            "docker.io/starlingx/dex=stx.9.0-v2.40.0",
            "--dry-run",
            "helm/templates",
        ])
        .output()
        .unwrap();
    // The template's only dex reference is templated: found, left alone, nothing to move.
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let out = tagman(&tree())
        .args([
            "refs",
            "--bump",
            "docker.io/starlingx/dex=stx.9.0-v2.40.0",
            "--dry-run",
            "platform",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(text(&out.stderr).contains("no reference to docker.io/starlingx/dex"));
}

#[test]
fn human_output_snapshot() {
    let out = tagman(&tree())
        .args([
            "refs",
            "--no-history",
            "--manifests",
            "image-tags.yaml",
            "helm",
            "k8s",
            "jinja",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    insta::assert_snapshot!("refs_human", text(&out.stdout));
}

/// Regression (issue 12): the old bump wrote to the fixed temp name `.<file>.tagman-bump`
/// following symlinks, so a link planted there made it overwrite a file outside the tree.
#[cfg(unix)]
#[test]
fn bump_cannot_be_redirected_by_a_symlink_planted_at_a_temp_name() {
    use std::os::unix::fs::{symlink, PermissionsExt as _};
    let dir = copy_tree();
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "precious\n").unwrap();
    let pod = dir.path().join("k8s/pod.yaml");
    std::fs::set_permissions(&pod, std::fs::Permissions::from_mode(0o640)).unwrap();
    let mut planted = vec![dir.path().join("k8s/.pod.yaml.tagman-bump")];
    planted.extend((0..50).map(|i| dir.path().join(format!("k8s/.tagman-{i:06}.tmp"))));
    for link in &planted {
        symlink(&victim, link).unwrap();
    }
    let out = tagman(dir.path())
        .args(["refs", "--bump", "docker.io/starlingx/dex=stx.9.0-v2.40.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    let meta = std::fs::symlink_metadata(&pod).unwrap();
    assert!(meta.is_file(), "pod.yaml is still a regular file");
    assert_eq!(meta.permissions().mode() & 0o7777, 0o640, "mode kept");
    let after = std::fs::read_to_string(&pod).unwrap();
    assert!(after.contains("image: docker.io/starlingx/dex:stx.9.0-v2.40.0\n"));
    assert!(planted
        .iter()
        .all(|l| std::fs::symlink_metadata(l).unwrap().is_symlink()));
}

/// Regression (issue 12): a named file that is a symlink was replaced by an edited copy, and
/// its target kept the old tag.
#[cfg(unix)]
#[test]
fn bump_edits_a_symlinked_file_at_its_target_and_refuses_one_outside_the_tree() {
    use std::os::unix::fs::symlink;
    let dir = copy_tree();
    let bump = ["refs", "--bump", "docker.io/starlingx/dex=stx.9.0-v2.40.0"];
    let new_tag = "image: docker.io/starlingx/dex:stx.9.0-v2.40.0\n";
    // Inside the tree: the link stays a link, the file it points at is bumped.
    symlink("pod.yaml", dir.path().join("k8s/link.yaml")).unwrap();
    let out = tagman(dir.path())
        .args(bump)
        .arg("k8s/link.yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let link = dir.path().join("k8s/link.yaml");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let pod = std::fs::read_to_string(dir.path().join("k8s/pod.yaml")).unwrap();
    assert!(pod.contains(new_tag), "{pod}");

    // Outside the scanned tree: refused with both paths named, nothing written, unless asked.
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("elsewhere.yaml");
    std::fs::copy(tree().join("k8s/pod.yaml"), &target).unwrap();
    symlink(&target, dir.path().join("k8s/out.yaml")).unwrap();
    let out = tagman(dir.path())
        .args(bump)
        .arg("k8s/out.yaml")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let stderr = text(&out.stderr).replace(['\n', '│'], " ");
    let canonical = target.canonicalize().unwrap();
    assert!(stderr.contains("k8s/out.yaml"), "{stderr}");
    assert!(stderr.contains("outside the scanned tree"), "{stderr}");
    assert!(
        stderr
            .split_whitespace()
            .collect::<String>()
            .contains(&canonical.display().to_string()),
        "{stderr}"
    );
    assert!(!std::fs::read_to_string(&target).unwrap().contains(new_tag));
    let out = tagman(dir.path())
        .args(bump)
        .args(["--follow-symlinks", "k8s/out.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(std::fs::read_to_string(&target).unwrap().contains(new_tag));
    assert!(std::fs::symlink_metadata(dir.path().join("k8s/out.yaml"))
        .unwrap()
        .is_symlink());
}

// ---- what a build ships -------------------------------------------------------------------------

use tagman_testkit::packages;

/// The fixture manifest, and a package four archives deep built from the fixture application.
fn shipped() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let work = tempfile::tempdir().unwrap();
    let deb = packages::app_deb(work.path());
    let manifest = packages::release().join("image-tags.yaml");
    (work, deb, manifest)
}

const MEMBER: &str = "!usr/local/share/applications/helm/ptp-notification-1.0-1.tgz!charts/ptp-notification-2.2.0.tgz!ptp-notification/values.yaml";

#[test]
fn findings_inside_a_package_in_every_format() {
    let (work, deb, manifest) = shipped();
    let name = deb.file_name().unwrap().to_string_lossy().into_owned();
    let refs = |format: &str| {
        let out = tagman(work.path())
            .args(["refs", "--format", format, "--manifests"])
            .arg(&manifest)
            .arg(&name)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{format}: {}", show(&out));
        text(&out.stdout)
    };
    // Human: the snippet is the member's line.
    let human = refs("human");
    assert!(human.contains(&format!("{name}{MEMBER}:17:42")), "{human}");
    assert!(human.contains("tracking:"), "{human}");
    assert!(human.contains("tagman: 1 error, 0 warnings in"), "{human}");
    let json: serde_json::Value = serde_json::from_str(&refs("json")).unwrap();
    assert_eq!(json["diagnostics"][0]["file"], format!("{name}{MEMBER}"));
    assert_eq!(json["diagnostics"][0]["line"], 17);
    let github = refs("github");
    assert!(
        github.contains(&format!("file={name}{MEMBER},line=17,col=42")),
        "{github}"
    );
    let zuul: serde_json::Value = serde_json::from_str(&refs("zuul")).unwrap();
    assert!(
        zuul["zuul"]["file_comments"][format!("{name}{MEMBER}")].is_array(),
        "{zuul}"
    );
    // SARIF: the package is the artifact, the member a property.
    let sarif: serde_json::Value = serde_json::from_str(&refs("sarif")).unwrap();
    let phys = &sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(phys["artifactLocation"]["uri"], name);
    assert_eq!(
        phys["properties"]["archiveMember"],
        MEMBER.trim_start_matches('!')
    );
    assert_eq!(phys["region"]["startLine"], 17);
}

#[test]
fn verbose_output_says_which_defaults_overrides_replace() {
    let (work, deb, manifest) = shipped();
    let out = tagman(work.path())
        .args(["refs", "-v", "--manifests"])
        .arg(&manifest)
        .arg(&deb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("chart default `docker.io/starlingx/locationservice-base` of chart ptp-notification is overridden by")
            && stderr.contains("ptp-notification-static-overrides.yaml:5:10 (`location.image.tag: stx.9.0-v2.3.0`)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("of chart ptp-notification/redis is overridden by"),
        "{stderr}"
    );
    assert!(
        stderr.contains("read 1 archive(s) holding 3 more nested archive(s)"),
        "{stderr}"
    );
}

/// `--bump` rewrites the tag half of a split pair and the tag token of a reference, byte for
/// byte (CRLF, quotes, comments, a missing final newline kept), and leaves a bare name in code
/// and a comment alone, saying why.
#[test]
fn bump_is_byte_exact_on_split_pairs_and_tags_and_leaves_names_in_code_alone() {
    let dir = tempfile::tempdir().unwrap();
    let entry = |tag: &str| {
        format!("  - name: docker.io/starlingx/stx-debian-tools-dev\n    src_build_tag: master-debian-stable-20240227T070056Z.0\n    src_ref: https://opendev.org/starlingx/root/commit/5d6701bdf214e77f460f2e3dd2b6f7d3186830c8\n    tag: {tag}\n")
    };
    let files = [
        (
            "image-tags.yaml",
            format!("images:\n{}{}", entry("stx.10.0-v1.0.0"), entry("stx.10.0-v1.0.1")),
        ),
        (
            "dsa_pod.py",
            "def pod():\r\n    image_name = \"starlingx/stx-debian-tools-dev\"\r\n    image_tag = \"stx.10.0-v1.0.0\"  # pinned\r\n    return image_name\r\n".to_owned(),
        ),
        (
            "values.yaml",
            "image:\n  tag: 'stx.10.0-v1.0.0'\n  repository: docker.io/starlingx/stx-debian-tools-dev\n".to_owned(),
        ),
        (
            "pod.yaml",
            "image: registry.local:9001/docker.io/starlingx/stx-debian-tools-dev:stx.10.0-v1.0.0".to_owned(),
        ),
        (
            "images.py",
            "# docker.io/starlingx/stx-debian-tools-dev:stx.10.0-v1.0.0 was the first\nTOOLS_IMAGE = \"docker.io/starlingx/stx-debian-tools-dev\"\n".to_owned(),
        ),
    ];
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let out = tagman(dir.path())
        .args(["refs", "--bump", "stx-debian-tools-dev=stx.10.0-v1.0.1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    for (name, text) in &files {
        let now = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let expected = match *name {
            "dsa_pod.py" | "values.yaml" | "pod.yaml" => {
                text.replace("stx.10.0-v1.0.0", "stx.10.0-v1.0.1")
            }
            _ => text.clone(),
        };
        assert_eq!(now, expected, "{name}");
    }
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("left alone: images.py:1:3: in a comment"),
        "{stderr}"
    );
    assert!(
        stderr.contains("left alone: images.py:2:16: a name without a tag"),
        "{stderr}"
    );
    assert!(
        stderr.contains("moved 3 reference(s) in 3 file(s) to docker.io/starlingx/stx-debian-tools-dev:stx.10.0-v1.0.1"),
        "{stderr}"
    );
}

/// An archive in the tree that does not reference the image is no reason to refuse a bump
/// (found on starlingx/test, whose tree holds an application tarball).
#[test]
fn bump_is_not_refused_by_an_archive_that_does_not_reference_the_image() {
    let (_work, deb, _) = shipped();
    let dir = copy_tree();
    std::fs::copy(&deb, dir.path().join("app.deb")).unwrap();
    let before = std::fs::read(dir.path().join("app.deb")).unwrap();
    let out = tagman(dir.path())
        .args(["refs", "--bump", "docker.io/starlingx/dex=stx.9.0-v2.40.0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(std::fs::read(dir.path().join("app.deb")).unwrap(), before);
}

#[test]
fn bump_refuses_archives_and_budgets_end_the_run() {
    let (work, deb, manifest) = shipped();
    let out = tagman(work.path())
        .args([
            "refs",
            "--bump",
            "docker.io/starlingx/ptptracking=stx.9.0-v1",
            "--manifests",
        ])
        .arg(&manifest)
        .arg(&deb)
        .output()
        .unwrap();
    // The tag is undeclared too; the archive must be refused whatever the tag.
    let out = if out.status.code() == Some(2) && text(&out.stderr).contains("no manifest declares")
    {
        tagman(work.path())
            .args([
                "refs",
                "--bump",
                "docker.io/starlingx/locationservice-base=stx.9.0-v2.3.0",
                "--manifests",
            ])
            .arg(&manifest)
            .arg(&deb)
            .output()
            .unwrap()
    } else {
        out
    };
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    // miette wraps long messages: compare the words.
    let stderr = text(&out.stderr)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        stderr.contains("is inside an archive") && stderr.contains("rebuild the package instead"),
        "{stderr}"
    );

    let out = tagman(work.path())
        .args(["refs", "--archive-max-depth", "2", "--manifests"])
        .arg(&manifest)
        .arg(&deb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("ptp-notification-2.2.0.tgz: archives nested more than 2 deep")
            && stderr.contains("--archive-max-depth"),
        "{stderr}"
    );
}

#[test]
fn inventory_in_every_format() {
    let (work, deb, manifest) = shipped();
    let inventory = |format: &str| {
        let out = tagman(work.path())
            .args(["refs", "--inventory", "--format", format, "--manifests"])
            .arg(&manifest)
            .arg(&deb)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{format}: {}", show(&out));
        text(&out.stdout)
    };
    let json: serde_json::Value = serde_json::from_str(&inventory("json")).unwrap();
    let images = json["images"].as_array().unwrap();
    // 8, and the HelmRelease's tag-only override of the redis exporter, which is what ships.
    assert_eq!(images.len(), 9);
    assert_eq!(json["summary"]["managed"], 6);
    assert_eq!(json["summary"]["undeclared"], 3);
    assert_eq!(json["summary"]["superseded"], 1);
    let first = &images[0];
    for key in [
        "name",
        "tag",
        "digest",
        "managed",
        "declared",
        "superseded",
        "locations",
    ] {
        assert!(first.get(key).is_some(), "{key}: {first}");
    }
    let location = &first["locations"][0];
    for key in ["file", "line", "column", "origin", "chart"] {
        assert!(location.get(key).is_some(), "{key}: {location}");
    }
    assert_eq!(location["origin"], "chart-default");
    assert!(
        location["file"].as_str().unwrap().ends_with(MEMBER),
        "{location}"
    );

    let human = inventory("human");
    assert!(human.starts_with("Managed images (6)\nIMAGE"), "{human}");
    assert!(human.contains("\nOther images (3)\n"), "{human}");
    assert!(human.contains("UNDECLARED"), "{human}");
    assert!(human.trim_end().ends_with("in 4 file(s)"), "{human}");
    let csv = inventory("csv");
    assert_eq!(csv.lines().count(), 1 + 9, "{csv}");
    assert!(csv.starts_with(
        "name,tag,digest,managed,declared,superseded,file,line,column,origin,chart,overridden,template\n"
    ));
    let md = inventory("markdown");
    assert!(md.starts_with("| Image | Tag |"), "{md}");
    assert_eq!(
        md.lines().filter(|l| l.starts_with("| `")).count(),
        9,
        "{md}"
    );
    // Stable: the same inventory twice is the same bytes.
    assert_eq!(inventory("csv"), csv);

    for (args, needle) in [
        (vec!["refs", "--format", "csv"], "inventory formats"),
        (
            vec!["refs", "--inventory", "--format", "sarif"],
            "findings formats",
        ),
    ] {
        let out = tagman(work.path()).args(&args).arg(&deb).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", show(&out));
        assert!(text(&out.stderr).contains(needle), "{}", show(&out));
    }
}

/// An installer ISO holding the package is read like the package, one nesting level deeper;
/// a cut image is a warning naming it.
#[test]
fn an_iso_is_read_like_the_package_on_it() {
    let work = tempfile::tempdir().unwrap();
    let tree = packages::iso_tree(work.path());
    packages::iso(&tree, &work.path().join("release.iso"), &["-R", "-J"]);
    let manifest = packages::release().join("image-tags.yaml");
    let on_iso = format!("release.iso!{}{MEMBER}", packages::POOL_DEB);
    let refs = |dir: &Path, args: &[&str], path: &str| {
        tagman(dir)
            .arg("refs")
            .args(args)
            .arg("--manifests")
            .arg(&manifest)
            .arg(path)
            .output()
            .unwrap()
    };

    let out = refs(work.path(), &[], "release.iso");
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    let human = text(&out.stdout);
    assert!(human.contains(&format!("{on_iso}:17:42")), "{human}");
    assert!(human.contains("tracking:"), "{human}");
    let out = refs(work.path(), &["--format", "json"], "release.iso");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["diagnostics"][0]["file"], on_iso, "{json}");
    assert_eq!(json["diagnostics"][0]["line"], 17);

    // The inventory of the ISO is the package's, its locations one `!` further in.
    let out = refs(
        work.path(),
        &["--inventory", "--format", "csv"],
        "release.iso",
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let from_iso = text(&out.stdout);
    assert_eq!(from_iso.lines().count(), 1 + 9, "{from_iso}");
    let pool = tree.join(packages::POOL_DEB);
    let deb_name = pool.file_name().unwrap().to_str().unwrap();
    let out = refs(
        pool.parent().unwrap(),
        &["--inventory", "--format", "csv"],
        deb_name,
    );
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let pool_dir = packages::POOL_DEB.trim_end_matches(deb_name);
    assert_eq!(
        from_iso.replace(&format!("release.iso!{pool_dir}"), ""),
        text(&out.stdout)
    );

    let out = refs(work.path(), &["--archive-max-depth", "3"], "release.iso");
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("redis-7.2.0.tgz: archives nested more than 3 deep"),
        "{}",
        show(&out)
    );

    // Cut inside its path table: the magic is there, the directories are not.
    let bytes = std::fs::read(work.path().join("release.iso")).unwrap();
    std::fs::write(work.path().join("cut.iso"), &bytes[..40 * 1024]).unwrap();
    let out = refs(work.path(), &[], "cut.iso");
    // Issue 20: what cannot be read fails the run (exit 1), after the warning naming it.
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("cut.iso: cannot read it"),
        "{}",
        show(&out)
    );
}

/// A short name means the one declared image whose path ends with it; several are refused.
#[test]
fn bump_resolves_a_short_name_or_lists_the_candidates() {
    let dir = copy_tree();
    let out = tagman(dir.path())
        .args(["refs", "--bump", "dex=stx.9.0-v2.40.0", "--dry-run"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(text(&out.stderr).contains("to docker.io/starlingx/dex:stx.9.0-v2.40.0"));
    std::fs::write(
        dir.path().join("image-tags-more.yaml"),
        "images:\n  - name: quay.io/other/dex\n    src_build_tag: master-debian-stable-20240227T070056Z.0\n    src_ref: https://opendev.org/starlingx/root/commit/5d6701bdf214e77f460f2e3dd2b6f7d3186830c8\n    tag: stx.9.0-v2.40.0\n",
    )
    .unwrap();
    let out = tagman(dir.path())
        .args([
            "refs",
            "--manifests",
            "image-tags.yaml,image-tags-more.yaml",
            "--bump",
            "dex=stx.9.0-v2.40.0",
            "--dry-run",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("`dex` could mean docker.io/starlingx/dex, quay.io/other/dex"),
        "{}",
        show(&out)
    );
}

/// A path that does not exist is an error (exit 2) before anything else is printed.
#[test]
fn a_missing_path_is_an_error_without_a_summary() {
    let out = tagman(&tree())
        .args(["refs", "--no-history", "no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
    assert!(out.stdout.is_empty(), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("cannot scan no/such/dir"),
        "{}",
        show(&out)
    );
}
