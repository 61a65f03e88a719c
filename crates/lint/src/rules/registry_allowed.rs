//! TM011 `registry-allowed`: an image name lies under one of the policy's registries/namespaces.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM011` prints it.

use tagman_core::reference::canonical_registry;
use tagman_core::Severity;
use tagman_diag::sink::Findings;

use crate::context::Context;
use tagman_diag::diagnostic::{Finding, Label};
use tagman_diag::registry::{Docs, Rule, Subject};

/// TM011.
pub static RULE: Rule = Rule {
    code: "TM011",
    name: "registry-allowed",
    default: Severity::Error,
    subject: Subject::Manifest,
    summary: "`name` lies under a registry/namespace the policy allows (when `registries` is set)",
    docs: Docs {
        what: r#"When `registries` is set in tagman.yaml (e.g. `docker.io/starlingx`), every
`name` must fall under one of them. Docker Hub's spellings (`docker.io`, `index.docker.io`,
`registry-1.docker.io`, none) count as one registry."#,
        why: r#"The promote job has credentials for the project's own namespace only; a name outside
it is a typo or an image the project does not own."#,
        example: r#"`name: docker.io/starlingz/rvmc` with `registries: [docker.io/starlingx]`."#,
        fix: r#"Correct the name, or add the namespace to `registries` if it is meant."#,
    },
};

/// Checks every valid `name` against the policy's `registries`.
pub fn check(cx: &Context<'_>, out: &mut Findings) {
    if cx.policy.registries.is_empty() {
        return;
    }
    let allowed: Vec<String> = cx
        .policy
        .registries
        .iter()
        .map(|r| canonical_prefix(r))
        .collect();
    for (src, entry) in cx.entries() {
        let (Some(name), Some(Ok(image))) = (&entry.name, entry.image_name()) else {
            continue;
        };
        let full = image.to_string();
        let inside = allowed
            .iter()
            .any(|prefix| full == *prefix || full.starts_with(&format!("{prefix}/")));
        if !inside {
            out.push(
                Finding::new(
                    Label::new(src, name.span),
                    format!("`{}` is outside the allowed registries", name.value),
                )
                .help(format!(
                    "names must lie under {}",
                    cx.policy.registries.join(", ")
                )),
            );
        }
    }
}

/// `index.docker.io/starlingx/` → `docker.io/starlingx`; `starlingx` → `docker.io/starlingx`.
fn canonical_prefix(prefix: &str) -> String {
    let trimmed = prefix.trim_end_matches('/');
    let (first, rest) = trimmed.split_once('/').unwrap_or((trimmed, ""));
    let is_host = first.contains('.') || first.contains(':') || first == "localhost";
    match (is_host, rest.is_empty()) {
        (true, true) => canonical_registry(first).to_owned(),
        (true, false) => format!("{}/{rest}", canonical_registry(first)),
        (false, _) => format!("docker.io/{trimmed}"),
    }
}
