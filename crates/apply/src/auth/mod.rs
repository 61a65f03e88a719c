//! Authentication, applied in one place: which scheme a registry wants, basic headers, and bearer
//! tokens cached per repository scope, shared by concurrent tasks and renewed before they expire.

pub mod challenge;
pub mod credentials;

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderValue, AUTHORIZATION};
use tagman_net::retry::{self, Operation, RetryPolicy, Step, Try};
use tagman_net::text::sanitize;
use tagman_net::{Clock, Limit};
use url::Url;

use crate::breaker::Breakers;
use crate::error::Error;
use crate::stats::Stats;
use crate::urls::Endpoint;
pub use challenge::Challenge;
pub use credentials::{Credential, CredentialStore};

/// The access a request needs, which decides the token scope.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    /// Read only.
    Pull,
    /// Read and write.
    PullPush,
}

impl Access {
    fn actions(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::PullPush => "pull,push",
        }
    }
}

/// What a request touches, which decides the token it needs: its repository with the access it
/// needs, plus pull on the repository a blob is mounted from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scope<'a> {
    pub repository: &'a str,
    pub access: Access,
    pub mount_from: Option<&'a str>,
}

impl Scope<'_> {
    /// The token-server scopes (`repository:a/b:pull,push`, …).
    fn scopes(&self) -> Vec<String> {
        let mut scopes = vec![format!(
            "repository:{}:{}",
            self.repository,
            self.access.actions()
        )];
        if let Some(from) = self.mount_from.filter(|f| *f != self.repository) {
            scopes.push(format!("repository:{from}:pull"));
        }
        scopes
    }
}

struct Token {
    value: String,
    renew_at: Instant,
}

type TokenSlot = Arc<tokio::sync::Mutex<Option<Token>>>;

/// Per-registry auth state.
pub struct Auth {
    credentials: CredentialStore,
    schemes: Mutex<HashMap<String, Challenge>>,
    /// Keyed by registry and the scopes asked for.
    tokens: Mutex<HashMap<(String, String), TokenSlot>>,
    stats: Arc<Stats>,
    clock: Arc<dyn Clock>,
    /// Registries spoken to over plain HTTP: only these may have a plain-HTTP realm, on
    /// themselves.
    insecure: Vec<String>,
    /// The transport's circuit breakers: a token server that does not answer gets one too.
    breakers: Arc<Breakers>,
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Auth")
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

impl Auth {
    /// Auth state over a credential store; token lifetimes run on `clock`; token servers that
    /// do not answer open their breaker in `breakers`.
    pub fn new(
        credentials: CredentialStore,
        stats: Arc<Stats>,
        clock: Arc<dyn Clock>,
        insecure: Vec<String>,
        breakers: Arc<Breakers>,
    ) -> Self {
        Self {
            credentials,
            schemes: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            stats,
            clock,
            insecure,
            breakers,
        }
    }

    fn scheme(&self, registry: &str) -> Option<Challenge> {
        self.schemes
            .lock()
            .ok()
            .and_then(|s| s.get(registry).cloned())
    }

    fn slot(&self, registry: &str, scopes: &[String]) -> Option<TokenSlot> {
        let mut tokens = self.tokens.lock().ok()?;
        let key = (registry.to_owned(), scopes.join(" "));
        Some(tokens.entry(key).or_default().clone())
    }

    /// The Authorization header for a request, fetching a token if the registry wants one.
    pub(crate) async fn header(
        &self,
        http: &reqwest::Client,
        policy: &RetryPolicy,
        registry: &str,
        scope: Option<Scope<'_>>,
    ) -> Result<Option<HeaderValue>, Error> {
        let value = match self.scheme(registry) {
            None => return Ok(None),
            Some(Challenge::Basic) => match self.credentials.get(registry)? {
                Some(credential) => credential.basic_header(),
                None => return Ok(None),
            },
            Some(Challenge::Bearer { realm, service, .. }) => {
                let Some(scopes) = scope.map(|s| s.scopes()) else {
                    return Ok(None);
                };
                let Some(slot) = self.slot(registry, &scopes) else {
                    return Ok(None);
                };
                // Holding the slot's lock while fetching makes concurrent tasks wait for one fetch.
                let mut guard = slot.lock().await;
                let now = self.clock.now();
                match guard.as_ref().filter(|t| t.renew_at > now) {
                    Some(token) => format!("Bearer {}", token.value),
                    None => {
                        let token = self
                            .fetch_token(
                                http,
                                policy,
                                registry,
                                &realm,
                                service.as_deref(),
                                &scopes,
                            )
                            .await?;
                        let value = format!("Bearer {}", token.value);
                        *guard = Some(token);
                        value
                    }
                }
            }
        };
        let mut header = HeaderValue::from_str(&value).map_err(|_| Error::Unauthorized {
            registry: registry.to_owned(),
        })?;
        header.set_sensitive(true);
        Ok(Some(header))
    }

    /// The error for a request the registry refused for good: no credentials found, the
    /// credentials refused (sent as Basic, so checked by the registry itself), or a token that does
    /// not give access.
    pub(crate) fn refusal(&self, registry: &str, sent: bool) -> Error {
        let credential = self.credentials.get(registry).ok().flatten();
        match (sent, credential, self.scheme(registry)) {
            (_, None, _) => self.no_credentials(registry),
            (true, Some(credential), Some(Challenge::Basic)) => Error::CredentialsRefused {
                registry: registry.to_owned(),
                username: credential.username,
            },
            _ => Error::Unauthorized {
                registry: registry.to_owned(),
            },
        }
    }

    fn no_credentials(&self, registry: &str) -> Error {
        Error::NoCredentials {
            registry: registry.to_owned(),
            keys: self.credentials.keys(registry),
            looked_in: self.credentials.searched().to_vec(),
        }
    }

    /// Learns from a 401. Returns whether one more try with fresh auth can help.
    pub(crate) async fn on_unauthorized(
        &self,
        registry: &str,
        scope: Option<Scope<'_>>,
        www_authenticate: Option<&str>,
        used: Option<&HeaderValue>,
    ) -> Result<bool, Error> {
        let Some(challenge) = www_authenticate.and_then(challenge::parse) else {
            return Ok(false);
        };
        if let Ok(mut schemes) = self.schemes.lock() {
            schemes.insert(registry.to_owned(), challenge.clone());
        }
        match challenge {
            Challenge::Basic => Ok(used.is_none() && self.credentials.get(registry)?.is_some()),
            Challenge::Bearer { .. } => {
                if let (Some(scope), Some(used)) = (scope, used) {
                    if let Some(slot) = self.slot(registry, &scope.scopes()) {
                        let mut guard = slot.lock().await;
                        // Only drop the token we were refused; another task may have renewed it already.
                        if guard
                            .as_ref()
                            .is_some_and(|t| used.as_bytes().ends_with(t.value.as_bytes()))
                        {
                            *guard = None;
                        }
                    }
                }
                Ok(scope.is_some())
            }
        }
    }

    async fn fetch_token(
        &self,
        http: &reqwest::Client,
        policy: &RetryPolicy,
        registry: &str,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
    ) -> Result<Token, Error> {
        let shown_realm = sanitize(realm, 300);
        let bad = |reason| Error::Token {
            realm: shown_realm.clone(),
            reason,
        };
        let url =
            crate::urls::token(realm, service, scopes).ok_or_else(|| bad("realm is not a URL"))?;
        let credential = self.credentials.get(registry)?;
        let basic = match &credential {
            Some(credential) => {
                Some(self.basic_for_realm(registry, &url, credential, &shown_realm)?)
            }
            None => None,
        };
        let host = match (url.host_str(), url.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => return Err(bad("realm has no host")),
        };
        let mut fetch = TokenFetch {
            http,
            url: &url,
            realm: &shown_realm,
            host: &host,
            breakers: &self.breakers,
            registry,
            refused: Some(match credential {
                Some(credential) => Error::CredentialsRefused {
                    registry: registry.to_owned(),
                    username: credential.username,
                },
                None => self.no_credentials(registry),
            }),
            basic: basic.as_ref(),
            stats: &self.stats,
            timeout: policy.timeout,
        };
        let body = retry::run(policy, self.clock.as_ref(), &mut fetch).await?;
        self.token_of(&body).map_err(bad)
    }

    /// The basic `Authorization` header for `credential`, when the token realm at `url` may see
    /// it (see [`Self::realm_may_see_credentials`]).
    fn basic_for_realm(
        &self,
        registry: &str,
        url: &Url,
        credential: &credentials::Credential,
        shown_realm: &str,
    ) -> Result<HeaderValue, Error> {
        if !self.realm_may_see_credentials(registry, url) {
            return Err(Error::RealmRefused {
                registry: registry.to_owned(),
                realm: shown_realm.to_owned(),
            });
        }
        let mut value =
            HeaderValue::from_str(&credential.basic_header()).map_err(|_| Error::Token {
                realm: shown_realm.to_owned(),
                reason: "bad credential",
            })?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// The token a token server's answer holds, renewed a little before the server's expiry so
    /// no request carries a token about to lapse; `Err` says why the answer is unusable.
    fn token_of(&self, body: &[u8]) -> Result<Token, &'static str> {
        #[derive(serde::Deserialize)]
        struct Answer {
            token: Option<String>,
            access_token: Option<String>,
            expires_in: Option<u64>,
        }
        let answer: Answer =
            serde_json::from_slice(body).map_err(|_| "token answer is not JSON")?;
        let value = answer
            .token
            .or(answer.access_token)
            .filter(|t| !t.is_empty())
            .ok_or("token answer has no token")?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(60).max(1));
        let renew_at = self.clock.now() + lifetime.mul_f64(0.9);
        Ok(Token { value, renew_at })
    }

    /// Basic credentials go to a token realm over https, or over plain HTTP only to the
    /// registry itself (same host and port) when it is an insecure registry: an https registry
    /// must not be able to downgrade its credentials, nor send them to another host in clear.
    fn realm_may_see_credentials(&self, registry: &str, realm: &Url) -> bool {
        if realm.scheme() == "https" {
            return true;
        }
        if realm.scheme() != "http" || !self.insecure.iter().any(|r| r == registry) {
            return false;
        }
        Endpoint::new(registry, true).ping().is_ok_and(|own| {
            own.host_str() == realm.host_str()
                && own.port_or_known_default() == realm.port_or_known_default()
        })
    }
}

/// One token request through the retry loop.
struct TokenFetch<'a> {
    http: &'a reqwest::Client,
    url: &'a Url,
    /// The realm as shown in errors (sanitized).
    realm: &'a str,
    /// What a 401 or 403 from the token server means: the credentials sent were refused, or
    /// there were none to send.
    refused: Option<Error>,
    /// The token server's `host:port`, the key of its circuit breaker.
    host: &'a str,
    breakers: &'a Breakers,
    registry: &'a str,
    basic: Option<&'a HeaderValue>,
    stats: &'a Stats,
    timeout: Duration,
}

impl Operation for TokenFetch<'_> {
    type Output = Bytes;
    type Error = Error;

    async fn attempt(&mut self, _this: Try) -> Step<Bytes, Error> {
        let bad = |reason| Error::Token {
            realm: self.realm.to_owned(),
            reason,
        };
        if let Err(down) = self.breakers.check(self.host, None) {
            return Step::Done(Err(down));
        }
        let mut request = self.http.get(self.url.clone()).timeout(self.timeout);
        if let Some(value) = self.basic {
            request = request.header(AUTHORIZATION, value.clone());
        }
        self.stats.count_token();
        let answer = request.send().await;
        if answer.is_ok() {
            self.breakers.answered(self.host, None);
        }
        match answer {
            Ok(r) if r.status().is_success() => Step::Done(
                tagman_net::body::read_body(r, Limit::TOKEN, "token answer")
                    .await
                    .map_err(Error::from),
            ),
            Ok(r) if r.status() == 401 || r.status() == 403 => Step::Done(Err(self
                .refused
                .take()
                .unwrap_or_else(|| Error::Unauthorized {
                    registry: self.registry.to_owned(),
                }))),
            Ok(r) if retry::retryable_status(r.status()) => Step::Retry {
                error: bad("token request failed"),
                retry_after: None,
            },
            Ok(_) => Step::Done(Err(bad("token request failed"))),
            Err(error) => match tagman_net::http::redirect_failure(&error) {
                Some(reason) => Step::Done(Err(Error::Redirect {
                    url: self.realm.to_owned(),
                    reason,
                })),
                None => self.no_answer(&error),
            },
        }
    }
}

impl TokenFetch<'_> {
    /// A token request that got no answer: retried, unless it opened the token server's breaker
    /// (as a registry's opens: only failures with no answer at all count).
    fn no_answer(&self, error: &reqwest::Error) -> Step<Bytes, Error> {
        let cause = tagman_net::cause::classify(error);
        let failure = || Error::TokenServer {
            host: self.host.to_owned(),
            registry: self.registry.to_owned(),
            cause: cause.clone(),
        };
        if cause.no_answer() && self.breakers.failed(self.host, failure) {
            return Step::Done(Err(failure()));
        }
        Step::Retry {
            error: failure(),
            retry_after: None,
        }
    }
}
