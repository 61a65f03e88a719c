//! `tagman change-base COMMIT`: print the commit a change in a repository Zuul's merger prepared
//! is judged against (the prepared HEAD without the change, in every merge mode), for the jobs'
//! `lint --base`, `apply --changed-since` and the list of files a review may be commented on.

use std::io::Write;

use clap::Args;
use tagman_git::Repo;

use crate::error::CliError;
use crate::output::Ui;
use crate::Outcome;

/// `tagman change-base [--head REV] COMMIT`.
#[derive(Debug, Args)]
pub struct ChangeBaseArgs {
    /// The change's own commit (Zuul's `zuul.commit_id`).
    #[arg(value_name = "COMMIT")]
    pub commit: String,
    /// The prepared state the change was merged into.
    #[arg(long, value_name = "REV", default_value = "HEAD")]
    pub head: String,
}

/// Prints the base's full id on standard output, and how it was found on standard error.
pub fn run(args: &ChangeBaseArgs, ui: &Ui) -> Result<Outcome, CliError> {
    let repo = Repo::discover(&std::env::current_dir()?)?;
    let found = tagman_git::change_base(&repo, &args.head, &args.commit)?;
    writeln!(std::io::stdout().lock(), "{}", found.base)?;
    let short = |id: &str| id.chars().take(10).collect::<String>();
    let later = if found.merged_as == repo.commit(&args.head)?.id {
        String::new()
    } else {
        format!(
            " (merged as {}, below {}: later commits are included)",
            short(&found.merged_as),
            args.head
        )
    };
    if !ui.quiet {
        let _ = writeln!(
            std::io::stderr().lock(),
            "tagman: the change {} is judged against {} ({}){later}",
            short(&args.commit),
            short(&found.base),
            found.how.describe()
        );
    }
    Ok(Outcome::Clean)
}
