//! Property tests: no input makes parse + every rule panic, and every finding points inside its file.

use proptest::prelude::*;
use tagman_core::Policy;
use tagman_core::{Loaded, SourceName};
use tagman_diag::Sink;
use tagman_lint::check_manifests;

fn lint_bytes(bytes: Vec<u8>) -> tagman_diag::Report {
    let policy = Policy::default();
    let mut loaded = Loaded::default();
    loaded.push(SourceName::new("input.yaml"), bytes, &policy);
    let mut sink = Sink::new(&policy);
    check_manifests(&loaded, &policy, 1_800_000_000, &mut sink);
    sink.finish()
}

fn assert_located(report: &tagman_diag::Report) {
    for d in &report.diagnostics {
        let label = &d.finding.primary;
        assert!(label.span.end() <= label.file.text().len(), "{d:?}");
        assert!(label.start().line >= 1 && label.start().column >= 1);
    }
}

/// Text built from the pieces manifests are made of, so the generator reaches deep into the rules.
fn yamlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("images:\n".to_owned()),
        Just("  - name: ".to_owned()),
        Just("    src_build_tag: ".to_owned()),
        Just("    src_ref: ".to_owned()),
        Just("    tag: ".to_owned()),
        Just("docker.io/starlingx/x".to_owned()),
        Just("stx.4.0-v2.2".to_owned()),
        Just("master-centos-stable-20191203T153530Z.0".to_owned()),
        Just("https://opendev.org/starlingx/integ/commit/".to_owned()),
        Just("\n".to_owned()),
        Just("---\n".to_owned()),
        Just("&a ".to_owned()),
        Just("*a".to_owned()),
        Just("[".to_owned()),
        Just("{".to_owned()),
        Just("\"".to_owned()),
        Just("'".to_owned()),
        Just("# c\n".to_owned()),
        "[ -~]{0,12}",
        "\\PC{0,4}",
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        assert_located(&lint_bytes(bytes));
    }

    #[test]
    fn manifest_shaped_text_never_panics(text in yamlish()) {
        assert_located(&lint_bytes(text.into_bytes()));
    }
}

#[test]
fn a_valid_file_survives_the_same_path() {
    let text = std::fs::read("../../fixtures/image-tags.yaml").unwrap();
    let report = lint_bytes(text);
    assert!(report.diagnostics.is_empty(), "{:#}", report.to_json());
    assert_eq!(report.files, 1);
}
