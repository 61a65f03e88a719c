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
