//! `tagman lint`: check tag manifests and print the findings.

use std::path::PathBuf;

use clap::Args;
use tagman_lint::{check_manifests, load_manifests, now_unix, Sink};

use crate::cli::Global;
use crate::cmd::lint_git::{self, GitArgs};
use crate::error::CliError;
use crate::output::{Format, Ui};
use crate::Outcome;

/// `tagman lint [FILES…]`.
#[derive(Debug, Args)]
pub struct LintArgs {
    /// Manifests to check (`-` reads standard input). Default: the policy's `manifests` globs.
    #[arg(value_name = "FILES", conflicts_with = "commit")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Fail (exit 1) on warnings too.
    #[arg(long)]
    pub deny_warnings: bool,
    /// Largest manifest read, in bytes (overrides the policy's `max_file_size`).
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    #[command(flatten)]
    pub git: GitArgs,
}

/// Runs the lint.
pub fn run(args: &LintArgs, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    let mut policy = crate::cmd::load_policy(global)?;
    if let Some(max) = args.max_file_size {
        policy.max_file_size = max;
    }
    // `--commit REV` checks the manifests as they are at REV, not files of the working tree.
    let git = lint_git::GitInputs::read(&args.git, &policy)?;
    let loaded = match git.loaded_at_revision() {
        Some(at_revision) => at_revision,
        None => {
            let files = crate::cmd::manifest_files(
                &args.files,
                &policy,
                ui,
                lint_git::checks_without_files(&args.git),
            )?;
            load_manifests(&files, &policy)?
        }
    };
    let mut sink = Sink::new(&policy);
    let base = git.base_manifests();
    check_manifests(&loaded, &base, &policy, now_unix(), &mut sink);
    lint_git::check(&args.git, &git, &policy, &loaded, &mut sink)?;
    let report = sink.finish();
    ui.print_report(&report, args.format)?;
    let failed = report.errors() > 0 || (args.deny_warnings && report.warnings() > 0);
    Ok(if failed {
        Outcome::Failed
    } else {
        Outcome::Clean
    })
}
