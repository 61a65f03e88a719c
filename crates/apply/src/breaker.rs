//! The circuit breakers: after a few consecutive requests got no answer at all, or once a
//! registry refused the credentials, every further request to what is dead fails at once with
//! that same cause. A dead or mistyped registry then costs a few requests, not every entry's full
//! round of retries.
//!
//! What is dead is told by how the request failed. A host that cannot be reached (refused, DNS,
//! TLS, a connect timeout) is dead for every repository on it: its breaker is keyed by the host
//! (a registry, or the token server its realm names). A host that took the connection but let one
//! request go unanswered in time may be stalled on that repository only: that breaker is keyed by
//! the host and the repository ([`Breakers::key`]), so one silent repository does not stop the
//! healthy ones beside it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::error::Error;

/// Consecutive failures without an answer that open a registry's breaker.
pub const DEFAULT_THRESHOLD: u32 = 3;

#[derive(Debug, Default)]
struct State {
    /// Failures without an answer since the last answer.
    consecutive: u32,
    /// Set once open: the failure that opened it. Never closes within a run.
    open: Option<Arc<Error>>,
}

/// The breakers of every registry a transport talks to.
#[derive(Debug)]
pub struct Breakers {
    threshold: u32,
    registries: Mutex<HashMap<String, State>>,
}

impl Breakers {
    /// Breakers opening after `threshold` consecutive failures (0 never opens on failures).
    pub fn new(threshold: u32) -> Self {
        Self {
            threshold,
            registries: Mutex::new(HashMap::new()),
        }
    }

    /// The key of a repository's own breaker on `registry` (`HOST/REPOSITORY`).
    pub fn key(registry: &str, repository: &str) -> String {
        format!("{registry}/{repository}")
    }

    /// `Err(RegistryDown)` when the breaker of `registry`, or of `repository` on it, is open: the
    /// request must not be sent.
    pub fn check(&self, registry: &str, repository: Option<&str>) -> Result<(), Error> {
        let Ok(registries) = self.registries.lock() else {
            return Ok(());
        };
        let own = repository.map(|r| Self::key(registry, r));
        let open = std::iter::once(registry)
            .chain(own.as_deref())
            .find_map(|key| registries.get(key)?.open.clone());
        match open {
            Some(first) => Err(Error::RegistryDown {
                registry: registry.to_owned(),
                first,
            }),
            None => Ok(()),
        }
    }

    /// The registry answered (any status) a request for `repository`: both are alive.
    pub fn answered(&self, registry: &str, repository: Option<&str>) {
        if let Ok(mut registries) = self.registries.lock() {
            let own = repository.map(|r| Self::key(registry, r));
            for key in std::iter::once(registry).chain(own.as_deref()) {
                if let Some(state) = registries.get_mut(key) {
                    state.consecutive = 0;
                }
            }
        }
    }

    /// A request got no answer; `error` is what it failed with. Returns whether the breaker is
    /// open now.
    pub fn failed(&self, registry: &str, error: impl FnOnce() -> Error) -> bool {
        let Ok(mut registries) = self.registries.lock() else {
            return false;
        };
        let state = registries.entry(registry.to_owned()).or_default();
        state.consecutive += 1;
        if state.open.is_none() && self.threshold > 0 && state.consecutive >= self.threshold {
            state.open = Some(Arc::new(error()));
        }
        state.open.is_some()
    }

    /// Opens `registry`'s breaker at once (the credentials were refused).
    pub fn trip(&self, registry: &str, error: Error) {
        if let Ok(mut registries) = self.registries.lock() {
            let state = registries.entry(registry.to_owned()).or_default();
            if state.open.is_none() {
                state.open = Some(Arc::new(error));
            }
        }
    }

    /// The registries whose breaker opened, with the failure that opened it.
    pub fn open(&self) -> Vec<(String, Arc<Error>)> {
        let mut open: Vec<_> = self
            .registries
            .lock()
            .map(|r| {
                r.iter()
                    .filter_map(|(k, s)| s.open.clone().map(|e| (k.clone(), e)))
                    .collect()
            })
            .unwrap_or_default();
        open.sort_by(|a, b| a.0.cmp(&b.0));
        open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused() -> Error {
        Error::CredentialsRefused {
            registry: "r".into(),
            username: "u".into(),
        }
    }

    #[test]
    fn opens_after_consecutive_failures_and_an_answer_resets_the_count() {
        let breakers = Breakers::new(3);
        assert!(!breakers.failed("r", refused));
        assert!(!breakers.failed("r", refused));
        breakers.answered("r", None);
        assert!(!breakers.failed("r", refused));
        assert!(!breakers.failed("r", refused));
        assert!(breakers.check("r", None).is_ok());
        assert!(breakers.failed("r", refused));
        let err = breakers.check("r", None).unwrap_err();
        assert!(err.stopped_by_breaker());
        assert_eq!(err.to_string(), refused().to_string());
        assert!(breakers.check("other", None).is_ok(), "per registry");
        assert!(
            breakers.check("r", Some("a/b")).is_err(),
            "a dead host stops its repositories"
        );
        breakers.answered("r", None);
        assert!(breakers.check("r", None).is_err(), "stays open for the run");
        assert_eq!(breakers.open().len(), 1);
    }

    #[test]
    fn a_repository_breaker_stops_that_repository_only() {
        let breakers = Breakers::new(3);
        let stalled = Breakers::key("r", "starlingx/stalled");
        for _ in 0..3 {
            breakers.failed(&stalled, refused);
        }
        assert!(breakers.check("r", Some("starlingx/stalled")).is_err());
        assert!(breakers.check("r", Some("starlingx/healthy")).is_ok());
        assert!(breakers.check("r", None).is_ok());
    }

    #[test]
    fn a_trip_opens_at_once_and_zero_never_opens_on_failures() {
        let breakers = Breakers::new(0);
        for _ in 0..10 {
            assert!(!breakers.failed("r", refused));
        }
        breakers.trip("r", refused());
        assert_eq!(
            breakers.check("r", None).unwrap_err().kind(),
            "credentials-refused"
        );
    }
}
