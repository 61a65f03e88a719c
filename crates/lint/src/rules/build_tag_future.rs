//! TM009 `build-tag-future`: a build timestamp later than now.
//!
//! **What it does.** Warns when the `YYYYMMDDTHHMMSSZ` of `src_build_tag` lies in the future.
//!
//! **Why.** No build has happened yet at that time: the tag was mistyped or invented, and the
//! promote job will find no such image.
//!
//! **Example.** `src_build_tag: master-debian-stable-20991231T000000Z.0`.
//!
//! **Fix.** Copy the tag from the build's image list.

use tagman_core::tag::parse_build_tag;
use tagman_core::Severity;

use crate::diagnostic::{Finding, Label};
use crate::rule::{Context, Rule};
use crate::text::value_span;

/// TM009.
pub static RULE: Rule = Rule {
    code: "TM009",
    name: "build-tag-future",
    severity: Severity::Warning,
    summary: "the `src_build_tag` timestamp is not in the future",
};

/// Checks every valid build timestamp against `cx.now`.
pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    for manifest in cx.manifests {
        let src = &manifest.source;
        for entry in &manifest.entries {
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
}
