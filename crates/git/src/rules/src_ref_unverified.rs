//! TM110 `src-ref-unverified`: there is no local clone to verify a `src_ref` against.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM110` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::Finding;
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::SrcRefContext;
use crate::verify::Verdict;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM110",
    name: "src-ref-unverified",
    default: Severity::Warning,
    subject: Subject::Manifest,
    summary: "no local clone to verify the src_ref against (--src-repos)",
    docs: Docs {
        what: r#"With `--src-repos DIR`, reports entries whose project has no clone at
`DIR/<project>` (or `DIR/<project>.git`). A warning, never an error: nothing was checked."#,
        why: r#"So a green run says which entries it did not verify."#,
        example: r#"`src_ref: https://opendev.org/starlingx/utilities/commit/…` with no `DIR/utilities`."#,
        fix: r#"Clone the project into DIR, or ignore the warning."#,
    },
};

/// Reports entries whose project has no clone.
pub fn check(cx: &SrcRefContext<'_>, out: &mut Findings) {
    for (at, verdict) in cx.labelled() {
        let Verdict::NoClone { project, looked } = verdict else {
            continue;
        };
        out.push(
            Finding::new(
                at,
                format!(
                    "src_ref not verified: no clone of {project} at {}",
                    looked.display()
                ),
            )
            .help(format!(
                "clone {project} into the --src-repos directory to verify it"
            )),
        );
    }
}
