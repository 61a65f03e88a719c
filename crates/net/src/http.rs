//! The one HTTP client builder: the TLS setup, timeouts, a user agent, and the redirect policy
//! (at most [`MAX_REDIRECTS`], and a URL met twice is a loop, stopped at once).

use std::path::PathBuf;
use std::time::Duration;

use crate::error::Error;

/// The most redirects one request follows.
pub const MAX_REDIRECTS: usize = 5;

/// How to build a client.
#[derive(Clone, Debug)]
pub struct HttpConfig {
    /// Extra CA certificates (PEM files) trusted beside the system roots.
    pub ca_certs: Vec<PathBuf>,
    /// Connect and read timeout (the caller sets a whole-request timeout per request).
    pub timeout: Duration,
    /// Idle connections kept per host.
    pub pool_max_idle_per_host: usize,
    /// Whether the proxy environment variables apply (public services: yes; registries: no,
    /// as `--registry-map` and `--insecure-registry` name exactly where to go).
    pub env_proxy: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            ca_certs: Vec::new(),
            timeout: Duration::from_secs(60),
            pool_max_idle_per_host: 32,
            env_proxy: false,
        }
    }
}

/// Builds the client.
pub fn client(config: &HttpConfig) -> Result<reqwest::Client, Error> {
    let tls = crate::tls::client_config(&config.ca_certs)?;
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .user_agent(concat!("tagman/", env!("CARGO_PKG_VERSION")))
        .redirect(redirect_policy())
        .connect_timeout(config.timeout)
        .read_timeout(config.timeout)
        .pool_max_idle_per_host(config.pool_max_idle_per_host);
    if !config.env_proxy {
        builder = builder.no_proxy();
    }
    builder.build().map_err(Error::Client)
}

/// Why a redirect chain was cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectError {
    /// A URL of the chain came back.
    #[error("redirect loop")]
    Loop,
    /// More than [`MAX_REDIRECTS`].
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooMany,
}

fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().iter().any(|seen| seen == attempt.url()) {
            attempt.error(RedirectError::Loop)
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(RedirectError::TooMany)
        } else {
            attempt.follow()
        }
    })
}

/// Why a send failed on the redirect policy, if it did: a property of the server's
/// configuration, so trying again cannot help.
pub fn redirect_failure(error: &reqwest::Error) -> Option<RedirectError> {
    if !error.is_redirect() {
        return None;
    }
    let mut cause = std::error::Error::source(error);
    while let Some(inner) = cause {
        if let Some(found) = inner.downcast_ref::<RedirectError>() {
            return Some(*found);
        }
        cause = inner.source();
    }
    // reqwest's own cap, should a future version apply it first.
    Some(RedirectError::TooMany)
}
