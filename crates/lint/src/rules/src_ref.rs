//! TM007 `src-ref`: `src_ref` is exactly `<allowed prefix><project>/commit/<40 lower-case hex>`.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM007` prints it.

use tagman_core::{Severity, SourceFile, Spanned};
use tagman_diag::sink::Findings;

use crate::context::Context;
use crate::text::value_span;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM007.
pub static RULE: Rule = Rule {
    code: "TM007",
    name: "src-ref",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "`src_ref` is https://…/<project>/commit/<40 lower-case hex> under an allowed prefix",
    docs: Docs {
        what: r#"Requires an `https://` URL under one of the policy's `src_ref_prefixes`
(default `https://opendev.org/starlingx/`) naming one commit by its full SHA. Abbreviated or
upper-case SHAs, `http://`, branch, tag or tree URLs are errors."#,
        why: r#"`src_ref` records what the image was built from. A branch URL moves; an abbreviated
SHA can become ambiguous; a URL outside the project's hosting cannot be verified."#,
        example: r#"`src_ref: https://opendev.org/starlingx/integ/src/branch/master`."#,
        fix: r#"`https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4`."#,
    },
};

/// Checks every entry's `src_ref`.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    for (src, entry) in cx.entries() {
        if let Some(src_ref) = &entry.src_ref {
            if let Some(finding) = check_one(src, src_ref, &cx.policy.src_ref_prefixes) {
                out.push(finding);
            }
        }
    }
}

fn check_one(src: &SourceFile, src_ref: &Spanned<String>, prefixes: &[String]) -> Option<Finding> {
    let url = src_ref.value.as_str();
    let whole = Label::new(src, src_ref.span);
    let example = prefixes.first().map_or_else(String::new, |p| {
        format!(" e.g. {p}<project>/commit/<40 hex sha>")
    });
    if let Some(rest) = url.strip_prefix("http://") {
        return Some(
            Finding::new(
                Label::new(src, value_span(src, src_ref, 0, 7)),
                "src_ref uses http://",
            )
            .help(format!("use https://{rest}")),
        );
    }
    let Some(prefix) = prefixes.iter().find(|p| url.starts_with(p.as_str())) else {
        return Some(
            Finding::new(
                whole,
                format!("`{url}` is not under an allowed source prefix"),
            )
            .help(format!(
                "src_ref must start with {}{example}",
                prefixes.join(" or ")
            )),
        );
    };
    let rest = url.get(prefix.len()..).unwrap_or("");
    let (project, after) = rest.split_once('/').unwrap_or((rest, ""));
    let Some(sha) = after.strip_prefix("commit/") else {
        let what = if after.starts_with("src/branch/") || after.starts_with("tree/") {
            "a branch or tree URL, which moves"
        } else if after.starts_with("src/tag/") || after.starts_with("tag/") {
            "a tag URL, which can be moved"
        } else {
            "not a commit URL"
        };
        return Some(
            Finding::new(whole, format!("src_ref is {what}")).help(format!(
                "point at one commit: {prefix}{project}/commit/<40 hex sha>"
            )),
        );
    };
    if project.is_empty() {
        return Some(
            Finding::new(whole, "src_ref names no project")
                .help(format!("use {prefix}<project>/commit/<sha>")),
        );
    }
    let sha_offset = prefix.len() + project.len() + "/commit/".len();
    let sha_label = Label::new(src, value_span(src, src_ref, sha_offset, sha.len()));
    check_sha(sha, sha_label, &example)
}

/// The commit SHA of a commit URL: 40 lower-case hex digits.
fn check_sha(sha: &str, at: Label, example: &str) -> Option<Finding> {
    if sha.bytes().any(|b| b.is_ascii_uppercase()) && sha.len() == 40 {
        return Some(
            Finding::new(at, "the commit SHA has upper-case letters").help(format!(
                "write it in lower case: {}",
                sha.to_ascii_lowercase()
            )),
        );
    }
    let hex = sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if hex && sha.len() < 40 && sha.len() >= 4 {
        return Some(
            Finding::new(
                at,
                format!(
                    "the commit SHA is abbreviated ({} of 40 characters)",
                    sha.len()
                ),
            )
            .help("use the full 40-character SHA: `git rev-parse <sha>` in the project's clone"),
        );
    }
    if !hex || sha.len() != 40 {
        return Some(
            Finding::new(
                at,
                format!("`{sha}` is not a 40-character lower-case commit SHA"),
            )
            .help(format!("src_ref ends with the full commit SHA{example}")),
        );
    }
    None
}
