//! Request counters, shared by every task of a run (the request budget is measured with them).

use std::sync::atomic::{AtomicU64, Ordering};

/// Counts of HTTP requests sent, by kind.
#[derive(Debug, Default)]
pub struct Stats {
    requests: AtomicU64,
    writes: AtomicU64,
    retries: AtomicU64,
    tokens: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    /// Every request to a registry (token fetches not included).
    pub requests: u64,
    /// PUT, POST, PATCH and DELETE requests among them.
    pub writes: u64,
    /// Requests that were retries of an earlier attempt.
    pub retries: u64,
    /// Token-server requests.
    pub tokens: u64,
}

impl Stats {
    pub(crate) fn count_request(&self, write: bool, retry: bool) {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if write {
            self.writes.fetch_add(1, Ordering::Relaxed);
        }
        if retry {
            self.retries.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn count_token(&self) {
        self.tokens.fetch_add(1, Ordering::Relaxed);
    }

    /// The counts so far.
    pub fn snapshot(&self) -> Counts {
        Counts {
            requests: self.requests.load(Ordering::Relaxed),
            writes: self.writes.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            tokens: self.tokens.load(Ordering::Relaxed),
        }
    }
}
