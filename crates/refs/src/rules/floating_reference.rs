//! TM201 floating-reference: an image of a managed namespace referenced by a tag that moves.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM201` prints it.

use tagman_core::tag::is_floating;
use tagman_core::Severity;
use tagman_lint::diagnostic::Finding;
use tagman_lint::registry::{Docs, Rule, Subject};
use tagman_lint::Findings;

use super::FileContext;

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM201",
    name: "floating-reference",
    default: Severity::Error,
    subject: Subject::SourceTree,
    summary: "a managed image is referenced by a floating tag (`latest`, `*-latest`, no tag)",
    docs: Docs {
        what: r#"Flags references with no tag (which means `latest`), `latest`, or a tag
ending in `-latest` (`master-centos-stable-latest`), except in files the policy lists under
`build_inputs`, whose floating tags the build replaces."#,
        why: r#"A floating tag is re-pointed by every image build, so a release that references one
changes under its users (LP: 1854869). The proposal: "the only cases where we should see
charts/manifests or other references to master-centos-stable-latest tag would be files that
are inputs to the application build"."#,
        example: r#"```yaml
image: docker.io/starlingx/k8s-cni-sriov:master-centos-stable-latest
```"#,
        fix: r#"Reference a tag a manifest declares (`tagman refs --bump NAME=TAG` does it across the
tree), or list the file under `build_inputs` in `tagman.yaml` if the build replaces the tag."#,
    },
};

/// Pushes a finding per floating reference outside build inputs.
pub fn check(ctx: &FileContext<'_>, out: &mut Findings) {
    if ctx.build_input {
        return;
    }
    for reference in &ctx.extracted.refs {
        if reference.digest.is_some() {
            continue; // pinned by content whatever the tag says
        }
        let name = &reference.name;
        let message = match &reference.tag {
            None => format!(
                "`{}` has no tag, so it follows `latest`",
                ctx.text(reference)
            ),
            Some(tag) if is_floating(&tag.text) => {
                format!("`{name}` is referenced by the floating tag `{}`", tag.text)
            }
            Some(_) => continue,
        };
        let help = match ctx.catalog.latest(name) {
            Some(declared) => format!(
                "pin a tag a manifest declares, e.g. `tagman refs --bump {name}={}`; if the build replaces this tag, list the file under `build_inputs` in tagman.yaml",
                declared.tag
            ),
            None => format!(
                "no manifest declares a tag for {name} yet: add an entry, then pin its tag; if the build replaces this tag, list the file under `build_inputs` in tagman.yaml"
            ),
        };
        let mut finding = Finding::new(ctx.tag_label(reference), message).help(help);
        if let Some(declared) = ctx.catalog.latest(name) {
            finding = finding.also(declared.label("last tag declared for this image"));
        }
        out.push(finding);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::run_check;

    #[test]
    fn floating_and_missing_tags_are_found_outside_build_inputs() {
        for bad in [
            "image: docker.io/starlingx/dex:latest\n",
            "image: docker.io/starlingx/dex:master-centos-stable-latest\n",
            "image: docker.io/starlingx/dex\n",
            "FROM starlingx/dex\n",
        ] {
            let found = run_check(check, bad, false);
            assert_eq!(found.len(), 1, "{bad}");
            assert!(found[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("--bump docker.io/starlingx/dex=stx.9.0-v2.40.0-trixie"));
            assert!(run_check(check, bad, true).is_empty(), "build input: {bad}");
        }
        for ok in [
            "image: docker.io/starlingx/dex:stx.4.0-v2.14.0-1\n",
            "image: docker.io/starlingx/dex:latest@sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
            "the docker.io/starlingx/dex image\n",
        ] {
            assert!(run_check(check, ok, false).is_empty(), "{ok}");
        }
    }
}
