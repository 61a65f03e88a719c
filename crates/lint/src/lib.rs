//! tagman-lint: every check on tag manifests, each finding located at file:line:col.
//!
//! Rules live one per file in [`rules`]; each pushes [`Finding`]s that the [`Sink`] turns into
//! [`Diagnostic`]s under the policy's severity overrides. Nothing here prints: the binary renders
//! a [`Report`] in the format asked for.

pub mod context;
pub mod diagnostic;
pub mod load;
pub mod registry;
pub mod rules;
pub mod sink;
pub mod text;

pub use context::{ChangedEntries, Context};
pub use diagnostic::{Diagnostic, Finding, Label, Report};
pub use load::{LoadError, Loaded, SourceName, Unparsed};
pub use registry::{Docs, Registry, Rule, Subject};
pub use sink::{Findings, Sink, DEFAULT_MAX_FINDINGS};

use tagman_core::Policy;

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

/// Lints the manifests at `paths` under `policy`, with "now" taken from the system clock.
pub fn lint_paths(paths: &[std::path::PathBuf], policy: &Policy) -> Result<Report, LoadError> {
    let loaded = Loaded::from_paths(paths, policy)?;
    let mut sink = Sink::new(policy);
    check_manifests(&loaded, policy, now_unix(), &mut sink);
    Ok(sink.finish())
}

/// The current time in Unix seconds (0 if the clock is before 1970).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
