//! `tagman suggest`: print the release tag for an upstream commit (`git describe --tags` in a
//! local clone, turned into `stx.<release>-v<describe>` and checked against the tag grammar).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use tagman_core::Policy;
use tagman_git::{GitError, Repo};

use crate::cli::Global;
use crate::error::CliError;
use crate::Outcome;

/// `tagman suggest --upstream PATH --commit SHA [--release X.Y] [--codename NAME]`.
#[derive(Debug, Args)]
pub struct SuggestArgs {
    /// A local clone of the upstream project, with its tags fetched.
    #[arg(long, value_name = "PATH")]
    pub upstream: PathBuf,
    /// The upstream commit (hash or any revision the clone knows).
    #[arg(long, value_name = "SHA")]
    pub commit: String,
    /// The StarlingX release `X.Y` (default: the policy's `release`).
    #[arg(long, value_name = "X.Y")]
    pub release: Option<String>,
    /// An OS codename suffix (`trixie`), one of the policy's `codenames`.
    #[arg(long, value_name = "NAME")]
    pub codename: Option<String>,
}

/// The tag for `commit` of the clone at `upstream`, under `release` (or the policy's).
pub fn suggested_tag(
    upstream: &Path,
    commit: &str,
    release: Option<&str>,
    codename: Option<&str>,
    policy: &Policy,
) -> Result<String, CliError> {
    let release = release
        .map(str::to_owned)
        .or_else(|| policy.release.as_ref().map(|r| r.value.clone()))
        .ok_or(GitError::NoRelease)?;
    let repo = Repo::open(upstream)?;
    Ok(tagman_git::suggest::suggest(
        &repo,
        commit,
        &release,
        codename,
        &policy.codenames,
    )?)
}

/// Prints the tag.
pub fn run(args: &SuggestArgs, global: &Global) -> Result<Outcome, CliError> {
    let policy = crate::cmd::load_policy(global)?;
    let tag = suggested_tag(
        &args.upstream,
        &args.commit,
        args.release.as_deref(),
        args.codename.as_deref(),
        &policy,
    )?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{tag}")?;
    Ok(Outcome::Clean)
}
