//! `tagman add FILE`: append one entry to a manifest, byte for byte around it, once lint finds no
//! error in the would-be file's new entry (nothing is written otherwise); `--dry-run` prints the
//! diff instead.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use tagman_core::{Manifest, Policy};
use tagman_git::add::{prepare, unified_diff, NewEntry};
use tagman_git::GitError;
use tagman_lint::now_unix;

use crate::cli::Global;
use crate::cmd::suggest::suggested_tag;
use crate::error::CliError;
use crate::output::{Format, Ui};
use crate::Outcome;

/// `tagman add FILE --name … --src-build-tag … --src-ref … (--tag … | --upstream … --commit …)`.
#[derive(Debug, Args)]
pub struct AddArgs {
    /// The manifest to add to.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Image name (`docker.io/starlingx/rvmc`).
    #[arg(long)]
    pub name: String,
    /// The timestamped build tag the release tag is made from.
    #[arg(long, value_name = "TAG")]
    pub src_build_tag: String,
    /// The source commit URL.
    #[arg(long, value_name = "URL")]
    pub src_ref: String,
    /// The release tag.
    #[arg(
        long,
        required_unless_present = "upstream",
        conflicts_with = "upstream"
    )]
    pub tag: Option<String>,
    /// Make the tag with `git describe --tags` in this clone of the upstream project.
    #[arg(long, value_name = "PATH", requires = "commit")]
    pub upstream: Option<PathBuf>,
    /// The upstream commit to describe.
    #[arg(long, value_name = "SHA", requires = "upstream")]
    pub commit: Option<String>,
    /// The release `X.Y` for a described tag (default: the policy's `release`).
    #[arg(long, value_name = "X.Y", requires = "upstream")]
    pub release: Option<String>,
    /// An OS codename suffix for a described tag.
    #[arg(long, value_name = "NAME", requires = "upstream")]
    pub codename: Option<String>,
    /// Output format of the lint of the would-be file.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Write nothing; print the diff the entry would make (and what lint finds in it).
    #[arg(long, conflicts_with = "format")]
    pub dry_run: bool,
}

/// The entry asked for, its tag given or suggested from the upstream commit; `None` when neither
/// (which clap already refuses).
fn new_entry(args: &AddArgs, policy: &Policy) -> Result<Option<NewEntry>, CliError> {
    let tag = match (&args.tag, &args.upstream, &args.commit) {
        (Some(tag), _, _) => tag.clone(),
        (None, Some(upstream), Some(commit)) => suggested_tag(
            upstream,
            commit,
            args.release.as_deref(),
            args.codename.as_deref(),
            policy,
        )?,
        _ => return Ok(None),
    };
    Ok(Some(NewEntry {
        name: args.name.clone(),
        src_build_tag: args.src_build_tag.clone(),
        src_ref: args.src_ref.clone(),
        tag,
    }))
}

/// Adds the entry when lint finds no error in it, or with `--dry-run` shows the diff.
pub fn run(args: &AddArgs, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    let policy = crate::cmd::load_policy(global)?;
    let Some(entry) = new_entry(args, &policy)? else {
        return Ok(Outcome::Failed);
    };
    let manifest = Manifest::read(&args.file, &policy.limits()).map_err(GitError::from)?;
    let name = tagman_git::gate::worktree_name(&std::env::current_dir()?, &args.file);
    let now = now_unix();
    let addition = prepare(&manifest, &entry, name, &policy, |loaded, sink| {
        tagman_lint::check_manifests(loaded, &policy, now, sink);
    })
    .map_err(GitError::from)?;
    let what = format!("{}:{}", entry.name, entry.tag);
    let file = args.file.display();
    if addition.refused() {
        ui.print_report(&addition.entry_report(), args.format)?;
        ui.status(format_args!(
            "{what} not added to {file}: fix what lint reports in it; nothing was written"
        ));
        return Ok(Outcome::Failed);
    }
    if args.dry_run {
        let diff = unified_diff(
            &manifest.source.name().replace('\\', "/"),
            manifest.source.text(),
            addition.text(),
        );
        std::io::stdout().lock().write_all(diff.as_bytes())?;
        let findings = addition.entry_report();
        if !findings.diagnostics.is_empty() {
            ui.print_report(&findings, args.format)?;
        }
        ui.status(format_args!(
            "would add {what} to {file} at line {} (dry run: nothing written)",
            addition.line()
        ));
        return Ok(Outcome::Clean);
    }
    write_manifest(&args.file, addition.text())?;
    ui.status(format_args!(
        "added {what} to {file} at line {}",
        addition.line()
    ));
    ui.print_report(&addition.report, args.format)?;
    Ok(Outcome::of(&addition.report, false))
}

/// Replaces the manifest at `path` with `text`: the one place `add` writes, through the one safe
/// write (an interrupted run never leaves half a manifest; a symlinked manifest is edited where
/// it lives).
fn write_manifest(path: &Path, text: &str) -> Result<(), CliError> {
    tagman_core::write_file(path, text.as_bytes())?;
    Ok(())
}
