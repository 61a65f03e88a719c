//! Promotion to another registry or repository (`--to`): before the tag is written, everything
//! the manifest references is made present in the target, digests unchanged.
//!
//! Blobs are mounted when source and target share a registry, else streamed GET → PUT; an index's
//! child manifests are pushed by digest before the index.

use std::time::Duration;

use tagman_core::reference::ImageName;
use tagman_net::retry::{self, Operation, RetryPolicy, Step, Try};
use tagman_net::TokioClock;

use crate::auth::Access;
use crate::client::{Client, Fetched};
use crate::error::Error;
use crate::media;

/// Whole-copy tries for a streamed blob (a broken stream cannot be retried by the transport).
const BLOB_COPY_TRIES: u32 = 3;

/// Makes every manifest and blob that `manifest` references present in `target`.
pub(crate) async fn copy_references(
    client: &Client,
    source: &ImageName,
    target: &ImageName,
    manifest: &Fetched,
    tries: &mut u32,
) -> Result<(), Error> {
    let references = parse(manifest)?;
    for (child, _) in &references.manifests {
        if client
            .head_manifest(target, child, Access::PullPush, tries)
            .await?
            .is_some()
        {
            continue;
        }
        let Some(fetched) = client
            .get_manifest(source, child, Access::Pull, tries)
            .await?
        else {
            return Err(Error::Registry {
                status: 404,
                url: format!("{source}@{child}"),
                code: Some("MANIFEST_UNKNOWN".to_owned()),
                message: None,
            });
        };
        copy_blobs(client, source, target, &parse(&fetched)?.blobs, tries).await?;
        client.put_manifest(target, child, &fetched, tries).await?;
    }
    copy_blobs(client, source, target, &references.blobs, tries).await
}

fn parse(manifest: &Fetched) -> Result<media::References, Error> {
    media::references(&manifest.bytes).map_err(|source| Error::Manifest {
        url: manifest.digest.clone(),
        source,
    })
}

async fn copy_blobs(
    client: &Client,
    source: &ImageName,
    target: &ImageName,
    blobs: &[String],
    tries: &mut u32,
) -> Result<(), Error> {
    let same_registry = source.registry() == target.registry();
    for digest in blobs {
        if client.blob_exists(target, digest, tries).await? {
            continue;
        }
        if same_registry
            && client
                .mount_blob(target, digest, source.repository(), tries)
                .await?
        {
            continue;
        }
        // A broken stream cannot be resent by the transport: the whole copy goes through the
        // one retry loop instead, at once (the transport already waited on each request).
        let policy = RetryPolicy {
            max_attempts: BLOB_COPY_TRIES,
            base: Duration::ZERO,
            ..RetryPolicy::default()
        };
        let mut copy = BlobCopy {
            client,
            source,
            target,
            digest,
            tries,
        };
        retry::run(&policy, &TokioClock, &mut copy).await?;
    }
    Ok(())
}

/// One whole streamed copy of a blob.
struct BlobCopy<'a> {
    client: &'a Client,
    source: &'a ImageName,
    target: &'a ImageName,
    digest: &'a str,
    tries: &'a mut u32,
}

impl Operation for BlobCopy<'_> {
    type Output = ();
    type Error = Error;

    async fn attempt(&mut self, _this: Try) -> Step<(), Error> {
        let copied = self
            .client
            .copy_blob(self.source, self.target, self.digest, self.tries)
            .await;
        match copied {
            Err(error @ (Error::StreamInterrupted { .. } | Error::Connection { .. })) => {
                Step::Retry {
                    error,
                    retry_after: None,
                }
            }
            other => Step::Done(other),
        }
    }
}
