//! TM113 `reference-unchecked`: Launchpad or StoryBoard could not be asked (`--online`).
//!
//! **What it does.** Reports a reference whose lookup timed out, failed to connect or kept
//! getting 5xx/429 after the retries. A warning: an unreachable service is never a false error.
//!
//! **Why.** So a green run says which references it did not check.
//!
//! **Example.** StoryBoard is down for maintenance.
//!
//! **Fix.** Run again later, or without `--online`.

use tagman_core::Severity;
use tagman_lint::diagnostic::{Finding, Label};
use tagman_lint::rule::Rule;

use super::OnlineContext;
use crate::online::Lookup;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM113",
    name: "reference-unchecked",
    severity: Severity::Warning,
    summary: "Launchpad or StoryBoard could not be reached to check a reference (--online)",
};

/// Reports references that could not be checked.
pub fn check(cx: &OnlineContext<'_>, out: &mut Vec<Finding>) {
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
