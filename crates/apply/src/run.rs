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
        let entry = Entry {
            client,
            source: &source,
            target: &target,
            item: &item,
            forced: options.force.contains(&item.name),
            dry_run: options.dry_run,
        };
        entry.retag(&mut attempts).await
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
        source,
        target,
        action: done.action,
        digest: done.digest,
        previous_digest: done.previous_digest,
        attempts,
        error,
    }
}

/// One entry's retag: where it reads, where it writes, and how.
struct Entry<'a> {
    client: &'a Client,
    source: &'a ImageName,
    target: &'a ImageName,
    item: &'a PlanItem,
    forced: bool,
    dry_run: bool,
}

impl Entry<'_> {
    /// The access for reading the source and for the target. In place, one pull,push token
    /// serves every request of the entry.
    fn access(&self) -> (Access, Access) {
        match (self.dry_run, self.source == self.target) {
            (true, _) => (Access::Pull, Access::Pull),
            (false, true) => (Access::PullPush, Access::PullPush),
            (false, false) => (Access::Pull, Access::PullPush),
        }
    }

    async fn retag(&self, tries: &mut u32) -> Result<Done, Error> {
        let (_, target_access) = self.access();
        let existing = self
            .client
            .head_manifest(self.target, &self.item.tag, target_access, tries)
            .await?;
        match existing {
            None => self.create(tries).await,
            Some(existing) => self.compare(existing.digest, tries).await,
        }
    }

    /// The tag is absent: copy the source's manifest under it.
    async fn create(&self, tries: &mut u32) -> Result<Done, Error> {
        let (source_access, _) = self.access();
        let src = &self.item.src_build_tag;
        if self.dry_run {
            let head = self
                .client
                .head_manifest(self.source, src, source_access, tries)
                .await?;
            return Ok(match head {
                Some(head) => Done::new(Action::WouldCreate, Some(head.digest), None),
                None => Done::new(Action::SourceMissing, None, None),
            });
        }
        let Some(manifest) = self
            .client
            .get_manifest(self.source, src, source_access, tries)
            .await?
        else {
            return Ok(Done::new(Action::SourceMissing, None, None));
        };
        self.write(&manifest, tries).await?;
        Ok(Done::new(Action::Created, Some(manifest.digest), None))
    }

    /// The tag exists with digest `existing`: unchanged, a conflict, or (forced) overwritten.
    async fn compare(&self, existing: String, tries: &mut u32) -> Result<Done, Error> {
        let (source_access, _) = self.access();
        let Some(head) = self
            .client
            .head_manifest(self.source, &self.item.src_build_tag, source_access, tries)
            .await?
        else {
            return Ok(Done::new(Action::SourceMissing, None, Some(existing)));
        };
        if head.digest == existing {
            return Ok(Done::new(Action::Unchanged, Some(head.digest), None));
        }
        let action = match (self.forced, self.dry_run) {
            (false, _) => Action::Conflict,
            (true, true) => Action::WouldForce,
            (true, false) => Action::Forced,
        };
        if action != Action::Forced {
            return Ok(Done::new(action, Some(head.digest), Some(existing)));
        }
        let Some(manifest) = self
            .client
            .get_manifest(self.source, &head.digest, source_access, tries)
            .await?
        else {
            return Ok(Done::new(Action::SourceMissing, None, Some(existing)));
        };
        self.write(&manifest, tries).await?;
        Ok(Done::new(
            Action::Forced,
            Some(manifest.digest),
            Some(existing),
        ))
    }

    async fn write(&self, manifest: &Fetched, tries: &mut u32) -> Result<(), Error> {
        write(
            self.client,
            self.source,
            self.target,
            &self.item.tag,
            manifest,
            tries,
        )
        .await
    }
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
