//! The `--report` JSON document: one record per entry in input order, and a summary.

use std::collections::BTreeMap;

use crate::plan::{Action, Outcome};
use crate::stats::Counts;

/// The whole report.
#[derive(Debug, serde::Serialize)]
pub struct Report {
    /// The tagman that made it (`tagman 0.1.0`).
    pub tool: String,
    /// When the run ended, UTC (`2026-12-07T03:40:00Z`).
    pub time: String,
    /// One record per entry, in input order.
    pub entries: Vec<EntryReport>,
    /// Totals.
    pub summary: Summary,
}

/// One entry's record.
#[derive(Debug, serde::Serialize)]
pub struct EntryReport {
    /// The image as the manifest names it (canonical form).
    pub name: String,
    /// The tag created or checked.
    pub tag: String,
    /// Where the entry is declared (`file:line`).
    pub manifest: Option<String>,
    /// The source tag.
    pub src_build_tag: String,
    /// Where the source was looked for (after `--registry-map`).
    pub source: String,
    /// Where the tag lives (after `--registry-map` / `--to`).
    pub target: String,
    /// What happened.
    pub action: Action,
    /// The source's digest, when known.
    pub digest: Option<String>,
    /// The tag's earlier digest (conflict, forced).
    pub previous_digest: Option<String>,
    /// HTTP requests sent for the entry, retries included.
    pub requests: u32,
    /// Why it failed (never carries a secret).
    pub error: Option<String>,
}

/// Totals over the run.
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    /// Entries in the plan.
    pub total: usize,
    /// Entries per action word.
    pub actions: BTreeMap<&'static str, usize>,
    /// Whether every entry ended as wanted.
    pub ok: bool,
    /// Requests sent.
    pub requests: Counts,
    /// Failed entries counted by registry and cause, most first.
    pub failures: Vec<CauseCount>,
}

/// How many entries failed on one registry for one cause.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CauseCount {
    /// The registry the failure is about.
    pub registry: String,
    /// The cause in a few words (`connection refused`, `credentials refused`, …).
    pub cause: String,
    /// Entries failed by it.
    pub entries: usize,
    /// Of those, the ones failed without a request, by the registry's circuit breaker.
    pub not_tried: usize,
}

/// The failed entries of `outcomes` counted by registry and cause, most first (then by registry).
pub fn failures(outcomes: &[Outcome]) -> Vec<CauseCount> {
    let mut counts: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for outcome in outcomes {
        let Some(error) = outcome
            .error
            .as_ref()
            .filter(|_| outcome.action == Action::Failed)
        else {
            continue;
        };
        let registry = error
            .registry()
            .unwrap_or_else(|| outcome.target.registry())
            .to_owned();
        let count = counts.entry((registry, error.cause())).or_default();
        count.0 += 1;
        if outcome.not_tried() {
            count.1 += 1;
        }
    }
    let mut list: Vec<CauseCount> = counts
        .into_iter()
        .map(|((registry, cause), (entries, not_tried))| CauseCount {
            registry,
            cause,
            entries,
            not_tried,
        })
        .collect();
    list.sort_by(|a, b| b.entries.cmp(&a.entries).then(a.registry.cmp(&b.registry)));
    list
}

impl Report {
    /// Builds the report from the outcomes and the run's request counts; `tool` names the
    /// tagman that ran, `now` is the time in Unix seconds.
    pub fn new(outcomes: &[Outcome], requests: Counts, tool: &str, now: i64) -> Self {
        let mut actions = BTreeMap::new();
        for outcome in outcomes {
            *actions.entry(outcome.action.as_str()).or_insert(0) += 1;
        }
        Self {
            tool: tool.to_owned(),
            time: utc(now),
            entries: outcomes
                .iter()
                .map(|o| EntryReport {
                    name: o.item.name.to_string(),
                    tag: o.item.tag.clone(),
                    manifest: o.item.origin.clone(),
                    src_build_tag: o.item.src_build_tag.clone(),
                    source: o.source.to_string(),
                    target: o.target.to_string(),
                    action: o.action,
                    digest: o.digest.clone(),
                    previous_digest: o.previous_digest.clone(),
                    requests: o.attempts,
                    error: o.error.as_ref().map(ToString::to_string),
                })
                .collect(),
            summary: Summary {
                total: outcomes.len(),
                actions,
                ok: outcomes.iter().all(|o| o.action.is_ok()),
                requests,
                failures: failures(outcomes),
            },
        }
    }

    /// The report as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Unix seconds as an RFC 3339 UTC time.
pub fn utc(secs: i64) -> String {
    tagman_core::tag::utc_time(secs)
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_times() {
        assert_eq!(super::utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::utc(1_796_700_000), "2026-12-08T03:20:00Z");
    }
}
