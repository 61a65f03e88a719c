//! Manifest media types, the Accept header, digests, and reading the references out of a manifest.

use sha2::{Digest as _, Sha256};

/// OCI image index.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker manifest list.
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image manifest, schema 2.
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

/// The Accept header for every manifest request: all four kinds, so the registry never converts.
pub const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

/// `sha256:<hex>` of `bytes`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// The manifest media types tagman copies.
pub const KNOWN: [&str; 4] = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST];

/// Why served bytes are not a manifest tagman copies.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The bytes are not JSON.
    #[error("the body is not JSON")]
    NotJson,
    /// JSON, but not an object.
    #[error("the body is JSON but not an object")]
    NotAnObject,
    /// Neither the Content-Type nor the manifest's `mediaType` names a known manifest type.
    #[error("media type {} is none of the four manifest types ({})", .0.as_deref().unwrap_or("(none given)"), KNOWN.join(", "))]
    UnknownType(Option<String>),
}

/// The media type of manifest bytes served with `content_type`: a known type named by the
/// Content-Type (parameters aside), else by the manifest's own `mediaType`; and the bytes must
/// be a JSON object. Anything else is never pushed.
pub fn check_manifest(bytes: &[u8], content_type: Option<&str>) -> Result<String, Problem> {
    let value: serde_json::Value = serde_json::from_slice(bytes).map_err(|_| Problem::NotJson)?;
    let object = value.as_object().ok_or(Problem::NotAnObject)?;
    let essence = |t: &str| t.split(';').next().unwrap_or(t).trim().to_ascii_lowercase();
    if let Some(header) = content_type.filter(|t| KNOWN.contains(&essence(t).as_str())) {
        return Ok(header.to_owned());
    }
    let declared = object.get("mediaType").and_then(serde_json::Value::as_str);
    match declared {
        Some(t) if KNOWN.contains(&t) => Ok(t.to_owned()),
        // The registry's words: shown only sanitized.
        other => Err(Problem::UnknownType(
            other
                .or(content_type)
                .map(|t| tagman_net::text::sanitize(t, 100)),
        )),
    }
}

/// Whether a media type is an index or manifest list (whose children are manifests).
pub fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_LIST
}

/// The `mediaType` a manifest declares in its own JSON, if it does.
pub fn declared_type(bytes: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Declared {
        #[serde(rename = "mediaType")]
        media_type: String,
    }
    serde_json::from_slice::<Declared>(bytes)
        .ok()
        .map(|d| d.media_type)
}

/// The references a manifest makes: child manifests of an index, or config and layers of an image.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct References {
    /// Child manifests (index / list), as `(digest, media type)`.
    pub manifests: Vec<(String, String)>,
    /// Blobs (config first, then layers).
    pub blobs: Vec<String>,
}

/// Reads the references out of manifest bytes.
pub fn references(bytes: &[u8]) -> Result<References, serde_json::Error> {
    #[derive(serde::Deserialize)]
    struct Descriptor {
        digest: String,
        #[serde(rename = "mediaType", default)]
        media_type: String,
    }
    #[derive(serde::Deserialize)]
    struct Any {
        #[serde(default)]
        manifests: Vec<Descriptor>,
        config: Option<Descriptor>,
        #[serde(default)]
        layers: Vec<Descriptor>,
    }
    let any: Any = serde_json::from_slice(bytes)?;
    Ok(References {
        manifests: any
            .manifests
            .into_iter()
            .map(|d| (d.digest, d.media_type))
            .collect(),
        blobs: any
            .config
            .into_iter()
            .chain(any.layers)
            .map(|d| d.digest)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_empty() {
        assert_eq!(
            sha256_digest(b""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn reads_references() {
        let image = br#"{"config":{"digest":"sha256:c"},"layers":[{"digest":"sha256:l1"},{"digest":"sha256:l2"}]}"#;
        assert_eq!(
            references(image).unwrap().blobs,
            ["sha256:c", "sha256:l1", "sha256:l2"]
        );
        let index = br#"{"manifests":[{"digest":"sha256:m","mediaType":"application/vnd.oci.image.manifest.v1+json"}]}"#;
        let refs = references(index).unwrap();
        assert_eq!(
            refs.manifests,
            [("sha256:m".to_owned(), OCI_MANIFEST.to_owned())]
        );
        assert!(refs.blobs.is_empty());
        assert!(is_index(DOCKER_LIST) && !is_index(DOCKER_MANIFEST));
        assert_eq!(declared_type(index).as_deref(), None);
        let typed = br#"{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        assert_eq!(declared_type(typed).as_deref(), Some(OCI_INDEX));
    }

    #[test]
    fn only_json_objects_of_a_known_type_are_manifests() {
        let typed = br#"{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#;
        let untyped = br#"{"schemaVersion":2}"#;
        let with_params = format!("{DOCKER_MANIFEST}; charset=utf-8");
        type Case<'a> = (&'a [u8], Option<&'a str>, Result<&'a str, Problem>);
        let cases: [Case<'_>; 8] = [
            (typed, None, Ok(OCI_INDEX)),
            (typed, Some("application/json"), Ok(OCI_INDEX)),
            (untyped, Some(OCI_MANIFEST), Ok(OCI_MANIFEST)),
            (untyped, Some(&with_params), Ok(&with_params)),
            (untyped, None, Err(Problem::UnknownType(None))),
            (
                untyped,
                Some("text/html"),
                Err(Problem::UnknownType(Some("text/html".into()))),
            ),
            (b"<html>", Some(OCI_MANIFEST), Err(Problem::NotJson)),
            (b"[1, 2]", Some(OCI_MANIFEST), Err(Problem::NotAnObject)),
        ];
        for (bytes, content_type, want) in cases {
            assert_eq!(
                check_manifest(bytes, content_type),
                want.map(str::to_owned),
                "{content_type:?}"
            );
        }
    }
}
