//! The registry transport: applies auth, counts requests, and sends each request through
//! `tagman-net`'s one retry loop (transient failures retried with backoff, jitter and
//! Retry-After; a 401 answered once with fresh credentials; redirect failures never retried),
//! behind each registry's circuit breaker ([`crate::breaker`]).

use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use reqwest::header::{
    HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE,
};
use reqwest::{Method, StatusCode};
use tagman_net::retry::{self, Operation, RetryPolicy, Step, Try};
use tagman_net::{Clock, HttpConfig, Limit, Prefix, TokioClock};
use url::Url;

use crate::auth::{Access, Auth, CredentialStore, Scope};
use crate::breaker::{self, Breakers};
use crate::error::{self, Error};
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
    /// The clock backoff waits and token lifetimes run on (tests pass a `TestClock`).
    pub clock: Arc<dyn Clock>,
    /// Consecutive requests to a registry without an answer that open its circuit breaker
    /// (0: never on failures; refused credentials open it regardless).
    pub breaker_threshold: u32,
}

impl Default for TransportConfig {
    fn default() -> Self {
        Self {
            ca_certs: Vec::new(),
            insecure_registries: Vec::new(),
            retry: RetryPolicy::default(),
            credentials: CredentialStore::empty(),
            clock: Arc::new(TokioClock),
            breaker_threshold: breaker::DEFAULT_THRESHOLD,
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
    clock: Arc<dyn Clock>,
    breakers: Arc<Breakers>,
}

impl Transport {
    /// Builds the HTTP client and auth state.
    pub fn new(config: TransportConfig) -> Result<Self, Error> {
        let http = tagman_net::http::client(&HttpConfig {
            ca_certs: config.ca_certs,
            timeout: config.retry.timeout,
            ..HttpConfig::default()
        })?;
        let stats = Arc::new(Stats::default());
        // One set of breakers for the registries and the token servers they send clients to.
        let breakers = Arc::new(Breakers::new(config.breaker_threshold));
        Ok(Self {
            http,
            auth: Auth::new(
                config.credentials,
                stats.clone(),
                config.clock.clone(),
                config.insecure_registries.clone(),
                breakers.clone(),
            ),
            policy: config.retry,
            insecure: config.insecure_registries,
            stats,
            clock: config.clock,
            breakers,
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

    /// The registries' circuit breakers.
    pub fn breakers(&self) -> &Breakers {
        &self.breakers
    }

    /// Sends `request`, retrying transient failures; returns the final response (any status the
    /// caller must judge: 2xx, 404, 409, …). Every request sent is added to `tries`.
    pub(crate) async fn send(
        &self,
        request: &Request<'_>,
        tries: &mut u32,
    ) -> Result<reqwest::Response, Error> {
        let mut exchange = Exchange {
            transport: self,
            request,
            tries,
            reauthorized: false,
            challenges: 0,
        };
        retry::run(&self.policy, self.clock.as_ref(), &mut exchange).await
    }

    /// One try of `request` as reqwest sends it, with `authorization` when there is one.
    fn build(
        &self,
        request: &Request<'_>,
        authorization: Option<&HeaderValue>,
    ) -> Result<reqwest::RequestBuilder, Error> {
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
        if let Some(value) = authorization {
            builder = builder.header(AUTHORIZATION, value.clone());
        }
        if let Some(body) = &request.body {
            builder = builder.body(body.clone());
        }
        if let Some(stream) = &request.stream {
            let body = stream.lock().ok().and_then(|mut s| s.take());
            let Some(body) = body else {
                return Err(Error::StreamInterrupted {
                    url: request.url.to_string(),
                });
            };
            builder = builder.body(body);
        }
        if let Some(length) = request.content_length {
            builder = builder.header(CONTENT_LENGTH, length);
        }
        Ok(builder)
    }
}

/// One request through the retry loop, with what its tries have learned about auth.
struct Exchange<'a, 'r> {
    transport: &'a Transport,
    request: &'a Request<'r>,
    tries: &'a mut u32,
    /// A request sent with auth and refused earns exactly one more try with fresh credentials.
    reauthorized: bool,
    /// 401s to requests sent without auth (each teaches the scheme); at most two.
    challenges: u32,
}

impl Operation for Exchange<'_, '_> {
    type Output = reqwest::Response;
    type Error = Error;

    async fn attempt(&mut self, this: Try) -> Step<reqwest::Response, Error> {
        let registry = self.request.registry;
        if let Err(down) = self
            .transport
            .breakers
            .check(registry, self.request.repository)
        {
            return Step::Done(Err(down));
        }
        let step = match self.try_once(this).await {
            Ok(step) => step,
            Err(error) => Step::Done(Err(error)),
        };
        // Refused credentials are refused for every entry: stop the registry's other requests.
        if let Step::Done(Err(Error::CredentialsRefused { registry, username })) = &step {
            let again = Error::CredentialsRefused {
                registry: registry.clone(),
                username: username.clone(),
            };
            self.transport.breakers.trip(registry, again);
        }
        step
    }
}

impl Exchange<'_, '_> {
    async fn try_once(&mut self, this: Try) -> Result<Step<reqwest::Response, Error>, Error> {
        let (transport, request) = (self.transport, self.request);
        let authorization = transport
            .auth
            .header(
                &transport.http,
                &transport.policy,
                request.registry,
                request.scope(),
            )
            .await?;
        let builder = transport.build(request, authorization.as_ref())?;
        let write = !matches!(request.method, Method::GET | Method::HEAD);
        transport.stats.count_request(write, this.number > 1);
        *self.tries += 1;
        let response = match builder.send().await {
            Ok(response) => response,
            Err(err) => return Ok(self.send_failed(err)),
        };
        transport
            .breakers
            .answered(request.registry, request.repository);
        let status = response.status();
        if status == StatusCode::UNAUTHORIZED {
            return self.unauthorized(&response, authorization).await;
        }
        if retry::retryable_status(status) {
            let retry_after = header_str(&response, RETRY_AFTER)
                .and_then(|v| retry::parse_retry_after(&v, transport.clock.wall()));
            // Only the last try's body is shown; earlier ones are dropped unread.
            let body = if this.last {
                tagman_net::body::read_prefix(response, Limit::ERROR_BODY).await
            } else {
                Prefix::default()
            };
            let error = error::from_status(
                status,
                request.url.as_str(),
                request.registry,
                &body,
                retry_after,
            );
            return Ok(Step::Retry { error, retry_after });
        }
        Ok(Step::Done(Ok(response)))
    }

    /// A 401: learn the scheme (or drop a refused token) and try again at once, within bounds.
    async fn unauthorized(
        &mut self,
        response: &reqwest::Response,
        authorization: Option<HeaderValue>,
    ) -> Result<Step<reqwest::Response, Error>, Error> {
        let request = self.request;
        let challenge = header_str(response, WWW_AUTHENTICATE);
        let allowed = if authorization.is_some() {
            !self.reauthorized
        } else {
            self.challenges < 2
        };
        if allowed
            && self
                .transport
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
                self.reauthorized = true;
            } else {
                self.challenges += 1;
            }
            return Ok(Step::Again);
        }
        Ok(Step::Done(Err(self
            .transport
            .auth
            .refusal(request.registry, authorization.is_some()))))
    }

    /// A request that got no answer: a redirect loop is final; anything else is transient
    /// unless it was the failure that opened the registry's breaker. Only failures with no
    /// answer at all count towards the breaker (not a connection dropped mid-answer).
    fn send_failed(&self, err: reqwest::Error) -> Step<reqwest::Response, Error> {
        let request = self.request;
        let url = request.url.to_string();
        if let Some(reason) = tagman_net::http::redirect_failure(&err) {
            return Step::Done(Err(Error::Redirect { url, reason }));
        }
        let cause = tagman_net::cause::classify(&err);
        let error = || Error::Connection {
            registry: request.registry.to_owned(),
            url: url.clone(),
            cause: cause.clone(),
        };
        // A host that cannot be reached is dead for every repository on it; one that took the
        // connection and let this request time out may be stalled on this repository only.
        let key = match request.repository {
            Some(repository) if !cause.connect => Breakers::key(request.registry, repository),
            _ => request.registry.to_owned(),
        };
        if cause.no_answer() && self.transport.breakers.failed(&key, error) {
            return Step::Done(Err(error()));
        }
        Step::Retry {
            error: error(),
            retry_after: None,
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
