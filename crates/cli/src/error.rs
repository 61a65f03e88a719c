//! The binary's errors: everything that ends a run with exit code 2, each saying where and how to fix it.

use std::path::PathBuf;

use tagman_core::LoadError;
use tagman_core::{GlobError, PolicyError, SourceFile};
use tagman_diag::registry::UnknownRule;

/// A usage, I/O or configuration error.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Writing output failed.
    #[error("cannot write output: {0}")]
    Io(#[from] std::io::Error),
    /// The policy file is unusable.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A manifest could not be read.
    #[error(transparent)]
    Load(#[from] LoadError),
    /// Manifest discovery failed.
    #[error(transparent)]
    Glob(#[from] GlobError),
    /// The policy's `rules:` names rules tagman does not have.
    #[error("{} sets the level of {} rule(s) tagman does not have", source_file.name(), unknown.len())]
    UnknownRules {
        /// The policy file.
        source_file: SourceFile,
        /// Each unknown key, where it is written.
        unknown: Vec<UnknownRule>,
    },
    /// `tagman rules --explain` names no rule.
    #[error("no rule is called `{text}`")]
    UnknownRule {
        /// What was asked for.
        text: String,
        /// The code it probably means.
        suggestion: Option<&'static str>,
    },
    /// No manifests were named and none were found.
    #[error("no tag manifests found under {} matching {}", root.display(), globs.join(", "))]
    NoManifests {
        /// Where the search started.
        root: PathBuf,
        /// The globs tried.
        globs: Vec<String>,
        /// How the command that looked names manifests (`tagman refs --manifests PATH`).
        naming: &'static str,
        /// Files the globs match that an ignore file (`.gitignore`, …) left out.
        ignored: Vec<PathBuf>,
    },
    /// `tagman refs` could not scan or bump.
    #[error(transparent)]
    Refs(#[from] tagman_refs::RefsError),
    /// A git question (a revision, a clone, a describe) could not be answered.
    #[error(transparent)]
    Git(#[from] tagman_git::GitError),
    /// A file could not be written safely (`add`, `man --out-dir`).
    #[error(transparent)]
    Write(#[from] tagman_core::WriteError),
    /// Options that do not go together.
    #[error("{message}")]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do instead.
        help: String,
    },
    /// `tagman apply` could not start (registry map, credentials, CA certificate, report file).
    #[error(transparent)]
    Apply(#[from] crate::cmd::apply::ApplyError),
}

impl CliError {
    /// How to fix it, when there is something to say.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::NoManifests {
                root,
                naming,
                ignored,
                ..
            } if !ignored.is_empty() => {
                let them = if ignored.len() == 1 { "it" } else { "them" };
                Some(format!(
                    "{}; name {them} (`{naming}`) to check {them}",
                    ignored_files(root, ignored)
                ))
            }
            Self::NoManifests { naming, .. } => Some(format!(
                "name them (`{naming}`) or set `manifests:` globs in tagman.yaml"
            )),
            Self::Policy(PolicyError::Invalid { .. }) => {
                Some("see `tagman schema --policy` for the keys tagman.yaml accepts".to_owned())
            }
            Self::Load(_) => Some("check the path; `-` reads standard input".to_owned()),
            Self::UnknownRule {
                suggestion: Some(code),
                ..
            } => Some(format!(
                "did you mean {code}? `tagman rules` lists every rule"
            )),
            Self::UnknownRule { .. } | Self::UnknownRules { .. } => {
                Some("`tagman rules` lists every rule's code and name".to_owned())
            }
            Self::Refs(e) => e.help(),
            Self::Usage { help, .. } => Some(help.clone()),
            Self::Git(e) => e.help(),
            _ => None,
        }
    }
}

/// "N file(s) matching `manifests` that an ignore file leaves out: A, B …", paths relative to
/// `root` (the policy's), the first few then how many more.
pub fn ignored_files(root: &std::path::Path, paths: &[PathBuf]) -> String {
    const SHOWN: usize = 5;
    let mut shown = paths
        .iter()
        .take(SHOWN)
        .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > SHOWN {
        shown.push_str(&format!(" and {} more", paths.len() - SHOWN));
    }
    let files = if paths.len() == 1 { "file" } else { "files" };
    format!(
        "{} {files} matching `manifests` that an ignore file (.gitignore, .ignore, \
         .git/info/exclude) leaves out: {shown}",
        paths.len()
    )
}
