//! TM001 `yaml`: the file must be readable, UTF-8 YAML within the parser's budgets.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM001` prints it.

use tagman_core::Severity;
use tagman_diag::sink::Findings;

use crate::context::Context;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM001.
pub static RULE: Rule = Rule {
    code: "TM001",
    name: "yaml",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "the file is readable UTF-8 YAML within size and parser budgets",
    docs: Docs {
        what: r#"Reports a file that is not UTF-8, is over the size cap, breaks YAML syntax,
or exceeds a parser budget (nesting depth, node count, alias expansion), at the place it broke."#,
        why: r#"Nothing else can be checked in such a file, and a hostile input (an alias bomb, a
100k-deep nesting) must be refused quickly instead of hanging a CI job."#,
        example: r#"`images: [ {name: a` (unclosed flow collection)."#,
        fix: r#"Correct the YAML at the position shown."#,
    },
};

/// Reports every file that did not parse.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    out.extend(cx.unparsed.iter().map(|u| {
        Finding::new(Label::new(&u.source, u.span), u.message.clone()).help(u.help.clone())
    }));
}
