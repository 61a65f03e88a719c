//! `tagman suggest`: print the release tag for an upstream commit (`git describe --tags` in a
//! local clone over its version-like tags, or those `--match` names, turned into
//! `stx.<release>-v<describe>` and checked against the tag grammar); says on stderr which
//! upstream tag it described the commit from.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use tagman_core::Policy;
use tagman_git::suggest::{Suggestion, TagFilter};
use tagman_git::{GitError, Repo};

use crate::cli::Global;
use crate::error::CliError;
use crate::Outcome;

/// `tagman suggest --upstream PATH --commit SHA [--match GLOB] [--release X.Y] [--codename NAME]`.
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
    /// Describe from the nearest tag matching GLOB, as `git describe --match` (default: the
    /// nearest version-like tag, `v1.2.3` or `1.2.3`; branch markers such as `vf/…` never).
    #[arg(long = "match", value_name = "GLOB")]
    pub pattern: Option<String>,
}

/// The tag for `commit` of the clone at `upstream`, described from its nearest version-like
/// tag, under `release` (or the policy's).
pub fn suggested_tag(
    upstream: &Path,
    commit: &str,
    release: Option<&str>,
    codename: Option<&str>,
    policy: &Policy,
) -> Result<String, CliError> {
    Ok(suggestion(upstream, commit, None, release, codename, policy)?.tag)
}

/// The suggestion for `commit` of the clone at `upstream`, described from the nearest tag
/// `pattern` matches (else the nearest version-like one), under `release` (or the policy's).
pub fn suggestion(
    upstream: &Path,
    commit: &str,
    pattern: Option<&str>,
    release: Option<&str>,
    codename: Option<&str>,
    policy: &Policy,
) -> Result<Suggestion, CliError> {
    let release = release
        .map(str::to_owned)
        .or_else(|| policy.release.as_ref().map(|r| r.value.clone()))
        .ok_or(GitError::NoRelease)?;
    let repo = Repo::open(upstream)?;
    let filter = TagFilter::new(pattern)?;
    Ok(tagman_git::suggest::suggest(
        &repo,
        commit,
        &filter,
        &release,
        codename,
        &policy.codenames,
    )?)
}

/// Prints the tag.
pub fn run(args: &SuggestArgs, global: &Global) -> Result<Outcome, CliError> {
    let policy = crate::cmd::load_policy(global)?;
    let made = suggestion(
        &args.upstream,
        &args.commit,
        args.pattern.as_deref(),
        args.release.as_deref(),
        args.codename.as_deref(),
        &policy,
    )?;
    let after = match made.distance {
        0 => "the commit is the tag's".to_owned(),
        n => format!("{n} commit(s) after it"),
    };
    writeln!(
        std::io::stderr().lock(),
        "tagman: described {} from upstream tag {} ({after}): {}",
        args.commit,
        made.base,
        made.described
    )?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", made.tag)?;
    Ok(Outcome::Clean)
}
