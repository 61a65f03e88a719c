//! TM104 `reference-commented`: a reference inside a `#` comment line of the message file.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM104` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::MessageContext;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM104",
    name: "reference-commented",
    default: Severity::Warning,
    subject: Subject::CommitMessage,
    summary: "a bug or story reference in a `#` comment, which git drops",
    docs: Docs {
        what: r#"Reports `# Closes-Bug: 123` in a message file handed to `tagman commit-msg`
or `--commit-msg-file`."#,
        why: r#"git drops `#` lines when it cleans the message up: the reference will not be in the
commit."#,
        example: r#"`# Story: 2011100` (left from a template)."#,
        fix: r#"Remove the `#`."#,
    },
};

/// Reports each commented-out reference.
pub fn check(ctx: &MessageContext<'_>, out: &mut Findings) {
    let msg = ctx.message;
    for r in &msg.commented {
        out.push(
            Finding::new(
                Label::new(&msg.source, r.span),
                format!(
                    "`{}` is in a `#` comment: git drops the line",
                    msg.source.slice(r.span)
                ),
            )
            .help("remove the leading `#` so the reference stays in the commit"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::run;

    #[test]
    fn commented_reference() {
        let found = run(check, "s\n\nStory: 1\n#Task: 2\n", false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].primary.start().line, 4);
    }
}
