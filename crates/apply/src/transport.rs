//! The one transport layer: builds the HTTP client (rustls, system roots plus `--ca-cert`), applies
//! auth, counts requests and retries transient failures with backoff, jitter and Retry-After.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use reqwest::header::{
    HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::CertificateDer;
use url::Url;

use crate::auth::{Access, Auth, CredentialStore, Scope};
use crate::error::{self, Error};
use crate::retry::{self, RetryPolicy};
use crate::stats::Stats;

/// How to reach registries.
#[derive(Debug)]
pub struct TransportConfig {
    /// Extra CA certificates (PEM files) trusted beside the system roots.
    pub ca_certs: Vec<PathBuf>,
    /// Registries (`host:port`) spoken to over plain HTTP. Never implied.
    pub insecure_registries: Vec<String>,
    /// Retry policy and per-request timeout.
    pub retry: RetryPolicy,
    /// Where credentials come from.
    pub credentials: CredentialStore,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            ca_certs: Vec::new(),
            insecure_registries: Vec::new(),
            retry: RetryPolicy::default(),
            credentials: CredentialStore::empty(),
        }
    }
}

/// One request as the client layer describes it; the transport may send it several times.
#[derive(Debug)]
pub(crate) struct Request<'a> {
    pub method: Method,
    pub url: Url,
    pub registry: &'a str,
    pub repository: Option<&'a str>,
    pub access: Access,
    /// For a cross-repository mount: the repository the blob comes from (needs pull on it).
    pub mount_from: Option<&'a str>,
    pub accept: Option<&'static str>,
    pub content_type: Option<&'a str>,
    pub body: Option<Bytes>,
    /// A streamed body: can be sent once only, so a retry after it went fails with `StreamInterrupted`.
    pub stream: Option<std::sync::Mutex<Option<reqwest::Body>>>,
    /// Content-Length for a streamed body.
    pub content_length: Option<u64>,
    /// Whole-request timeout; off for streamed blob bodies, which only get the read timeout.
    pub bounded: bool,
}

impl Request<'_> {
    fn scope(&self) -> Option<Scope<'_>> {
        self.repository.map(|repository| Scope {
            repository,
            access: self.access,
            mount_from: self.mount_from,
        })
    }
}

/// Sends requests with auth and retries.
#[derive(Debug)]
pub struct Transport {
    http: reqwest::Client,
    policy: RetryPolicy,
    auth: Auth,
    insecure: Vec<String>,
    stats: Arc<Stats>,
}

impl Transport {
    /// Builds the HTTP client and auth state.
    pub fn new(config: TransportConfig) -> Result<Self, Error> {
        let tls = tls_config(&config.ca_certs)?;
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .user_agent(concat!("tagman/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::limited(5))
            .connect_timeout(config.retry.timeout)
            .read_timeout(config.retry.timeout)
            .pool_max_idle_per_host(32)
            .no_proxy()
            .build()
            .map_err(Error::Client)?;
        let stats = Arc::new(Stats::default());
        Ok(Self {
            http,
            auth: Auth::new(config.credentials, stats.clone()),
            policy: config.retry,
            insecure: config.insecure_registries,
            stats,
        })
    }

    /// Whether `registry` is spoken to over plain HTTP.
    pub fn is_insecure(&self, registry: &str) -> bool {
        self.insecure.iter().any(|r| r == registry)
    }

    /// The shared request counters.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// Sends `request`, retrying transient failures; returns the final response (any status the
    /// caller must judge: 2xx, 404, 409, …). Every request sent is added to `tries`.
    pub(crate) async fn send(
        &self,
        request: &Request<'_>,
        tries: &mut u32,
    ) -> Result<reqwest::Response, Error> {
        let url_text = request.url.as_str();
        let mut attempt = 0u32;
        let mut reauthorized = false;
        let mut challenges = 0u32;
        loop {
            attempt += 1;
            let authorization = self
                .auth
                .header(&self.http, &self.policy, request.registry, request.scope())
                .await?;
            let mut builder = self
                .http
                .request(request.method.clone(), request.url.clone());
            if request.bounded {
                builder = builder.timeout(self.policy.timeout);
            }
            if let Some(accept) = request.accept {
                builder = builder.header(ACCEPT, accept);
            }
            if let Some(content_type) = request.content_type {
                builder = builder.header(CONTENT_TYPE, content_type);
            }
            if let Some(value) = &authorization {
                builder = builder.header(AUTHORIZATION, value.clone());
            }
            if let Some(body) = &request.body {
                builder = builder.body(body.clone());
            }
            if let Some(stream) = &request.stream {
                let body = stream.lock().ok().and_then(|mut s| s.take());
                let Some(body) = body else {
                    return Err(Error::StreamInterrupted {
                        url: url_text.to_owned(),
                    });
                };
                builder = builder.body(body);
            }
            if let Some(length) = request.content_length {
                builder = builder.header(reqwest::header::CONTENT_LENGTH, length);
            }
            let write = !matches!(request.method, Method::GET | Method::HEAD);
            self.stats.count_request(write, attempt > 1);
            *tries += 1;
            let last = attempt >= self.policy.max_attempts;
            let response = match builder.send().await {
                Ok(response) => response,
                Err(err) if last => {
                    return Err(if err.is_timeout() {
                        Error::Timeout {
                            url: url_text.to_owned(),
                        }
                    } else {
                        Error::Connection {
                            url: url_text.to_owned(),
                            source: err,
                        }
                    })
                }
                Err(_) => {
                    tokio::time::sleep(self.policy.backoff(attempt)).await;
                    continue;
                }
            };
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED {
                let challenge = header_str(&response, WWW_AUTHENTICATE);
                // A 401 to a request sent without auth only teaches the scheme; one sent with
                // auth earns exactly one more try with fresh credentials (a renewed token).
                let allowed = if authorization.is_some() {
                    !reauthorized
                } else {
                    challenges < 2
                };
                if allowed
                    && self
                        .auth
                        .on_unauthorized(
                            request.registry,
                            request.scope(),
                            challenge.as_deref(),
                            authorization.as_ref(),
                        )
                        .await?
                {
                    if authorization.is_some() {
                        reauthorized = true;
                    } else {
                        challenges += 1;
                    }
                    // Not a transient failure: no backoff, and it does not use up a retry.
                    attempt -= 1;
                    continue;
                }
                return Err(Error::Unauthorized {
                    registry: request.registry.to_owned(),
                });
            }
            if retry::retryable_status(status) {
                let retry_after = header_str(&response, RETRY_AFTER)
                    .and_then(|v| retry::parse_retry_after(&v, SystemTime::now()));
                if last {
                    let body = response.bytes().await.unwrap_or_default();
                    return Err(error::from_status(
                        status,
                        url_text,
                        request.registry,
                        &body,
                        retry_after,
                    ));
                }
                tokio::time::sleep(self.policy.delay(attempt, retry_after)).await;
                continue;
            }
            return Ok(response);
        }
    }
}

/// A header as text, if present and ASCII.
pub(crate) fn header_str(
    response: &reqwest::Response,
    name: impl reqwest::header::AsHeaderName,
) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(str::to_owned)
}

/// rustls with the ring provider, trusting the system roots plus the given CA files.
fn tls_config(ca_certs: &[PathBuf]) -> Result<rustls::ClientConfig, Error> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(native.certs);
    for path in ca_certs {
        let bad = |reason: String| Error::CaCert {
            path: path.clone(),
            reason,
        };
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
            .map_err(|e| bad(e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| bad(e.to_string()))?;
        if certs.is_empty() {
            return Err(bad("no certificate in the file".to_owned()));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(e.to_string()))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::CaCert {
            path: PathBuf::new(),
            reason: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}
