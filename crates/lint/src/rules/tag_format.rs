//! TM004 `tag-format`: `tag` is a release tag, `stx.<MAJOR>.<MINOR>-v<version>[-<N>][-g<hash>][-<codename>]`.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM004` prints it.

use tagman_core::tag::{parse_release_tag, TagProblem};
use tagman_core::{Severity, SourceFile, Spanned};
use tagman_diag::sink::Findings;

use crate::context::Context;
use crate::text::value_span;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM004.
pub static RULE: Rule = Rule {
    code: "TM004",
    name: "tag-format",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "`tag` is stx.<MAJOR>.<MINOR>-v<version>[-<N>][-g<hash>][-<codename>] within the OCI tag grammar",
    docs: Docs {
        what: r#"Takes the tag apart and points at the first part that breaks the grammar:
characters outside the OCI tag grammar or more than 128 of them, upper case, a floating tag
(`latest`), a missing `stx.` prefix, a release that is not MAJOR.MINOR, a separator other
than `-v`, a version that is not dotted numbers, a suffix that is not a count, a
`git describe` hash or one of the policy's codenames. Where the intended tag is obvious it
says which."#,
        why: r#"`stx.8.0.v1.0.5` sat in StarlingX's file for four days in 2022: every consumer of
the documented `stx.8.0-v1.0.5` would have failed to pull."#,
        example: r#"`tag: stx.8.0.v1.0.5`, `tag: stx.4.0-2.2`, `tag: stx.4-v1.0`, `tag: latest`."#,
        fix: r#"`stx.8.0-v1.0.5`, `stx.4.0-v2.2`, `stx.4.0-v1.0`."#,
    },
};

const SHAPE: &str = "release tags are stx.<MAJOR>.<MINOR>-v<version>, optionally followed by \
                     -<N>, -g<7-40 hex> and -<codename>, e.g. stx.10.0-v1.0.0 or \
                     stx.4.0-v0.11.0-103-g4f28657";

/// Checks every entry's `tag`.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (src, entry) in cx.entries() {
        let Some(tag) = &entry.tag else { continue };
        if let Err(problem) = parse_release_tag(&tag.value, &cx.policy.codenames) {
            out.push(finding(src, tag, problem, &cx.policy.codenames));
        }
    }
}

/// The finding for one way a tag breaks the grammar, pointing at the part that breaks it.
fn finding(
    src: &SourceFile,
    tag: &Spanned<String>,
    problem: TagProblem,
    codenames: &[String],
) -> Finding {
    let (part, message, help) = words(&tag.value, problem, codenames);
    let span = match part {
        Some((offset, len)) => value_span(src, tag, offset, len),
        None => tag.span,
    };
    Finding::new(Label::new(src, span), message).help(help)
}

/// What one way of breaking the grammar is called: the part of the value that breaks it
/// (offset, length; `None` for the whole value), the message and the help.
fn words(
    value: &str,
    problem: TagProblem,
    codenames: &[String],
) -> (Option<(usize, usize)>, String, String) {
    // Offsets come from the parser and lie on character boundaries; `get` keeps a wrong one from
    // ever panicking (the whole value is labelled instead).
    let from = |offset: usize| value.get(offset..).unwrap_or("");
    let shape = || SHAPE.to_owned();
    match problem {
        TagProblem::NotOci { offset, reason } => {
            let len = from(offset).chars().next().map_or(0, char::len_utf8);
            let part = (offset > 0).then_some((offset, len));
            (
                part,
                format!("`{value}` is not a valid OCI tag: {reason}"),
                shape(),
            )
        }
        TagProblem::Floating => (
            None,
            format!("`{value}` is a floating tag"),
            "a release tag must never move; name the version: stx.<MAJOR>.<MINOR>-v<version>"
                .to_owned(),
        ),
        TagProblem::UpperCase { offset } => (
            Some((offset, 1)),
            "release tags are lower case".to_owned(),
            format!("use `{}`", value.to_ascii_lowercase()),
        ),
        TagProblem::NoStxPrefix => (
            None,
            format!("`{value}` does not start with `stx.`"),
            shape(),
        ),
        TagProblem::BadRelease { offset } => {
            let len = from(offset).find('-').unwrap_or(from(offset).len());
            let message = "the release after `stx.` must be MAJOR.MINOR".to_owned();
            (Some((offset, len)), message, shape())
        }
        TagProblem::BadSeparator { offset, suggestion } => {
            let found: String = from(offset).chars().take(2).collect();
            let before = value.get(..offset).unwrap_or(value);
            let message = format!("expected `-v` after `{before}`, found `{found}`");
            let help = suggestion.map_or_else(shape, |fixed| format!("did you mean `{fixed}`?"));
            (Some((offset, found.len())), message, help)
        }
        TagProblem::BadVersion { offset } => (
            Some((offset, from(offset).len())),
            "the version after `-v` must be dotted numbers (`1.0.5`)".to_owned(),
            shape(),
        ),
        TagProblem::BadSuffix { offset, part } => (
            Some((offset, part.len())),
            format!("unexpected `-{part}` after the version"),
            suffix_help(&part, codenames),
        ),
        _ => (None, format!("`{value}` is not a release tag"), shape()),
    }
}

/// The help for a part after the version that is not a build number, a commit or a codename.
fn suffix_help(part: &str, codenames: &[String]) -> String {
    let codenames = codenames.join(", ");
    if part.bytes().all(|b| b.is_ascii_lowercase()) && !part.starts_with('g') {
        format!(
            "`{part}` is not one of the policy's codenames ({codenames}); \
             add it to `codenames` in tagman.yaml if it is a new release"
        )
    } else {
        format!(
            "after the version only -<N>, -g<7-40 hex> and -<codename> ({codenames}) \
             may follow, in that order"
        )
    }
}
