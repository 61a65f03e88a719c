//! The commit-message rules (TM101–TM105) and the `src_ref` verification rules (TM108–TM110),
//! one file each, and the slices that register them.

use tagman_core::{Entry, Manifest, Policy};
use tagman_lint::diagnostic::Finding;
use tagman_lint::rule::{Rule, Sink};

use crate::diff::Requirement;
use crate::message::{Message, RefLine};
use crate::online::Lookup;
use crate::verify::Verdict;

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
pub type MessageCheck = fn(&MessageContext<'_>, &mut Vec<Finding>);

/// Every commit-message rule, in code order.
pub static MESSAGE_RULES: &[(&Rule, MessageCheck)] = &[
    (&reference_missing::RULE, reference_missing::check),
    (&reference_in_subject::RULE, reference_in_subject::check),
    (&reference_malformed::RULE, reference_malformed::check),
    (&reference_commented::RULE, reference_commented::check),
    (&reference_spelling::RULE, reference_spelling::check),
];

/// Runs every commit-message rule into `sink`.
pub fn check_message(ctx: &MessageContext<'_>, sink: &mut Sink<'_>) {
    run_all(MESSAGE_RULES, ctx, sink);
}

/// A rule and its check over context `C`.
type Registered<C> = (&'static Rule, fn(&C, &mut Vec<Finding>));

/// Runs each rule of a slice on `cx`, its findings into `sink` under the rule.
fn run_all<C: ?Sized>(rules: &[Registered<C>], cx: &C, sink: &mut Sink<'_>) {
    for (rule, check) in rules {
        let mut findings = Vec::new();
        check(cx, &mut findings);
        sink.push(rule, findings);
    }
}

/// What a `src_ref` verification rule looks at: every entry with its verdict.
#[derive(Debug)]
pub struct SrcRefContext<'a> {
    /// Each verified entry, where it stands, and what verification found.
    pub verdicts: &'a [(&'a Manifest, &'a Entry, Verdict)],
}

/// A `src_ref` verification check.
pub type SrcRefCheck = fn(&SrcRefContext<'_>, &mut Vec<Finding>);

/// Every `src_ref` verification rule, in code order.
pub static SRC_REF_RULES: &[(&Rule, SrcRefCheck)] = &[
    (&src_ref_unknown_commit::RULE, src_ref_unknown_commit::check),
    (&src_ref_after_build::RULE, src_ref_after_build::check),
    (&src_ref_unverified::RULE, src_ref_unverified::check),
];

/// Runs every `src_ref` verification rule into `sink`.
pub fn check_src_refs(cx: &SrcRefContext<'_>, sink: &mut Sink<'_>) {
    run_all(SRC_REF_RULES, cx, sink);
}

/// What an online rule looks at: each accepted reference of a message with the service's answer.
#[derive(Debug)]
pub struct OnlineContext<'a> {
    /// The message the references are in.
    pub message: &'a Message,
    /// Each reference and what its service said.
    pub results: &'a [(RefLine, Lookup)],
}

/// An online check.
pub type OnlineCheck = fn(&OnlineContext<'_>, &mut Vec<Finding>);

/// Every online rule, in code order.
pub static ONLINE_RULES: &[(&Rule, OnlineCheck)] = &[
    (&reference_not_found::RULE, reference_not_found::check),
    (&reference_private::RULE, reference_private::check),
    (&reference_unchecked::RULE, reference_unchecked::check),
];

/// Runs every online rule into `sink`.
pub fn check_online(cx: &OnlineContext<'_>, sink: &mut Sink<'_>) {
    run_all(ONLINE_RULES, cx, sink);
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
    use tagman_lint::diagnostic::Finding;

    use super::{MessageCheck, MessageContext};
    use crate::diff::Requirement;
    use crate::message::Message;

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
        let mut out = Vec::new();
        check(&ctx, &mut out);
        out
    }
}
