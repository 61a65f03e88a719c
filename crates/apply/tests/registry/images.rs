//! Builds small test images in a registry through the client itself: blobs, then manifests of
//! each kind (Docker v2 schema 2, OCI manifest, OCI index, Docker manifest list).

use serde_json::json;
use tagman_apply::client::{Client, Fetched};
use tagman_apply::media::{self, DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST};
use tagman_apply::{CredentialStore, RetryPolicy, TransportConfig};
use tagman_core::reference::ImageName;

/// Which kind of manifest to build.
#[derive(Clone, Copy, Debug)]
pub enum Kind {
    DockerV2,
    Oci,
    OciIndex,
    DockerList,
}

/// A client for a plain-HTTP loopback registry.
pub fn plain_client(host: &str) -> Client {
    Client::new(TransportConfig {
        insecure_registries: vec![host.to_owned()],
        retry: fast_retry(),
        credentials: CredentialStore::empty(),
        ..TransportConfig::default()
    })
    .unwrap()
}

/// Retries quick enough for tests.
pub fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 8,
        base: std::time::Duration::from_millis(20),
        cap: std::time::Duration::from_millis(300),
        retry_after_cap: std::time::Duration::from_secs(2),
        timeout: std::time::Duration::from_secs(10),
    }
}

pub fn name(host: &str, repository: &str) -> ImageName {
    ImageName::parse(&format!("{host}/{repository}")).unwrap()
}

fn descriptor(media_type: &str, bytes: &[u8]) -> serde_json::Value {
    json!({"mediaType": media_type, "size": bytes.len(), "digest": media::sha256_digest(bytes)})
}

async fn put(
    client: &Client,
    name: &ImageName,
    reference: &str,
    media_type: &str,
    body: Vec<u8>,
) -> Fetched {
    let manifest = Fetched {
        digest: media::sha256_digest(&body),
        bytes: body.into(),
        media_type: media_type.to_owned(),
    };
    let mut tries = 0;
    // An empty reference means "by digest", as an index's children are stored.
    let reference = if reference.is_empty() {
        manifest.digest.clone()
    } else {
        reference.to_owned()
    };
    let digest = client
        .put_manifest(name, &reference, &manifest, &mut tries)
        .await
        .unwrap();
    assert_eq!(digest, manifest.digest);
    manifest
}

/// Pushes a single-platform image: a config and one layer made from `seed`.
async fn push_single(
    client: &Client,
    name: &ImageName,
    reference: &str,
    oci: bool,
    seed: &str,
    arch: &str,
) -> Fetched {
    let layer = format!("layer {seed} {arch}").into_bytes();
    let config = serde_json::to_vec(&json!({
        "architecture": arch, "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [media::sha256_digest(&layer)]},
        "config": {"Labels": {"seed": seed}}
    }))
    .unwrap();
    let mut tries = 0;
    client
        .push_blob(name, layer.clone().into(), &mut tries)
        .await
        .unwrap();
    client
        .push_blob(name, config.clone().into(), &mut tries)
        .await
        .unwrap();
    let (manifest_type, config_type, layer_type) = if oci {
        (
            OCI_MANIFEST,
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.oci.image.layer.v1.tar+gzip",
        )
    } else {
        (
            DOCKER_MANIFEST,
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.docker.image.rootfs.diff.tar.gzip",
        )
    };
    let body = serde_json::to_vec_pretty(&json!({
        "schemaVersion": 2,
        "mediaType": manifest_type,
        "config": descriptor(config_type, &config),
        "layers": [descriptor(layer_type, &layer)],
    }))
    .unwrap();
    put(client, name, reference, manifest_type, body).await
}

/// Pushes an image of `kind` under `tag`, distinct per `seed`; returns its manifest.
pub async fn push(client: &Client, name: &ImageName, tag: &str, kind: Kind, seed: &str) -> Fetched {
    match kind {
        Kind::DockerV2 => push_single(client, name, tag, false, seed, "amd64").await,
        Kind::Oci => push_single(client, name, tag, true, seed, "amd64").await,
        Kind::OciIndex | Kind::DockerList => {
            let oci = matches!(kind, Kind::OciIndex);
            let mut children = Vec::new();
            for arch in ["amd64", "arm64"] {
                let child = push_single(client, name, "", oci, seed, arch).await;
                let mut d = descriptor(&child.media_type, &child.bytes);
                d["platform"] = json!({"architecture": arch, "os": "linux"});
                children.push(d);
            }
            let media_type = if oci { OCI_INDEX } else { DOCKER_LIST };
            let body = serde_json::to_vec_pretty(&json!({
                "schemaVersion": 2, "mediaType": media_type, "manifests": children,
            }))
            .unwrap();
            put(client, name, tag, media_type, body).await
        }
    }
}

/// A cheap distinct image: an OCI manifest over shared blobs, made unique by an annotation.
/// The blobs must already be in the repository (push one image with `push` first).
pub async fn push_variant(
    client: &Client,
    name: &ImageName,
    tag: &str,
    base: &Fetched,
    n: usize,
) -> Fetched {
    let mut manifest: serde_json::Value = serde_json::from_slice(&base.bytes).unwrap();
    manifest["annotations"] = json!({"tagman.test/variant": n.to_string()});
    put(
        client,
        name,
        tag,
        &base.media_type,
        serde_json::to_vec(&manifest).unwrap(),
    )
    .await
}
