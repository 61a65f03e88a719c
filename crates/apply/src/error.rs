//! The typed errors of the registry client and the one function that maps an HTTP answer to them.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::StatusCode;
use tagman_net::text::sanitize;
use tagman_net::{Cause, CauseKind, Prefix};

/// The most characters of a registry's error message kept in an error.
const MESSAGE_CHARS: usize = 200;

/// Everything that can go wrong talking to a registry or preparing to.
///
/// Text the registry chose (error codes and messages, a token realm) is passed through
/// [`tagman_net::text::sanitize`] where it enters a variant, so no variant carries an escape
/// sequence or a line break from the network.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The registry answered with an error status that is not otherwise classified.
    #[error("{url}: registry answered {status}{}{}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(), message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Registry {
        /// The HTTP status.
        status: u16,
        /// The URL requested (never carries credentials).
        url: String,
        /// The first error code from the registry's error body (`MANIFEST_UNKNOWN`, `DENIED`, …).
        code: Option<String>,
        /// The registry's message: the first error's `message`, or the start of a body that is
        /// not the registry error document (cut, with `…`).
        message: Option<String>,
    },
    /// The registry refused a request although it was authenticated as well as tagman could
    /// (a token without access to the repository, a `DENIED` answer).
    #[error(
        "{registry}: unauthorized (the credentials found do not give access to this repository)"
    )]
    Unauthorized {
        /// The registry host.
        registry: String,
    },
    /// The registry wants credentials and none were found for it.
    #[error("{}", no_credentials(registry, keys, looked_in))]
    NoCredentials {
        /// The registry host.
        registry: String,
        /// The keys looked up, in order (the registry, then the one it stands in for by
        /// `--registry-map`).
        keys: Vec<String>,
        /// The files looked in.
        looked_in: Vec<PathBuf>,
    },
    /// The registry (or its token server) refused the credentials sent: every request to it
    /// would be refused the same way.
    #[error("{registry} refused the credentials for {username}: check the password or token stored for it")]
    CredentialsRefused {
        /// The registry host.
        registry: String,
        /// The user name sent (never the secret).
        username: String,
    },
    /// The registry named a token realm that the registry's credentials must not be sent to.
    #[error("{registry}: refusing to send its credentials to the token realm {realm} (credentials go only to an https realm, or over plain HTTP to the registry itself when it is an --insecure-registry)")]
    RealmRefused {
        /// The registry host.
        registry: String,
        /// The realm it named.
        realm: String,
    },
    /// The registry kept answering 429 until the retries ran out.
    #[error("rate limited{}", retry_after.map(|d| format!(" (Retry-After {}s)", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The last Retry-After the registry asked for.
        retry_after: Option<Duration>,
    },
    /// No answer came (refused, DNS, TLS, timeout, a dropped connection) until the retries ran
    /// out: the root cause in one line, with what to do about it.
    #[error("{}", connection(registry, cause))]
    Connection {
        /// The registry host.
        registry: String,
        /// The URL requested.
        url: String,
        /// Why, classified by the network layer.
        cause: tagman_net::Cause,
    },
    /// The token server a registry sends clients to got no answer until the retries ran out (or
    /// until its own circuit breaker opened).
    #[error("{}", token_server(host, registry, cause))]
    TokenServer {
        /// The token server's host (`host:port`), the key of its circuit breaker.
        host: String,
        /// The registry whose realm it is.
        registry: String,
        /// Why, classified by the network layer.
        cause: Cause,
    },
    /// The registry's circuit breaker is open: an earlier request to it failed in a way every
    /// request would (no connection, credentials refused), so this one was not sent. Shows the
    /// same cause as that failure.
    #[error("{first}")]
    RegistryDown {
        /// The registry host.
        registry: String,
        /// The failure that opened the breaker.
        first: std::sync::Arc<Error>,
    },
    /// A write (a manifest PUT) was answered from another host than the one it was sent to: the
    /// registry redirected it, and what answered is not the registry, so nothing is known to be
    /// stored. Not retried.
    #[error("{url}: the write was redirected to {to}, which is not the registry: nothing is known to be stored there")]
    WriteRedirected {
        /// The URL written to.
        url: String,
        /// Where the answer came from.
        to: String,
    },
    /// The registry redirected in a loop or more than the redirect cap; not retried.
    #[error("{url}: {reason}")]
    Redirect {
        /// The URL requested.
        url: String,
        /// Why the chain was cut.
        reason: tagman_net::http::RedirectError,
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
    /// What the registry served as a manifest is not one tagman can copy: it is never pushed.
    #[error("{url}: not a manifest tagman copies: {problem}")]
    NotAManifest {
        /// The URL requested.
        url: String,
        /// What is wrong with it.
        problem: crate::media::Problem,
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
        source: tagman_net::FileError,
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
    /// The network layer failed: the client or a CA certificate could not be set up, or an
    /// answer was larger than its limit or broke off.
    #[error(transparent)]
    Net(#[from] tagman_net::Error),
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
            Self::NoCredentials { .. } => "no-credentials",
            Self::CredentialsRefused { .. } => "credentials-refused",
            Self::RealmRefused { .. } => "realm-refused",
            Self::RateLimited { .. } => "rate-limited",
            Self::Connection { cause, .. } if cause.kind == CauseKind::Timeout => "timeout",
            Self::Connection { .. } => "connection",
            Self::TokenServer { cause, .. } if cause.kind == CauseKind::Timeout => "timeout",
            Self::TokenServer { .. } => "connection",
            Self::RegistryDown { first, .. } => first.kind(),
            Self::Redirect { .. } | Self::WriteRedirected { .. } => "redirect",
            Self::DigestMismatch { .. } => "digest-mismatch",
            Self::MissingHeader { .. } => "missing-header",
            Self::Token { .. } => "token",
            Self::Manifest { .. } => "manifest",
            Self::NotAManifest { .. } => "not-a-manifest",
            Self::Url { .. } => "url",
            Self::CredentialFile { .. }
            | Self::CredentialFormat { .. }
            | Self::CredentialHelper { .. } => "credentials",
            Self::Net(e) => e.kind(),
            Self::StreamInterrupted { .. } => "stream-interrupted",
            Self::Cancelled => "cancelled",
        }
    }
}

impl Error {
    /// The registry the failure is about, when it is one registry's.
    pub fn registry(&self) -> Option<&str> {
        match self {
            Self::Unauthorized { registry }
            | Self::NoCredentials { registry, .. }
            | Self::CredentialsRefused { registry, .. }
            | Self::RealmRefused { registry, .. }
            | Self::Connection { registry, .. }
            | Self::RegistryDown { registry, .. }
            | Self::CredentialHelper { registry, .. } => Some(registry),
            // The host that failed: the summary's "failed on HOST" names the token server.
            Self::TokenServer { host, .. } => Some(host),
            _ => None,
        }
    }

    /// The cause in a few words, for counting entries by cause (`connection refused`,
    /// `credentials refused`, `registry answered 404 (MANIFEST_UNKNOWN)`, …).
    pub fn cause(&self) -> String {
        match self {
            Self::Registry { status, code, .. } => match code {
                Some(code) => format!("registry answered {status} ({code})"),
                None => format!("registry answered {status}"),
            },
            Self::Unauthorized { .. } => "unauthorized".to_owned(),
            Self::NoCredentials { .. } => "no credentials".to_owned(),
            Self::CredentialsRefused { .. } => "credentials refused".to_owned(),
            Self::Connection { cause, .. } => match cause.kind {
                CauseKind::PlainHttp => "TLS to a plain-HTTP registry".to_owned(),
                kind => kind.phrase().to_owned(),
            },
            Self::TokenServer { cause, .. } => {
                format!("token server: {}", cause.kind.phrase())
            }
            Self::RegistryDown { first, .. } => first.cause(),
            other => other.kind().replace('-', " "),
        }
    }

    /// Whether this entry was failed by the registry's circuit breaker without a request.
    pub fn stopped_by_breaker(&self) -> bool {
        matches!(self, Self::RegistryDown { .. })
    }
}

/// `WHO: KIND (CHAIN): FIX`, the one-line form of a send that got no answer.
fn no_answer(who: &str, cause: &Cause, fix: &str) -> String {
    let mut text = format!("{who}: {}", cause.kind);
    if !cause.chain.is_empty() {
        text.push_str(&format!(" ({})", cause.chain));
    }
    text.push_str(": ");
    text.push_str(fix);
    text
}

fn connection(registry: &str, cause: &Cause) -> String {
    no_answer(registry, cause, &cause.kind.fix(registry))
}

fn token_server(host: &str, registry: &str, cause: &Cause) -> String {
    no_answer(
        &format!("{host} (the token server of {registry})"),
        cause,
        &format!("{registry} sends clients there for tokens; check that the token service runs and is reachable"),
    )
}

fn no_credentials(registry: &str, keys: &[String], looked_in: &[PathBuf]) -> String {
    let keys = if keys.is_empty() {
        registry.to_owned()
    } else {
        keys.join(" or ")
    };
    let files = if looked_in.is_empty() {
        "no credential file: pass --auth-file, or log in with docker".to_owned()
    } else {
        let shown: Vec<String> = looked_in.iter().map(|p| p.display().to_string()).collect();
        format!("looked in {}", shown.join(", "))
    };
    format!("no credentials for {keys} ({files})")
}

/// Maps a final HTTP error status and the start of the registry's error body to a typed error.
///
/// `registry` names the host for `Unauthorized`; the body is the registry's
/// `{"errors":[{"code":…,"message":…}]}` document when it sent one. This is where the registry's
/// text enters an error, so it is sanitized here.
pub fn from_status(
    status: StatusCode,
    url: &str,
    registry: &str,
    body: &Prefix,
    retry_after: Option<Duration>,
) -> Error {
    let first = first_error(&body.bytes);
    let code = first.as_ref().map(|e| sanitize(&e.code, MESSAGE_CHARS));
    if status == StatusCode::UNAUTHORIZED
        || status == StatusCode::FORBIDDEN && code.as_deref() == Some("DENIED")
    {
        return Error::Unauthorized {
            registry: registry.to_owned(),
        };
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Error::RateLimited { retry_after };
    }
    let message = match first {
        Some(item) => item.message,
        // Not the registry's error document: show its start (an HTML page, a proxy's text).
        None => Some(String::from_utf8_lossy(&body.bytes).into_owned()),
    }
    .map(|m| {
        let mut text = sanitize(&m, MESSAGE_CHARS);
        if body.truncated && !text.ends_with('…') {
            text.push('…');
        }
        text
    })
    .filter(|m| !m.is_empty());
    Error::Registry {
        status: status.as_u16(),
        url: url.to_owned(),
        code,
        message,
    }
}

#[derive(serde::Deserialize)]
struct ErrorItem {
    code: String,
    #[serde(default)]
    message: Option<String>,
}

fn first_error(body: &[u8]) -> Option<ErrorItem> {
    #[derive(serde::Deserialize)]
    struct Body {
        errors: Vec<ErrorItem>,
    }
    let body: Body = serde_json::from_slice(body).ok()?;
    body.errors.into_iter().next()
}

/// The first `code` of a registry error body, if the body is one (sanitized).
pub fn error_code(body: &[u8]) -> Option<String> {
    first_error(body).map(|e| sanitize(&e.code, MESSAGE_CHARS))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_statuses_and_codes() {
        let body = prefix(
            br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            false,
        );
        match from_status(StatusCode::NOT_FOUND, "u", "r", &body, None) {
            Error::Registry {
                status,
                code,
                message,
                ..
            } => {
                assert_eq!(status, 404);
                assert_eq!(code.as_deref(), Some("MANIFEST_UNKNOWN"));
                assert_eq!(message.as_deref(), Some("manifest unknown"));
            }
            other => panic!("unexpected {other:?}"),
        }
        assert!(matches!(
            from_status(StatusCode::UNAUTHORIZED, "u", "reg", &prefix(b"", false), None),
            Error::Unauthorized { registry } if registry == "reg"
        ));
        assert!(matches!(
            from_status(StatusCode::TOO_MANY_REQUESTS, "u", "r", &prefix(b"", false), Some(Duration::from_secs(3))),
            Error::RateLimited { retry_after: Some(d) } if d.as_secs() == 3
        ));
        assert_eq!(error_code(b"not json"), None);
    }

    fn prefix(bytes: &'static [u8], truncated: bool) -> Prefix {
        Prefix {
            bytes: bytes::Bytes::from_static(bytes),
            truncated,
        }
    }

    #[test]
    fn registry_text_is_sanitized_where_it_enters_the_error() {
        let body = prefix(
            b"{\"errors\":[{\"code\":\"DENIED\\u001b[2J\",\"message\":\"no\\n2026 INFO forged \\u001b[31mline\"}]}",
            false,
        );
        let err = from_status(StatusCode::BAD_REQUEST, "u", "r", &body, None);
        let shown = err.to_string();
        assert!(!shown.chars().any(char::is_control), "{shown:?}");
        assert_eq!(
            shown,
            "u: registry answered 400 (DENIED): no 2026 INFO forged line"
        );
        // A body that is not the error document: its start, cut and marked.
        let err = from_status(
            StatusCode::BAD_GATEWAY,
            "u",
            "r",
            &prefix(b"<html>\r\nbad gateway", true),
            None,
        );
        assert_eq!(
            err.to_string(),
            "u: registry answered 502: <html> bad gateway…"
        );
    }
}
