//! TM103 `reference-malformed`: a reference line whose value is not a number.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM103` prints it.

use tagman_core::Severity;
use tagman_lint::diagnostic::{Finding, Label};
use tagman_lint::registry::{Docs, Rule, Subject};
use tagman_lint::Findings;

use super::MessageContext;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM103",
    name: "reference-malformed",
    default: Severity::Error,
    subject: Subject::CommitMessage,
    summary: "a bug or story reference whose value is not a number",
    docs: Docs {
        what: r#"Reports `Closes-Bug: LP#18`, `Story: abc`, `Task:` and the like: a known
key on a line of its own with a value that is not `N` or `#N`."#,
        why: r#"Launchpad and StoryBoard link only numbers; the reference silently points nowhere."#,
        example: r#"`Closes-Bug: LP#2084021`"#,
        fix: r#"Write the bare number: `Closes-Bug: 2084021`."#,
    },
};

/// Reports every reference line (body or comment) whose value is not a number.
pub fn check(ctx: &MessageContext<'_>, out: &mut Findings) {
    let msg = ctx.message;
    for r in msg.references.iter().filter(|r| r.number.is_none()) {
        let digits: String = r.value.chars().filter(char::is_ascii_digit).collect();
        let message = if r.value.is_empty() {
            format!("`{}:` has no number", r.key)
        } else {
            format!("`{}: {}` is not a number", r.key, r.value)
        };
        let help = if digits.is_empty() {
            format!("write `{}: <number>`", r.kind.canonical())
        } else {
            format!("write `{}: {digits}`", r.kind.canonical())
        };
        out.push(Finding::new(Label::new(&msg.source, r.value_span), message).help(help));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::run;

    #[test]
    fn letters_prefixes_and_empty() {
        let found = run(
            check,
            "s\n\nCloses-Bug: LP#18\nStory: abc\nTask:\nStory: 12\n",
            false,
        );
        let messages: Vec<_> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`Closes-Bug: LP#18` is not a number",
                "`Story: abc` is not a number",
                "`Task:` has no number"
            ]
        );
        assert_eq!(found[0].help.as_deref(), Some("write `Closes-Bug: 18`"));
    }
}
