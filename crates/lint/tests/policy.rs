//! The policy's `rules:` levels: a rule turned into a warning, turned off, or left at its default.

use tagman_core::{Loaded, SourceName};
use tagman_core::{Policy, Severity, SourceFile};
use tagman_diag::Sink;
use tagman_lint::check_manifests;

/// The real typo of 2022, `stx.8.0.v1.0.5`, in a one-entry manifest.
const TYPO: &str = "images:
  - name: docker.io/starlingx/stx-platformclients
    src_build_tag: master-debian-stable-20221003T070000Z.0
    src_ref: https://opendev.org/starlingx/distcloud-client/commit/dac417bd31ed36d455e94db4aabe5916367654d4
    tag: stx.8.0.v1.0.5
";

#[test]
fn policy_levels_change_severity_or_silence_a_rule() {
    for (text, expect) in [
        ("rules: {tag-format: warning}", Some(Severity::Warning)),
        ("rules: {TM004: off}", None),
        (
            "rules: {tm004: warning, tag-format: error}",
            Some(Severity::Error),
        ),
        ("", Some(Severity::Error)),
    ] {
        let policy = Policy::parse(SourceFile::new("tagman.yaml", text), ".".into()).unwrap();
        let mut loaded = Loaded::default();
        loaded.push(
            SourceName::new("image-tags.yaml"),
            TYPO.as_bytes().to_vec(),
            &policy,
        );
        let mut sink = Sink::new(&policy);
        check_manifests(&loaded, &policy, 1_800_000_000, &mut sink);
        let report = sink.finish();
        let got = report
            .diagnostics
            .iter()
            .find(|d| d.code() == "TM004")
            .map(|d| d.severity);
        assert_eq!(got, expect, "{text}");
        if let Some(d) = report.diagnostics.iter().find(|d| d.code() == "TM004") {
            assert_eq!(d.finding.primary.start().line, 5);
            assert_eq!(
                d.finding.help.as_deref(),
                Some("did you mean `stx.8.0-v1.0.5`?")
            );
        }
    }
}
