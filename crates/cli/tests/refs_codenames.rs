//! `--bump` and TM205's help with one release declared per OS codename (issue 19): a file
//! shared by several codenames is never pinned to one of them. The shapes are StarlingX's:
//! image-tags-bullseye.yaml and image-tags-trixie.yaml in starlingx/root, a chart's values.yaml
//! built for both, and ansible-playbooks' system-images.yml whose package's
//! `debian/all/deb_folder/rules` runs `sed 's|@OS_CODENAME@|$(OS_CODENAME)|'` over it.

use std::path::Path;

fn entry(name: &str, tag: &str) -> String {
    format!("  - name: docker.io/starlingx/{name}\n    src_build_tag: master-debian-stable-20250101T000000Z.0\n    src_ref: https://opendev.org/starlingx/oidc-auth-armada-app/commit/1111111111111111111111111111111111111111\n    tag: {tag}\n")
}

fn write(root: &Path, file: &str, text: &str) {
    let path = root.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A repository with both codenames' manifests, a shared chart, a vars file its package's build
/// rules fill in, and a Dockerfile for one codename.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for c in ["bullseye", "trixie"] {
        let mut text = "images:\n".to_owned();
        text.push_str(&entry("stx-oidc-client", &format!("stx.13.0-v1.0.12-{c}")));
        write(root, &format!("image-tags-{c}.yaml"), &text);
    }
    write(
        root,
        "oidc/values.yaml",
        "image:\n  repository: docker.io/starlingx/stx-oidc-client\n  tag: stx.13.0-v1.0.11-bullseye\n",
    );
    write(
        root,
        "playbookconfig/debian/all/deb_folder/rules",
        "execute_before_dh_auto_install:\n\tfind playbooks -name 'system-images.yml' -exec \\\n\t\tsed -i -e 's|@OS_CODENAME@|$(OS_CODENAME)|g' {} +\n",
    );
    write(
        root,
        "playbookconfig/src/playbooks/vars/system-images.yml",
        "oidc_img: docker.io/starlingx/stx-oidc-client:stx.13.0-v1.0.11-bullseye\n",
    );
    write(
        root,
        "docker/trixie/Dockerfile",
        "FROM docker.io/starlingx/stx-oidc-client:stx.13.0-v1.0.11-trixie\n",
    );
    dir
}

fn bump(root: &Path, spec: &str, paths: &[&str]) -> std::process::Output {
    crate::support::tagman_in(root)
        .args([
            "refs",
            "--manifests",
            "image-tags-bullseye.yaml,image-tags-trixie.yaml",
            "--bump",
            spec,
            "--dry-run",
        ])
        .args(paths)
        .output()
        .unwrap()
}

/// The rendered error with miette's wrapping and gutters taken out.
fn unwrapped(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let words: Vec<&str> = text.split_whitespace().filter(|w| *w != "│").collect();
    words.join(" ")
}

#[test]
fn bump_writes_the_placeholder_or_one_codename_s_tag_or_refuses() {
    let dir = project();
    let root = dir.path();
    let spec = "docker.io/starlingx/stx-oidc-client=stx.13.0-v1.0.12-bullseye";
    // The build rules fill in the vars file: the placeholder form. The trixie Dockerfile: trixie's.
    let out = bump(root, spec, &["playbookconfig", "docker"]);
    let diff = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{diff}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        diff.contains(
            "+oidc_img: docker.io/starlingx/stx-oidc-client:stx.13.0-v1.0.12-@OS_CODENAME@"
        ),
        "{diff}"
    );
    assert!(
        diff.contains("+FROM docker.io/starlingx/stx-oidc-client:stx.13.0-v1.0.12-trixie"),
        "{diff}"
    );
    // The chart ships on both and nothing fills the codename in: refused, naming both tags.
    let out = bump(root, spec, &["."]);
    let stderr = unwrapped(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("oidc/values.yaml ships on bullseye and trixie"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "`stx.13.0-v1.0.12-bullseye` for bullseye, `stx.13.0-v1.0.12-trixie` for trixie"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("stx.13.0-v1.0.12-@OS_CODENAME@"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("oidc/values.yaml")).unwrap(),
        "image:\n  repository: docker.io/starlingx/stx-oidc-client\n  tag: stx.13.0-v1.0.11-bullseye\n"
    );
}

#[test]
fn a_short_name_that_matches_nothing_lists_the_candidates() {
    let dir = project();
    let out = bump(dir.path(), "oidc-clent=stx.13.0-v1.0.12-bullseye", &["."]);
    let stderr = unwrapped(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("no manifest declares an image called `oidc-clent`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("did you mean docker.io/starlingx/stx-oidc-client?"),
        "{stderr}"
    );
    assert!(!stderr.contains("library"), "{stderr}");
}
