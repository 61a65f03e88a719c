//! `src_ref` verification against real clones: a known commit, one later than its build, an
//! unknown one, and a project with no clone.

use tagman_core::{Limits, Manifest, Policy, SourceFile};
use tagman_diag::Sink;

#[test]
fn src_refs_are_verified_against_local_clones() {
    let repos = tempfile::tempdir().unwrap();
    let integ = git2::Repository::init(repos.path().join("integ")).unwrap();
    std::fs::write(repos.path().join("integ/f"), "x").unwrap();
    let mut index = integ.index().unwrap();
    index.add_path(std::path::Path::new("f")).unwrap();
    let tree = integ.find_tree(index.write_tree().unwrap()).unwrap();
    // Committed 2024-11-15 12:00:00 UTC.
    let sig =
        git2::Signature::new("Dev", "d@example.org", &git2::Time::new(1_731_672_000, 0)).unwrap();
    let sha = integ
        .commit(Some("HEAD"), &sig, &sig, "fix", &tree, &[])
        .unwrap()
        .to_string();
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let entry = |name: &str, build: &str, project: &str, sha: &str| {
        format!(
            "  - name: docker.io/starlingx/{name}\n    src_build_tag: master-debian-stable-{build}.0\n    src_ref: https://opendev.org/starlingx/{project}/commit/{sha}\n    tag: stx.10.0-v1.0.0\n"
        )
    };
    let text = format!(
        "images:\n{}{}{}{}",
        entry("ok", "20241120T070002Z", "integ", &sha),
        entry("early", "20241110T070002Z", "integ", &sha),
        entry("unknown", "20241120T070002Z", "integ", missing),
        entry("noclone", "20241120T070002Z", "utilities", missing),
    );
    let manifest =
        Manifest::parse(SourceFile::new("image-tags.yaml", text), &Limits::default()).unwrap();
    let policy = Policy::default();
    let mut sink = Sink::new(&policy);
    tagman_git::gate::check_src_refs(std::slice::from_ref(&manifest), repos.path(), &mut sink);
    let report = sink.finish();
    let found: Vec<_> = report
        .diagnostics
        .iter()
        .map(|d| (d.code(), d.finding.primary.start().line))
        .collect();
    assert_eq!(found, [("TM109", 8), ("TM108", 12), ("TM110", 16)]);
    let after = &report.diagnostics[0].finding.message;
    assert!(
        after.contains(
            "committed 2024-11-15 12:00:00 UTC, after the build of 2024-11-10 07:00:02 UTC"
        ),
        "{after}"
    );
    assert_eq!(report.errors(), 2);
    assert_eq!(report.warnings(), 1);
}
