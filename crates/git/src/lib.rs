//! tagman-git: the git-aware gates. Reads manifests at a revision, in the index or the working
//! tree (git2, no network); diffs entries between two states; parses commit messages for
//! Launchpad / StoryBoard references; describes upstream commits for `suggest`; verifies `src_ref`
//! against local clones; appends entries to a manifest byte for byte.
//!
//! Git access is local only; the one network use is `--online` ([`online`]): HTTP GETs to the
//! Launchpad and StoryBoard APIs. Nothing here prints: findings are `tagman-lint` values,
//! failures are [`GitError`].

pub mod add;
pub mod diff;
pub mod error;
pub mod gate;
pub mod message;
pub mod online;
pub mod repo;
pub mod rules;
pub mod snapshot;
pub mod suggest;
pub mod verify;

pub use diff::{reference_requirement, DiffEntry, DiffPair, EntryDiff, Requirement};
pub use error::GitError;
pub use message::{Message, RefKind, RefLine};
pub use repo::{CommitInfo, Repo};
pub use snapshot::{ManifestFile, Snapshot};

use tagman_core::Policy;
use tagman_lint::diagnostic::Report;
use tagman_lint::rule::{Rule, Sink};

/// Every rule this crate reports, for `tagman rules` and the code-uniqueness test.
pub fn rules() -> Vec<&'static Rule> {
    rules::MESSAGE_RULES
        .iter()
        .map(|(rule, _)| *rule)
        .chain(rules::SRC_REF_RULES.iter().map(|(rule, _)| *rule))
        .chain(rules::ONLINE_RULES.iter().map(|(rule, _)| *rule))
        .collect()
}

/// Checks a commit message under `policy`, given whether the change needs a reference.
pub fn check_message(message: &Message, requirement: &Requirement, policy: &Policy) -> Report {
    let mut sink = Sink::new(policy);
    gate::check_message(message, requirement, policy, &mut sink);
    sink.add_files(1);
    sink.finish()
}

/// Verifies every entry's `src_ref` against the clones under `dir` into `sink`.
pub fn check_src_refs(
    manifests: &[tagman_core::Manifest],
    dir: &std::path::Path,
    sink: &mut Sink<'_>,
) {
    let mut verifier = verify::Verifier::new(dir);
    let verdicts = verifier.verify_all(manifests);
    rules::check_src_refs(
        &rules::SrcRefContext {
            verdicts: &verdicts,
        },
        sink,
    );
}

/// A checker for `--online` with the policy's service URLs.
pub fn online_checker(policy: &Policy) -> Result<online::Checker, GitError> {
    Ok(online::Checker::new(online::OnlineConfig::new(
        &policy.launchpad_api,
        &policy.storyboard_api,
    ))?)
}

/// Looks every accepted reference of `message` up with `checker` and reports into `sink`.
pub fn check_online(
    message: &Message,
    checker: &online::Checker,
    policy: &Policy,
    sink: &mut Sink<'_>,
) {
    let results: Vec<_> = message
        .accepted(&policy.references)
        .filter_map(|r| r.number.map(|n| (r.clone(), checker.lookup(r.kind, n))))
        .collect();
    rules::check_online(
        &rules::OnlineContext {
            message,
            results: &results,
        },
        sink,
    );
}

/// Whether what is staged needs a reference: the index (`index_file`, git's `GIT_INDEX_FILE`,
/// when set) against `HEAD` (an unborn `HEAD` is an empty base). Any failure to read either side
/// makes it required.
pub fn staged_requirement(
    repo: &Repo,
    index_file: Option<&std::path::Path>,
    policy: &Policy,
) -> Requirement {
    let base = if repo.has_head() {
        repo.snapshot_at("HEAD", policy)
    } else {
        Ok(Snapshot::empty("HEAD"))
    };
    match (base, repo.snapshot_index(index_file, policy)) {
        (Ok(base), Ok(head)) => reference_requirement(&base, &head),
        (Err(e), _) | (_, Err(e)) => {
            Requirement::unknown(format!("tagman cannot tell what it changes ({e})"))
        }
    }
}
