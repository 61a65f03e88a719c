//! TM103 `reference-malformed`: a reference line whose value is not a number, or a number no
//! tracker can have.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM103` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::MessageContext;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM103",
    name: "reference-malformed",
    default: Severity::Error,
    subject: Subject::CommitMessage,
    summary: "a bug or story reference whose value is not a number, or is out of range",
    docs: Docs {
        what: r#"Reports `Closes-Bug: LP#18`, `Story: abc`, `Task:` and the like: a known
key on a line of its own with a value that is not `N` or `#N`; and a number too large for any
tracker (beyond 64 bits), which is a typo or a paste, not a bug."#,
        why: r#"Launchpad and StoryBoard link only numbers; the reference silently points nowhere."#,
        example: r#"`Closes-Bug: LP#2084021`"#,
        fix: r#"Write the bare number: `Closes-Bug: 2084021`."#,
    },
};

/// Reports every reference line (body or comment) whose value is not a number.
pub fn check(ctx: &MessageContext<'_>, out: &mut Findings) {
    let msg = ctx.message;
    for r in msg.references.iter().filter(|r| r.number.is_none()) {
        let number = r.value.strip_prefix('#').unwrap_or(&r.value);
        let shown = shorten(&r.value);
        let (message, help) = if r.value.is_empty() {
            (
                format!("`{}:` has no number", r.key),
                format!("write `{}: <number>`", r.kind.canonical()),
            )
        } else if number.bytes().all(|b| b.is_ascii_digit()) {
            // All digits, too many to be a number: suggesting it again would not help.
            (
                format!(
                    "`{}: {shown}` is out of range: {} digits, more than any bug or story number has",
                    r.key,
                    number.len()
                ),
                format!(
                    "check the number against the tracker and write `{}: <number>`",
                    r.kind.canonical()
                ),
            )
        } else {
            let digits: String = r.value.chars().filter(char::is_ascii_digit).collect();
            let help = if digits.is_empty() || digits.parse::<u64>().is_err() {
                format!("write `{}: <number>`", r.kind.canonical())
            } else {
                format!("write `{}: {digits}`", r.kind.canonical())
            };
            (format!("`{}: {shown}` is not a number", r.key), help)
        };
        out.push(Finding::new(Label::new(&msg.source, r.value_span), message).help(help));
    }
}

/// A value as a message quotes it: at most 40 characters.
fn shorten(value: &str) -> String {
    match value.char_indices().nth(40) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_owned(),
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

    #[test]
    fn huge_numbers_are_out_of_range_and_not_suggested_again() {
        let huge = "99999999999999999999999999";
        let found = run(
            check,
            &format!("s\n\nCloses-Bug: {huge}\nStory: #{huge}\nTask: x{huge}\n"),
            false,
        );
        let messages: Vec<_> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "`Closes-Bug: 99999999999999999999999999` is out of range: 26 digits, more than any bug or story number has",
                "`Story: #99999999999999999999999999` is out of range: 26 digits, more than any bug or story number has",
                "`Task: x99999999999999999999999999` is not a number",
            ]
        );
        for f in &found {
            let help = f.help.as_deref().unwrap_or("");
            assert!(!help.contains(huge), "{help}");
        }
    }
}
