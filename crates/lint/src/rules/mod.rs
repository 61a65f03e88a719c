//! The manifest rule registry: one line per rule. Rules that judge one state of the manifests
//! take a [`Context`]; the revision rules (TM106, TM107: a published tag never moves nor silently
//! goes) take a [`RevisionContext`], the manifests at a base revision against the checked ones
//! with the entry diff between them, which the binary gets from `tagman-git`.

use tagman_core::{EntryDiff, Snapshot};

use crate::context::Context;
use tagman_diag::registry::{self, Rule};
use tagman_diag::sink::Findings;

pub mod build_tag;
pub mod build_tag_future;
pub mod duplicate_tag;
pub mod image_name;
pub mod published_tag_moved;
pub mod published_tag_removed;
pub mod registry_allowed;
pub mod repeated_entry;
pub mod schema;
pub mod src_ref;
pub mod tag_format;
pub mod tag_release;
pub mod yaml;

/// A manifest check: pushes findings, never returns `Err`.
pub type Check = fn(&Context<'_>, &mut Findings);

/// Every manifest rule with its check, in code order.
pub static RULES: &[(&Rule, Check)] = &[
    (&yaml::RULE, yaml::check),
    (&schema::RULE, schema::check),
    (&image_name::RULE, image_name::check),
    (&tag_format::RULE, tag_format::check),
    (&tag_release::RULE, tag_release::check),
    (&build_tag::RULE, build_tag::check),
    (&src_ref::RULE, src_ref::check),
    (&duplicate_tag::RULE, duplicate_tag::check),
    (&build_tag_future::RULE, build_tag_future::check),
    (&repeated_entry::RULE, repeated_entry::check),
    (&registry_allowed::RULE, registry_allowed::check),
];

/// What a revision rule looks at: the manifests at the base revision, the checked ones, and the
/// entry diff between them (computed once).
#[derive(Debug)]
pub struct RevisionContext<'a> {
    /// The manifests at the base revision.
    pub base: &'a Snapshot,
    /// The manifests checked.
    pub head: &'a Snapshot,
    /// What changed between them.
    pub diff: &'a EntryDiff,
}

/// A revision check.
pub type RevisionCheck = fn(&RevisionContext<'_>, &mut Findings);

/// Every revision rule, in code order.
pub static REVISION_RULES: &[(&Rule, RevisionCheck)] = &[
    (&published_tag_moved::RULE, published_tag_moved::check),
    (&published_tag_removed::RULE, published_tag_removed::check),
];

/// The metadata of every manifest rule.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    std::iter::once(&tagman_diag::sink::LIMIT)
        .chain(registry::metadata(RULES))
        .chain(registry::metadata(REVISION_RULES))
}

#[cfg(test)]
pub(crate) mod test_support {
    use tagman_core::{EntryDiff, Policy, Snapshot};
    use tagman_diag::{Finding, Findings};

    use super::{RevisionCheck, RevisionContext};

    /// One manifest entry for `docker.io/starlingx/<image>`.
    pub fn entry(image: &str, build: &str, tag: &str) -> String {
        format!(
            "  - name: docker.io/starlingx/{image}\n    src_build_tag: {build}\n    src_ref: https://opendev.org/starlingx/integ/commit/dac417bd31ed36d455e94db4aabe5916367654d4\n    tag: {tag}\n"
        )
    }

    fn snapshot(label: &str, files: &[(&str, &[String])]) -> Snapshot {
        let files = files.iter().map(|(path, entries)| {
            (
                (*path).to_owned(),
                format!("images:\n{}", entries.concat()).into_bytes(),
            )
        });
        Snapshot::from_files(label, files, &Policy::default())
    }

    /// Runs a revision `check` with the base at `HEAD~1` and the head in the working tree.
    pub fn revision(
        check: RevisionCheck,
        base: &[(&str, &[String])],
        head: &[(&str, &[String])],
    ) -> Vec<Finding> {
        let base = snapshot("HEAD~1", base);
        let head = snapshot("working tree", head);
        let diff = EntryDiff::between(&base, &head);
        let mut out = Findings::unlimited();
        check(
            &RevisionContext {
                base: &base,
                head: &head,
                diff: &diff,
            },
            &mut out,
        );
        out.into_vec()
    }
}
