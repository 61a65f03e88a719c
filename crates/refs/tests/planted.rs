//! A planted-defect set (issue 19): every form the issue names, planted into a copy of the
//! release fixture (a StarlingX-shaped app: chart, static overrides, HelmRelease) and into files
//! of the kinds they were found in, then scanned once. Each plant must be found with its code at
//! its line, and the decoys (what is not a pull) must stay silent. Prints the figure.
//!
//! `scripts/refs-planted` plants the same forms into real StarlingX repositories.

use std::path::Path;

use tagman_refs::{check, WalkOptions};

use crate::support;

/// One planted defect: the file (relative to the app), the text inserted into it (after the
/// first line that is `after`, else at its end), and the code expected at the inserted text's
/// `line`-th line (1-based); `None`: a decoy, nothing expected.
pub struct Plant {
    pub form: &'static str,
    pub file: &'static str,
    pub after: Option<&'static str>,
    pub text: &'static str,
    pub line: usize,
    pub code: Option<&'static str>,
}

const OVERRIDES: &str = "fluxcd-manifests/ptp-notification/ptp-notification-static-overrides.yaml";
const RELEASE: &str = "fluxcd-manifests/ptp-notification/helmrelease.yaml";

/// Every form of the issue, with a decoy where the issue says something is not a pull.
pub fn plants() -> Vec<Plant> {
    let p = |form, file, text, line, code| Plant {
        form,
        file,
        after: None,
        text,
        line,
        code,
    };
    vec![
        // `spec.values` is merged last, so it wins over the static override of `location`.
        Plant {
            form: "HelmRelease spec.values, tag only, floating",
            file: RELEASE,
            after: Some("  values:"),
            text: "    location:\n      image:\n        tag: latest\n",
            line: 3,
            code: Some("TM201"),
        },
        p("static override, tag only, undeclared", OVERRIDES, "notification:\n  image:\n    tag: stx.9.0-v2.7.999\n", 3, Some("TM202")),
        // Only the repository: the image moves, the tag is the HelmRelease's (redis-exporter's).
        p("static override, repository only", OVERRIDES, "redis:\n  exporter:\n    image:\n      repository: docker.io/starlingx/locationservice-base\n", 4, Some("TM202")),
        p("kubectl run --image= bare", "scripts/kube.sh", "kubectl run t --image=starlingx/stx-kube-test\n", 1, Some("TM201")),
        p("kubectl set image", "scripts/kube.sh", "kubectl set image deploy/d c=docker.io/starlingx/stx-kube-test:stx.9.0-v0\n", 1, Some("TM202")),
        p("docker_image source: pull", "playbooks/pull.yml", "- name: Pull\n  community.docker.docker_image:\n    name: docker.io/starlingx/stx-pulled\n    tag: stx.9.0-v0.0.1\n    source: pull\n", 4, Some("TM202")),
        p("python concatenation", "tools/images.py", "IMG = \"docker.io/starlingx/stx-made:\" + tag\n", 1, Some("TM204")),
        p("python % tag", "tools/images.py", "IMG2 = \"docker.io/starlingx/stx-made:%s\" % tag\n", 1, Some("TM204")),
        p("python f-string", "tools/images.py", "IMG3 = f\"docker.io/starlingx/stx-made:{tag}\"\n", 1, Some("TM204")),
        p("triple-quoted argument", "tools/images.py", "run(\n    \"\"\"docker pull docker.io/starlingx/stx-arg:latest\"\"\",\n)\n", 2, Some("TM201")),
        p("docstring (decoy)", "tools/images.py", "def f():\n    \"\"\"docker.io/starlingx/stx-doc:latest\"\"\"\n", 2, None),
        p("patch adds", "debian/patches/0001-x.patch", "--- a/values.yaml\n+++ b/values.yaml\n@@ -1,1 +1,1 @@\n-image: docker.io/starlingx/stx-old:latest\n+image: docker.io/starlingx/stx-new:latest\n", 5, Some("TM201")),
        p("patch removes (decoy)", "debian/patches/0002-y.patch", "--- a/values.yaml\n+++ b/values.yaml\n@@ -1,1 +1,0 @@\n-image: docker.io/starlingx/stx-gone:latest\n", 4, None),
        p("skopeo copy source", "scripts/copy.sh", "skopeo copy docker://docker.io/starlingx/stx-src:stx.9.0-v0 docker://registry.local:9001/docker.io/starlingx/stx-dst:latest\n", 1, Some("TM202")),
        p("local registry prefix", "k8s/pod.yaml", "    image: registry.local:9001/docker.io/starlingx/stx-local:latest\n", 1, Some("TM201")),
    ]
}

#[test]
fn every_planted_form_is_found_at_its_code_and_line() {
    let dir = support::release_app();
    let root = dir.path();
    let mut expected = Vec::new();
    let mut decoys = Vec::new();
    for plant in plants() {
        let at = plant_into(root, &plant);
        match plant.code {
            Some(code) => expected.push((plant.form, format!("{}:{at} {code}", plant.file))),
            None => decoys.push(format!("{}:{at}", plant.file)),
        }
    }
    let (scan, catalog, policy) = support::scan(&[root.to_path_buf()], WalkOptions::default());
    let report = check(&scan, &policy, &catalog);
    let found = support::findings_under(&report, root);
    let missed: Vec<&(&str, String)> = expected
        .iter()
        .filter(|(_, e)| !found.contains(e))
        .collect();
    let share = 100.0 * (expected.len() - missed.len()) as f64 / expected.len() as f64;
    println!(
        "RESULT planted {} defects of {} forms (+{} decoys): {} found at their code and line ({share:.1} %)",
        expected.len(),
        plants().len(),
        decoys.len(),
        expected.len() - missed.len()
    );
    assert!(missed.is_empty(), "missed {missed:?}\nfound {found:#?}");
    for decoy in &decoys {
        assert!(
            !found.iter().any(|f| f.starts_with(&format!("{decoy} "))),
            "{decoy}: {found:?}"
        );
    }
}

/// Inserts the plant into its file (created when missing); returns the expected line.
fn plant_into(root: &Path, plant: &Plant) -> usize {
    let path = root.join(plant.file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let mut lines: Vec<String> = std::fs::read_to_string(&path)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect();
    let at = plant
        .after
        .and_then(|a| lines.iter().position(|l| l == a).map(|i| i + 1))
        .unwrap_or(lines.len());
    let planted: Vec<String> = plant.text.lines().map(str::to_owned).collect();
    lines.splice(at..at, planted);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    at + plant.line
}
