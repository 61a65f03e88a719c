//! TM101 `reference-missing`: a change to the manifests carries no bug or story reference.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM101` prints it.

use tagman_core::{Severity, Span};
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::MessageContext;
use tagman_core::Requirement;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM101",
    name: "reference-missing",
    default: Severity::Error,
    subject: Subject::CommitMessage,
    summary: "a change that adds or changes entries carries no Launchpad or StoryBoard reference",
    docs: Docs {
        what: r#"When a commit adds an entry or changes one (compared with its parent, or
for the `commit-msg` hook, what is staged against `HEAD`), its message must hold a Launchpad
(`Closes-Bug:`, `Partial-Bug:`, `Related-Bug:`) or StoryBoard (`Story:`, `Task:`) reference on a
line of its own below the subject. Moving, renaming or removing entries needs none. When tagman
cannot tell what changed (outside a repository, an unparsable manifest) a reference is required.
A line that is almost a reference (`closes-bug 2000001` without its colon, `Closes Bug: 1`) is
pointed out with how to write it."#,
        why: r#"A published tag is forever; the reference is the record of why it was made."#,
        example: r#"```text
Update stx-platformclients tag to stx.10.0-v1.5.18

Change-Id: I9f…
```"#,
        fix: r#"Add `Closes-Bug: 2084021` (or `Story: 2011100` / `Task: 51000`) on its own line."#,
    },
};

/// Reports a required reference that is absent (unless it sits in the subject: TM102 says so).
pub fn check(ctx: &MessageContext<'_>, out: &mut Findings) {
    let Requirement::Required { reason } = ctx.requirement else {
        return;
    };
    if !super::lacks_reference(ctx) || ctx.message.subject_reference.is_some() {
        return;
    }
    let msg = ctx.message;
    let at = msg.subject.unwrap_or(Span::new(0, 0));
    let mut finding = Finding::new(
        Label::new(&msg.source, at),
        format!("the commit message carries no bug or story reference, but {reason}"),
    );
    let refused: Vec<_> = msg
        .references
        .iter()
        .filter(|r| r.number.is_some())
        .collect();
    let near_miss = msg.near_misses.first();
    let help = if let Some(miss) = near_miss {
        format!(
            "`{}` is not read as a reference; write it `{}` on its own line",
            msg.source.slice(miss.span),
            miss.fixed()
        )
    } else if let Some(r) = refused.first() {
        format!(
            "`{}` is a kind this project does not accept (policy `references`: {}); add one of those on its own line",
            r.display(),
            ctx.policy.references.join(", ")
        )
    } else {
        "add a line such as `Closes-Bug: <launchpad bug>` or `Story: <id>` / `Task: <id>` below the subject"
            .to_owned()
    };
    finding = finding.help(help);
    for miss in &msg.near_misses {
        finding = finding.also(
            Label::new(&msg.source, miss.span)
                .with_note(format!("not a reference: write `{}`", miss.fixed())),
        );
    }
    for r in &msg.commented {
        finding = finding.also(
            Label::new(&msg.source, r.span)
                .with_note("this reference is in a `#` comment, which git drops"),
        );
    }
    out.push(finding);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::run;

    #[test]
    fn required_and_absent() {
        let found = run(check, "Update tag\n\nChange-Id: I1\n", true);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].primary.start().line, 1);
    }

    #[test]
    fn present_or_not_required() {
        assert!(run(check, "Update tag\n\nPartial-bug: 1\n", true).is_empty());
        assert!(run(check, "Move entries\n", false).is_empty());
    }

    #[test]
    fn a_comment_does_not_count() {
        let found = run(check, "Update tag\n\n# Story: 5\n", true);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].secondary.len(), 1);
    }

    /// Issue 14: `closes-bug 2000001` got no hint that only the colon was missing.
    #[test]
    fn a_near_miss_gets_the_fix() {
        let found = run(check, "Update tag\n\ncloses-bug 2000001\n", true);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].help.as_deref(),
            Some("`closes-bug 2000001` is not read as a reference; write it `Closes-Bug: 2000001` on its own line")
        );
        assert_eq!(found[0].secondary[0].start().line, 3);
    }

    #[test]
    fn subject_reference_is_left_to_tm102() {
        assert!(run(check, "Story: 5 update\n", true).is_empty());
    }
}
