//! `tagman apply`: lint the manifests, refuse them on lint errors, then make every entry's tag in
//! the registry point at its source build (see the `tagman-apply` crate for the protocol).

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tagman_apply::plan::{Location, MapError, PlanItem};
use tagman_apply::report::Report;
use tagman_apply::{
    Client, CredentialStore, Options, Outcome as EntryOutcome, RetryPolicy, TransportConfig,
};
use tagman_core::reference::{ImageName, NameError};
use tagman_lint::{check_manifests, now_unix, Loaded, Sink};

use crate::cli::Global;
use crate::error::CliError;
use crate::output::{Format, Ui};
use crate::Outcome;

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
    /// Entries in flight at once.
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: u16,
    /// Overwrite conflicting tags of this image (repeatable); old and new digests are reported.
    #[arg(long, value_name = "NAME")]
    pub force: Vec<String>,
    /// Write a JSON report of every entry here.
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    /// Serve the names of registry FROM from TO (`docker.io=127.0.0.1:5000`, `docker.io=reg:9001/mirror`).
    #[arg(long = "registry-map", value_name = "FROM=TO")]
    pub registry_map: Vec<String>,
    /// Promote to this registry (and path prefix) instead of retagging in place.
    #[arg(long, value_name = "REGISTRY[/PREFIX]")]
    pub to: Option<String>,
    /// Credentials in Docker config JSON shape (`auths`, `credHelpers`, `credsStore`), before ~/.docker/config.json.
    #[arg(long = "auth-file", value_name = "PATH")]
    pub auth_file: Vec<PathBuf>,
    /// Trust this CA certificate (PEM) beside the system roots.
    #[arg(long = "ca-cert", value_name = "PATH")]
    pub ca_cert: Vec<PathBuf>,
    /// Speak plain HTTP to this registry (also `insecure_registries` in the policy). Never implied.
    #[arg(long = "insecure-registry", value_name = "HOST:PORT")]
    pub insecure_registry: Vec<String>,
    /// Per-request timeout, in seconds.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub timeout: u64,
    /// Tries per request, the first included.
    #[arg(long, default_value_t = 6, value_name = "N")]
    pub attempts: u32,
}

/// What stops `tagman apply` before it starts (exit 2).
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
    let files = crate::cmd::manifest_files(&args.files, &policy, ui, false)?;
    let loaded = Loaded::from_paths(&files, &policy)?;
    let mut sink = Sink::new(&policy);
    check_manifests(&loaded, &policy, now_unix(), &mut sink);
    let lint = sink.finish();
    if lint.errors() > 0 {
        ui.print_report(&lint, Format::Human)?;
        writeln!(
            std::io::stderr().lock(),
            "tagman apply: refusing to apply manifests with {} lint error(s)",
            lint.errors()
        )?;
        return Ok(Outcome::Failed);
    }
    let mut plan: Vec<PlanItem> = loaded
        .manifests
        .iter()
        .flat_map(PlanItem::from_manifest)
        .collect();
    if let Some(rev) = &args.changed_since {
        plan = changed_since(plan, rev, &policy)?;
    }

    let mut options = Options {
        jobs: usize::from(args.jobs),
        dry_run: args.dry_run,
        ..Options::default()
    };
    for rule in &args.registry_map {
        options.registry_map.push(rule).map_err(ApplyError::from)?;
    }
    options.to = args
        .to
        .as_deref()
        .map(Location::parse)
        .transpose()
        .map_err(ApplyError::from)?;
    for name in &args.force {
        let image = ImageName::parse(name).map_err(|source| ApplyError::ForceName {
            name: name.clone(),
            source,
        })?;
        options.force.push(image);
    }
    let mut insecure = args.insecure_registry.clone();
    insecure.extend(policy.insecure_registries.iter().cloned());
    let client = Client::new(TransportConfig {
        ca_certs: args.ca_cert.clone(),
        insecure_registries: insecure,
        retry: RetryPolicy {
            max_attempts: args.attempts.max(1),
            timeout: Duration::from_secs(args.timeout.max(1)),
            ..RetryPolicy::default()
        },
        credentials: CredentialStore::load(&args.auth_file, true).map_err(ApplyError::from)?,
        ..TransportConfig::default()
    })
    .map_err(ApplyError::from)?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(ApplyError::Runtime)?;
    let total = plan.len();
    let outcomes = runtime.block_on(async {
        watch_interrupt(options.cancel.clone());
        let mut progress = Progress::new(total, ui);
        tagman_apply::run(&client, plan, &options, |o| progress.entry(o)).await
    });
    let report = Report::new(&outcomes, client.transport().stats().snapshot());
    if let Some(path) = &args.report {
        let json = report.to_json() + "\n";
        tagman_core::write_file(path, json.as_bytes()).map_err(|source| ApplyError::Report {
            path: path.clone(),
            source,
        })?;
    }
    if !ui.quiet {
        let actions: Vec<String> = report
            .summary
            .actions
            .iter()
            .map(|(a, n)| format!("{n} {a}"))
            .collect();
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{} entr{}: {} ({} requests)",
            total,
            if total == 1 { "y" } else { "ies" },
            if actions.is_empty() {
                "nothing to do".to_owned()
            } else {
                actions.join(", ")
            },
            report.summary.requests.requests
        )?;
    }
    Ok(if report.summary.ok {
        Outcome::Clean
    } else {
        Outcome::Failed
    })
}

/// Ctrl-C: start nothing new, let entries in flight finish, report what was done. A second
/// Ctrl-C exits at once (130). The handler is registered before the run starts, so an early
/// interrupt is never the default "kill".
fn watch_interrupt(cancel: tagman_apply::CancellationToken) {
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

/// Keeps the entries added or changed since `rev` (by image name and tag).
fn changed_since(
    plan: Vec<PlanItem>,
    rev: &str,
    policy: &tagman_core::Policy,
) -> Result<Vec<PlanItem>, CliError> {
    let cwd = std::env::current_dir()?;
    let wanted: Vec<(ImageName, String)> = tagman_git::gate::changed_since(&cwd, rev, policy)?
        .into_iter()
        .filter_map(|(name, tag)| Some((ImageName::parse(&name).ok()?, tag)))
        .collect();
    Ok(plan
        .into_iter()
        .filter(|item| {
            wanted
                .iter()
                .any(|(name, tag)| *name == item.name && *tag == item.tag)
        })
        .collect())
}

/// A progress bar on a terminal; plain lines (one per entry, in input order) otherwise.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
}

impl Progress {
    fn new(total: usize, ui: &Ui) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            quiet: ui.quiet,
        }
    }

    fn entry(&mut self, outcome: &EntryOutcome) {
        let line = line(outcome);
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                // On a terminal only what needs a look is printed above the bar.
                if !outcome.action.is_ok() {
                    bar.println(line);
                }
            }
            None if !self.quiet || !outcome.action.is_ok() => {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
            None => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// `created         docker.io/starlingx/x:stx.10.0-v1  sha256:…`.
fn line(outcome: &EntryOutcome) -> String {
    let mut line = format!(
        "{:<15} {}:{}",
        outcome.action.as_str(),
        outcome.target,
        outcome.item.tag
    );
    if let Some(digest) = &outcome.digest {
        line.push_str(&format!("  {digest}"));
    }
    if let Some(previous) = &outcome.previous_digest {
        line.push_str(&format!("  (tag has {previous})"));
    }
    if let Some(error) = &outcome.error {
        line.push_str(&format!("  {error}"));
    }
    line
}
