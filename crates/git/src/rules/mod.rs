//! The git-aware rules, one file each, and the slices that register them (one line per rule):
//! commit-message rules (TM101–TM105), `src_ref` verification against local clones (TM108–TM110) and the `--online`
//! reference lookups (TM111–TM113).

use tagman_core::{Entry, Manifest, Policy};
use tagman_diag::diagnostic::Label;
use tagman_diag::registry::{self, Rule};
use tagman_diag::Findings;

use crate::message::{Message, RefLine};
use crate::online::Lookup;
use crate::verify::Verdict;
use tagman_core::Requirement;

pub mod reference_commented;
pub mod reference_in_subject;
pub mod reference_malformed;
pub mod reference_missing;
pub mod reference_not_found;
pub mod reference_private;
pub mod reference_spelling;
pub mod reference_unchecked;
pub mod src_ref_after_build;
pub mod src_ref_unknown_commit;
pub mod src_ref_unverified;

/// What a commit-message rule looks at.
#[derive(Debug)]
pub struct MessageContext<'a> {
    /// The message.
    pub message: &'a Message,
    /// Whether the change needs a reference.
    pub requirement: &'a Requirement,
    /// The policy in force (which reference kinds count).
    pub policy: &'a Policy,
}

/// A commit-message check: pushes findings, never fails.
pub type MessageCheck = fn(&MessageContext<'_>, &mut Findings);

/// Every commit-message rule, in code order.
pub static MESSAGE_RULES: &[(&Rule, MessageCheck)] = &[
    (&reference_missing::RULE, reference_missing::check),
    (&reference_in_subject::RULE, reference_in_subject::check),
    (&reference_malformed::RULE, reference_malformed::check),
    (&reference_commented::RULE, reference_commented::check),
    (&reference_spelling::RULE, reference_spelling::check),
];

/// What a `src_ref` verification rule looks at: every entry with its verdict.
#[derive(Debug)]
pub struct SrcRefContext<'a> {
    /// Each verified entry, where it stands, and what verification found.
    pub verdicts: &'a [(&'a Manifest, &'a Entry, Verdict)],
}

impl<'a> SrcRefContext<'a> {
    /// Each verdict with a label at its entry's `src_ref` (entries without one have no verdict
    /// worth reporting).
    pub fn labelled(&self) -> impl Iterator<Item = (Label, &'a Verdict)> + '_ {
        self.verdicts
            .iter()
            .filter_map(|(manifest, entry, verdict)| {
                let src_ref = entry.src_ref.as_ref()?;
                Some((Label::new(&manifest.source, src_ref.span), verdict))
            })
    }
}

/// A `src_ref` verification check.
pub type SrcRefCheck = fn(&SrcRefContext<'_>, &mut Findings);

/// Every `src_ref` verification rule, in code order.
pub static SRC_REF_RULES: &[(&Rule, SrcRefCheck)] = &[
    (&src_ref_unknown_commit::RULE, src_ref_unknown_commit::check),
    (&src_ref_after_build::RULE, src_ref_after_build::check),
    (&src_ref_unverified::RULE, src_ref_unverified::check),
];

/// What an online rule looks at: each accepted reference of a message with the service's answer.
#[derive(Debug)]
pub struct OnlineContext<'a> {
    /// The message the references are in.
    pub message: &'a Message,
    /// Each reference and what its service said.
    pub results: &'a [(RefLine, Lookup)],
}

/// An online check.
pub type OnlineCheck = fn(&OnlineContext<'_>, &mut Findings);

/// Every online rule, in code order.
pub static ONLINE_RULES: &[(&Rule, OnlineCheck)] = &[
    (&reference_not_found::RULE, reference_not_found::check),
    (&reference_private::RULE, reference_private::check),
    (&reference_unchecked::RULE, reference_unchecked::check),
];

/// Every rule of this crate, for the registry.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    registry::metadata(MESSAGE_RULES)
        .chain(registry::metadata(SRC_REF_RULES))
        .chain(registry::metadata(ONLINE_RULES))
}

/// Whether the message lacks an accepted body reference (the case TM101 and TM102 report).
pub(crate) fn lacks_reference(ctx: &MessageContext<'_>) -> bool {
    ctx.message
        .accepted(&ctx.policy.references)
        .next()
        .is_none()
}

#[cfg(test)]
pub(crate) mod test_support {
    use tagman_core::{Policy, SourceFile};
    use tagman_diag::{Finding, Findings};

    use super::{MessageCheck, MessageContext};
    use crate::message::Message;
    use tagman_core::Requirement;

    /// Runs `check` on `text` (a message file, comments stripped) and returns the messages.
    pub fn run(check: MessageCheck, text: &str, required: bool) -> Vec<Finding> {
        let message = Message::parse(SourceFile::new("COMMIT_EDITMSG", text), true);
        let requirement = if required {
            Requirement::unknown("test")
        } else {
            Requirement::NotRequired
        };
        let policy = Policy::default();
        let ctx = MessageContext {
            message: &message,
            requirement: &requirement,
            policy: &policy,
        };
        let mut out = Findings::unlimited();
        check(&ctx, &mut out);
        out.into_vec()
    }
}

#[cfg(test)]
mod tests {
    use tagman_core::{Policy, SourceFile};
    use tagman_diag::registry::Subject;

    use super::*;

    /// The `--online` lookups check the commit message, as TM101–TM105 do: each rule's subject
    /// says so (the outputs route findings by it: Zuul's `/COMMIT_MSG`, SARIF's message
    /// artifact), and each finding points into the message, at the reference's number.
    #[test]
    fn the_online_rules_are_commit_message_rules_too() {
        let online: Vec<&Rule> = registry::metadata(ONLINE_RULES).collect();
        let codes: Vec<&str> = online.iter().map(|r| r.code).collect();
        assert_eq!(codes, ["TM111", "TM112", "TM113"]);
        for rule in registry::metadata(MESSAGE_RULES).chain(online) {
            assert_eq!(rule.subject, Subject::CommitMessage, "{}", rule.code);
        }
        // The subject is no constant: the `src_ref` checks report on the manifests.
        for rule in registry::metadata(SRC_REF_RULES) {
            assert_eq!(rule.subject, Subject::Manifest, "{}", rule.code);
        }

        let text = "Bump the images\n\nCloses-Bug: 2000001\n";
        let message = Message::parse(SourceFile::new(".git/COMMIT_EDITMSG", text), true);
        let policy = Policy::default();
        let Some(reference) = message.accepted(&policy.references).next().cloned() else {
            panic!("no reference in {text:?}");
        };
        let unreachable = Lookup::Unreachable {
            url: "https://api.launchpad.net/devel/bugs/2000001".to_owned(),
            reason: "timed out".to_owned(),
        };
        let lookups = [Lookup::NotFound, Lookup::Private, unreachable];
        for ((rule, check), lookup) in ONLINE_RULES.iter().zip(lookups) {
            let results = [(reference.clone(), lookup)];
            let mut out = Findings::unlimited();
            let cx = OnlineContext {
                message: &message,
                results: &results,
            };
            check(&cx, &mut out);
            let findings = out.into_vec();
            assert_eq!(findings.len(), 1, "{}: {findings:?}", rule.code);
            let label = &findings[0].primary;
            assert_eq!(label.file.name(), ".git/COMMIT_EDITMSG", "{}", rule.code);
            assert_eq!(label.span, reference.value_span, "{}", rule.code);
        }
    }
}
