//! TM112 `reference-private`: the referenced Launchpad bug or StoryBoard story is private
//! (`--online`).
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM112` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::OnlineContext;
use crate::online::Lookup;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM112",
    name: "reference-private",
    default: Severity::Error,
    subject: Subject::CommitMessage,
    summary: "the referenced Launchpad bug or StoryBoard story is private (--online)",
    docs: Docs {
        what: r#"Reports a reference whose bug or story answers with `"private": true`, or
that anonymous readers may not see (401/403)."#,
        why: r#"The record of why a published tag exists must be readable by everyone who runs it."#,
        example: r#"`Closes-Bug: 2084021` for an embargoed security bug."#,
        fix: r#"Reference a public bug or story, or make it public first."#,
    },
};

/// Reports private references.
pub fn check(cx: &OnlineContext<'_>, out: &mut Findings) {
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
