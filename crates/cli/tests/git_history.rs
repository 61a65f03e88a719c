//! A Gerrit-shaped repository built with git2 (every change lands as a `Merge "…"` commit on the
//! first-parent line; a manifest is renamed on the way): `tagman refs` reads the manifests'
//! history and reports a replaced tag as superseded, naming the change that replaced it;
//! `lint --commit` on a merge checks the commits it brings in, not Gerrit's merge message; and
//! `commit-msg` with a `Merge …` message during a merge does the same.

use std::path::Path;
use std::process::Output;

use git2::{Oid, Repository};

use crate::support::{json, tagman_in};

const DAY: i64 = 86_400;
/// 2026-05-01T00:00:00Z.
const T0: i64 = 1_777_593_600;

fn entry(name: &str, tag: &str) -> String {
    format!(
        "  - name: docker.io/starlingx/{name}\n    src_build_tag: master-debian-stable-20260101T000000Z.0\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: {tag}\n"
    )
}

fn manifest(entries: &[String]) -> String {
    format!("images:\n{}", entries.concat())
}

/// Commits exactly `files` (the whole tree) with `parents`, without moving any reference.
fn commit(
    repo: &Repository,
    parents: &[Oid],
    files: &[(&str, String)],
    message: &str,
    time: i64,
) -> Oid {
    let workdir = repo.workdir().unwrap().to_path_buf();
    let mut index = repo.index().unwrap();
    index.clear().unwrap();
    for (path, text) in files {
        let full = workdir.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, text).unwrap();
        index.add_path(Path::new(path)).unwrap();
    }
    let tree = index.write_tree().unwrap();
    tagman_testkit::git::commit_detached(repo, parents, tree, message, time)
}

/// The repository: `master` is the first-parent line of Gerrit merges.
struct Gerrit {
    dir: tempfile::TempDir,
    repo: Repository,
    /// The change replacing stx-ceph-manager's stx.12.0 tag, and the merge that landed it.
    replace: Oid,
    merge_replace: Oid,
    /// A change adding an entry without a bug reference, and its merge.
    unreferenced: Oid,
    merge_unreferenced: Oid,
}

fn short(id: Oid) -> String {
    id.to_string()[..7].to_owned()
}

fn gerrit() -> Gerrit {
    let dir = tempfile::tempdir().unwrap();
    let repo = Repository::init(dir.path()).unwrap();
    let ceph12 = entry("stx-ceph-manager", "stx.12.0-v18.2.2-0");
    let ceph13 = entry("stx-ceph-manager", "stx.13.0-v18.2.2-0");
    let dex = entry("dex", "stx.13.0-v2.40.0");
    let path = "tag-management/image-tags.yaml";
    let root = commit(
        &repo,
        &[],
        &[(path, manifest(std::slice::from_ref(&ceph12)))],
        "Add ceph manager\n\nStory: 2011100\n",
        T0,
    );
    let replace = commit(
        &repo,
        &[root],
        &[(path, manifest(std::slice::from_ref(&ceph13)))],
        "Update stx-ceph-manager to stx.13.0\n\nCloses-Bug: 2084021\n",
        T0 + DAY,
    );
    let merge_replace = commit(
        &repo,
        &[root, replace],
        &[(path, manifest(std::slice::from_ref(&ceph13)))],
        "Merge \"Update stx-ceph-manager to stx.13.0\"",
        T0 + 2 * DAY,
    );
    let unreferenced = commit(
        &repo,
        &[merge_replace],
        &[(path, manifest(&[ceph13.clone(), dex.clone()]))],
        "Add dex\n\nChange-Id: I0123\n",
        T0 + 3 * DAY,
    );
    let merge_unreferenced = commit(
        &repo,
        &[merge_replace, unreferenced],
        &[(path, manifest(&[ceph13.clone(), dex.clone()]))],
        "Merge \"Add dex\"",
        T0 + 4 * DAY,
    );
    // The manifest is renamed for the bullseye/trixie split: its history continues.
    let renamed = "tag-management/image-tags-bullseye.yaml";
    let tip = commit(
        &repo,
        &[merge_unreferenced],
        &[(renamed, manifest(&[ceph13, dex]))],
        "Split the manifest per codename\n",
        T0 + 5 * DAY,
    );
    std::fs::remove_file(dir.path().join(path)).unwrap();
    repo.reference("refs/heads/master", tip, true, "test")
        .unwrap();
    repo.set_head("refs/heads/master").unwrap();
    std::fs::write(
        dir.path().join("tagman.yaml"),
        "manifests: [\"**/image-tags*.yaml\"]\n",
    )
    .unwrap();
    Gerrit {
        dir,
        repo,
        replace,
        merge_replace,
        unreferenced,
        merge_unreferenced,
    }
}

fn lint_commit(g: &Gerrit, rev: Oid) -> Output {
    tagman_in(g.dir.path())
        .args(["lint", "--commit", &rev.to_string(), "--format", "json"])
        .output()
        .unwrap()
}

#[test]
fn a_replaced_tag_is_superseded_and_names_the_change_not_the_merge() {
    let g = gerrit();
    std::fs::write(
        g.dir.path().join("group_vars.yaml"),
        "stx_ceph_manager: registry.local:9001/docker.io/starlingx/stx-ceph-manager:stx.12.0-v18.2.2-0\n\
         never: docker.io/starlingx/stx-ceph-manager:stx.11.0-v18.2.2-0\n",
    )
    .unwrap();
    let out = tagman_in(g.dir.path())
        .args(["refs", "--format", "json", "-v"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = json(&out);
    let diagnostics = doc["diagnostics"].as_array().unwrap();
    let superseded = &diagnostics[0];
    assert_eq!(superseded["code"], "TM205");
    assert_eq!(superseded["severity"], "warning");
    assert_eq!(
        superseded["message"],
        format!(
            "superseded: `stx.12.0-v18.2.2-0` was replaced by `stx.13.0-v18.2.2-0` in tag-management/image-tags.yaml at {} (2026-05-02)",
            short(g.replace)
        )
    );
    assert_eq!(
        superseded["help"],
        // The help carries the manifests the scan read, so it can be pasted as it is.
        "`tagman refs --manifests tag-management/image-tags-bullseye.yaml --bump docker.io/starlingx/stx-ceph-manager=stx.13.0-v18.2.2-0`"
    );
    assert_eq!(diagnostics[1]["code"], "TM202");
    // One walk of the history, whatever the number of references.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("6 commit(s)"), "{stderr}");

    // Without the history the tag is merely undeclared.
    let out = tagman_in(g.dir.path())
        .args(["refs", "--format", "json", "--no-history"])
        .output()
        .unwrap();
    let doc = json(&out);
    let codes: Vec<&str> = doc["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["TM202", "TM202"]);
}

#[test]
fn lint_commit_checks_a_merge_by_the_commits_it_brings_in() {
    let g = gerrit();
    // The change carries its reference; Gerrit's merge message carries none, and needs none.
    let out = lint_commit(&g, g.merge_replace);
    assert_eq!(out.status.code(), Some(0), "{}", json(&out));
    // The brought-in change lacks a reference: the finding is at its message, not the merge's.
    let out = lint_commit(&g, g.merge_unreferenced);
    assert_eq!(out.status.code(), Some(1));
    let doc = json(&out);
    let d = &doc["diagnostics"][0];
    assert_eq!(d["code"], "TM101");
    assert!(
        d["message"].as_str().unwrap().contains("stx.13.0-v2.40.0"),
        "{d}"
    );
    let human = tagman_in(g.dir.path())
        .args(["lint", "--commit", &g.merge_unreferenced.to_string()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains(&format!("{}:COMMIT_MSG:1:1", short(g.unreferenced))),
        "{text}"
    );
    assert!(text.contains("Add dex"), "{text}");
    // A plain commit is still checked by its own message.
    let out = lint_commit(&g, g.unreferenced);
    assert_eq!(out.status.code(), Some(1));
    // Moving entries to a renamed file needs no reference.
    let head = g.repo.head().unwrap().target().unwrap();
    let out = lint_commit(&g, head);
    assert_eq!(out.status.code(), Some(0), "{}", json(&out));
}

#[test]
fn commit_msg_for_a_merge_checks_the_merged_commits() {
    let g = gerrit();
    let head = g.repo.head().unwrap().target().unwrap();
    let files = |extra: &str| {
        vec![(
            "tag-management/image-tags-bullseye.yaml",
            manifest(&[
                entry("stx-ceph-manager", "stx.13.0-v18.2.2-0"),
                entry("dex", "stx.13.0-v2.40.0"),
                entry("rvmc", extra),
            ]),
        )]
    };
    let msg = g.dir.path().join("MERGE_MSG");
    std::fs::write(&msg, "Merge branch 'rvmc'\n").unwrap();
    let run = || {
        tagman_in(g.dir.path())
            .args(["commit-msg", "MERGE_MSG", "--format", "json"])
            .output()
            .unwrap()
    };
    // Nothing staged and no merge in progress: a `Merge` message needs nothing.
    assert_eq!(run().status.code(), Some(0));

    for (message, expected) in [
        ("Add rvmc\n\nChange-Id: I1\n", 1),
        ("Add rvmc\n\nCloses-Bug: 2084021\n", 0),
    ] {
        let side = commit(
            &g.repo,
            &[head],
            &files("stx.13.0-v1.0.1"),
            message,
            T0 + 9 * DAY,
        );
        std::fs::write(g.dir.path().join(".git/MERGE_HEAD"), format!("{side}\n")).unwrap();
        let out = run();
        assert_eq!(
            out.status.code(),
            Some(expected),
            "{message}: {}",
            json(&out)
        );
        if expected == 1 {
            let doc = json(&out);
            assert_eq!(doc["diagnostics"][0]["code"], "TM101");
        }
    }
}
