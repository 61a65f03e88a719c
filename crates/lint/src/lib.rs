//! tagman-lint: every check on tag manifests, each finding located at file:line:col.
//!
//! Rules live one per file in [`rules`]; each pushes findings that the `tagman-diag` sink turns
//! into diagnostics under the policy's severity overrides. The rules that judge one state of the
//! manifests run through [`check_manifests`] (or [`check_manifests_since`] when the run compares
//! with a base revision); the rules that compare two states (a published tag never moves) run
//! through [`check_revision`] on a base snapshot the caller reads (the binary, from `tagman-git`).
//! Nothing here prints, reads git or talks to the network.

pub mod context;
pub mod rules;
pub mod text;

pub use context::{ChangedEntries, Context};

use tagman_core::{EntryDiff, Loaded, Policy, Snapshot};
use tagman_diag::{registry, Sink};

/// Runs every manifest rule over `loaded` into `sink`.
pub fn check_manifests(loaded: &Loaded, policy: &Policy, now: i64, sink: &mut Sink<'_>) {
    let cx = Context::new(&loaded.manifests, &loaded.unparsed, policy, now);
    registry::run(rules::RULES, &cx, sink);
    sink.add_files(loaded.manifests.len() + loaded.unparsed.len());
}

/// Runs every manifest rule over `loaded` into `sink` for a run that compares with a base
/// revision, where `changed` are the entries the change adds or changes.
pub fn check_manifests_since(
    loaded: &Loaded,
    changed: &ChangedEntries,
    policy: &Policy,
    now: i64,
    sink: &mut Sink<'_>,
) {
    let cx = Context::new(&loaded.manifests, &loaded.unparsed, policy, now).comparing(changed);
    registry::run(rules::RULES, &cx, sink);
    sink.add_files(loaded.manifests.len() + loaded.unparsed.len());
}

/// Runs the revision rules (a published tag is never re-pointed, and its removal is said) for
/// `head` against `base`, with `diff` the entry diff between them.
pub fn check_revision(base: &Snapshot, head: &Snapshot, diff: &EntryDiff, sink: &mut Sink<'_>) {
    let cx = rules::RevisionContext { base, head, diff };
    registry::run(rules::REVISION_RULES, &cx, sink);
}

/// The current time in Unix seconds (0 if the clock is before 1970).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
