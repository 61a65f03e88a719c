//! tagman-lint: every check on tag manifests, each finding located at file:line:col.
//!
//! Rules live one per file in [`rules`]; each pushes [`Finding`]s that the [`Sink`] turns into
//! [`Diagnostic`]s under the policy's severity overrides. Nothing here prints: the binary renders
//! a [`Report`] in the format asked for.

pub mod diagnostic;
pub mod load;
pub mod rule;
pub mod rules;
pub mod text;

pub use diagnostic::{Diagnostic, Finding, Label, Report};
pub use load::{load_manifests, LoadError, Loaded};
pub use rule::{Check, Context, Rule, Sink, Unparsed};

use tagman_core::Policy;

/// Runs every manifest rule over `loaded` (and `base`, the manifests at a base revision) into `sink`.
pub fn check_manifests(
    loaded: &Loaded,
    base: &[tagman_core::Manifest],
    policy: &Policy,
    now: i64,
    sink: &mut Sink<'_>,
) {
    let cx = Context::new(&loaded.manifests, &loaded.unparsed, policy, now, base);
    for (rule, check) in rules::RULES {
        let mut findings = Vec::new();
        check(&cx, &mut findings);
        sink.push(rule, findings);
    }
    sink.add_files(loaded.manifests.len() + loaded.unparsed.len());
}

/// Lints the manifests at `paths` under `policy`, with "now" taken from the system clock.
pub fn lint_paths(paths: &[std::path::PathBuf], policy: &Policy) -> Result<Report, LoadError> {
    let loaded = load_manifests(paths, policy)?;
    let mut sink = Sink::new(policy);
    check_manifests(&loaded, &[], policy, now_unix(), &mut sink);
    Ok(sink.finish())
}

/// The current time in Unix seconds (0 if the clock is before 1970).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
