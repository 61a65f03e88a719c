//! What `tagman apply` prints: a line per entry (on a terminal above a progress bar, every entry
//! that is not `unchanged`; otherwise every entry; with `-q` only failures), a cause shown in
//! full once and then referred to, and a summary: the counts, then every entry that is not fine
//! (a conflict with the `--force` that would overwrite it, a missing source, a failure) so a long
//! run's problems are on its last screen, then each failing registry with the count of entries
//! failed by each cause. Digests are short on a terminal (`sha256:` and 12 hex digits) and full
//! in a log and in the JSON report.

use std::collections::HashSet;
use std::io::{IsTerminal as _, Write as _};
use std::time::Duration;

use tagman_apply::plan::Action;
use tagman_apply::report::{EntryReport, Report};
use tagman_apply::Outcome;

use crate::error::CliError;
use crate::output::Ui;

/// A progress bar on a terminal; plain lines (one per entry, in input order) otherwise.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
    /// Causes already printed in full.
    shown: HashSet<String>,
    /// Whether digests are shortened (standard output is a terminal).
    short: bool,
}

impl Progress {
    /// A bar when stderr is a terminal.
    pub fn new(total: usize, ui: &Ui) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            quiet: ui.quiet,
            shown: HashSet::new(),
            short: std::io::stdout().is_terminal(),
        }
    }

    /// One entry is done (called in input order).
    pub fn entry(&mut self, outcome: &Outcome) {
        if let Some(bar) = &self.bar {
            bar.inc(1);
        }
        let wanted = if self.quiet {
            !outcome.action.is_ok()
        } else {
            // Above a bar only what changed or needs a look; in a log every entry.
            self.bar.is_none() || outcome.action != Action::Unchanged
        };
        if !wanted {
            return;
        }
        let line = self.line(outcome);
        match &self.bar {
            Some(bar) => bar.println(line),
            None => {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            }
        }
    }

    /// `created         docker.io/starlingx/x:stx.10.0-v1  sha256:…`.
    fn line(&mut self, outcome: &Outcome) -> String {
        let mut line = format!(
            "{:<15} {}:{}",
            outcome.action.as_str(),
            outcome.target,
            outcome.item.tag
        );
        if let Some(digest) = &outcome.digest {
            line.push_str(&format!("  {}", digest_shown(digest, self.short)));
        }
        if let Some(previous) = &outcome.previous_digest {
            line.push_str(&format!(
                "  (tag has {})",
                digest_shown(previous, self.short)
            ));
        }
        if outcome.action == Action::SourceMissing {
            line.push_str(&format!(
                "  no source {}:{}",
                outcome.source, outcome.item.src_build_tag
            ));
        }
        if let Some(error) = &outcome.error {
            let text = error.to_string();
            if self.shown.contains(&text) {
                line.push_str(if outcome.not_tried() {
                    "  (not tried: the circuit breaker opened on the cause above)"
                } else {
                    "  (same cause as above)"
                });
            } else {
                line.push_str(&format!("  {text}"));
                self.shown.insert(text);
            }
        }
        line
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

/// The summary: `N entries: 3 created, 1 failed (12 requests) in 0.21 s` (not with `-q`), then a
/// line per failing registry and cause (also with `-q`).
pub fn summary(report: &Report, elapsed: Duration, ui: &Ui) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    let summary = &report.summary;
    if !ui.quiet {
        let actions: Vec<String> = summary
            .actions
            .iter()
            .map(|(a, n)| format!("{n} {a}"))
            .collect();
        writeln!(
            out,
            "{} {}: {} ({} requests) in {:.2} s",
            summary.total,
            entries(summary.total),
            if actions.is_empty() {
                "nothing to do".to_owned()
            } else {
                actions.join(", ")
            },
            summary.requests.requests,
            elapsed.as_secs_f64()
        )?;
    }
    if !ui.quiet {
        not_fine_entries(&mut out, report)?;
    }
    for failure in &summary.failures {
        let mut line = format!(
            "failed on {}: {} {}, {}",
            failure.registry,
            failure.entries,
            entries(failure.entries),
            failure.cause
        );
        if failure.not_tried > 0 {
            line.push_str(&format!(
                " ({} not tried: the registry's circuit breaker opened)",
                failure.not_tried
            ));
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// A digest as shown: `sha256:` and its first 12 hex digits when `short`.
pub fn digest_shown(digest: &str, short: bool) -> &str {
    match digest.split_once(':') {
        Some((algorithm, hex)) if short && hex.len() > 12 => {
            digest.get(..algorithm.len() + 1 + 12).unwrap_or(digest)
        }
        _ => digest,
    }
}

/// Failed entries named in the summary before the rest are only counted: their causes follow,
/// once per registry and cause.
const FAILED_NAMED: usize = 10;

/// Every entry that did not end as wanted, each with where it is declared and what to do (with
/// `-q` the entry lines are exactly these already). Conflicts and missing sources each need their
/// own action and are all named; failures share causes and are named up to [`FAILED_NAMED`].
fn not_fine_entries(out: &mut impl std::io::Write, report: &Report) -> Result<(), CliError> {
    let short = std::io::stdout().is_terminal();
    let mut failed = 0;
    for entry in report.entries.iter().filter(|e| !e.action.is_ok()) {
        if entry.action == Action::Failed {
            failed += 1;
            if failed > FAILED_NAMED {
                continue;
            }
        }
        writeln!(out, "  {}", not_fine(entry, report, short))?;
    }
    if failed > FAILED_NAMED {
        writeln!(
            out,
            "  … and {} more failed (the report names every entry; the causes follow)",
            failed - FAILED_NAMED
        )?;
    }
    Ok(())
}

/// One entry that is not fine, for the summary: what, where it is declared, and what to do.
fn not_fine(entry: &EntryReport, report: &Report, short: bool) -> String {
    let mut line = format!(
        "{:<15} {}:{}",
        entry.action.as_str(),
        entry.target,
        entry.tag
    );
    if let Some(at) = &entry.manifest {
        line.push_str(&format!(" ({at})"));
    }
    match entry.action {
        Action::Conflict => line.push_str(&format!(
            ": the tag has {}, the source {}; to overwrite it: --force {}",
            entry
                .previous_digest
                .as_deref()
                .map_or("another image".into(), |d| digest_shown(d, short)
                    .to_owned()),
            entry
                .digest
                .as_deref()
                .map_or("?".into(), |d| digest_shown(d, short).to_owned()),
            force_name(&entry.name, report)
        )),
        Action::SourceMissing => line.push_str(&format!(
            ": no source {}:{}",
            entry.source, entry.src_build_tag
        )),
        // A failure's cause is in the per-registry lines that follow.
        _ => {}
    }
    line
}

/// The shortest name `--force` takes for `name` in this run: its last path component when no
/// other image of the run ends with it, else the name in full.
fn force_name<'a>(name: &'a str, report: &Report) -> &'a str {
    let Some((_, last)) = name.rsplit_once('/') else {
        return name;
    };
    let suffix = format!("/{last}");
    let clash = report
        .entries
        .iter()
        .any(|e| e.name != name && e.name.ends_with(&suffix));
    if clash || last.contains('.') {
        name
    } else {
        last
    }
}

fn entries(n: usize) -> &'static str {
    if n == 1 {
        "entry"
    } else {
        "entries"
    }
}
