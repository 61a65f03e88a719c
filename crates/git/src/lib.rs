//! tagman-git: the git-aware gates. Reads manifests at a revision, in the index or the working
//! tree (git2, no network), and every revision of them at once ([`history`]); diffs entries
//! between two states; parses commit messages for
//! Launchpad / StoryBoard references; describes upstream commits for `suggest`; verifies `src_ref`
//! against local clones; appends entries to a manifest byte for byte.
//!
//! Git access is local only; the one network use is `--online` ([`online`]): HTTP GETs to the
//! Launchpad and StoryBoard APIs. Nothing here prints: findings are `tagman-diag` values,
//! failures are [`GitError`].

pub mod add;
pub mod change_base;
pub mod change_id;
pub mod commit;
pub mod error;
pub mod follow_up;
pub mod gate;
pub mod history;
pub mod message;
pub mod online;
pub mod repo;
pub mod rules;
pub mod suggest;
pub mod verify;

pub use change_base::{change_base, ChangeBase, Entered};
pub use error::GitError;
pub use gate::{Base, LintInputs, LintRequest, MessageCheck};
pub use history::{CommitStamp, ManifestHistory, PastRemoval, PastTag};
pub use message::{Message, RefKind, RefLine};
pub use repo::{CommitInfo, Repo};
