//! TM201 floating-reference: an image of a managed namespace referenced by a tag that moves.
//!
//! The rule's documentation (what it does, why, an example, the fix) is data on [`RULE`]:
//! `tagman rules --explain TM201` prints it.

use tagman_core::tag::is_floating;
use tagman_core::Severity;
use tagman_diag::diagnostic::Finding;
use tagman_diag::registry::{Docs, Rule, Subject};
use tagman_diag::Findings;

use super::{FileContext, Tag};

/// The rule.
pub static RULE: Rule = Rule {
    code: "TM201",
    name: "floating-reference",
    default: Severity::Error,
    subject: Subject::SourceTree,
    summary: "a managed image is referenced by a floating tag (`latest`, `*-latest`, no tag)",
    docs: Docs {
        what: r#"Flags pulls of a managed image with no tag (which means `latest`), by
`latest`, or by a tag ending in `-latest` (`master-centos-stable-latest`). A name without a
tag counts only where something pulls it: an `image:`-like key, a Dockerfile `FROM`, a
`docker|podman|nerdctl|crictl|ctr pull|run|create` or `skopeo`/`crane` argument. References in
comments and documentation, images being built or pushed, tags made only of build placeholders
and files listed under `build_inputs` are not checked."#,
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

/// Pushes a finding per pull by a floating tag or by no tag.
pub fn check(ctx: &FileContext<'_>, out: &mut Findings) {
    for (reference, tag) in ctx.pulls() {
        let name = &reference.name;
        let message = match &tag {
            Tag::Missing => format!(
                "`{}` has no tag, so it follows `latest`",
                ctx.text(reference)
            ),
            Tag::Written(t) if is_floating(&t.text) => {
                format!("`{name}` is referenced by the floating tag `{}`", t.text)
            }
            Tag::Elsewhere(t, _) if is_floating(&t.text) => format!(
                "`{name}` is referenced by the floating tag `{}` (the tag the chart default writes)",
                t.text
            ),
            Tag::AppVersion(t, _) if is_floating(&t.text) => format!(
                "`{name}` is referenced by the floating tag `{}` (the chart's appVersion)",
                t.text
            ),
            _ => continue,
        };
        let help = match ctx.catalog.latest(name) {
            Some(declared) => format!(
                "pin a tag a manifest declares, e.g. `tagman refs --bump {name}={}`; if the package build fills this tag in, list the file under `build_inputs` in tagman.yaml",
                declared.tag
            ),
            None => format!(
                "no manifest declares a tag for {name} yet: add an entry, then pin its tag; if the package build fills this tag in, list the file under `build_inputs` in tagman.yaml"
            ),
        };
        let mut finding = Finding::new(ctx.tag_label(reference), message).help(help);
        if let Some(label) = tag.written_at() {
            finding = finding.also(label.clone());
        }
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
    fn floating_and_missing_tags_of_pulls_are_found() {
        for bad in [
            "image: docker.io/starlingx/dex:latest\n",
            "image: docker.io/starlingx/dex:master-centos-stable-latest\n",
            "image: docker.io/starlingx/dex\n",
            "FROM starlingx/dex\n",
        ] {
            let found = run_check(check, bad);
            assert_eq!(found.len(), 1, "{bad}");
            assert!(found[0]
                .help
                .as_deref()
                .unwrap_or("")
                .contains("--bump docker.io/starlingx/dex=stx.9.0-v2.40.0-trixie"));
        }
        for ok in [
            "image: docker.io/starlingx/dex:stx.4.0-v2.14.0-1\n",
            "image: docker.io/starlingx/dex:latest@sha256:0000000000000000000000000000000000000000000000000000000000000000\n",
            "the docker.io/starlingx/dex image\n",
            "# image: docker.io/starlingx/dex:latest\n",
            "mirror: starlingx/dex\n",
            "x: docker.io/starlingx/dex:@IMAGE_PREFIX@-@OS@-@IMAGE_SUFFIX@\n",
        ] {
            assert!(run_check(check, ok).is_empty(), "{ok}");
        }
    }
}
