//! TM108 `src-ref-unknown-commit`: the commit `src_ref` names is not in the project's clone.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM108` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::Finding;
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::SrcRefContext;
use crate::verify::Verdict;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM108",
    name: "src-ref-unknown-commit",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "the src_ref commit is not in the project's local clone (--src-repos)",
    docs: Docs {
        what: r#"With `--src-repos DIR`, looks the `src_ref` commit up in `DIR/<project>`
(the path segment before `/commit/`, e.g. `integ`)."#,
        why: r#"A src_ref that names no commit (a typo, a hash from a fork, an abandoned review) says
nothing about what the image contains."#,
        example: r#"`src_ref: https://opendev.org/starlingx/integ/commit/dac417bd…` with no such
commit in `DIR/integ`."#,
        fix: r#"Fetch the clone (`git fetch`) and check the hash; point `src_ref` at the merged commit."#,
    },
};

/// Reports src_ref commits the clone does not hold.
pub fn check(cx: &SrcRefContext<'_>, out: &mut Findings) {
    for (at, verdict) in cx.labelled() {
        let Verdict::UnknownCommit { project, sha } = verdict else {
            continue;
        };
        out.push(
            Finding::new(
                at,
                format!("commit {sha} is not in the {project} clone"),
            )
            .help(format!("fetch the clone of {project} and check the hash; src_ref must name a merged commit")),
        );
    }
}
