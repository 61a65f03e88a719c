//! `tagman lint`: check tag manifests (and, with the git options, a commit, a base revision, a
//! commit message, src_refs or the message's references online) and print the findings. What
//! the git options check is read by tagman-git's gate and composed in `crate::gate`; this module
//! maps arguments onto it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::Args;
use tagman_git::{Base, LintRequest};
use tagman_lint::now_unix;

use crate::cli::Global;
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
    /// Check the named FILES in the context of every manifest the policy selects: rules across
    /// files (a tag given to two builds, TM008) see them all, findings are reported on FILES only.
    /// The pre-commit hook runs this with the staged manifests.
    #[arg(long, requires = "files")]
    pub in_context: bool,
    #[command(flatten)]
    pub git: GitArgs,
}

/// Git-related `tagman lint` options.
#[derive(Debug, Args)]
pub struct GitArgs {
    /// Check commit REV: its manifests as of REV against its first parent, and its message.
    #[arg(long, value_name = "REV", group = "message")]
    pub commit: Option<String>,
    /// Compare with the manifests at REV: a published tag never moves (TM106, TM107), and the
    /// policy's `release` applies to added or changed entries only (TM005). Default: HEAD, when
    /// the checked files lie in a git work tree.
    #[arg(long, value_name = "REV", conflicts_with = "commit")]
    pub base: Option<String>,
    /// Compare with no revision, not even HEAD: every entry is checked against `release`.
    #[arg(long, conflicts_with_all = ["base", "commit"])]
    pub no_base: bool,
    /// Check this commit message (`-` reads standard input); a reference is required when the
    /// manifests add or change entries against `--base` (always, without `--base`).
    #[arg(long, value_name = "PATH", group = "message")]
    pub commit_msg_file: Option<PathBuf>,
    /// Verify each src_ref against the clone `DIR/<project>`: the commit exists and is not later
    /// than its build (TM108, TM109); a missing clone is a warning (TM110).
    #[arg(long, value_name = "DIR")]
    pub src_repos: Option<PathBuf>,
    /// Check that the message's Launchpad bugs and StoryBoard stories/tasks exist and are public
    /// (TM111, TM112); an unreachable service is a warning (TM113).
    #[arg(long, requires = "message")]
    pub online: bool,
}

/// Runs the lint.
pub fn run(args: &LintArgs, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    let mut policy = crate::cmd::load_policy(global)?;
    if let Some(max) = args.max_file_size {
        policy.max_file_size = max;
    }
    let base = match (&args.git.base, args.git.no_base) {
        (Some(rev), _) => Base::Rev(rev.clone()),
        (None, true) => Base::Off,
        (None, false) => Base::Head,
    };
    let mut request = LintRequest {
        files: Vec::new(),
        named: !args.files.is_empty(),
        commit: args.git.commit.clone(),
        base,
        message_file: args.git.commit_msg_file.clone(),
        src_repos: args.git.src_repos.clone(),
        online: args.git.online,
    };
    // `--commit REV` checks the manifests as they are at REV, not files of the working tree.
    if request.commit.is_none() {
        request.files = crate::cmd::manifest_files(
            &args.files,
            &policy,
            ui,
            request.needs_no_files(),
            "tagman lint path/to/image-tags.yaml",
        )?;
    }
    let cwd = std::env::current_dir()?;
    let reported = if args.in_context {
        Some(in_context(&mut request, &policy, ui)?)
    } else {
        None
    };
    let mut report = crate::gate::lint(&request, &cwd, &policy, now_unix())?;
    if let Some(reported) = reported {
        keep_reported(&mut report, &reported);
    }
    ui.print_report(&report, args.format)?;
    Ok(Outcome::of(&report, args.deny_warnings))
}

/// `--in-context`: every manifest the globs select joins the named ones, in the globs' order (as
/// a run without FILES loads them, so a rule across files puts its finding where that run would:
/// TM008 on the later of two files), compared with every manifest at the base. Returns the
/// named files, the ones findings are reported on.
fn in_context(
    request: &mut LintRequest,
    policy: &tagman_core::Policy,
    ui: &Ui,
) -> Result<BTreeSet<PathBuf>, CliError> {
    let reported = canonical_set(&request.files);
    let mut files = crate::cmd::manifest_files(&[], policy, ui, true, "")?;
    let found = canonical_set(&files);
    files.extend(
        request
            .files
            .drain(..)
            .filter(|named| !found.contains(&canonical(named))),
    );
    request.files = files;
    request.named = false;
    Ok(reported)
}

/// Keeps the findings on the `reported` files, and a message's (the commit's as well).
fn keep_reported(report: &mut tagman_diag::Report, reported: &BTreeSet<PathBuf>) {
    report.diagnostics.retain(|d| {
        d.subject() == tagman_diag::registry::Subject::CommitMessage
            || reported.contains(&canonical(std::path::Path::new(d.file())))
    });
    report.files = reported.len();
}

/// A path as the file system resolves it (as given when it cannot: a file since deleted).
fn canonical(path: &std::path::Path) -> PathBuf {
    path.canonicalize().unwrap_or_else(|_| path.to_path_buf())
}

fn canonical_set(paths: &[PathBuf]) -> BTreeSet<PathBuf> {
    paths.iter().map(|p| canonical(p)).collect()
}
