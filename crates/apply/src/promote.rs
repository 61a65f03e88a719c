//! Promotion to another registry or repository (`--to`): before the tag is written, everything
//! the manifest references is made present in the target, digests unchanged.
//!
//! Blobs are mounted when source and target share a registry, else streamed GET → PUT; an index's
//! child manifests are pushed by digest before the index.

use tagman_core::reference::ImageName;

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
        let mut attempt = 0;
        loop {
            attempt += 1;
            match client.copy_blob(source, target, digest, tries).await {
                Ok(()) => break,
                Err(
                    Error::StreamInterrupted { .. }
                    | Error::Connection { .. }
                    | Error::Timeout { .. },
                ) if attempt < BLOB_COPY_TRIES => {}
                Err(err) => return Err(err),
            }
        }
    }
    Ok(())
}
