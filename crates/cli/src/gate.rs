//! What `tagman lint` checks, composed from the crates: `tagman-git` reads the manifests, their
//! base and the messages; `tagman-lint` runs the manifest rules and the revision rules on them;
//! `tagman-git` checks the messages (and `--src-repos`, `--online`). One sink gathers it all.

use std::path::Path;

use tagman_core::{changed_entries, EntryDiff, Policy};
use tagman_diag::{Report, Sink};
use tagman_git::gate::{self, LintInputs, LintRequest};
use tagman_git::GitError;

/// Runs everything `request` asks for, with "now" (Unix seconds) for timestamps; `cwd` is where
/// the repository is looked for and what relative paths are relative to.
pub fn lint(
    request: &LintRequest,
    cwd: &Path,
    policy: &Policy,
    now: i64,
) -> Result<Report, GitError> {
    let LintInputs {
        head,
        base,
        messages,
    } = gate::read(request, cwd, policy)?;
    let mut sink = Sink::new(policy);
    match &base {
        Some(base) => {
            let changed = changed_entries(base, &head);
            tagman_lint::check_manifests_since(&head.loaded, &changed, policy, now, &mut sink);
            let diff = EntryDiff::between(base, &head);
            tagman_lint::check_revision(base, &head, &diff, &mut sink);
        }
        None => tagman_lint::check_manifests(&head.loaded, policy, now, &mut sink),
    }
    gate::check_messages(&messages, policy, request.online, &mut sink)?;
    if let Some(dir) = &request.src_repos {
        gate::check_src_refs(head.manifests(), dir, &mut sink);
    }
    Ok(sink.finish())
}
