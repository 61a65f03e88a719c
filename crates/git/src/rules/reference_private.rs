//! TM112 `reference-private`: the referenced Launchpad bug or StoryBoard story is private
//! (`--online`).
//!
//! **What it does.** Reports a reference whose bug or story answers with `"private": true`, or
//! that anonymous readers may not see (401/403).
//!
//! **Why.** The record of why a published tag exists must be readable by everyone who runs it.
//!
//! **Example.** `Closes-Bug: 2084021` for an embargoed security bug.
//!
//! **Fix.** Reference a public bug or story, or make it public first.

use tagman_core::Severity;
use tagman_lint::diagnostic::{Finding, Label};
use tagman_lint::rule::Rule;

use super::OnlineContext;
use crate::online::Lookup;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM112",
    name: "reference-private",
    severity: Severity::Error,
    summary: "the referenced Launchpad bug or StoryBoard story is private (--online)",
};

/// Reports private references.
pub fn check(cx: &OnlineContext<'_>, out: &mut Vec<Finding>) {
    for (r, lookup) in cx.results {
        if *lookup != Lookup::Private {
            continue;
        }
        out.push(
            Finding::new(
                Label::new(&cx.message.source, r.value_span),
                format!(
                    "`{}` is private: the public cannot see why this tag changed",
                    r.display()
                ),
            )
            .help("reference a public bug or story"),
        );
    }
}
