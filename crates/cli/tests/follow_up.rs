//! The follow-up review (issue 22): `refs --bump NAME=TAG --commit` on an excerpt of real
//! starlingx/ansible-playbooks with real starlingx/root manifests and the message of root's
//! fbb56b1 (fixtures/follow-up), `--dry-run`, the refusal of a dirty tree, and
//! `--bump-superseded --commit` merging the references of two declaring changes, and a chart
//! shared by codenames moved to the placeholder form with its package rules taught to fill it in
//! (run under real make). What differs from a real package build: dpkg-buildpackage is not run;
//! the rules target is invoked alone, in the sources, as debhelper would invoke it.

use std::path::{Path, PathBuf};

use crate::support::{describe, git, git_init, project_root, tagman_in};

const MANIFEST: &str = "build-tools/build-docker-images/tag-management/image-tags-bullseye.yaml";
const ALL: &str =
    "playbookconfig/src/playbooks/host_vars/storage-backend-migration/inventory/group_vars/all.yaml";
const CEPH: &str = "docker.io/starlingx/stx-ceph-manager=stx.13.0-v18.2.2-0";

fn fixture(name: &str) -> String {
    std::fs::read_to_string(project_root().join("fixtures/follow-up").join(name)).unwrap()
}

fn write(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

/// Commits everything in `dir` with `message` (read from a file, as `git commit -F`).
fn commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    let file = dir.join(".git/tagman-test-msg");
    std::fs::write(&file, message).unwrap();
    git(
        dir,
        &[
            "commit",
            "-q",
            "--cleanup=verbatim",
            "-F",
            file.to_str().unwrap(),
        ],
    );
    git(dir, &["rev-parse", "HEAD"])
}

/// root's manifests: the entry as it stood before fbb56b1, then fbb56b1 itself.
fn root(scratch: &Path) -> (PathBuf, String) {
    let dir = scratch.join("root");
    std::fs::create_dir_all(&dir).unwrap();
    git_init(&dir);
    write(&dir, MANIFEST, &fixture("image-tags-bullseye.before.yaml"));
    // Not root's real message: the commit before fbb56b1 only sets the stage.
    commit_all(&dir, "Add stx-ceph-manager\n\nPartial-Bug: 2000001\n");
    write(&dir, MANIFEST, &fixture("image-tags-bullseye.after.yaml"));
    let declaring = commit_all(&dir, &fixture("root-fbb56b1.txt"));
    (dir.join(MANIFEST), declaring)
}

/// A new repository `name` under `scratch`; `bot`: with the identity the follow-up commits as.
fn repo(scratch: &Path, name: &str, bot: bool) -> PathBuf {
    let dir = scratch.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    git_init(&dir);
    if bot {
        git(&dir, &["config", "user.name", "StarlingX Bot"]);
        git(&dir, &["config", "user.email", "bot@starlingx.invalid"]);
    }
    dir
}

/// ansible-playbooks' excerpt, committed, with the identity the follow-up commits as.
fn playbooks(scratch: &Path) -> PathBuf {
    let dir = repo(scratch, "ansible-playbooks", true);
    write(&dir, ALL, &fixture("ansible-playbooks-all.yaml"));
    commit_all(&dir, "Import group_vars\n");
    dir
}

fn bump(dir: &Path, manifest: &Path, extra: &[&str]) -> std::process::Output {
    tagman_in(dir)
        .args(["refs", "--manifests"])
        .arg(manifest)
        .args(["--bump", CEPH, "--commit"])
        .args(extra)
        .arg(".")
        .output()
        .unwrap()
}

#[test]
fn one_bump_makes_one_commit_carrying_the_declaring_changes_references() {
    let scratch = tempfile::tempdir().unwrap();
    let (manifest, declaring) = root(scratch.path());
    let dir = playbooks(scratch.path());
    let before = git(&dir, &["rev-parse", "HEAD"]);
    let out = bump(&dir, &manifest, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    // One commit on top, changing one line of one file.
    assert_eq!(git(&dir, &["rev-parse", "HEAD~1"]), before);
    assert_eq!(
        git(&dir, &["show", "--numstat", "--format=", "HEAD"]),
        format!("1\t1\t{ALL}")
    );
    assert_eq!(git(&dir, &["status", "--porcelain"]), "");
    let diff = git(&dir, &["show", "--format=", "-U0", "HEAD"]);
    assert!(diff.contains("+  stx_ceph_manager: registry.local:9001/docker.io/starlingx/stx-ceph-manager:stx.13.0-v18.2.2-0"), "{diff}");
    let message = git(&dir, &["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("Move stx-ceph-manager to stx.13.0-v18.2.2-0\n\n"),
        "{message}"
    );
    assert!(message.contains(&declaring[..7]), "{message}");
    assert!(
        message.contains("(\"Update\nstx-ceph-manager tag to stx.13.0-v18.2.2-0\")")
            || message.contains("Update stx-ceph-manager tag"),
        "{message}"
    );
    // fbb56b1's references, carried; the stage-setting commit's Partial-Bug is not.
    assert!(
        message.contains("\n\nStory: 2011771\nTask: 54725\nChange-Id: I"),
        "{message}"
    );
    assert!(!message.contains("2000001"), "{message}");
    // git reads the Change-Id as a trailer of the footer, as Gerrit does.
    let file = scratch.path().join("msg");
    std::fs::write(&file, format!("{message}\n")).unwrap();
    let trailers = git(
        &dir,
        &["interpret-trailers", "--parse", file.to_str().unwrap()],
    );
    let id = trailers
        .lines()
        .find_map(|l| l.strip_prefix("Change-Id: I"))
        .unwrap();
    assert!(
        id.len() == 40 && id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{trailers}"
    );
    accepted_by_commit_msg(&dir, &file);
}

/// tagman's own commit-msg hook accepts the message in `file`.
fn accepted_by_commit_msg(dir: &Path, file: &Path) {
    let checked = tagman_in(dir).arg("commit-msg").arg(file).output().unwrap();
    assert_eq!(checked.status.code(), Some(0), "{}", describe(&checked));
}

#[test]
fn a_dry_run_prints_the_commit_and_a_dirty_tree_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let (manifest, _) = root(scratch.path());
    let dir = playbooks(scratch.path());
    let head = git(&dir, &["rev-parse", "HEAD"]);
    let out = bump(&dir, &manifest, &["--dry-run"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("# would commit in"), "{stdout}");
    assert!(
        stdout.contains("as StarlingX Bot <bot@starlingx.invalid>"),
        "{stdout}"
    );
    assert!(stdout.contains("Task: 54725\nChange-Id: I"), "{stdout}");
    assert_eq!(git(&dir, &["rev-parse", "HEAD"]), head);
    assert_eq!(git(&dir, &["status", "--porcelain"]), "");
    // Someone's unfinished edit and an untracked file: nothing is written, nothing committed.
    let all = dir.join(ALL);
    let edited = format!("{}# mine\n", std::fs::read_to_string(&all).unwrap());
    std::fs::write(&all, &edited).unwrap();
    let out = bump(&dir, &manifest, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("has changes") && stderr.contains("all.yaml"),
        "{stderr}"
    );
    assert!(stderr.contains("commit or stash"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&all).unwrap(), edited);
    assert_eq!(git(&dir, &["rev-parse", "HEAD"]), head);
    git(&dir, &["checkout", "--", ALL]);
    write(&dir, "notes.txt", "untracked\n");
    let out = bump(&dir, &manifest, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("notes.txt"));
    assert_eq!(git(&dir, &["rev-parse", "HEAD"]), head);
}

fn entry(name: &str, tag: &str) -> String {
    format!(
        "  - name: docker.io/starlingx/{name}\n    src_build_tag: master-debian-stable-20260101T000000Z.0\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: {tag}\n"
    )
}

#[test]
fn every_superseded_reference_moves_in_one_commit_merging_the_references() {
    let scratch = tempfile::tempdir().unwrap();
    let manifests = repo(scratch.path(), "root", false);
    let file = "image-tags.yaml";
    let state = |a: &str, b: &str| format!("images:\n{}{}", entry("a", a), entry("b", b));
    write(&manifests, file, &state("stx.12.0-v1", "stx.12.0-v2"));
    commit_all(&manifests, "Add a and b\n\nPartial-Bug: 2000001\n");
    write(&manifests, file, &state("stx.13.0-v1", "stx.12.0-v2"));
    let a = commit_all(
        &manifests,
        "Move a to 13.0\n\nPartial-Bug: 2000002\nStory: 2011771\n",
    );
    write(&manifests, file, &state("stx.13.0-v1", "stx.13.0-v2"));
    let b = commit_all(
        &manifests,
        "Move b to 13.0\n\nCloses-Bug: 2000003\nStory: 2011771\nTask: 7\n",
    );
    let dir = repo(scratch.path(), "app", true);
    write(&dir, "chart/values.yaml", "a:\n  image: docker.io/starlingx/a:stx.12.0-v1\nb:\n  repository: docker.io/starlingx/b\n  tag: stx.12.0-v2\n");
    write(
        &dir,
        "deploy/pod.yaml",
        "image: docker.io/starlingx/b:stx.12.0-v2\n",
    );
    commit_all(&dir, "Import\n");
    let manifest = manifests.join(file);
    let refs = |extra: &[&str]| {
        tagman_in(&dir)
            .args(["refs", "--manifests"])
            .arg(&manifest)
            .args(extra)
            .arg(".")
            .output()
            .unwrap()
    };
    let out = refs(&[]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout)
            .matches("TM205")
            .count(),
        3,
        "{}",
        describe(&out)
    );
    let out = refs(&["--bump-superseded", "--commit"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert_eq!(git(&dir, &["rev-list", "--count", "HEAD"]), "2");
    let files = git(&dir, &["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files, "chart/values.yaml\ndeploy/pod.yaml");
    let message = git(&dir, &["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("Move 2 images to their declared tags\n"),
        "{message}"
    );
    for (image, tag, change) in [("a", "stx.13.0-v1", &a), ("b", "stx.13.0-v2", &b)] {
        let line = format!(
            "- docker.io/starlingx/{image}: {tag}, the tag declared by {}",
            &change[..7]
        );
        assert!(message.contains(&line), "{line}\n{message}");
    }
    // a's Partial-Bug closes; b's Closes-Bug already closed its bug: related; Story once.
    assert!(
        message.contains(
            "\n\nCloses-Bug: 2000002\nRelated-Bug: 2000003\nStory: 2011771\nTask: 7\nChange-Id: I"
        ),
        "{message}"
    );
    let out = refs(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("TM205"),
        "{}",
        describe(&out)
    );
}

/// The shape of starlingx/audit-armada-app's stx-audit-helm package: `debian/meta_data.yaml`
/// takes its sources from `src_path`, one `debian/deb_folder/rules` builds them for every
/// codename (its build target reduced to copying the chart values where the chart is made).
const META: &str = "---\ndebname: stx-audit-helm\ndebver: 1.0-1\nsrc_path: stx-audit-helm\n";
const RULES: &str = "#!/usr/bin/make -f\n%:\n\tdh $@\n\noverride_dh_auto_build:\n\t# Create the TGZ file.\n\tcp helm-charts/audit/values.yaml built-values.yaml\n";
const VALUES: &str = "stx-audit-helm/stx-audit-helm/helm-charts/audit/values.yaml";

#[test]
fn a_chart_shared_by_codenames_gets_the_placeholder_and_its_package_rules_the_fill_in() {
    let scratch = tempfile::tempdir().unwrap();
    let manifests = repo(scratch.path(), "root", false);
    let (bullseye, trixie) = ("image-tags-bullseye.yaml", "image-tags-trixie.yaml");
    write(
        &manifests,
        bullseye,
        &format!("images:\n{}", entry("stx-audit", "stx.8.0-v1.0.4")),
    );
    write(&manifests, trixie, "images: []\n");
    commit_all(&manifests, "Add stx-audit\n\nPartial-Bug: 2000001\n");
    write(
        &manifests,
        bullseye,
        &format!(
            "images:\n{}",
            entry("stx-audit", "stx.13.0-v1.0.1-bullseye")
        ),
    );
    write(
        &manifests,
        trixie,
        &format!("images:\n{}", entry("stx-audit", "stx.13.0-v1.0.1-trixie")),
    );
    let declaring = commit_all(&manifests, "Update stx-audit\n\nPartial-Bug: 2153441\n");
    let dir = repo(scratch.path(), "audit-armada-app", true);
    write(&dir, "stx-audit-helm/debian/meta_data.yaml", META);
    write(&dir, "stx-audit-helm/debian/deb_folder/rules", RULES);
    write(
        &dir,
        VALUES,
        "image:\n  repository: docker.io/starlingx/stx-audit\n  tag: stx.8.0-v1.0.4\n",
    );
    commit_all(&dir, "Import\n");
    let list = format!(
        "{},{}",
        manifests.join(bullseye).display(),
        manifests.join(trixie).display()
    );
    let refs = |extra: &[&str]| {
        tagman_in(&dir)
            .args(["refs", "--manifests", &list])
            .args(extra)
            .arg(".")
            .output()
            .unwrap()
    };
    let out = refs(&["--bump-superseded", "--commit"]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let files = git(&dir, &["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(
        files,
        format!("stx-audit-helm/debian/deb_folder/rules\n{VALUES}")
    );
    let values = std::fs::read_to_string(dir.join(VALUES)).unwrap();
    assert!(
        values.contains("tag: stx.13.0-v1.0.1-@OS_CODENAME@\n"),
        "{values}"
    );
    let message = git(&dir, &["log", "-1", "--format=%B"]);
    let prose = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let named = format!(
        "which the build fills in per codename: stx.13.0-v1.0.1-bullseye and stx.13.0-v1.0.1-trixie declared by {}",
        &declaring[..7]
    );
    assert!(prose.contains(&named), "{message}");
    assert!(prose.contains("stx-audit-helm/debian/deb_folder/rules now fills in @OS_CODENAME@ in helm-charts/audit/values.yaml"), "{message}");
    assert!(
        message.contains("\nCloses-Bug: 2153441\nChange-Id: I"),
        "{message}"
    );
    // No superseded reference is left, and the message passes tagman's own check.
    let out = refs(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", describe(&out));
    let msg = scratch.path().join("msg");
    std::fs::write(&msg, &message).unwrap();
    accepted_by_commit_msg(&dir, &msg);
    // The rules run under real make, in the package's sources, as the build runs them: the
    // codename the build sets, else the build root's own.
    let src = dir.join("stx-audit-helm/stx-audit-helm");
    let rules = dir.join("stx-audit-helm/debian/deb_folder/rules");
    let os = std::fs::read_to_string("/etc/os-release").unwrap();
    let own = os
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .unwrap()
        .trim_matches('"')
        .to_owned();
    for (set, want) in [(Some("trixie"), "trixie"), (None, own.as_str())] {
        git(&dir, &["checkout", "--", "."]);
        let mut make = std::process::Command::new("make");
        make.current_dir(&src)
            .args(["-s", "-f"])
            .arg(&rules)
            .arg("override_dh_auto_build")
            .env_remove("OS_CODENAME")
            .env_remove("MAKEFLAGS");
        if let Some(codename) = set {
            make.env("OS_CODENAME", codename);
        }
        let out = make.output().unwrap();
        assert!(out.status.success(), "{}", describe(&out));
        let built = std::fs::read_to_string(src.join("built-values.yaml")).unwrap();
        assert!(
            built.contains(&format!("tag: stx.13.0-v1.0.1-{want}\n")),
            "{set:?}: {built}"
        );
    }
}
