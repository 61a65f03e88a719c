//! `tagman rules`: the rule table (code, name, default severity, what it checks).

use std::io::Write;

use clap::Args;
use tagman_core::Severity;
use tagman_lint::Rule;

use crate::error::CliError;
use crate::Outcome;

/// `tagman rules [--markdown]`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Print the Markdown table the README carries.
    #[arg(long)]
    pub markdown: bool,
}

/// Every rule tagman knows, in code order.
pub fn all_rules() -> Vec<&'static Rule> {
    let mut rules: Vec<&'static Rule> = tagman_lint::rules::all()
        .chain(tagman_git::rules())
        .chain(tagman_refs::rules::all())
        .collect();
    rules.sort_by_key(|r| r.code);
    rules
}

/// The README's rule table.
pub fn markdown_table() -> String {
    let mut table = String::from("| Code | Name | Default | Checks |\n| --- | --- | --- | --- |\n");
    for rule in all_rules() {
        table.push_str(&format!(
            "| {} | `{}` | {} | {} |\n",
            rule.code,
            rule.name,
            severity(rule.severity),
            rule.summary.replace('|', "\\|")
        ));
    }
    table
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Prints the table.
pub fn run(args: &RulesArgs) -> Result<Outcome, CliError> {
    let mut out = std::io::stdout().lock();
    if args.markdown {
        out.write_all(markdown_table().as_bytes())?;
    } else {
        for rule in all_rules() {
            writeln!(
                out,
                "{}  {:<18} {:<8} {}",
                rule.code,
                rule.name,
                severity(rule.severity),
                rule.summary
            )?;
        }
    }
    out.flush()?;
    Ok(Outcome::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_across_every_crate() {
        let rules = all_rules();
        let mut codes: Vec<&str> = rules.iter().map(|r| r.code).collect();
        let mut names: Vec<&str> = rules.iter().map(|r| r.name).collect();
        codes.dedup();
        names.sort_unstable();
        names.dedup();
        assert_eq!(codes.len(), rules.len(), "a rule code is used twice");
        assert_eq!(names.len(), rules.len(), "a rule name is used twice");
    }
}
