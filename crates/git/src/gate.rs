//! The git gate: what `tagman lint` reads from git (`--commit`, `--base`, `--commit-msg-file`:
//! the manifests checked, their base, the messages), the checks git owns (commit messages,
//! `--src-repos`, `--online`), what the `commit-msg` hook checks, and the entry diffs
//! `tagman diff` and `apply --changed-since` act on. The manifest rules are `tagman-lint`'s; the
//! binary runs them on what [`read`] returns.

use std::path::{Path, PathBuf};

use tagman_core::{reference_requirement, EntryDiff, Requirement, Snapshot};
use tagman_core::{Loaded, Policy, SourceFile, SourceName};
use tagman_diag::registry;
use tagman_diag::{Report, Sink};

use crate::error::GitError;
use crate::message::Message;
use crate::repo::{CommitInfo, Repo};
use crate::rules::{MessageContext, SrcRefContext, MESSAGE_RULES, SRC_REF_RULES};

/// Largest commit message read from a file.
pub const MAX_MESSAGE: u64 = 1024 * 1024;

/// Which revision `tagman lint` compares the working tree with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Base {
    /// `HEAD`, when the checked files lie in a git work tree (an unborn `HEAD` is an empty
    /// base); outside a repository, none. The default, so a re-pointed published tag is caught
    /// before the commit.
    #[default]
    Head,
    /// `--base REV`.
    Rev(String),
    /// `--no-base`: compare with nothing.
    Off,
}

/// What one `tagman lint` run checks.
#[derive(Clone, Debug, Default)]
pub struct LintRequest {
    /// Manifests of the working tree (named, or found by the policy's globs); unused with
    /// `commit`, which checks the manifests as they stand at that commit.
    pub files: Vec<PathBuf>,
    /// Whether `files` were named one by one (the base then holds the same paths, and the
    /// manifests since deleted), rather than found by the policy's globs (the base then holds
    /// every manifest the globs select at the base revision).
    pub named: bool,
    /// `--commit REV`: REV's manifests against its first parent's, and REV's message.
    pub commit: Option<String>,
    /// The manifests published tags must not move from (`--base REV`, `--no-base`, or by
    /// default `HEAD`); unused with `commit`, which compares with its first parent.
    pub base: Base,
    /// `--commit-msg-file PATH` (`-` for standard input): a message for the checked change.
    pub message_file: Option<PathBuf>,
    /// `--src-repos DIR`: clones to verify each `src_ref` against.
    pub src_repos: Option<PathBuf>,
    /// `--online`: look the message's references up on Launchpad and StoryBoard.
    pub online: bool,
}

impl LintRequest {
    /// Whether the request checks something without manifest files (a commit, a message).
    pub fn needs_no_files(&self) -> bool {
        self.commit.is_some() || self.message_file.is_some()
    }

    /// Whether the request cannot run without a git repository.
    fn needs_repository(&self) -> bool {
        self.commit.is_some() || matches!(self.base, Base::Rev(_))
    }
}

/// A commit read for checking: its manifests, its first parent's, and the messages to check.
#[derive(Debug)]
pub struct CommitCheck {
    /// The commit.
    pub commit: CommitInfo,
    /// Its manifests (what the manifest rules check), read at the revision as named.
    pub head: Snapshot,
    /// Its first parent's manifests (empty for a root commit).
    pub base: Snapshot,
    /// The messages to check, each with whether it needs a reference: the commit's own against
    /// its first parent; for a merge, those of the commits it brings in, each against its own
    /// first parent (a Gerrit `Merge "…"` message carries no reference, and needs none).
    pub messages: Vec<(Message, Requirement)>,
}

/// Reads commit `rev`, its first parent and the messages to check.
pub fn read_commit(repo: &Repo, rev: &str, policy: &Policy) -> Result<CommitCheck, GitError> {
    let commit = repo.commit(rev)?;
    let base = match commit.parents.first() {
        Some(parent) => repo.snapshot_labeled(parent, &format!("{rev}^"), policy)?,
        None => Snapshot::empty("(none)"),
    };
    let head = repo.snapshot_labeled(&commit.id, rev, policy)?;
    let mut messages = match commit.parents.as_slice() {
        [first, second, ..] => brought_in_messages(repo, first, second, policy)?,
        _ => Vec::new(),
    };
    if messages.is_empty() {
        // Not a merge, or a merge that brings in nothing: the commit answers for itself.
        messages.push((stored_message(&commit), reference_requirement(&base, &head)));
    }
    Ok(CommitCheck {
        commit,
        head,
        base,
        messages,
    })
}

/// A stored commit message. It is already cleaned up: a `#` line in it is text, not a comment.
/// Its name is the one a commit message is known by in a review (Gerrit's `/COMMIT_MSG`).
fn stored_message(commit: &CommitInfo) -> Message {
    let source =
        SourceFile::new("COMMIT_MSG", commit.message.clone()).at_revision(commit.short.as_str());
    Message::parse(source, false)
}

/// The messages of the commits a merge of `second` into `first` brings in (reachable from
/// `second`, not from `first`; merges among them left out), each with its own requirement
/// against its first parent, as `lint --commit` would check it alone.
pub fn brought_in_messages(
    repo: &Repo,
    first: &str,
    second: &str,
    policy: &Policy,
) -> Result<Vec<(Message, Requirement)>, GitError> {
    let mut out = Vec::new();
    for id in repo.range(first, second)? {
        let commit = repo.commit(&id)?;
        let [parent] = commit.parents.as_slice() else {
            continue;
        };
        let base = repo.snapshot_labeled(parent, &format!("{}^", commit.short), policy)?;
        let head = repo.snapshot_labeled(&commit.id, &commit.short, policy)?;
        out.push((stored_message(&commit), reference_requirement(&base, &head)));
    }
    Ok(out)
}

/// What one `tagman lint` run reads from git: the manifests checked, the base they are compared
/// with (if any), and the commit messages to check, each with whether it needs a reference.
#[derive(Debug)]
pub struct LintInputs {
    /// The manifests checked: the working-tree files, or the commit's manifests with `--commit`.
    pub head: Snapshot,
    /// What published tags must not move from: the base revision's manifests, or the commit's
    /// first parent's; `None` when nothing is compared.
    pub base: Option<Snapshot>,
    /// The messages to check (the commit's own, those a merge brings in, `--commit-msg-file`).
    pub messages: Vec<(Message, Requirement)>,
}

/// Reads everything `request` asks for from the files and the repository around `cwd` (where
/// relative paths are relative to). The binary runs the rules on what this returns.
pub fn read(request: &LintRequest, cwd: &Path, policy: &Policy) -> Result<LintInputs, GitError> {
    let repo = if request.needs_repository() {
        Some(Repo::discover(cwd)?)
    } else {
        // Outside a repository files are named as given and nothing is compared.
        Repo::discover(cwd).ok()
    };
    let mut messages: Vec<(Message, Requirement)> = Vec::new();
    let (head, base) = match (&request.commit, &repo) {
        (Some(rev), Some(repo)) => {
            let check = read_commit(repo, rev, policy)?;
            messages.extend(check.messages);
            (check.head, Some(check.base))
        }
        _ => {
            let head = load_worktree(&request.files, cwd, repo.as_ref(), policy)?;
            let base = match &repo {
                Some(repo) => worktree_base(request, repo, &head, policy)?,
                None => None,
            };
            (head, base)
        }
    };
    if let Some(path) = &request.message_file {
        let mut source = read_message(path)?;
        if let Some(in_repo) = repo.as_ref().and_then(|r| r.path_in_worktree(cwd, path)) {
            source = source.in_repository(in_repo);
        }
        let message = Message::parse(source, true);
        // Only a base named with --base decides: in a CI checkout of the change, the default
        // base, HEAD, is the change itself, which would make every reference optional.
        let requirement = match (&base, &request.base) {
            (Some(base), Base::Rev(_)) => reference_requirement(base, &head),
            _ => Requirement::unknown(
                "without --base tagman cannot tell what the change does to the manifests",
            ),
        };
        messages.push((message, requirement));
    }
    Ok(LintInputs {
        head,
        base,
        messages,
    })
}

/// Runs the commit-message rules on each of `messages` into `sink` and, with `online`, looks
/// their references up on Launchpad and StoryBoard.
pub fn check_messages(
    messages: &[(Message, Requirement)],
    policy: &Policy,
    online: bool,
    sink: &mut Sink<'_>,
) -> Result<(), GitError> {
    for (message, requirement) in messages {
        check_message(message, requirement, policy, sink);
        if online {
            crate::online::check(message, policy, sink)?;
        }
    }
    Ok(())
}

/// The working-tree files `paths` (relative to `cwd`), each named as given and, inside `repo`'s
/// work tree, carrying its repository path.
fn load_worktree(
    paths: &[PathBuf],
    cwd: &Path,
    repo: Option<&Repo>,
    policy: &Policy,
) -> Result<Snapshot, GitError> {
    let mut loaded = Loaded::default();
    for path in paths {
        loaded.read_as(path, name_in(repo, cwd, path), policy)?;
    }
    Ok(Snapshot::of("checked", loaded))
}

fn name_in(repo: Option<&Repo>, cwd: &Path, path: &Path) -> SourceName {
    let in_repo = repo.and_then(|r| r.path_in_worktree(cwd, path));
    SourceName::new(path.to_string_lossy()).in_repository(in_repo)
}

/// What `lint` calls the working-tree file `path` (relative to `cwd`): its path as given, with its
/// repository path when it lies in a git work tree.
pub fn worktree_name(cwd: &Path, path: &Path) -> SourceName {
    name_in(Repo::discover(cwd).ok().as_ref(), cwd, path)
}

/// What the working tree is compared with. The default base, `HEAD`, applies only when the run
/// checks files of this work tree: files found by the policy's globs, or named files of which at
/// least one lies in it (standard input and files elsewhere have no past here). An unborn
/// `HEAD` is an empty base: every entry is new.
fn worktree_base(
    request: &LintRequest,
    repo: &Repo,
    head: &Snapshot,
    policy: &Policy,
) -> Result<Option<Snapshot>, GitError> {
    let paths: Vec<String> = head
        .loaded
        .manifests
        .iter()
        .map(|m| &m.source)
        .chain(head.loaded.unparsed.iter().map(|u| &u.source))
        .filter_map(|s| s.repository_path().map(str::to_owned))
        .collect();
    let rev = match &request.base {
        Base::Off => return Ok(None),
        Base::Rev(rev) => rev.as_str(),
        Base::Head if request.named && paths.is_empty() => return Ok(None),
        Base::Head if !repo.has_head() => return Ok(Some(Snapshot::empty("HEAD"))),
        Base::Head => "HEAD",
    };
    let base = if request.named {
        repo.snapshot_of_paths(rev, &paths, policy)?
    } else {
        repo.snapshot_at(rev, policy)?
    };
    Ok(Some(base))
}

/// What the `commit-msg` hook found: the report, and whether a reference was required (and why).
#[derive(Debug)]
pub struct MessageCheck {
    /// The findings.
    pub report: Report,
    /// Whether what is staged needs a reference.
    pub requirement: Requirement,
}

/// The `commit-msg` hook: checks the message git is about to record (comments not part of it),
/// requiring a reference when what is staged adds or changes entries against `HEAD`. `index_file`
/// is git's `GIT_INDEX_FILE`; outside a repository a reference is always required. A `Merge …`
/// message while a merge is in progress (`MERGE_HEAD`) needs none: the commits it brings in are
/// checked instead, as `lint --commit` checks a merge.
pub fn commit_msg(
    message: SourceFile,
    cwd: &Path,
    index_file: Option<&Path>,
    policy: &Policy,
    online: bool,
) -> Result<MessageCheck, GitError> {
    let repo = Repo::discover(cwd);
    let message = match repo
        .as_ref()
        .ok()
        .and_then(|r| r.path_in_worktree(cwd, Path::new(message.name())))
    {
        Some(in_repo) => message.in_repository(in_repo),
        None => message,
    };
    let message = Message::parse(message, true);
    let mut sink = Sink::new(policy);
    sink.add_files(1);
    if message.is_empty {
        // git aborts an empty commit itself; nothing to say.
        return Ok(MessageCheck {
            report: sink.finish(),
            requirement: Requirement::NotRequired,
        });
    }
    let repo = repo.ok();
    let merging = repo
        .as_ref()
        .filter(|_| is_merge_message(&message))
        .and_then(|r| r.merge_head().map(|head| (r, head)));
    let requirement = match (&repo, merging) {
        (_, Some((repo, merge_head))) => {
            for (brought, needs) in brought_in_messages(repo, "HEAD", &merge_head, policy)? {
                check_message(&brought, &needs, policy, &mut sink);
            }
            Requirement::NotRequired
        }
        (Some(repo), None) => staged_requirement(repo, index_file, policy),
        (None, None) => Requirement::unknown(
            "tagman is not inside a git repository, so it cannot tell what the commit changes",
        ),
    };
    check_message(&message, &requirement, policy, &mut sink);
    if online {
        crate::online::check(&message, policy, &mut sink)?;
    }
    Ok(MessageCheck {
        report: sink.finish(),
        requirement,
    })
}

/// Whether a message is git's or Gerrit's merge message (`Merge branch …`, `Merge "…"`).
fn is_merge_message(message: &Message) -> bool {
    message
        .subject
        .is_some_and(|s| message.source.slice(s).starts_with("Merge "))
}

/// Two states of the manifests and the entries that differ between them.
#[derive(Debug)]
pub struct Compared {
    /// The base state.
    pub base: Snapshot,
    /// The head state.
    pub head: Snapshot,
    /// What differs.
    pub diff: EntryDiff,
}

/// The manifests at `base` and at `head` (the working tree when `None`) in the repository
/// around `cwd`, and the entries that differ.
pub fn diff(
    cwd: &Path,
    base: &str,
    head: Option<&str>,
    policy: &Policy,
) -> Result<Compared, GitError> {
    let repo = Repo::discover(cwd)?;
    let base = repo.snapshot_at(base, policy)?;
    let head = match head {
        Some(rev) => repo.snapshot_at(rev, policy)?,
        None => repo.snapshot_worktree(policy)?,
    };
    let diff = EntryDiff::between(&base, &head);
    Ok(Compared { base, head, diff })
}

/// The (canonical name, tag) of every entry added or re-pointed since `rev` in the working tree:
/// what `apply --changed-since REV` applies.
pub fn changed_since(
    cwd: &Path,
    rev: &str,
    policy: &Policy,
) -> Result<std::collections::BTreeSet<(String, String)>, GitError> {
    let diff = diff(cwd, rev, None, policy)?.diff;
    Ok(diff
        .added
        .iter()
        .chain(diff.changed.iter().map(|pair| &pair.head))
        .map(|e| (e.name.clone(), e.tag.clone()))
        .collect())
}

/// Runs the commit-message rules for `message` into `sink`.
pub fn check_message(
    message: &Message,
    requirement: &Requirement,
    policy: &Policy,
    sink: &mut Sink<'_>,
) {
    let cx = MessageContext {
        message,
        requirement,
        policy,
    };
    registry::run(MESSAGE_RULES, &cx, sink);
}

/// Verifies every entry's `src_ref` against the clones under `dir`.
pub fn check_src_refs(manifests: &[tagman_core::Manifest], dir: &Path, sink: &mut Sink<'_>) {
    let mut verifier = crate::verify::Verifier::new(dir);
    let verdicts = verifier.verify_all(manifests);
    registry::run(
        SRC_REF_RULES,
        &SrcRefContext {
            verdicts: &verdicts,
        },
        sink,
    );
}

/// Whether what is staged needs a reference: the index against `HEAD` (an unborn `HEAD` is an
/// empty base). Any failure to read either side makes it required.
pub fn staged_requirement(repo: &Repo, index_file: Option<&Path>, policy: &Policy) -> Requirement {
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

/// Reads a commit message file (`-`: standard input), at most [`MAX_MESSAGE`] bytes.
pub fn read_message(path: &Path) -> Result<SourceFile, GitError> {
    SourceFile::read(path, MAX_MESSAGE).map_err(|source| GitError::Message {
        path: path.to_path_buf(),
        source,
    })
}
