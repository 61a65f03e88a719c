//! `--online`: do the referenced Launchpad bugs and StoryBoard stories/tasks exist, and are they
//! public? URL building and the status-to-answer mapping are pure functions; each lookup goes
//! through `tagman-net`'s one retry loop, TLS setup and bounded reads. A service that cannot be
//! reached gives [`Lookup::Unreachable`], which the rules report as a warning, never as an error.
//!
//! The HTTP client is behind the cargo feature `online` (on by default). Built without it,
//! [`Checker::new`] answers [`ClientError::Disabled`] and nothing here touches the network.

use std::time::Duration;

use serde::Deserialize;

use crate::message::RefKind;

/// Where the services are and how patient to be.
#[derive(Clone, Debug)]
pub struct OnlineConfig {
    /// Launchpad API base (`https://api.launchpad.net/devel`).
    pub launchpad_api: String,
    /// StoryBoard API base (`https://storyboard.openstack.org/api/v1`).
    pub storyboard_api: String,
    /// Per-request timeout (connect and whole request).
    pub timeout: Duration,
    /// Attempts per lookup, counting the first.
    pub attempts: u32,
    /// Pause before the second attempt; doubled after each further failure.
    pub backoff: Duration,
}

impl OnlineConfig {
    /// Bases from the policy, 10 s timeout, 3 attempts.
    pub fn new(launchpad_api: &str, storyboard_api: &str) -> Self {
        Self {
            launchpad_api: launchpad_api.trim_end_matches('/').to_owned(),
            storyboard_api: storyboard_api.trim_end_matches('/').to_owned(),
            timeout: Duration::from_secs(10),
            attempts: 3,
            backoff: Duration::from_millis(500),
        }
    }
}

/// What a service said about one reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// It exists and is public.
    Found {
        /// Its title.
        title: String,
    },
    /// It exists but is private (or hidden from anonymous readers).
    Private,
    /// The service says there is no such bug, story or task.
    NotFound,
    /// The service could not be asked or gave no usable answer.
    Unreachable {
        /// The URL asked.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

/// The URL that answers for `kind` number `n`.
pub fn url(config: &OnlineConfig, kind: RefKind, n: u64) -> String {
    match kind {
        RefKind::ClosesBug | RefKind::PartialBug | RefKind::RelatedBug => {
            format!("{}/bugs/{n}", config.launchpad_api)
        }
        RefKind::Story => format!("{}/stories/{n}", config.storyboard_api),
        RefKind::Task => format!("{}/tasks/{n}", config.storyboard_api),
    }
}

#[derive(Deserialize)]
struct Item {
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    private: Option<bool>,
}

/// Maps a final status and body to an answer; `None` when the status is worth retrying.
pub fn classify(url: &str, status: u16, body: &str) -> Option<Lookup> {
    let unreachable = |reason: String| Lookup::Unreachable {
        url: url.to_owned(),
        reason,
    };
    Some(match status {
        200 => match serde_json::from_str::<Item>(body) {
            Ok(Item {
                private: Some(true),
                ..
            }) => Lookup::Private,
            Ok(item) => Lookup::Found {
                title: item.title.unwrap_or_default(),
            },
            Err(e) => unreachable(format!("the answer is not the JSON expected: {e}")),
        },
        // Launchpad hides private bugs from anonymous readers.
        401 | 403 => Lookup::Private,
        404 | 410 => Lookup::NotFound,
        408 | 429 | 500..=599 => return None,
        other => unreachable(format!("HTTP {other}")),
    })
}

/// Why `--online` cannot run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The HTTP client could not be built.
    #[cfg(feature = "online")]
    #[error("cannot set up the HTTP client: {0}")]
    Http(#[source] tagman_net::Error),
    /// The runtime the lookups run on could not start.
    #[cfg(feature = "online")]
    #[error("cannot start the runtime for --online: {0}")]
    Runtime(#[source] std::io::Error),
    /// This build has no HTTP client.
    #[error("--online needs an HTTP client, and this tagman was built without one (cargo feature `online`)")]
    Disabled,
}

/// Looks references up, one blocking call each (a small runtime of its own drives the
/// asynchronous client).
#[cfg(feature = "online")]
#[derive(Debug)]
pub struct Checker {
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    policy: tagman_net::RetryPolicy,
    config: OnlineConfig,
}

#[cfg(feature = "online")]
impl Checker {
    /// A client with the system's roots, rustls with ring, the config's timeouts and tries.
    pub fn new(config: OnlineConfig) -> Result<Self, ClientError> {
        let http = tagman_net::http::client(&tagman_net::HttpConfig {
            timeout: config.timeout,
            pool_max_idle_per_host: 4,
            // Public services: a CI job may reach them only through its proxy.
            env_proxy: true,
            ..tagman_net::HttpConfig::default()
        })
        .map_err(ClientError::Http)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ClientError::Runtime)?;
        let policy = tagman_net::RetryPolicy {
            max_attempts: config.attempts.max(1),
            base: config.backoff,
            cap: config.backoff.saturating_mul(8),
            retry_after_cap: config.timeout,
            timeout: config.timeout,
        };
        Ok(Self {
            http,
            runtime,
            policy,
            config,
        })
    }

    /// Asks the service about `kind` number `n`, retrying timeouts, connection failures, 408,
    /// 429 and 5xx.
    pub fn lookup(&self, kind: RefKind, n: u64) -> Lookup {
        let url = url(&self.config, kind, n);
        let mut ask = Ask {
            http: &self.http,
            url: &url,
            timeout: self.policy.timeout,
        };
        let answer = self.runtime.block_on(tagman_net::retry::run(
            &self.policy,
            &tagman_net::TokioClock,
            &mut ask,
        ));
        answer.unwrap_or_else(|last| Lookup::Unreachable {
            reason: format!("{last} (after {} attempts)", self.policy.max_attempts),
            url,
        })
    }
}

/// One GET of a reference through the retry loop; a transient failure carries its reason.
#[cfg(feature = "online")]
struct Ask<'a> {
    http: &'a reqwest::Client,
    url: &'a str,
    timeout: Duration,
}

#[cfg(feature = "online")]
impl tagman_net::Operation for Ask<'_> {
    type Output = Lookup;
    type Error = String;

    async fn attempt(&mut self, _this: tagman_net::Try) -> tagman_net::Step<Lookup, String> {
        use tagman_net::Step;
        let unreachable = |reason: String| {
            Step::Done(Ok(Lookup::Unreachable {
                url: self.url.to_owned(),
                reason,
            }))
        };
        let sent = self
            .http
            .get(self.url)
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(self.timeout)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => {
                return match tagman_net::http::redirect_failure(&e) {
                    Some(reason) => unreachable(reason.to_string()),
                    None => Step::Retry {
                        error: e.to_string(),
                        retry_after: None,
                    },
                }
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| tagman_net::retry::parse_retry_after(v, std::time::SystemTime::now()));
        // Only a 200's body is read, and only within its limit.
        let body = if status.is_success() {
            let limit = tagman_net::Limit::SERVICE_ANSWER;
            match tagman_net::body::read_body(response, limit, "answer").await {
                Ok(body) => body,
                Err(e) => return unreachable(e.to_string()),
            }
        } else {
            bytes::Bytes::new()
        };
        match classify(self.url, status.as_u16(), &String::from_utf8_lossy(&body)) {
            Some(answer) => Step::Done(Ok(answer)),
            None => Step::Retry {
                error: format!("HTTP {}", status.as_u16()),
                retry_after,
            },
        }
    }
}

/// Stands in for the HTTP client in a build without the `online` feature: it cannot be made.
#[cfg(not(feature = "online"))]
#[derive(Debug)]
pub struct Checker {
    never: std::convert::Infallible,
}

#[cfg(not(feature = "online"))]
impl Checker {
    /// Always [`ClientError::Disabled`]: this build has no HTTP client.
    pub fn new(_config: OnlineConfig) -> Result<Self, ClientError> {
        Err(ClientError::Disabled)
    }

    /// Never called: no `Checker` exists in this build.
    pub fn lookup(&self, _kind: RefKind, _n: u64) -> Lookup {
        match self.never {}
    }
}

/// Looks every accepted reference of `message` up on Launchpad / StoryBoard (the policy's
/// service URLs) and reports into `sink`.
pub fn check(
    message: &crate::message::Message,
    policy: &tagman_core::Policy,
    sink: &mut tagman_diag::Sink<'_>,
) -> Result<(), crate::GitError> {
    let checker = Checker::new(OnlineConfig::new(
        &policy.launchpad_api,
        &policy.storyboard_api,
    ))?;
    let results: Vec<_> = message
        .accepted(&policy.references)
        .filter_map(|r| r.number.map(|n| (r.clone(), checker.lookup(r.kind, n))))
        .collect();
    let cx = crate::rules::OnlineContext {
        message,
        results: &results,
    };
    tagman_diag::registry::run(crate::rules::ONLINE_RULES, &cx, sink);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = OnlineConfig::new("https://api.launchpad.net/devel/", "https://sb/api/v1");
        assert_eq!(
            url(&c, RefKind::PartialBug, 7),
            "https://api.launchpad.net/devel/bugs/7"
        );
        assert_eq!(url(&c, RefKind::Story, 8), "https://sb/api/v1/stories/8");
        assert_eq!(url(&c, RefKind::Task, 9), "https://sb/api/v1/tasks/9");
    }

    #[test]
    fn statuses() {
        let found = classify("u", 200, r#"{"id": 1, "title": "t", "private": false}"#);
        assert_eq!(found, Some(Lookup::Found { title: "t".into() }));
        assert_eq!(
            classify("u", 200, r#"{"id": 1, "private": true}"#),
            Some(Lookup::Private)
        );
        assert_eq!(classify("u", 404, ""), Some(Lookup::NotFound));
        assert_eq!(classify("u", 401, ""), Some(Lookup::Private));
        assert_eq!(classify("u", 503, ""), None);
        assert!(matches!(
            classify("u", 200, "<html>"),
            Some(Lookup::Unreachable { .. })
        ));
        assert!(matches!(
            classify("u", 418, ""),
            Some(Lookup::Unreachable { .. })
        ));
    }

    #[cfg(not(feature = "online"))]
    #[test]
    fn without_the_feature_online_is_a_usage_error() {
        let config = OnlineConfig::new("https://lp", "https://sb");
        let err = Checker::new(config).unwrap_err();
        assert!(matches!(err, ClientError::Disabled));
        assert!(err.to_string().contains("cargo feature `online`"));
    }
}
