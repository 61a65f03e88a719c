//! TM009 `build-tag-future`: a build timestamp later than now.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM009` prints it.

use tagman_core::tag::parse_build_tag;
use tagman_core::Severity;
use tagman_diag::sink::Findings;

use crate::context::Context;
use crate::text::value_span;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM009.
pub static RULE: Rule = Rule {
    code: "TM009",
    name: "build-tag-future",
    default: Severity::Warning,
    subject: Subject::Manifest,
    summary: "the `src_build_tag` timestamp is not in the future",
    docs: Docs {
        what: r#"Warns when the `YYYYMMDDTHHMMSSZ` of `src_build_tag` lies in the future."#,
        why: r#"No build has happened yet at that time: the tag was mistyped or invented, and the
promote job will find no such image."#,
        example: r#"`src_build_tag: master-debian-stable-20991231T000000Z.0`."#,
        fix: r#"Copy the tag from the build's image list."#,
    },
};

/// Checks every valid build timestamp against `cx.now`.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (src, entry) in cx.entries() {
        let Some(build) = &entry.src_build_tag else {
            continue;
        };
        let Ok(stamp) = parse_build_tag(&build.value) else {
            continue;
        };
        if stamp.unix > cx.now {
            out.push(
                Finding::new(
                    Label::new(src, value_span(src, build, stamp.offset, 16)),
                    "this build timestamp is in the future",
                )
                .help("no build has this time yet; copy the tag from the build's image list"),
            );
        }
    }
}
