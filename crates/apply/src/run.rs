//! The executor: runs a plan with bounded concurrency, in input order, one retag per entry.
//!
//! Per entry: HEAD the target tag. Absent: GET the source's raw bytes, PUT them under the tag,
//! check the digest (3 requests). Present: HEAD the source; same digest is `unchanged` (2
//! requests), another is a `conflict` unless the image is forced. Indexes and manifest lists are
//! copied whole, so a multi-arch tag keeps its digest.

use std::collections::BTreeMap;

use futures_util::stream::{self, StreamExt as _};
use tagman_core::reference::ImageName;
use tokio_util::sync::CancellationToken;

use crate::auth::Access;
use crate::client::{Client, Fetched};
use crate::error::Error;
use crate::media;
use crate::plan::{Action, Location, Outcome, PlanItem, RegistryMap};

/// How to run a plan.
#[derive(Clone, Debug)]
pub struct Options {
    /// Entries in flight at once.
    pub jobs: usize,
    /// Only read; report the plan words.
    pub dry_run: bool,
    /// Images whose conflicting tags may be overwritten.
    pub force: Vec<ImageName>,
    /// Where the names' registries are really served from.
    pub registry_map: RegistryMap,
    /// Promote to another registry or prefix instead of retagging in place.
    pub to: Option<Location>,
    /// Stops starting new entries when cancelled; entries in flight finish.
    pub cancel: CancellationToken,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            jobs: 8,
            dry_run: false,
            force: Vec::new(),
            registry_map: RegistryMap::default(),
            to: None,
            cancel: CancellationToken::new(),
        }
    }
}

/// Runs every entry; `on_outcome` sees each outcome in input order as soon as it and those before
/// it are done. Returns the outcomes in input order.
///
/// Entries run unordered (a slow entry held up by Retry-After does not keep a slot idle); a small
/// reorder buffer restores input order for the callback and the result.
pub async fn run(
    client: &Client,
    plan: Vec<PlanItem>,
    options: &Options,
    mut on_outcome: impl FnMut(&Outcome),
) -> Vec<Outcome> {
    let mut outcomes = Vec::with_capacity(plan.len());
    let mut finished = BTreeMap::new();
    let mut results = stream::iter(plan.into_iter().enumerate())
        .map(|(index, item)| async move { (index, run_one(client, item, options).await) })
        .buffer_unordered(options.jobs.max(1));
    while let Some((index, outcome)) = results.next().await {
        finished.insert(index, outcome);
        while let Some(outcome) = finished.remove(&outcomes.len()) {
            on_outcome(&outcome);
            outcomes.push(outcome);
        }
    }
    outcomes
}

/// What one entry resolved to, before it becomes an [`Outcome`].
struct Done {
    action: Action,
    digest: Option<String>,
    previous_digest: Option<String>,
}

impl Done {
    fn new(action: Action, digest: Option<String>, previous_digest: Option<String>) -> Self {
        Self {
            action,
            digest,
            previous_digest,
        }
    }
}

async fn run_one(client: &Client, item: PlanItem, options: &Options) -> Outcome {
    let source = options.registry_map.resolve(&item.name);
    let target = options
        .to
        .as_ref()
        .map_or_else(|| source.clone(), |to| to.apply(&source));
    let mut attempts = 0;
    let result = if options.cancel.is_cancelled() {
        Err(Error::Cancelled)
    } else {
        let forced = options.force.contains(&item.name);
        retag(
            client,
            &source,
            &target,
            &item,
            forced,
            options.dry_run,
            &mut attempts,
        )
        .await
    };
    let (done, error) = match result {
        Ok(done) => (done, None),
        Err(Error::Cancelled) => (
            Done::new(Action::Cancelled, None, None),
            Some(Error::Cancelled),
        ),
        Err(err) => (Done::new(Action::Failed, None, None), Some(err)),
    };
    Outcome {
        item,
        target,
        action: done.action,
        digest: done.digest,
        previous_digest: done.previous_digest,
        attempts,
        error,
    }
}

async fn retag(
    client: &Client,
    source: &ImageName,
    target: &ImageName,
    item: &PlanItem,
    forced: bool,
    dry_run: bool,
    tries: &mut u32,
) -> Result<Done, Error> {
    // In place, one pull,push token serves every request of the entry.
    let (source_access, target_access) = match (dry_run, source == target) {
        (true, _) => (Access::Pull, Access::Pull),
        (false, true) => (Access::PullPush, Access::PullPush),
        (false, false) => (Access::Pull, Access::PullPush),
    };
    let existing = client
        .head_manifest(target, &item.tag, target_access, tries)
        .await?;
    let Some(existing) = existing else {
        if dry_run {
            let head = client
                .head_manifest(source, &item.src_build_tag, source_access, tries)
                .await?;
            return Ok(match head {
                Some(head) => Done::new(Action::WouldCreate, Some(head.digest), None),
                None => Done::new(Action::SourceMissing, None, None),
            });
        }
        let Some(manifest) = client
            .get_manifest(source, &item.src_build_tag, source_access, tries)
            .await?
        else {
            return Ok(Done::new(Action::SourceMissing, None, None));
        };
        write(client, source, target, &item.tag, &manifest, tries).await?;
        return Ok(Done::new(Action::Created, Some(manifest.digest), None));
    };
    let Some(head) = client
        .head_manifest(source, &item.src_build_tag, source_access, tries)
        .await?
    else {
        return Ok(Done::new(
            Action::SourceMissing,
            None,
            Some(existing.digest),
        ));
    };
    if head.digest == existing.digest {
        return Ok(Done::new(Action::Unchanged, Some(head.digest), None));
    }
    if !forced {
        return Ok(Done::new(
            Action::Conflict,
            Some(head.digest),
            Some(existing.digest),
        ));
    }
    if dry_run {
        return Ok(Done::new(
            Action::WouldForce,
            Some(head.digest),
            Some(existing.digest),
        ));
    }
    let Some(manifest) = client
        .get_manifest(source, &head.digest, source_access, tries)
        .await?
    else {
        return Ok(Done::new(
            Action::SourceMissing,
            None,
            Some(existing.digest),
        ));
    };
    write(client, source, target, &item.tag, &manifest, tries).await?;
    Ok(Done::new(
        Action::Forced,
        Some(manifest.digest),
        Some(existing.digest),
    ))
}

/// PUTs the manifest under `tag`, first copying what it references when the target is elsewhere,
/// and checks the registry kept the digest.
async fn write(
    client: &Client,
    source: &ImageName,
    target: &ImageName,
    tag: &str,
    manifest: &Fetched,
    tries: &mut u32,
) -> Result<(), Error> {
    if source != target {
        crate::promote::copy_references(client, source, target, manifest, tries).await?;
    }
    let stored = client.put_manifest(target, tag, manifest, tries).await?;
    if stored != manifest.digest {
        return Err(Error::DigestMismatch {
            url: format!("{target}:{tag}"),
            expected: manifest.digest.clone(),
            actual: stored,
        });
    }
    debug_assert_eq!(media::sha256_digest(&manifest.bytes), manifest.digest);
    Ok(())
}
