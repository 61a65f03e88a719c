//! `tagman rules`: the rule table (code, name, default severity, subject, summary), the README's
//! Markdown table, or one rule's documentation with `--explain CODE` (as `ruff rule` does).

use std::io::Write;

use clap::Args;

use crate::error::CliError;
use crate::registry::registry;
use crate::Outcome;

/// `tagman rules [--markdown | --explain CODE]`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the Markdown table the README carries.
    #[arg(long, conflicts_with_all = ["explain", "json"])]
    pub markdown: bool,
    /// Print every rule as JSON: code, name, default, subject, summary and docs.
    #[arg(long, conflicts_with = "explain")]
    pub json: bool,
    /// Print the documentation of one rule (its code, in any case, or its name): what it does,
    /// why, an example and the fix.
    #[arg(long, value_name = "CODE")]
    pub explain: Option<String>,
}

/// Prints the table, or one rule's documentation.
pub fn run(args: &RulesArgs) -> Result<Outcome, CliError> {
    let registry = registry();
    let mut out = std::io::stdout().lock();
    if let Some(code) = &args.explain {
        let rule = registry.find(code).ok_or_else(|| CliError::UnknownRule {
            text: code.clone(),
            suggestion: registry.suggest(code).map(|r| r.code),
        })?;
        out.write_all(rule.explain().as_bytes())?;
    } else if args.markdown {
        out.write_all(registry.markdown_table().as_bytes())?;
    } else if args.json {
        serde_json::to_writer_pretty(&mut out, &registry.to_json())
            .map_err(std::io::Error::from)?;
        writeln!(out)?;
    } else {
        for rule in registry.all() {
            writeln!(
                out,
                "{}  {:<24} {:<8} {:<15} {}",
                rule.code,
                rule.name,
                rule.default.as_str(),
                rule.subject.as_str(),
                rule.summary
            )?;
        }
    }
    out.flush()?;
    Ok(Outcome::Clean)
}
