//! `tagman commit-msg FILE`: the pre-commit `commit-msg` hook. Checks the message git is about to
//! record for a Launchpad / StoryBoard reference, required when what is staged adds or changes
//! manifest entries (compared with `HEAD`).

use std::path::PathBuf;

use clap::Args;
use tagman_git::{staged_requirement, Message, Repo, Requirement};
use tagman_lint::Sink;

use crate::cli::Global;
use crate::cmd::lint_git::read_message;
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
    let message = Message::parse(read_message(&args.file)?, true);
    if message.is_empty {
        // git aborts an empty commit itself; nothing to say.
        return Ok(Outcome::Clean);
    }
    let cwd = std::env::current_dir()?;
    let requirement = match Repo::discover(&cwd) {
        Ok(repo) => {
            // git runs hooks with GIT_INDEX_FILE set when the commit is made from a temporary
            // index (`git commit -a`, `git commit PATH`); relative paths are from the top level,
            // where hooks run.
            let index_file = std::env::var_os("GIT_INDEX_FILE").map(std::path::PathBuf::from);
            staged_requirement(&repo, index_file.as_deref(), &policy)
        }
        Err(_) => Requirement::unknown(
            "tagman is not inside a git repository, so it cannot tell what the commit changes",
        ),
    };
    if let Requirement::Required { reason } = &requirement {
        ui.note(format_args!("a reference is required: {reason}"));
    }
    let mut sink = Sink::new(&policy);
    tagman_git::gate::check_message(&message, &requirement, &policy, &mut sink);
    if args.online {
        crate::cmd::lint_git::check_online(&message, &policy, &mut sink)?;
    }
    sink.add_files(1);
    let report = sink.finish();
    ui.print_report(&report, args.format)?;
    let failed = report.errors() > 0 || (args.deny_warnings && report.warnings() > 0);
    Ok(if failed {
        Outcome::Failed
    } else {
        Outcome::Clean
    })
}
