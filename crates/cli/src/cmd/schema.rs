//! `tagman schema`: print the manifest (or policy) JSON Schema, for editors and other tools.

use std::io::Write;

use clap::Args;
use tagman_core::schema::Schema;

use crate::error::CliError;
use crate::Outcome;

/// `tagman schema [--policy]`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Print the schema of tagman.yaml instead of the manifest's.
    #[arg(long)]
    pub policy: bool,
}

/// Prints the schema.
pub fn run(args: &SchemaArgs) -> Result<Outcome, CliError> {
    let schema = if args.policy {
        Schema::Policy
    } else {
        Schema::Manifest
    };
    let mut out = std::io::stdout().lock();
    out.write_all(schema.text().as_bytes())?;
    out.flush()?;
    Ok(Outcome::Clean)
}
