//! The typed errors of the registry client and the one function that maps an HTTP answer to them.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;

/// Everything that can go wrong talking to a registry or preparing to.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The registry answered with an error status that is not otherwise classified.
    #[error("{url}: registry answered {status}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Registry {
        /// The HTTP status.
        status: u16,
        /// The URL requested (never carries credentials).
        url: String,
        /// The first error code from the registry's error body (`MANIFEST_UNKNOWN`, `DENIED`, …).
        code: Option<String>,
    },
    /// The registry refused our credentials, or we had none and it needs some.
    #[error("{registry}: unauthorized (check the credentials for this registry)")]
    Unauthorized {
        /// The registry host.
        registry: String,
    },
    /// The registry kept answering 429 until the retries ran out.
    #[error("rate limited{}", retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The last Retry-After the registry asked for.
        retry_after: Option<Duration>,
    },
    /// No connection could be made, or it broke, until the retries ran out.
    #[error("{url}: connection failed: {source}")]
    Connection {
        /// The URL requested.
        url: String,
        /// The transport's error.
        #[source]
        source: reqwest::Error,
    },
    /// A request took longer than the per-request timeout until the retries ran out.
    #[error("{url}: timed out")]
    Timeout {
        /// The URL requested.
        url: String,
    },
    /// The bytes we got do not hash to the digest the registry claims.
    #[error("{url}: digest mismatch: registry says {expected}, content hashes to {actual}")]
    DigestMismatch {
        /// The URL requested.
        url: String,
        /// The digest announced (Docker-Content-Digest or the reference).
        expected: String,
        /// The digest of the bytes received.
        actual: String,
    },
    /// The registry answered without a header we need.
    #[error("{url}: answer lacks the {header} header")]
    MissingHeader {
        /// The URL requested.
        url: String,
        /// The header's name.
        header: &'static str,
    },
    /// The token server's answer could not be used.
    #[error("token server {realm}: {reason}")]
    Token {
        /// The realm URL.
        realm: String,
        /// What was wrong with it.
        reason: &'static str,
    },
    /// A manifest body could not be understood (only needed when promoting).
    #[error("{url}: cannot read the manifest: {source}")]
    Manifest {
        /// The URL requested.
        url: String,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A URL could not be built from a registry and repository.
    #[error("cannot build a URL for {registry}/{repository}")]
    Url {
        /// The registry host.
        registry: String,
        /// The repository.
        repository: String,
    },
    /// A credential file (Docker config or --auth-file) could not be read.
    #[error("cannot read credentials from {}: {source}", path.display())]
    CredentialFile {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A credential file is not the Docker config JSON shape.
    #[error("{}: not a Docker config file: {source}", path.display())]
    CredentialFormat {
        /// The file.
        path: PathBuf,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },
    /// A credential helper failed or is missing.
    #[error("credential helper docker-credential-{helper} failed for {registry}")]
    CredentialHelper {
        /// The helper's suffix.
        helper: String,
        /// The registry asked about.
        registry: String,
    },
    /// A CA certificate file could not be used.
    #[error("cannot use CA certificate {}: {reason}", path.display())]
    CaCert {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// A streamed blob copy broke after its body started; the copy must start over.
    #[error("{url}: blob stream interrupted")]
    StreamInterrupted {
        /// The URL requested.
        url: String,
    },
    /// The run was cancelled before this entry ran.
    #[error("cancelled")]
    Cancelled,
}

impl Error {
    /// A short stable word for reports (`registry`, `unauthorized`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Registry { .. } => "registry",
            Self::Unauthorized { .. } => "unauthorized",
            Self::RateLimited { .. } => "rate-limited",
            Self::Connection { .. } => "connection",
            Self::Timeout { .. } => "timeout",
            Self::DigestMismatch { .. } => "digest-mismatch",
            Self::MissingHeader { .. } => "missing-header",
            Self::Token { .. } => "token",
            Self::Manifest { .. } => "manifest",
            Self::Url { .. } => "url",
            Self::CredentialFile { .. }
            | Self::CredentialFormat { .. }
            | Self::CredentialHelper { .. } => "credentials",
            Self::CaCert { .. } => "ca-cert",
            Self::Client(_) => "client",
            Self::StreamInterrupted { .. } => "stream-interrupted",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Maps a final HTTP error status and the registry's error body to a typed error.
///
/// `registry` names the host for `Unauthorized`; the body is the registry's
/// `{"errors":[{"code":…}]}` document when it sent one.
pub fn from_status(
    status: StatusCode,
    url: &str,
    registry: &str,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Error {
    if status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN && error_code(body).as_deref() == Some("DENIED")
    {
        return Error::Unauthorized {
            registry: registry.to_owned(),
        };
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Error::RateLimited { retry_after };
    }
    Error::Registry {
        status: status.as_u16(),
        url: url.to_owned(),
        code: error_code(body),
    }
}

/// The first `code` of a registry error body, if the body is one.
pub fn error_code(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Body {
        errors: Vec<Item>,
    }
    #[derive(serde::Deserialize)]
    struct Item {
        code: String,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    body.errors.into_iter().next().map(|e| e.code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_statuses_and_codes() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#;
        match from_status(StatusCode::NOT_FOUND, "u", "r", body, None) {
            Error::Registry { status, code, .. } => {
                assert_eq!(status, 404);
                assert_eq!(code.as_deref(), Some("MANIFEST_UNKNOWN"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            from_status(StatusCode::UNAUTHORIZED, "u", "reg", b"", None),
            Error::Unauthorized { registry } if registry == "reg"
        ));
        assert!(matches!(
            from_status(StatusCode::TOO_MANY_REQUESTS, "u", "r", b"", Some(Duration::from_secs(3))),
            Error::RateLimited { retry_after: Some(d) } if d.as_secs() == 3
        ));
        assert_eq!(error_code(b"not json"), None);
    }
}
