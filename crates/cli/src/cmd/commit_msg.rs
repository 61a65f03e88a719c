//! `tagman commit-msg FILE`: the pre-commit `commit-msg` hook. Checks the message git is about to
//! record for a Launchpad / StoryBoard reference, required when what is staged adds or changes
//! manifest entries (compared with `HEAD`); tagman-git's gate does the checking.

use std::path::PathBuf;

use clap::Args;
use tagman_core::Requirement;

use crate::cli::Global;
use crate::error::CliError;
use crate::output::{Format, Ui};
use crate::Outcome;

/// `tagman commit-msg FILE`.
#[derive(Debug, Args)]
pub struct CommitMsgArgs {
    /// The message file git hands the hook (`.git/COMMIT_EDITMSG`); `-` reads standard input.
    /// `#` lines and everything below git's scissors line are not part of the message.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Check that the referenced bugs, stories and tasks exist and are public.
    #[arg(long)]
    pub online: bool,
}

/// Runs the hook.
pub fn run(args: &CommitMsgArgs, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    let policy = crate::cmd::load_policy(global)?;
    let message = tagman_git::gate::read_message(&args.file)?;
    let cwd = std::env::current_dir()?;
    // git runs hooks with GIT_INDEX_FILE set when the commit is made from a temporary index
    // (`git commit -a`, `git commit PATH`); relative paths are from the top level, where hooks run.
    let index_file = std::env::var_os("GIT_INDEX_FILE").map(PathBuf::from);
    let checked =
        tagman_git::gate::commit_msg(message, &cwd, index_file.as_deref(), &policy, args.online)?;
    if let Requirement::Required { reason } = &checked.requirement {
        ui.note(format_args!("a reference is required: {reason}"));
    }
    ui.print_report(&checked.report, args.format)?;
    Ok(Outcome::of(&checked.report, args.deny_warnings))
}
