//! The git-aware part of `tagman lint` (commit message, base revision); filled in by the git gates.

use clap::Args;
use tagman_core::{Manifest, Policy};
use tagman_lint::{Loaded, Sink};

use crate::error::CliError;

/// Git-related `tagman lint` options.
#[derive(Debug, Args)]
pub struct GitArgs {}

/// Whether these options ask for checks that need no manifest files (a commit message alone).
pub fn checks_without_files(_args: &GitArgs) -> bool {
    false
}

/// The manifests at the base revision, when one was given.
pub fn base_manifests(_args: &GitArgs, _policy: &Policy) -> Result<Vec<Manifest>, CliError> {
    Ok(Vec::new())
}

/// Runs the git-aware checks into `sink`.
pub fn check(
    _args: &GitArgs,
    _policy: &Policy,
    _loaded: &Loaded,
    _sink: &mut Sink<'_>,
) -> Result<(), CliError> {
    Ok(())
}
