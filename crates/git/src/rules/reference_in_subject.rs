//! TM102 `reference-in-subject`: the only reference is in the subject line.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM102` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::MessageContext;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM102",
    name: "reference-in-subject",
    default: Severity::Error,
    subject: Subject::CommitMessage,
    summary: "the only bug or story reference is in the subject line",
    docs: Docs {
        what: r#"Reports a reference written in the subject (`Fix tag (Closes-Bug: 123)`)
when the change needs one and the body holds none."#,
        why: r#"Gerrit, Launchpad and StoryBoard hooks read references from lines of their own in the
body; one in the subject links nothing."#,
        example: r#"`Closes-Bug: 2084021 update platformclients tag` with no body."#,
        fix: r#"Move it to its own line below the subject."#,
    },
};

/// Reports a subject-only reference when one is required.
pub fn check(ctx: &MessageContext<'_>, out: &mut Findings) {
    let Some(span) = ctx.message.subject_reference else {
        return;
    };
    if !ctx.requirement.is_required() || !super::lacks_reference(ctx) {
        return;
    }
    let text = ctx.message.source.slice(span);
    out.push(
        Finding::new(
            Label::new(&ctx.message.source, span),
            format!("`{text}` is in the subject line, where it does not count as a reference"),
        )
        .help(format!(
            "put `{text}` on a line of its own below the subject"
        )),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::run;

    #[test]
    fn subject_only() {
        let found = run(check, "Fix tag (Closes-Bug: 123)\n\nbody\n", true);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("`Closes-Bug: 123`"));
    }

    #[test]
    fn subject_and_body_or_not_required() {
        assert!(run(check, "Fix (Story: 1)\n\nStory: 1\n", true).is_empty());
        assert!(run(check, "Fix (Story: 1)\n", false).is_empty());
    }
}
