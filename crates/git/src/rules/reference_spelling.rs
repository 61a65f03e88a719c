//! TM105 `reference-spelling`: a reference key spelled in a non-canonical case.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM105` prints it.

use tagman_core::Severity;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::MessageContext;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM105",
    name: "reference-spelling",
    default: Severity::Warning,
    subject: Subject::CommitMessage,
    summary: "a bug or story reference key not spelled canonically (`Closes-Bug`, `Story`)",
    docs: Docs {
        what: r#"Reports `Closes-bug:`, `partial-BUG:`, `story:`: keys are matched in any
case (StarlingX history has `Closes-bug` many times, and it is accepted), but the canonical
spelling is `Closes-Bug`, `Partial-Bug`, `Related-Bug`, `Story`, `Task`."#,
        why: r#"Some tools (Launchpad's Gerrit hook among them) match the canonical spelling only."#,
        example: r#"`Closes-bug: 1854869`"#,
        fix: r#"`Closes-Bug: 1854869`. Set the rule to `off` in `tagman.yaml` to allow any case."#,
    },
};

/// Reports each body reference whose key differs from the canonical spelling.
pub fn check(ctx: &MessageContext<'_>, out: &mut Findings) {
    let msg = ctx.message;
    for r in msg
        .references
        .iter()
        .filter(|r| r.key != r.kind.canonical())
    {
        out.push(
            Finding::new(
                Label::new(&msg.source, r.key_span),
                format!(
                    "`{}` is accepted, but the canonical spelling is `{}`",
                    r.key,
                    r.kind.canonical()
                ),
            )
            .help(format!("write `{}:`", r.kind.canonical())),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_support::run;

    #[test]
    fn lower_case_key() {
        let found = run(check, "s\n\nCloses-bug: 1\nStory: 2\n", true);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].help.as_deref(), Some("write `Closes-Bug:`"));
    }
}
