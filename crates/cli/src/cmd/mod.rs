//! One module per subcommand; `run` dispatches.

pub mod add;
pub mod apply;
pub mod change_base;
pub mod commit_msg;
pub mod completions;
pub mod diff;
pub mod follow_up;
pub mod lint;
pub mod man;
pub mod refs;
pub mod rules;
pub mod schema;
pub mod status;
pub mod suggest;

use tagman_core::Policy;

use crate::cli::{Command, Global};
use crate::error::CliError;
use crate::output::Ui;
use crate::Outcome;

/// Runs `command`.
pub fn run(command: Command, global: &Global, ui: &Ui) -> Result<Outcome, CliError> {
    match command {
        Command::Lint(args) => lint::run(&args, global, ui),
        Command::Refs(args) => refs::run(&args, global, ui),
        Command::Schema(args) => schema::run(&args),
        Command::Rules(args) => rules::run(&args),
        Command::CommitMsg(args) => commit_msg::run(&args, global, ui),
        Command::Diff(args) => diff::run(&args, global, ui),
        Command::Suggest(args) => suggest::run(&args, global),
        Command::ChangeBase(args) => change_base::run(&args, ui),
        Command::Add(args) => add::run(&args, global, ui),
        Command::Apply(args) => apply::run(&args, global, ui),
        Command::Status(args) => status::run(&args, global, ui),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => man::run(&args),
    }
}

/// The policy from `--config`, else discovered from the working directory. A rule key that
/// names no rule is an error at its line.
pub fn load_policy(global: &Global) -> Result<Policy, CliError> {
    let mut policy = match &global.config {
        Some(path) => Policy::load(path)?,
        None => Policy::discover_from_cwd()?,
    };
    if let Some(limit) = global.max_findings {
        policy.max_findings = limit;
    }
    let unknown = crate::registry::registry().check_policy(&policy);
    match (&policy.source, unknown.is_empty()) {
        (Some(source), false) => Err(CliError::UnknownRules {
            source_file: source.clone(),
            unknown,
        }),
        _ => Ok(policy),
    }
}

/// The manifests named on the command line, or else those the policy's globs find under its
/// root. Finding none is an error (exit 2) unless `none_ok`; its help shows `naming`, how the
/// command names manifests (`tagman refs --manifests path/to/image-tags.yaml`).
pub fn manifest_files(
    named: &[std::path::PathBuf],
    policy: &Policy,
    ui: &Ui,
    none_ok: bool,
    naming: &'static str,
) -> Result<Vec<std::path::PathBuf>, CliError> {
    if !named.is_empty() {
        return Ok(named.to_vec());
    }
    let found = policy.discover_manifests()?;
    // What the globs match but an ignore file leaves out is said, never skipped silently; the
    // second walk this takes is spared under `-q` when there is something to check.
    let ignored = if found.is_empty() || !ui.quiet {
        policy.ignored_manifests(&found)?
    } else {
        Vec::new()
    };
    if found.is_empty() && !none_ok {
        return Err(CliError::NoManifests {
            root: policy.root.clone(),
            globs: policy.manifests.clone(),
            naming,
            ignored,
        });
    }
    ui.note(format_args!(
        "{} manifest(s) found under {}",
        found.len(),
        policy.root.display()
    ));
    if !ignored.is_empty() {
        let them = if ignored.len() == 1 { "it" } else { "them" };
        ui.warn(format_args!(
            "not checked: {}; name {them} to check {them}",
            crate::error::ignored_files(&policy.root, &ignored),
        ));
    }
    // Named as a user would name them on the command line: relative to the working directory.
    let cwd = std::env::current_dir().ok();
    Ok(found
        .into_iter()
        .map(|path| as_argument(path, cwd.as_deref()))
        .collect())
}

/// `path` relative to `cwd` when it lies below it, without a leading `./`.
fn as_argument(path: std::path::PathBuf, cwd: Option<&std::path::Path>) -> std::path::PathBuf {
    let relative = cwd
        .and_then(|cwd| path.strip_prefix(cwd).ok())
        .unwrap_or(&path);
    let trimmed: std::path::PathBuf = relative
        .components()
        .skip_while(|c| matches!(c, std::path::Component::CurDir))
        .collect();
    if trimmed.as_os_str().is_empty() {
        path
    } else {
        trimmed
    }
}
