//! The plan: what to retag (independent of how manifests are parsed) and what happened to each
//! entry. Where images live (`--registry-map`, `--to`) is [`crate::map`].

use std::fmt;

use tagman_core::reference::ImageName;

use crate::error::Error;
pub use crate::map::{Location, MapError, MapRule, RegistryMap};

/// One entry to apply: make `name:tag` point at what `name:src_build_tag` points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlanItem {
    /// The image, as the manifest names it.
    pub name: ImageName,
    /// The source (build) tag.
    pub src_build_tag: String,
    /// The tag to create.
    pub tag: String,
    /// Where the entry is declared, `file:line` (none for an item made by hand).
    pub origin: Option<String>,
}

impl PlanItem {
    /// The plan of one parsed manifest file: every entry with a valid name, a source tag and a
    /// tag, in file order. (Entries lacking one are lint errors; the CLI refuses those files.)
    pub fn from_manifest(manifest: &tagman_core::Manifest) -> Vec<Self> {
        manifest
            .entries
            .iter()
            .filter_map(|entry| {
                let line = manifest.source.position(entry.span.offset).line;
                Some(Self {
                    name: entry.image_name()?.ok()?.clone(),
                    src_build_tag: entry.src_build_tag.as_ref()?.value.clone(),
                    tag: entry.tag.as_ref()?.value.clone(),
                    origin: Some(format!("{}:{line}", manifest.source.name())),
                })
            })
            .collect()
    }
}

/// What happened to (or, in a dry run, would happen to) one entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Action {
    /// The tag was created.
    Created,
    /// The tag already pointed at the source's digest: nothing written.
    Unchanged,
    /// The tag points elsewhere and was left as it was.
    Conflict,
    /// The tag pointed elsewhere and was overwritten on request (`--force`).
    Forced,
    /// The source tag does not exist.
    SourceMissing,
    /// Something went wrong after retries.
    Failed,
    /// Dry run: the tag would be created.
    WouldCreate,
    /// Dry run: the tag would be overwritten (`--force`).
    WouldForce,
    /// The run was stopped before this entry started.
    Cancelled,
}

impl Action {
    /// The word used in reports and output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Unchanged => "unchanged",
            Self::Conflict => "conflict",
            Self::Forced => "forced",
            Self::SourceMissing => "source-missing",
            Self::Failed => "failed",
            Self::WouldCreate => "would-create",
            Self::WouldForce => "would-force",
            Self::Cancelled => "cancelled",
        }
    }

    /// Whether the entry ended as wanted (exit 0 needs every entry to).
    pub fn is_ok(self) -> bool {
        matches!(
            self,
            Self::Created | Self::Unchanged | Self::Forced | Self::WouldCreate | Self::WouldForce
        )
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The result of one entry.
#[derive(Debug)]
pub struct Outcome {
    /// The entry as planned.
    pub item: PlanItem,
    /// Where its source build was looked for (after `--registry-map`).
    pub source: ImageName,
    /// The repository that was (or would be) written.
    pub target: ImageName,
    /// What happened.
    pub action: Action,
    /// The source's digest (the tag's digest after the run), when known.
    pub digest: Option<String>,
    /// The tag's digest before the run, when it existed and differs (conflict, forced).
    pub previous_digest: Option<String>,
    /// HTTP attempts made for this entry (retries included).
    pub attempts: u32,
    /// Why it failed.
    pub error: Option<Error>,
}

impl Outcome {
    /// Whether the entry failed without a single request: its registry's circuit breaker had
    /// opened before its turn.
    pub fn not_tried(&self) -> bool {
        self.attempts == 0 && self.error.as_ref().is_some_and(Error::stopped_by_breaker)
    }
}
