//! The checks `tagman lint --commit REV` and `tagman commit-msg` run: a commit's manifests against
//! its first parent (published tags never move), and its message against what it changes.

use tagman_core::{Policy, SourceFile};
use tagman_lint::diagnostic::Report;
use tagman_lint::rule::Sink;

use crate::diff::{reference_requirement, Requirement};
use crate::error::GitError;
use crate::message::Message;
use crate::repo::{CommitInfo, Repo};
use crate::rules::{self, MessageContext};
use crate::snapshot::Snapshot;

/// What checking one commit found.
#[derive(Debug)]
pub struct CommitCheck {
    /// The commit.
    pub commit: CommitInfo,
    /// Its manifests (what the manifest rules checked).
    pub head: Snapshot,
    /// Its first parent's manifests (empty for a root commit).
    pub base: Snapshot,
    /// Whether its message needed a reference.
    pub requirement: Requirement,
    /// The message as parsed.
    pub message: Message,
}

/// Reads commit `rev`, its first parent and its message.
pub fn read_commit(repo: &Repo, rev: &str, policy: &Policy) -> Result<CommitCheck, GitError> {
    let commit = repo.commit(rev)?;
    let base = match commit.parents.first() {
        Some(parent) => repo.snapshot_labeled(parent, &format!("{rev}^"), policy)?,
        None => Snapshot::empty("(none)"),
    };
    let head = repo.snapshot_labeled(&commit.id, rev, policy)?;
    let requirement = reference_requirement(&base, &head);
    let source = SourceFile::new(format!("commit {}", commit.short), commit.message.clone());
    // A stored message is already cleaned up: a `#` line in it is text, not a comment.
    let message = Message::parse(source, false);
    Ok(CommitCheck {
        commit,
        head,
        base,
        requirement,
        message,
    })
}

/// Runs every commit-message rule for `message` into `sink`.
pub fn check_message(
    message: &Message,
    requirement: &Requirement,
    policy: &Policy,
    sink: &mut Sink<'_>,
) {
    rules::check_message(
        &MessageContext {
            message,
            requirement,
            policy,
        },
        sink,
    );
}

/// Everything `tagman lint --commit REV` reports for one commit: the manifest rules on its
/// manifests (with its parent as the base) and the message rules.
pub fn lint_commit(repo: &Repo, rev: &str, policy: &Policy, now: i64) -> Result<Report, GitError> {
    let check = read_commit(repo, rev, policy)?;
    let mut sink = Sink::new(policy);
    tagman_lint::check_manifests(
        &check.head.loaded(),
        &check.base.manifests(),
        policy,
        now,
        &mut sink,
    );
    check_message(&check.message, &check.requirement, policy, &mut sink);
    Ok(sink.finish())
}
