//! `suggest`'s description against `git describe --tags` itself: the nearest version-like tag
//! when branch markers (`vf/…`, StarlingX's) and unreachable release tags are nearer, and
//! `--match GLOB` as git reads it.

use std::path::Path;

use tagman_git::suggest::{describe, TagFilter};
use tagman_git::Repo;

fn git(dir: &Path, args: &[&str]) -> String {
    tagman_testkit::git::cli(dir, args)
}

/// master: c0 (`v1.2.3`) c1 (`vf/multiplex`, annotated) c2 c3 (`vr/stx.12.0`)
/// c4; a release branch off c2 carries `13.0.0`, which master never reaches.
fn upstream() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q", "-b", "master"]);
    let commit = |n: &str| git(d, &["commit", "-q", "--allow-empty", "-m", n]);
    commit("c0");
    git(d, &["tag", "v1.2.3"]);
    commit("c1");
    git(d, &["tag", "-a", "-m", "marker", "vf/multiplex"]);
    commit("c2");
    git(d, &["checkout", "-q", "-b", "r/stx.13.0"]);
    commit("release");
    git(d, &["tag", "13.0.0"]);
    git(d, &["checkout", "-q", "master"]);
    commit("c3");
    git(d, &["tag", "vr/stx.12.0"]);
    commit("c4");
    dir
}

#[test]
fn the_nearest_version_like_tag_as_git_describe_finds_it() {
    let dir = upstream();
    let d = dir.path();
    let repo = Repo::open(d).unwrap();
    // git alone describes from the nearest marker.
    assert!(git(d, &["describe", "--tags", "HEAD"]).starts_with("vr/stx.12.0-1-g"));
    let (described, base, distance) =
        describe(&repo, "HEAD", &TagFilter::new(None).unwrap()).unwrap();
    assert_eq!((base.as_str(), distance), ("v1.2.3", 4));
    assert_eq!(
        described,
        git(d, &["describe", "--tags", "--match", "v1.2.3", "HEAD"])
    );
    for pattern in ["vf/*", "v*", "*"] {
        let (described, _, _) =
            describe(&repo, "HEAD", &TagFilter::new(Some(pattern)).unwrap()).unwrap();
        assert_eq!(
            described,
            git(d, &["describe", "--tags", "--match", pattern, "HEAD"]),
            "{pattern}"
        );
    }
    // On the tagged commit: the tag alone; on the release branch: its own tag.
    let (described, _, _) = describe(&repo, "v1.2.3", &TagFilter::new(None).unwrap()).unwrap();
    assert_eq!(described, "v1.2.3");
    let (described, base, _) =
        describe(&repo, "r/stx.13.0", &TagFilter::new(None).unwrap()).unwrap();
    assert_eq!((described.as_str(), base.as_str()), ("13.0.0", "13.0.0"));
    // No tag matches: git's "No names found" is NoTag, whose help names --match.
    let err = describe(&repo, "HEAD", &TagFilter::new(Some("release-*")).unwrap()).unwrap_err();
    assert!(err.help().unwrap().contains("--match"), "{err}");
    assert!(TagFilter::new(Some("[")).is_err());
}
