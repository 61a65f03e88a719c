//! `--online`: do the referenced Launchpad bugs and StoryBoard stories/tasks exist, and are they
//! public? URL building and the status-to-answer mapping are pure functions; retries live in
//! [`Checker::lookup`] alone. A service that cannot be reached gives [`Lookup::Unreachable`], which
//! the rules report as a warning, never as an error.

use std::sync::Arc;
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

/// A blocking HTTP client for the lookups.
#[derive(Debug)]
pub struct Checker {
    client: reqwest::blocking::Client,
    config: OnlineConfig,
}

/// The HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot set up the HTTP client: {0}")]
pub struct ClientError(#[source] reqwest::Error);

impl Checker {
    /// A client with the system's roots, rustls with ring, the config's timeouts.
    pub fn new(config: OnlineConfig) -> Result<Self, ClientError> {
        let mut roots = rustls::RootCertStore::empty();
        roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_or_else(
            |_| None,
            |b| Some(b.with_root_certificates(roots).with_no_client_auth()),
        );
        let mut builder = reqwest::blocking::Client::builder()
            .user_agent(concat!("tagman/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(config.timeout)
            .timeout(config.timeout)
            .redirect(reqwest::redirect::Policy::limited(5));
        if let Some(tls) = tls {
            builder = builder.tls_backend_preconfigured(tls);
        }
        let client = builder.build().map_err(ClientError)?;
        Ok(Self { client, config })
    }

    /// Asks the service about `kind` number `n`, retrying timeouts, connection failures, 408,
    /// 429 and 5xx with a doubling pause.
    pub fn lookup(&self, kind: RefKind, n: u64) -> Lookup {
        let url = url(&self.config, kind, n);
        let mut pause = self.config.backoff;
        let mut last = String::new();
        for attempt in 1..=self.config.attempts.max(1) {
            if attempt > 1 {
                std::thread::sleep(pause);
                pause = pause.saturating_mul(2);
            }
            let response = self
                .client
                .get(&url)
                .header("Accept", "application/json")
                .send();
            match response {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.text().unwrap_or_default();
                    if let Some(answer) = classify(&url, status, &body) {
                        return answer;
                    }
                    last = format!("HTTP {status}");
                }
                Err(e) => last = e.to_string(),
            }
        }
        Lookup::Unreachable {
            url,
            reason: format!("{last} (after {} attempts)", self.config.attempts.max(1)),
        }
    }
}

/// Looks every accepted reference of `message` up on Launchpad / StoryBoard (the policy's
/// service URLs) and reports into `sink`.
pub fn check(
    message: &crate::message::Message,
    policy: &tagman_core::Policy,
    sink: &mut tagman_lint::Sink<'_>,
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
    tagman_lint::registry::run(crate::rules::ONLINE_RULES, &cx, sink);
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
}
