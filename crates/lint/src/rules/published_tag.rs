//! TM106 `published-tag-moved`: a tag published at the base revision now points at another build.
//!
//! **What it does.** With a base revision (`--base REV`, or the parent for `--commit REV`), reads
//! every manifest as it stood there and reports each entry whose (name, tag) existed at the base
//! with a different `src_build_tag` or `src_ref`. Names compare canonically; an entry moved to
//! another file with the same values is fine.
//!
//! **Why.** A published tag is what deployed releases pull. Re-pointing it silently changes what
//! they run, and no two pulls of the tag can be trusted to be the same image again.
//!
//! **Example.** At the base `stx.4.0-v2.2` was built from `master-centos-stable-20191203T153530Z.0`;
//! the change gives the same tag `master-centos-stable-20200115T120000Z.0`.
//!
//! **Fix.** Restore the published values and give the new build a new tag (bump the version).

use std::collections::HashMap;

use tagman_core::{Entry, Manifest, Severity, Spanned};

use crate::diagnostic::{Finding, Label};
use crate::rule::{Context, Rule};

/// TM106.
pub static RULE: Rule = Rule {
    code: "TM106",
    name: "published-tag-moved",
    severity: Severity::Error,
    summary: "a tag published at the base revision is re-pointed to another build or source",
};

/// The first entry of each (name, tag) in `manifests`.
pub(crate) fn published(manifests: &[Manifest]) -> HashMap<(String, String), (&Manifest, &Entry)> {
    let mut map = HashMap::new();
    for manifest in manifests {
        for entry in &manifest.entries {
            if let Some(key) = entry.key() {
                map.entry(key).or_insert((manifest, entry));
            }
        }
    }
    map
}

fn value(field: Option<&Spanned<String>>) -> Option<&str> {
    field.map(|s| s.value.as_str())
}

/// Reports every re-pointed tag, at the new value, quoting the published one.
pub fn check(cx: &Context<'_>, out: &mut Vec<Finding>) {
    if cx.base.is_empty() {
        return;
    }
    let base = published(cx.base);
    for manifest in cx.manifests {
        for entry in &manifest.entries {
            let Some(key) = entry.key() else { continue };
            let Some((old_manifest, old)) = base.get(&key) else {
                continue;
            };
            let build_moved =
                value(entry.src_build_tag.as_ref()) != value(old.src_build_tag.as_ref());
            let ref_moved = value(entry.src_ref.as_ref()) != value(old.src_ref.as_ref());
            if !build_moved && !ref_moved {
                continue;
            }
            let (new_field, old_field) = if build_moved {
                (entry.src_build_tag.as_ref(), old.src_build_tag.as_ref())
            } else {
                (entry.src_ref.as_ref(), old.src_ref.as_ref())
            };
            let at = new_field.map_or(entry.label_span(), |f| f.span);
            let message = format!(
                "`{}:{}` was published from {} ({}); re-pointing it changes what deployed releases run",
                key.0,
                key.1,
                value(old.src_build_tag.as_ref()).unwrap_or("(none)"),
                value(old.src_ref.as_ref()).unwrap_or("(none)"),
            );
            let old_at = old_field.map_or(old.label_span(), |f| f.span);
            out.push(
                Finding::new(Label::new(&manifest.source, at), message)
                    .help("restore the published values and give the new build a new tag")
                    .also(
                        Label::new(&old_manifest.source, old_at)
                            .with_note("published with this value"),
                    ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tagman_core::{Limits, Policy, SourceFile};

    fn manifest(name: &str, build: &str) -> Manifest {
        let text = format!(
            "images:\n  - name: docker.io/starlingx/k8s-cni-sriov\n    src_build_tag: {build}\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: stx.4.0-v2.2\n"
        );
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
    fn repointed_tag_is_reported_with_the_old_value() {
        let base = [manifest(
            "HEAD~1:a.yaml",
            "master-centos-stable-20191203T153530Z.0",
        )];
        let head = [manifest(
            "a.yaml",
            "master-centos-stable-20200115T120000Z.0",
        )];
        let found = run(&base, &head);
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .message
            .contains("was published from master-centos-stable-20191203T153530Z.0"));
        assert_eq!(found[0].primary.start().line, 3);
        assert_eq!(found[0].secondary[0].file.name(), "HEAD~1:a.yaml");
    }

    #[test]
    fn unchanged_or_moved_is_fine() {
        let base = [manifest(
            "HEAD~1:a.yaml",
            "master-centos-stable-20191203T153530Z.0",
        )];
        let head = [manifest(
            "b.yaml",
            "master-centos-stable-20191203T153530Z.0",
        )];
        assert!(run(&base, &head).is_empty());
        assert!(run(&[], &head).is_empty());
    }
}
