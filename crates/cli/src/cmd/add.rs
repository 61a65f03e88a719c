//! `tagman add FILE`: append one entry to a manifest, byte for byte around it, then lint the file.

use std::path::PathBuf;

use clap::Args;
use tagman_core::Manifest;
use tagman_git::add::{append_entry, verify, NewEntry};
use tagman_git::GitError;

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
    /// Output format of the lint that follows.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Adds the entry and lints the file.
pub fn run(args: &AddArgs, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    let policy = crate::cmd::load_policy(global)?;
    let tag = match (&args.tag, &args.upstream, &args.commit) {
        (Some(tag), _, _) => tag.clone(),
        (None, Some(upstream), Some(commit)) => suggested_tag(
            upstream,
            commit,
            args.release.as_deref(),
            args.codename.as_deref(),
            &policy,
        )?,
        // clap requires --tag or --upstream with --commit.
        _ => return Ok(Outcome::Failed),
    };
    let entry = NewEntry {
        name: args.name.clone(),
        src_build_tag: args.src_build_tag.clone(),
        src_ref: args.src_ref.clone(),
        tag,
    };
    let manifest = Manifest::read(&args.file, &policy.limits()).map_err(GitError::from)?;
    let text = append_entry(&manifest, &entry).map_err(GitError::from)?;
    if !verify(&manifest, &text, &entry) {
        return Err(GitError::from(tagman_git::add::AddError::BadValue {
            value: format!("{}:{}", entry.name, entry.tag),
        })
        .into());
    }
    // The one safe write: an interrupted run never leaves half a manifest, and a symlinked
    // manifest is edited where it lives.
    tagman_core::write_file(&args.file, text.as_bytes())?;
    ui.note(format_args!(
        "added {}:{} to {}",
        entry.name,
        entry.tag,
        args.file.display()
    ));
    let report = tagman_lint::lint_paths(std::slice::from_ref(&args.file), &policy)?;
    ui.print_report(&report, args.format)?;
    Ok(if report.errors() > 0 {
        Outcome::Failed
    } else {
        Outcome::Clean
    })
}
