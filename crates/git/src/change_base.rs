//! What a change is judged against in a repository Zuul's merger prepared: the prepared `HEAD`
//! without the change, whatever merge mode brought the change in.
//!
//! Zuul's merger checks out the branch tip with the items ahead in the queue already merged
//! (its "base"), then merges the change by the project's merge mode (zuul/merger/merger.py):
//! `merge`, `merge-resolve`, `merge-recursive`, `merge-ort` run `git merge [-s S] FETCH_HEAD`,
//! a merge commit or, where the change sits on that base, a fast-forward; `cherry-pick` runs
//! `git cherry-pick --keep-redundant-commits`; `squash-merge` runs `git merge --squash` and
//! commits `Merge '<ref>'`; `rebase` checks the change out and rebases it onto the base.
//! `zuul.commit_id` is the change's own commit, whose parent may be far behind the base: the
//! base is found from how the change entered `HEAD`'s first-parent line.

use crate::error::GitError;
use crate::repo::{CommitInfo, Repo};

/// How far back along `HEAD`'s first parents the change is looked for (a post-merge pipeline
/// may run after later changes merged too).
pub const MAX_WALK: usize = 1000;

/// How the change entered the first-parent line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Entered {
    /// The change's own commit is on the line (a fast-forward): the base is its first parent.
    FastForward,
    /// A merge commit has the change as a further parent: the base is its first parent.
    MergeCommit,
    /// A commit rewritten from the change (cherry-pick, rebase: the same message, or the same
    /// Gerrit `Change-Id`; squash-merge: Zuul's `Merge '…'` message at `HEAD`): the base is its
    /// parent.
    Rewritten,
    /// The change was already in the base (a merge that was "already up to date"): the change
    /// brings nothing and the base is `HEAD` itself.
    AlreadyIn,
}

impl Entered {
    /// A few words for the log.
    pub fn describe(self) -> &'static str {
        match self {
            Self::FastForward => "fast-forward: the change's own parent",
            Self::MergeCommit => "merge commit: its first parent",
            Self::Rewritten => "cherry-pick, squash or rebase: the parent of the rewritten commit",
            Self::AlreadyIn => "the change is already in HEAD's base: HEAD itself",
        }
    }
}

/// The base found for a change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeBase {
    /// The base commit (full hex id).
    pub base: String,
    /// The commit on `HEAD`'s first-parent line that brought the change in (`HEAD` itself when
    /// the change was merged last, as in a check or gate pipeline).
    pub merged_as: String,
    /// How.
    pub how: Entered,
}

/// The prepared `head` without `change`: see the module doc. An error when `change` is not a
/// commit, or neither it nor a rewrite of it is on `head`'s first-parent line.
pub fn change_base(repo: &Repo, head: &str, change: &str) -> Result<ChangeBase, GitError> {
    let change = repo.commit(change)?;
    let head = repo.commit(head)?;
    let mut at = head.clone();
    for _ in 0..MAX_WALK {
        if let Some(found) = entered_at(repo, &at, &change, at.id == head.id)? {
            return Ok(found);
        }
        let Some(parent) = at.parents.first() else {
            break;
        };
        at = repo.commit(parent)?;
    }
    if repo.is_ancestor(&change.id, &head.id)? {
        return Ok(ChangeBase {
            base: head.id.clone(),
            merged_as: head.id,
            how: Entered::AlreadyIn,
        });
    }
    Err(GitError::ChangeNotMerged {
        change: change.short,
        head: head.short,
        walked: MAX_WALK,
    })
}

/// Whether commit `at` of the first-parent line brought `change` in, and the base if so.
fn entered_at(
    repo: &Repo,
    at: &CommitInfo,
    change: &CommitInfo,
    is_head: bool,
) -> Result<Option<ChangeBase>, GitError> {
    let parent = |how: Entered| -> Result<Option<ChangeBase>, GitError> {
        match at.parents.first() {
            Some(base) => Ok(Some(ChangeBase {
                base: base.clone(),
                merged_as: at.id.clone(),
                how,
            })),
            None => Err(GitError::NoParent {
                commit: at.short.clone(),
            }),
        }
    };
    if at.id == change.id {
        return parent(Entered::FastForward);
    }
    if at.parents.iter().skip(1).any(|p| *p == change.id) {
        return parent(Entered::MergeCommit);
    }
    // A merge commit whose other side reaches the change (a merge of a branch holding it) also
    // brought it in, unless the first parent had it already.
    if at.parents.len() > 1 && !repo.is_ancestor(&change.id, &at.parents[0])? {
        for other in &at.parents[1..] {
            if repo.is_ancestor(&change.id, other)? {
                return parent(Entered::MergeCommit);
            }
        }
    }
    if at.parents.len() == 1 && rewritten_from(&at.message, &change.message, is_head) {
        return parent(Entered::Rewritten);
    }
    Ok(None)
}

/// Whether a commit with `message` is a rewrite of the change with `original`: cherry-pick and
/// rebase keep the message (Gerrit's own cherry-pick submit adds footers but keeps the
/// `Change-Id`); Zuul's squash-merge commits `Merge '<ref>'` (older Zuul: `Merge change N,P`),
/// only ever as the last item, so only at `HEAD`.
pub fn rewritten_from(message: &str, original: &str, is_head: bool) -> bool {
    if message.trim() == original.trim() {
        return true;
    }
    if let (Some(a), Some(b)) = (change_id(message), change_id(original)) {
        return a == b;
    }
    is_head && (message.starts_with("Merge '") || message.starts_with("Merge change "))
}

/// A message's Gerrit `Change-Id:` footer value.
fn change_id(message: &str) -> Option<&str> {
    message
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("Change-Id:"))
        .map(str::trim)
        .filter(|id| !id.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_keeps_the_message_or_the_change_id() {
        let original = "Add a trixie entry\n\nCloses-Bug: 1\nChange-Id: I0123\n";
        assert!(rewritten_from(original, original, false));
        let gerrit = "Add a trixie entry\n\nCloses-Bug: 1\nChange-Id: I0123\nReviewed-on: x\n";
        assert!(rewritten_from(gerrit, original, false));
        assert!(!rewritten_from(
            "Other\n\nChange-Id: I9999\n",
            original,
            false
        ));
        assert!(!rewritten_from("Other change\n", original, false));
    }

    #[test]
    fn a_squash_message_counts_only_at_head() {
        let original = "Add a trixie entry\n";
        assert!(rewritten_from(
            "Merge 'refs/changes/45/123445/1'",
            original,
            true
        ));
        assert!(rewritten_from("Merge change 123445,1", original, true));
        assert!(!rewritten_from(
            "Merge 'refs/changes/45/123445/1'",
            original,
            false
        ));
    }
}
