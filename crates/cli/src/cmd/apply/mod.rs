//! `tagman apply`: lint the manifests, refuse them on lint errors, then make every entry's tag in
//! the registry point at its source build (see the `tagman-apply` crate for the protocol).
//! [`setup`] turns the arguments into a plan, a client and options (shared with `tagman
//! status`); [`output`] prints entries above the progress bar and the summary.

pub mod output;
pub mod setup;

use std::path::PathBuf;
use std::time::Instant;

use clap::Args;
use tagman_apply::plan::MapError;
use tagman_apply::report::Report;
use tagman_core::reference::NameError;

use crate::cli::Global;
use crate::error::CliError;
use crate::output::Ui;
use crate::Outcome;
pub use setup::RegistryArgs;

/// `tagman apply [--dry-run] [--changed-since REV] [--jobs N] [--force NAME]… [--report PATH] [FILES…]`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// Manifests to apply. Default: the policy's `manifests` globs.
    #[arg(value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Only read from the registry and print the plan (would-create, unchanged, conflict, source-missing).
    #[arg(long)]
    pub dry_run: bool,
    /// Apply only the entries added or changed since this git revision.
    #[arg(long, value_name = "REV")]
    pub changed_since: Option<String>,
    /// Overwrite conflicting tags of this image (repeatable); old and new digests are reported.
    #[arg(long, value_name = "NAME")]
    pub force: Vec<String>,
    /// Write a JSON report of every entry here.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// What stops `tagman apply` or `tagman status` before it starts (exit 2).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// A `--registry-map` or `--to` value is malformed.
    #[error("{0}")]
    Map(#[from] MapError),
    /// A `--force` name is not an image name.
    #[error("--force {name}: {source}")]
    ForceName {
        /// The value given.
        name: String,
        /// Why it is not a name.
        #[source]
        source: NameError,
    },
    /// A short `--force` name that several entries' images end with.
    #[error("--force {name} could mean {}: name one in full", images.join(", "))]
    AmbiguousForce {
        /// The value given.
        name: String,
        /// The images it could mean.
        images: Vec<String>,
    },
    /// The registry client could not be set up (credentials, CA certificate, TLS).
    #[error(transparent)]
    Client(#[from] tagman_apply::Error),
    /// The async runtime could not start.
    #[error("cannot start the runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// The report could not be written.
    #[error("cannot write the report {}: {source}", path.display())]
    Report {
        /// Where.
        path: PathBuf,
        /// Why.
        #[source]
        source: tagman_core::WriteError,
    },
}

/// Runs `tagman apply`.
pub fn run(args: &ApplyArgs, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    let policy = crate::cmd::load_policy(global)?;
    let Some(plan) = setup::plan(
        &args.files,
        args.changed_since.as_deref(),
        &policy,
        ui,
        "apply",
    )?
    else {
        return Ok(Outcome::Failed);
    };
    let mut options = setup::options(&args.registry, &plan, ui)?;
    options.dry_run = args.dry_run;
    options.force = setup::force(&args.force, &plan, ui)?;
    let client = setup::client(&args.registry, &policy, &options)?;
    let runtime = setup::runtime()?;
    let total = plan.len();
    let start = Instant::now();
    let outcomes = runtime.block_on(async {
        watch_interrupt(options.cancel.clone());
        let mut progress = output::Progress::new(total, ui);
        tagman_apply::run(&client, plan, &options, |o| progress.entry(o)).await
    });
    let report = Report::new(
        &outcomes,
        client.transport().stats().snapshot(),
        concat!("tagman ", env!("CARGO_PKG_VERSION")),
        tagman_lint::now_unix(),
    );
    if let Some(path) = &args.report {
        write_report(path, &report.to_json())?;
    }
    output::summary(&report, start.elapsed(), ui)?;
    Ok(if report.summary.ok {
        Outcome::Clean
    } else {
        Outcome::Failed
    })
}

/// Writes a JSON report through the one safe write.
pub fn write_report(path: &std::path::Path, json: &str) -> Result<(), CliError> {
    let text = format!("{json}\n");
    tagman_core::write_file(path, text.as_bytes()).map_err(|source| ApplyError::Report {
        path: path.to_owned(),
        source,
    })?;
    Ok(())
}

/// Ctrl-C: start nothing new, let entries in flight finish, report what was done. A second
/// Ctrl-C exits at once (130). The handler is registered before the run starts, so an early
/// interrupt is never the default "kill".
pub fn watch_interrupt(cancel: tagman_apply::CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut interrupts) = signal(SignalKind::interrupt()) {
            tokio::spawn(async move {
                if interrupts.recv().await.is_some() {
                    cancel.cancel();
                }
                if interrupts.recv().await.is_some() {
                    std::process::exit(130);
                }
            });
        }
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            cancel.cancel();
        }
    });
}
