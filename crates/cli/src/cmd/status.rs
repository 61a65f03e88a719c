//! `tagman status`: what is published, read only (HEAD requests). Per entry: is `name:tag`
//! there, does it point at the `src_build_tag` digest, or did it drift. Exit 1 on a drifted tag
//! or a registry that could not be asked: the audit of a release.

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use tagman_apply::status::{EntryStatus, State, Status};

use crate::cli::Global;
use crate::cmd::apply::{setup, RegistryArgs};
use crate::error::CliError;
use crate::output::Ui;
use crate::Outcome;

/// `tagman status [--format human|json|markdown] [--report PATH] [FILES…]`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Manifests to check. Default: the policy's `manifests` globs.
    #[arg(value_name = "FILES")]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Human)]
    pub format: StatusFormat,
    /// Also write the JSON document here (for a job's artifacts).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `--format` of `tagman status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// A line per entry and a summary.
    Human,
    /// `{"entries":[{name,tag,src_build_tag,target,state,tag_digest,source_digest,error}],"states":{…},"ok":…}`.
    Json,
    /// A Markdown table (for a report or a review comment).
    Markdown,
}

/// Runs `tagman status`.
pub fn run(args: &StatusArgs, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    let policy = crate::cmd::load_policy(global)?;
    let Some(plan) = setup::plan(&args.files, None, &policy, ui, "status")? else {
        return Ok(Outcome::Failed);
    };
    let mut options = setup::options(&args.registry, &plan, ui)?;
    options.dry_run = true;
    let client = setup::client(&args.registry, &policy, &options)?;
    let runtime = setup::runtime()?;
    let outcomes = runtime.block_on(tagman_apply::run(&client, plan, &options, |_| {}));
    let status = Status::new(&outcomes);
    if let Some(path) = &args.report {
        crate::cmd::apply::write_report(path, &status.to_json())?;
    }
    let text = match args.format {
        StatusFormat::Human => human(&status, ui.quiet),
        StatusFormat::Json => status.to_json() + "\n",
        StatusFormat::Markdown => markdown(&status),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(if status.ok {
        Outcome::Clean
    } else {
        Outcome::Failed
    })
}

fn short(digest: Option<&String>) -> &str {
    digest.map_or("-", String::as_str)
}

/// What a line of `status` says of an entry beyond its state (a failure's cause in full).
fn detail(e: &EntryStatus) -> String {
    match e.state {
        State::Published => short(e.tag_digest.as_ref()).to_owned(),
        State::Missing => format!(
            "not published (source {} is {})",
            e.src_build_tag,
            short(e.source_digest.as_ref())
        ),
        State::Drifted => format!(
            "tag has {}, but source {} is {}",
            short(e.tag_digest.as_ref()),
            e.src_build_tag,
            short(e.source_digest.as_ref())
        ),
        State::SourceMissing => match &e.tag_digest {
            Some(digest) => format!(
                "tag has {digest}, but its build tag {} was pruned: nothing to check it against",
                e.src_build_tag
            ),
            None => format!(
                "not published, and its build tag {} is gone too",
                e.src_build_tag
            ),
        },
        _ => e.error.clone().unwrap_or_default(),
    }
}

fn human(status: &Status, quiet: bool) -> String {
    let mut out = String::new();
    // A cause is shown in full once per run, then referred to, as `apply` does.
    let mut shown = std::collections::HashSet::new();
    for e in &status.entries {
        if quiet && !e.state.fails_audit() {
            continue;
        }
        let detail = match (&e.state, &e.error) {
            (State::Failed, Some(error)) if !shown.insert(error.clone()) => {
                "(same cause as above)".to_owned()
            }
            _ => detail(e),
        };
        out.push_str(&format!(
            "{:<15} {}:{}  {detail}\n",
            e.state.as_str(),
            e.target,
            e.tag
        ));
    }
    if !quiet {
        out.push_str(&format!("{}\n", counts(status)));
    }
    for failure in &status.failures {
        out.push_str(&format!(
            "failed on {}: {} {}, {}\n",
            failure.registry,
            failure.entries,
            if failure.entries == 1 {
                "entry"
            } else {
                "entries"
            },
            failure.cause
        ));
    }
    out
}

fn counts(status: &Status) -> String {
    let states: Vec<String> = status
        .states
        .iter()
        .map(|(state, n)| format!("{n} {}", state.as_str()))
        .collect();
    let total = status.entries.len();
    format!(
        "{total} {}: {}",
        if total == 1 { "entry" } else { "entries" },
        if states.is_empty() {
            "nothing to check".to_owned()
        } else {
            states.join(", ")
        }
    )
}

fn markdown(status: &Status) -> String {
    let cell = |text: &str| text.replace('|', "\\|");
    let mut out = String::from(
        "| State | Image | Tag | Source build | Tag digest | Source digest |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for e in &status.entries {
        out.push_str(&format!(
            "| {} | `{}` | `{}` | `{}` | {} | {} |\n",
            if e.state.fails_audit() {
                format!("**{}**", e.state.as_str())
            } else {
                e.state.as_str().to_owned()
            },
            cell(&e.target),
            cell(&e.tag),
            cell(&e.src_build_tag),
            e.tag_digest
                .as_deref()
                .map_or_else(|| "-".to_owned(), |d| format!("`{d}`")),
            e.source_digest
                .as_deref()
                .map_or_else(|| "-".to_owned(), |d| format!("`{d}`")),
        ));
    }
    out.push_str(&format!("\n{}\n", counts(status)));
    out
}
