//! The git-aware part of `tagman lint`: `--commit REV`, `--base REV`, `--commit-msg-file PATH`.
//!
//! `--commit REV` checks the manifests as they stand at REV (not the working tree) with REV's
//! first parent as the base, and REV's message. `--base REV` compares the checked manifests with
//! REV's (published tags never move). `--commit-msg-file` checks a message handed over as text;
//! whether it needs a reference is decided against `--base` (without one, it always does).

use std::path::PathBuf;

use clap::Args;
use tagman_core::{Manifest, Policy, SourceFile};
use tagman_git::gate::{check_message, read_commit, CommitCheck};
use tagman_git::{reference_requirement, Message, Repo, Requirement, Snapshot};
use tagman_lint::{Loaded, Sink};

use crate::error::CliError;

/// Largest commit message read.
const MAX_MESSAGE: u64 = 1024 * 1024;

/// Git-related `tagman lint` options.
#[derive(Debug, Args)]
pub struct GitArgs {
    /// Check commit REV: its manifests as of REV against its first parent, and its message.
    #[arg(long, value_name = "REV", group = "message")]
    pub commit: Option<String>,
    /// Compare with the manifests at REV: a published tag never moves (TM106, TM107).
    #[arg(long, value_name = "REV", conflicts_with = "commit")]
    pub base: Option<String>,
    /// Check this commit message (`-` reads standard input); a reference is required when the
    /// manifests add or change entries against `--base` (always, without `--base`).
    #[arg(long, value_name = "PATH", group = "message")]
    pub commit_msg_file: Option<PathBuf>,
    /// Verify each src_ref against the clone `DIR/<project>`: the commit exists and is not later
    /// than its build (TM108, TM109); a missing clone is a warning (TM110).
    #[arg(long, value_name = "DIR")]
    pub src_repos: Option<PathBuf>,
    /// Check that the message's Launchpad bugs and StoryBoard stories/tasks exist and are public
    /// (TM111, TM112); an unreachable service is a warning (TM113).
    #[arg(long, requires = "message")]
    pub online: bool,
}

/// Whether these options ask for checks that need no manifest files (a commit message alone).
pub fn checks_without_files(args: &GitArgs) -> bool {
    args.commit.is_some() || args.commit_msg_file.is_some()
}

/// What the git options resolve to, read once per run: the commit under check (`--commit`) or
/// the base snapshot (`--base`).
#[derive(Debug, Default)]
pub struct GitInputs {
    commit: Option<CommitCheck>,
    base: Option<Snapshot>,
}

impl GitInputs {
    /// Reads the revisions the options name (nothing when they name none).
    pub fn read(args: &GitArgs, policy: &Policy) -> Result<Self, CliError> {
        if let Some(rev) = &args.commit {
            return Ok(Self {
                commit: Some(read_commit(&repo()?, rev, policy)?),
                base: None,
            });
        }
        if let Some(rev) = &args.base {
            return Ok(Self {
                commit: None,
                base: Some(repo()?.snapshot_at(rev, policy)?),
            });
        }
        Ok(Self::default())
    }

    /// The manifests to check when they come from a revision (`--commit`), not from files.
    pub fn loaded_at_revision(&self) -> Option<Loaded> {
        self.commit.as_ref().map(|c| c.head.loaded())
    }

    /// The base snapshot: `--base REV`, or the parent of `--commit REV`.
    fn base(&self) -> Option<&Snapshot> {
        self.commit.as_ref().map(|c| &c.base).or(self.base.as_ref())
    }

    /// The manifests at the base revision (empty when there is none).
    pub fn base_manifests(&self) -> Vec<Manifest> {
        self.base().map_or_else(Vec::new, Snapshot::manifests)
    }
}

/// Runs the git-aware checks into `sink`: the commit message rules.
pub fn check(
    args: &GitArgs,
    inputs: &GitInputs,
    policy: &Policy,
    loaded: &Loaded,
    sink: &mut Sink<'_>,
) -> Result<(), CliError> {
    if let Some(commit) = &inputs.commit {
        check_message(&commit.message, &commit.requirement, policy, sink);
        if args.online {
            check_online(&commit.message, policy, sink)?;
        }
    }
    if let Some(path) = &args.commit_msg_file {
        let source = read_message(path)?;
        let message = Message::parse(source, true);
        let requirement = match inputs.base() {
            Some(base) => reference_requirement(base, &Snapshot::from_loaded("checked", loaded)),
            None => Requirement::unknown(
                "without --base tagman cannot tell what the change does to the manifests",
            ),
        };
        check_message(&message, &requirement, policy, sink);
        if args.online {
            check_online(&message, policy, sink)?;
        }
    }
    if let Some(dir) = &args.src_repos {
        tagman_git::check_src_refs(&loaded.manifests, dir, sink);
    }
    Ok(())
}

/// Looks the message's references up on Launchpad / StoryBoard.
pub fn check_online(
    message: &Message,
    policy: &Policy,
    sink: &mut Sink<'_>,
) -> Result<(), CliError> {
    let checker = tagman_git::online_checker(policy)?;
    tagman_git::check_online(message, &checker, policy, sink);
    Ok(())
}

/// Reads a commit message file (`-`: standard input).
pub fn read_message(path: &std::path::Path) -> Result<SourceFile, CliError> {
    SourceFile::read(path, MAX_MESSAGE).map_err(|e| {
        let source = match e {
            tagman_core::SourceError::Io { source, .. } => source,
            other => std::io::Error::other(other.to_string()),
        };
        CliError::Load(tagman_lint::LoadError {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// The repository around the working directory.
pub fn repo() -> Result<Repo, CliError> {
    let cwd = std::env::current_dir()?;
    Ok(Repo::discover(&cwd)?)
}
