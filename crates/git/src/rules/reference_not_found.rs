//! TM111 `reference-not-found`: Launchpad or StoryBoard says the referenced bug, story or task
//! does not exist (`--online`).
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM111` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::OnlineContext;
use crate::online::Lookup;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM111",
    name: "reference-not-found",
    default: Severity::Error,
    subject: Subject::CommitMessage,
    summary: "the referenced Launchpad bug or StoryBoard story/task does not exist (--online)",
    docs: Docs {
        what: r#"Asks `{launchpad_api}/bugs/N`, `{storyboard_api}/stories/N` or `/tasks/N`
for each reference in the message; a 404 is reported here."#,
        why: r#"A reference to nothing records nothing: usually a mistyped number or a story number
given as a task."#,
        example: r#"`Closes-Bug: 20840211` (one digit too many)."#,
        fix: r#"Correct the number."#,
    },
};

/// Reports references the service does not know.
pub fn check(cx: &OnlineContext<'_>, out: &mut Findings) {
    for (r, lookup) in cx.results {
        if *lookup != Lookup::NotFound {
            continue;
        }
        let what = if r.kind.is_launchpad() {
            "Launchpad has no such bug"
        } else if r.kind == crate::message::RefKind::Story {
            "StoryBoard has no such story"
        } else {
            "StoryBoard has no such task"
        };
        out.push(
            Finding::new(
                Label::new(&cx.message.source, r.value_span),
                format!("`{}`: {what}", r.display()),
            )
            .help("check the number"),
        );
    }
}
