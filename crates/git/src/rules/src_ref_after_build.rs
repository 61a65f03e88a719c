//! TM109 `src-ref-after-build`: the `src_ref` commit is later than the build said to contain it.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM109` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::SrcRefContext;
use crate::verify::{format_time, Verdict};

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM109",
    name: "src-ref-after-build",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "the src_ref commit was committed after the src_build_tag build",
    docs: Docs {
        what: r#"With `--src-repos DIR`, compares the committer date of the `src_ref` commit
with the timestamp of `src_build_tag`."#,
        why: r#"A build cannot contain a commit made after it: either the build tag or the src_ref is
wrong, and the tag would be published with a false record of its source."#,
        example: r#"`src_build_tag: master-debian-stable-20241110T070002Z.0` with a src_ref committed
on 2024-11-20."#,
        fix: r#"Use the build made after the commit merged, or the commit that build was made from."#,
    },
};

/// Reports src_ref commits newer than their build.
pub fn check(cx: &SrcRefContext<'_>, out: &mut Findings) {
    for (manifest, entry, verdict) in cx.verdicts {
        let Verdict::AfterBuild {
            sha,
            committed,
            built,
        } = verdict
        else {
            continue;
        };
        let Some(src_ref) = &entry.src_ref else {
            continue;
        };
        let mut finding = Finding::new(
            Label::new(&manifest.source, src_ref.span),
            format!(
                "commit {} was committed {}, after the build of {}",
                &sha[..sha.len().min(10)],
                format_time(*committed),
                format_time(*built)
            ),
        )
        .help("a build cannot contain a later commit: fix src_build_tag or src_ref");
        if let Some(build) = &entry.src_build_tag {
            finding =
                finding.also(Label::new(&manifest.source, build.span).with_note("built here"));
        }
        out.push(finding);
    }
}
