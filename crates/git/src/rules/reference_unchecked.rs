//! TM113 `reference-unchecked`: Launchpad or StoryBoard could not be asked (`--online`).
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM113` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::OnlineContext;
use crate::online::Lookup;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM113",
    name: "reference-unchecked",
    default: Severity::Warning,
    subject: Subject::CommitMessage,
    summary: "Launchpad or StoryBoard could not be reached to check a reference (--online)",
    docs: Docs {
        what: r#"Reports a reference whose lookup timed out, failed to connect or kept
getting 5xx/429 after the retries. A warning: an unreachable service is never a false error."#,
        why: r#"So a green run says which references it did not check."#,
        example: r#"StoryBoard is down for maintenance."#,
        fix: r#"Run again later, or without `--online`."#,
    },
};

/// Reports references that could not be checked.
pub fn check(cx: &OnlineContext<'_>, out: &mut Findings) {
    for (r, lookup) in cx.results {
        let Lookup::Unreachable { url, reason } = lookup else {
            continue;
        };
        out.push(
            Finding::new(
                Label::new(&cx.message.source, r.value_span),
                format!("`{}` not checked: {url}: {reason}", r.display()),
            )
            .help("run again later, or without --online"),
        );
    }
}
