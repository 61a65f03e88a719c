//! `tagman status`: what is published, read only. Each entry's release tag is looked up next to
//! its source build (a dry run's HEAD requests) and said to be published (pointing at the source
//! build's digest), missing, drifted (someone pushed over the release tag), or unverifiable
//! because the source build is gone. The audit of a release.

use std::collections::BTreeMap;

use crate::plan::{Action, Outcome};

/// What the registry holds for one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum State {
    /// The tag points at the source build's digest.
    Published,
    /// The tag does not exist (its source does: `tagman apply` would create it).
    Missing,
    /// The tag points at another digest than the source build's.
    Drifted,
    /// The source build tag is gone, so the tag cannot be checked against it.
    SourceMissing,
    /// The registry could not be asked.
    Failed,
}

impl State {
    /// The word used in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Published => "published",
            Self::Missing => "missing",
            Self::Drifted => "drifted",
            Self::SourceMissing => "source-missing",
            Self::Failed => "failed",
        }
    }

    /// The state of a dry run's outcome (run without `--force`).
    pub fn of(outcome: &Outcome) -> Self {
        match outcome.action {
            Action::Unchanged => Self::Published,
            Action::WouldCreate | Action::Created => Self::Missing,
            Action::Conflict | Action::WouldForce | Action::Forced => Self::Drifted,
            Action::SourceMissing => Self::SourceMissing,
            Action::Failed | Action::Cancelled => Self::Failed,
        }
    }

    /// Whether the audit fails on it: a drifted tag, or a registry that could not be asked.
    pub fn fails_audit(self) -> bool {
        matches!(self, Self::Drifted | Self::Failed)
    }
}

/// One entry's status.
#[derive(Debug, serde::Serialize)]
pub struct EntryStatus {
    /// The image as the manifest names it.
    pub name: String,
    /// The release tag.
    pub tag: String,
    /// The source build tag.
    pub src_build_tag: String,
    /// Where the tag was looked for (after `--registry-map` / `--to`).
    pub target: String,
    /// What the registry holds.
    pub state: State,
    /// The digest the tag points at, when it exists.
    pub tag_digest: Option<String>,
    /// The source build's digest, when it exists.
    pub source_digest: Option<String>,
    /// Why it could not be asked.
    pub error: Option<String>,
}

/// The whole status document (`--format json`).
#[derive(Debug, serde::Serialize)]
pub struct Status {
    /// One record per entry, in input order.
    pub entries: Vec<EntryStatus>,
    /// Entries per state.
    pub states: BTreeMap<State, usize>,
    /// Whether no tag drifted and every registry answered.
    pub ok: bool,
    /// Failed entries counted by registry and cause, most first (as `apply`'s summary).
    pub failures: Vec<crate::report::CauseCount>,
}

impl Status {
    /// The status of a dry run's outcomes.
    pub fn new(outcomes: &[Outcome]) -> Self {
        let entries: Vec<EntryStatus> = outcomes.iter().map(entry).collect();
        let mut states = BTreeMap::new();
        for e in &entries {
            *states.entry(e.state).or_insert(0) += 1;
        }
        Self {
            ok: !entries.iter().any(|e| e.state.fails_audit()),
            failures: crate::report::failures(outcomes),
            entries,
            states,
        }
    }

    /// As pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

fn entry(outcome: &Outcome) -> EntryStatus {
    let state = State::of(outcome);
    // A dry run's `digest` is the source's; the tag's is the same digest when published, the
    // `previous_digest` when it differs.
    let (tag_digest, source_digest) = match state {
        State::Published => (outcome.digest.clone(), outcome.digest.clone()),
        State::Missing => (None, outcome.digest.clone()),
        State::Drifted => (outcome.previous_digest.clone(), outcome.digest.clone()),
        State::SourceMissing => (outcome.previous_digest.clone(), None),
        State::Failed => (None, None),
    };
    EntryStatus {
        name: outcome.item.name.to_string(),
        tag: outcome.item.tag.clone(),
        src_build_tag: outcome.item.src_build_tag.clone(),
        target: outcome.target.to_string(),
        state,
        tag_digest,
        source_digest,
        error: outcome.error.as_ref().map(ToString::to_string),
    }
}
