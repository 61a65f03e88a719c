//! The `tagman` binary: parses arguments, runs a command, turns the outcome into exit 0, 1 or 2.

mod cli;
mod cmd;
mod error;
mod gate;
mod output;
mod registry;

use std::process::ExitCode;

use clap::Parser;

use crate::error::CliError;

/// What a command concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing failing was found.
    Clean,
    /// Findings or failed entries.
    Failed,
}

impl Outcome {
    /// Failed when the report has errors, or warnings and `deny_warnings`.
    pub fn of(report: &tagman_diag::Report, deny_warnings: bool) -> Self {
        if report.errors() > 0 || (deny_warnings && report.warnings() > 0) {
            Self::Failed
        } else {
            Self::Clean
        }
    }
}

fn main() -> ExitCode {
    let cli = cli::Cli::try_parse().unwrap_or_else(|err| output::usage_error(err));
    let ui = output::Ui::new(&cli.global);
    let format = cli.command.format();
    match cmd::run(cli.command, &cli.global, &ui) {
        Ok(Outcome::Clean) => ExitCode::SUCCESS,
        Ok(Outcome::Failed) => ExitCode::from(1),
        // Output cut short by a closed pipe (`tagman lint | head`) is not a failure.
        Err(CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(err) => {
            ui.fail(err, format);
            ExitCode::from(2)
        }
    }
}
