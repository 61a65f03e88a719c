//! The one clock: what time it is and how to wait. The retry loop's backoff, Retry-After dates
//! and token lifetimes all read it, so a test can move time forward instead of sleeping.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// A waiting future, boxed so the trait stays object-safe.
pub type Sleep<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Now, and a wait.
pub trait Clock: fmt::Debug + Send + Sync {
    /// A monotonic instant (token lifetimes).
    fn now(&self) -> Instant;
    /// The wall-clock time (Retry-After as an HTTP date).
    fn wall(&self) -> SystemTime;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> Sleep<'_>;
}

/// The real clock: the system's time, tokio's timer.
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock for tests: starts at the real time and then moves only when told to, or when
/// something sleeps on it (the sleep returns at once, the clock having moved by its length).
#[derive(Debug)]
pub struct TestClock {
    start: Instant,
    wall_start: SystemTime,
    elapsed: Mutex<Duration>,
}

impl Default for TestClock {
    fn default() -> Self {
        Self::new()
    }
}

impl TestClock {
    /// A clock standing at the real time now.
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            wall_start: SystemTime::now(),
            elapsed: Mutex::new(Duration::ZERO),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        let mut elapsed = self.elapsed.lock().unwrap_or_else(|e| e.into_inner());
        *elapsed = elapsed.saturating_add(by);
    }

    /// How far the clock has moved (advances and sleeps together).
    pub fn elapsed(&self) -> Duration {
        *self.elapsed.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Clock for TestClock {
    fn now(&self) -> Instant {
        self.start + self.elapsed()
    }

    fn wall(&self) -> SystemTime {
        self.wall_start + self.elapsed()
    }

    fn sleep(&self, duration: Duration) -> Sleep<'_> {
        self.advance(duration);
        // Still a yield point, so a retry loop on this clock lets other tasks run.
        Box::pin(tokio::task::yield_now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_test_clock_moves_only_when_told_or_slept_on() {
        let clock = TestClock::new();
        let before = clock.now();
        clock.advance(Duration::from_secs(90));
        clock.sleep(Duration::from_secs(30)).await;
        assert_eq!(clock.now() - before, Duration::from_secs(120));
        assert_eq!(clock.elapsed(), Duration::from_secs(120));
        assert!(clock.wall() >= SystemTime::now() + Duration::from_secs(100));
    }
}
