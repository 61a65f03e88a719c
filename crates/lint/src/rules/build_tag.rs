//! TM006 `build-tag`: `src_build_tag` is a timestamped build tag, never floating, never the release tag.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM006` prints it.

use tagman_core::tag::{parse_build_tag, BuildTagProblem};
use tagman_core::Severity;
use tagman_diag::sink::Findings;

use crate::context::Context;
use crate::text::value_span;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM006.
pub static RULE: Rule = Rule {
    code: "TM006",
    name: "build-tag",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "`src_build_tag` is a real `…-YYYYMMDDTHHMMSSZ.N` build tag, not floating, not equal to `tag`",
    docs: Docs {
        what: r#"Requires `src_build_tag` to end in `-YYYYMMDDTHHMMSSZ.N` with a real date
and time (`master-centos-stable-20191203T153530Z.0`). A floating tag
(`master-centos-stable-latest`) is an error, and so is a `tag` equal to `src_build_tag`."#,
        why: r#"The release tag must name exactly one build. A floating source tag makes the result
depend on when the promote job runs, which is the bug (LP 1854869) tag management exists for."#,
        example: r#"`src_build_tag: master-centos-stable-latest`, `src_build_tag: 20230229T000000Z.0`."#,
        fix: r#"Copy the timestamped tag from the build's image list."#,
    },
};

/// Checks every entry's `src_build_tag`.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (src, entry) in cx.entries() {
        let Some(build) = &entry.src_build_tag else {
            continue;
        };
        if let Some(tag) = entry.tag.as_ref().filter(|t| t.value == build.value) {
            out.push(
                Finding::new(Label::new(src, tag.span), "`tag` is the same as `src_build_tag`")
                    .help("the release tag names the build under a stable name of its own, e.g. stx.10.0-v1.0.0")
                    .also(Label::new(src, build.span).with_note("the build tag")),
            );
        }
        let finding = match parse_build_tag(&build.value) {
            Ok(_) => continue,
            Err(BuildTagProblem::Floating) => Finding::new(
                Label::new(src, build.span),
                format!("`{}` is a floating tag: it moves with every build", build.value),
            )
            .help("use the timestamped tag of the build, e.g. master-debian-stable-20240719T060056Z.0"),
            Err(BuildTagProblem::BadDate { offset, reason }) => Finding::new(
                Label::new(src, value_span(src, build, offset, 16)),
                format!("the build timestamp is not a real date and time: {reason}"),
            )
            .help("copy the tag exactly as the build published it"),
            Err(_) => Finding::new(
                Label::new(src, build.span),
                format!("`{}` is not a timestamped build tag", build.value),
            )
            .help("build tags end in -YYYYMMDDTHHMMSSZ.N, e.g. master-centos-stable-20191203T153530Z.0"),
        };
        out.push(finding);
    }
}
