//! Fixture-driven tests: the tree under `fixtures/refs/tree` holds one file per kind (Helm values
//! and templates, Ansible vars, a Kubernetes manifest, Python, shell, Jinja, a Dockerfile, docs),
//! mirror prefixes, placeholders, a build input, a `.gitignore`d file and a binary file. The
//! per-class trees (`fixtures/refs/classes/`) run through the binary in tagman's CLI tests.

use std::path::{Path, PathBuf};

use tagman_core::Policy;
use tagman_diag::diagnostic::Report;
use tagman_refs::{bump, check, scan, BumpSpec, Catalog, RefsError, WalkOptions, WriteScope};

use crate::support::scan_tree;

const TREE: &str = "../../fixtures/refs/tree";

fn findings(report: &Report) -> Vec<String> {
    report
        .diagnostics
        .iter()
        .map(|d| {
            let file = d.file().trim_start_matches(TREE).trim_start_matches('/');
            format!("{file}:{} {}", d.finding.primary.start().line, d.code())
        })
        .collect()
}

#[test]
fn every_file_kind_yields_its_references() {
    let (_, _, scanned) = scan_tree(Path::new(TREE));
    let by_file: Vec<(String, usize)> = scanned
        .walked
        .files
        .iter()
        .map(|f| {
            let name = f
                .path
                .strip_prefix(TREE)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (
                name,
                f.extracted.refs.len() + f.extracted.templated_names.len(),
            )
        })
        .collect();
    let expected = [
        ("ansible/vars.yml", 3),
        // `sriov: starlingx/x` names an image under a key nothing pulls: not a reference.
        ("build/build-input.yaml", 1),
        ("docker/Dockerfile", 2),
        ("docs/README.md", 3),
        ("helm/templates/deployment.yaml", 1),
        ("helm/values.yaml", 3),
        ("jinja/config.j2", 3),
        ("k8s/pod.yaml", 2),
        ("platform/bom-no-newline.yaml", 1),
        ("platform/crlf.yaml", 1),
        ("python/images.py", 3),
        ("shell/build.sh", 3),
    ];
    let expected: Vec<(String, usize)> = expected
        .iter()
        .map(|(f, n)| ((*f).to_owned(), *n))
        .collect();
    // Not there: the manifests (declarations, not references), tagman.yaml (no image),
    // ignored/ (.gitignore), bin/ (binary).
    assert_eq!(by_file, expected);
    // Documentation is prose: its references are kept (for counts and --bump's reasons) but
    // none is a pull.
    let docs = scanned
        .walked
        .files
        .iter()
        .find(|f| f.path.ends_with("docs/README.md"))
        .unwrap();
    assert!(docs
        .extracted
        .refs
        .iter()
        .all(|r| r.role == tagman_refs::Role::Documentation));
    assert_eq!(scanned.walked.stats.binary, 1);
    // image-tags.yaml and archive/image-tags-3.0.yaml.orig.
    assert_eq!(scanned.walked.stats.manifests, 2);
    assert!(
        scanned.walked.errors.is_empty(),
        "{:?}",
        scanned.walked.errors
    );
}

#[test]
fn mirrors_and_split_tags_are_read() {
    let (_, _, scanned) = scan_tree(Path::new(TREE));
    let file = |name: &str| {
        scanned
            .walked
            .files
            .iter()
            .find(|f| f.path.ends_with(name))
            .unwrap()
    };
    let vars = file("ansible/vars.yml");
    let mirrors: Vec<&str> = vars
        .extracted
        .refs
        .iter()
        .map(|r| r.mirror.map_or("", |m| vars.source.slice(m)))
        .collect();
    assert_eq!(
        mirrors,
        ["registry.local:9001/", "/", "registry.local:9001/"]
    );
    assert!(vars
        .extracted
        .refs
        .iter()
        .all(|r| r.name.to_string().starts_with("docker.io/starlingx/")));

    let values = file("helm/values.yaml");
    let helper = &values.extracted.refs[2];
    assert_eq!(
        helper.name.to_string(),
        "docker.io/starlingx/ceph-config-helper"
    );
    let tag = helper.tag.as_ref().unwrap();
    assert!(tag.split);
    assert_eq!(tag.text, "stx.9.0-v1.0.1");
}

#[test]
fn findings_of_the_fixture_tree() {
    let (policy, manifests, scanned) = scan_tree(Path::new(TREE));
    let report = check(&scanned, &policy, &Catalog::new(&manifests));
    assert_eq!(
        findings(&report),
        [
            "ansible/vars.yml:5 TM202",
            "docker/Dockerfile:1 TM201",
            "helm/templates/deployment.yaml:10 TM204",
            "helm/values.yaml:5 TM201",
            "helm/values.yaml:10 TM202",
            "jinja/config.j2:3 TM202",
            "jinja/config.j2:4 TM204",
            "k8s/pod.yaml:8 TM203",
            "k8s/pod.yaml:10 TM201",
            "python/images.py:6 TM204",
            "shell/build.sh:4 TM204",
            "shell/build.sh:5 TM201",
        ]
    );
    assert_eq!(
        report.not_checked.get("in documentation"),
        Some(&3),
        "{:?}",
        report.not_checked
    );
    assert_eq!(report.not_checked.get("in build inputs (policy)"), Some(&1));
    insta::assert_json_snapshot!("fixture_tree", report.to_json());
}

#[test]
fn policy_overrides_apply() {
    let (mut policy, manifests, scanned) = scan_tree(Path::new(TREE));
    let text = "rules:\n  unexpanded-placeholder: off\n  TM203: error\nbuild_inputs: [\"build/**\", \"docker/**\"]\n";
    let overrides = Policy::parse(
        tagman_core::SourceFile::new("tagman.yaml", text),
        policy.root.clone(),
    )
    .unwrap();
    policy.rules = overrides.rules;
    let report = check(&scanned, &policy, &Catalog::new(&manifests));
    assert!(report.diagnostics.iter().all(|d| d.code() != "TM204"));
    assert!(report
        .diagnostics
        .iter()
        .any(|d| d.code() == "TM203" && d.severity == tagman_core::Severity::Error));
}

fn copy_tree() -> tempfile::TempDir {
    tagman_testkit::tree::copy_to_temp(Path::new(TREE))
}

fn snapshot(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    tagman_testkit::tree::contents(root)
}

fn bump_tree(root: &Path, spec: &str) -> usize {
    let (policy, manifests, scanned) = scan_tree(root);
    let plan = bump::plan(
        &scanned,
        &BumpSpec::parse(spec).unwrap(),
        &Catalog::new(&manifests),
        &policy.codenames,
    )
    .unwrap();
    bump::write_all(&plan.edits, &WriteScope::new(&[root.to_path_buf()], false)).unwrap();
    plan.edits.iter().map(|e| e.changes.len()).sum()
}

#[test]
fn bump_changes_only_the_tag_bytes_and_round_trips() {
    let dir = copy_tree();
    let before = snapshot(dir.path());
    let changed = bump_tree(
        dir.path(),
        "docker.io/starlingx/k8s-cni-sriov=stx.9.0-v2.2-1",
    );
    let after = snapshot(dir.path());
    // Every file, compared whole: the expected text is the old text with this image's tags
    // replaced, and nothing else (CRLF, BOM, missing final newline, mirror prefixes included).
    let mut replaced = 0;
    for ((path, old), (_, new)) in before.iter().zip(&after) {
        let name = path
            .strip_prefix(dir.path())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let old_text = String::from_utf8_lossy(old).into_owned();
        let expected = match name.as_str() {
            // Not rewritten: the manifest, the build input, the ignored and the binary file.
            "image-tags.yaml"
            | "build/build-input.yaml"
            | "ignored/generated.yaml"
            | "bin/blob.bin" => old_text.clone(),
            "k8s/pod.yaml" => old_text.replace(
                "k8s-cni-sriov:master-centos-stable-20191203T153530Z.0",
                "k8s-cni-sriov:stx.9.0-v2.2-1",
            ),
            "shell/build.sh" => old_text
                .replace("k8s-cni-sriov:stx.4.0-v2.2", "k8s-cni-sriov:stx.9.0-v2.2-1")
                .replace("k8s-cni-sriov:latest", "k8s-cni-sriov:stx.9.0-v2.2-1"),
            // Documentation is prose, not a pull: left as written.
            "docs/README.md" => old_text.clone(),
            _ => old_text.replace("k8s-cni-sriov:stx.4.0-v2.2", "k8s-cni-sriov:stx.9.0-v2.2-1"),
        };
        if expected != old_text {
            replaced += 1;
        }
        assert_eq!(String::from_utf8_lossy(new), expected, "{name}");
    }
    assert_eq!(replaced, 6);
    assert_eq!(changed, 7);

    // Back to the first tag: every file that only ever held it is byte-identical again.
    bump_tree(dir.path(), "docker.io/starlingx/k8s-cni-sriov=stx.4.0-v2.2");
    let back = snapshot(dir.path());
    for ((path, old), (_, new)) in before.iter().zip(&back) {
        let name = path
            .strip_prefix(dir.path())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !matches!(name.as_str(), "k8s/pod.yaml" | "shell/build.sh") {
            assert!(
                old == new,
                "{name} is not byte-identical after the round trip"
            );
        }
    }
}

#[test]
fn bump_diff_names_the_file_and_shows_only_tag_lines() {
    let (policy, manifests, scanned) = scan_tree(Path::new(TREE));
    let spec = BumpSpec::parse("docker.io/starlingx/dex=stx.9.0-v2.40.0").unwrap();
    let plan = bump::plan(
        &scanned,
        &spec,
        &Catalog::new(&manifests),
        &policy.codenames,
    )
    .unwrap();
    let diffs: String = plan.edits.iter().map(|e| e.unified_diff()).collect();
    insta::assert_snapshot!("bump_dex_diff", diffs.replace(TREE, "TREE"));
    let reasons: Vec<String> = plan.skipped.iter().map(|s| s.reason.to_string()).collect();
    assert_eq!(
        reasons,
        [
            "the file is a build input",
            "in documentation",
            "in documentation",
            "the tag holds the placeholder `{{ .Values.dexTag }}`",
            "the tag holds the placeholder `{{ dex_tag }}`",
            "the tag holds the placeholder `${DEX_TAG}`",
        ]
    );
}

#[test]
fn bump_refuses_an_undeclared_tag() {
    let (policy, manifests, scanned) = scan_tree(Path::new(TREE));
    let spec = BumpSpec::parse("docker.io/starlingx/dex=stx.99.0-v1.0").unwrap();
    match bump::plan(
        &scanned,
        &spec,
        &Catalog::new(&manifests),
        &policy.codenames,
    ) {
        Err(RefsError::UndeclaredTag { declared, .. }) => {
            assert_eq!(declared, ["stx.4.0-v2.14.0-1", "stx.9.0-v2.40.0"]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn bump_refuses_a_file_changed_since_the_scan() {
    let dir = copy_tree();
    let (policy, manifests, scanned) = scan_tree(dir.path());
    let spec = BumpSpec::parse("docker.io/starlingx/dex=stx.9.0-v2.40.0").unwrap();
    let plan = bump::plan(
        &scanned,
        &spec,
        &Catalog::new(&manifests),
        &policy.codenames,
    )
    .unwrap();
    let edit = &plan.edits[0];
    std::fs::write(&edit.path, "changed\n").unwrap();
    let scope = WriteScope::new(&[dir.path().to_path_buf()], false);
    assert!(matches!(edit.write(&scope), Err(RefsError::Changed { .. })));
    assert_eq!(std::fs::read_to_string(&edit.path).unwrap(), "changed\n");
}

#[test]
fn bump_keeps_a_codename_placeholder_when_every_codename_is_declared() {
    let (policy, manifests, whole) = scan_tree(Path::new(TREE));
    let catalog = Catalog::new(&manifests);
    let spec =
        BumpSpec::parse("docker.io/starlingx/stx-oidc-client=stx.13.0-v1.0.8-trixie").unwrap();
    // The chart's values.yaml ships on every codename and nothing fills the codename in: the
    // bump refuses rather than pin it to trixie (issue 19).
    match bump::plan(&whole, &spec, &catalog, &policy.codenames) {
        Err(RefsError::SharedByCodenames { file, declared, .. }) => {
            assert_eq!(file, "helm/values.yaml");
            assert_eq!(declared.len(), 2, "{declared:?}");
        }
        other => panic!("{other:?}"),
    }
    let scanned = scan(
        &[Path::new(TREE).join("jinja")],
        &policy,
        &manifests,
        WalkOptions::default(),
    )
    .unwrap();
    let plan = bump::plan(&scanned, &spec, &catalog, &policy.codenames).unwrap();
    let jinja = plan
        .edits
        .iter()
        .find(|e| e.path.ends_with("jinja/config.j2"))
        .unwrap();
    assert!(jinja.after.contains(
        "oidc_image: docker.io/starlingx/stx-oidc-client:stx.13.0-v1.0.8-@OS_CODENAME@\n"
    ));

    // stx.13.0-v1.0.9 is declared for trixie only: the template is left alone, and says why.
    let spec =
        BumpSpec::parse("docker.io/starlingx/stx-oidc-client=stx.13.0-v1.0.9-trixie").unwrap();
    let plan = bump::plan(&scanned, &spec, &catalog, &policy.codenames).unwrap();
    assert!(plan
        .edits
        .iter()
        .all(|e| !e.path.ends_with("jinja/config.j2")));
    let reasons: Vec<String> = plan.skipped.iter().map(|s| s.reason.to_string()).collect();
    assert!(
        reasons.contains(
            &"the tag holds `@OS_CODENAME@` and no manifest declares stx.13.0-v1.0.9-bookworm"
                .to_owned()
        ),
        "{reasons:?}"
    );
}
