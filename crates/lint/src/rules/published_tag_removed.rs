//! TM107 `published-tag-removed`: an image listed at the base revision is no longer listed.
//!
//! **What it does.** With a base revision, reports each (name, tag) of the base for whose image
//! no entry is left at all. Replacing an image's tag with a newer one (how StarlingX updates an
//! image, in place) is not reported; neither is moving an entry to another file.
//!
//! **Why.** The published tag still exists in the registry and deployed releases still pull it;
//! once its entry is gone nothing stops a later change from reusing the tag for another build.
//!
//! **Example.** A change deletes the only `docker.io/starlingx/rvmc` entry.
//!
//! **Fix.** Keep the entry if the image is still shipped; otherwise acknowledge the warning.

use std::collections::HashSet;

use tagman_core::Severity;

use crate::diagnostic::{Finding, Label};
use crate::rule::{Context, Rule};

/// TM107.
pub static RULE: Rule = Rule {
    code: "TM107",
    name: "published-tag-removed",
    severity: Severity::Warning,
    summary: "an image listed at the base revision has no entry left",
};

/// Reports base entries whose image has disappeared.
pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if cx.base.is_empty() {
        return;
    }
    let names: HashSet<String> = cx
        .manifests
        .iter()
        .flat_map(|m| m.entries.iter().filter_map(|e| e.key().map(|k| k.0)))
        .collect();
    let mut reported = HashSet::new();
    for manifest in cx.base {
        for entry in &manifest.entries {
            let Some((name, tag)) = entry.key() else {
                continue;
            };
            if names.contains(&name) || !reported.insert((name.clone(), tag.clone())) {
                continue;
            }
            out.push(
                Finding::new(
                    Label::new(&manifest.source, entry.label_span()),
                    format!("`{name}:{tag}` was published but no entry for {name} is left"),
                )
                .help("keep the entry while releases still pull the tag, so it is never reused for another build"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tagman_core::{Limits, Manifest, Policy, SourceFile};

    fn manifest(name: &str, images: &[(&str, &str)]) -> Manifest {
        let mut text = String::from("images:\n");
        for (image, tag) in images {
            text.push_str(&format!(
                "  - name: docker.io/starlingx/{image}\n    src_build_tag: master-debian-stable-20240101T000000Z.0\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: {tag}\n"
            ));
        }
        Manifest::parse(SourceFile::new(name, text), &Limits::default()).unwrap()
    }

    fn run(base: &[Manifest], head: &[Manifest]) -> Vec<Finding> {
        let policy = Policy::default();
        let cx = Context::new(head, &[], &policy, 0, base);
        let mut out = Vec::new();
        check(&cx, &mut out);
        out
    }

    #[test]
    fn dropped_image_warns_superseded_tag_does_not() {
        let base = [manifest(
            "HEAD~1:a.yaml",
            &[("rvmc", "stx.8.0-v1.0.1"), ("snmp", "stx.8.0-v1.0.0")],
        )];
        let head = [manifest("a.yaml", &[("rvmc", "stx.8.0-v1.0.2")])];
        let found = run(&base, &head);
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .message
            .contains("docker.io/starlingx/snmp:stx.8.0-v1.0.0"));
        assert_eq!(found[0].primary.file.name(), "HEAD~1:a.yaml");
    }
}
