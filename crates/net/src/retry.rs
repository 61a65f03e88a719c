//! The one retry loop and its policy: which failures are transient, exponential backoff with
//! jitter, Retry-After. The registry transport, the token fetch and the `--online` lookups each
//! describe one try as an [`Operation`]; [`run`] alone decides whether and when to try again.

use std::future::Future;
use std::time::{Duration, SystemTime};

use reqwest::StatusCode;

use crate::clock::Clock;

/// How often and how patiently to retry.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Tries per request, the first included.
    pub max_attempts: u32,
    /// The first backoff; doubled each retry.
    pub base: Duration,
    /// The longest backoff.
    pub cap: Duration,
    /// The longest wait a Retry-After may impose.
    pub retry_after_cap: Duration,
    /// The per-request timeout.
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 6,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(8),
            retry_after_cap: Duration::from_secs(60),
            timeout: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `attempt` (1-based: after the first failure): full jitter over
    /// the upper half of `base · 2^(attempt-1)`, capped, so concurrent tasks do not retry in step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let ceiling = exp.min(self.cap);
        ceiling.mul_f64(0.5 + fastrand::f64() * 0.5)
    }

    /// The wait after a 429 or 503: the server's Retry-After (capped) if it sent one, else backoff.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(wait) => wait.min(self.retry_after_cap),
            None => self.backoff(attempt),
        }
    }
}

/// Statuses worth another try: rate limiting and the server's transient errors.
pub fn retryable_status(status: StatusCode) -> bool {
    matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
}

/// Parses Retry-After as delta-seconds or an HTTP-date (relative to `now`).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Which try this is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Try {
    /// 1 for the first try.
    pub number: u32,
    /// Whether no further try follows a transient failure of this one.
    pub last: bool,
}

/// What one try came to.
#[derive(Debug)]
pub enum Step<T, E> {
    /// Finished, well or badly: no further try.
    Done(Result<T, E>),
    /// A transient failure: tried again after the backoff (or the server's Retry-After), unless
    /// this was the last try, when `error` is the result.
    Retry {
        /// The result if no try is left.
        error: E,
        /// The server's Retry-After, if it sent one.
        retry_after: Option<Duration>,
    },
    /// Not a failure but a lesson (a 401 taught how to authenticate): tried again at once, without
    /// using up a try. The operation itself bounds how often it answers this.
    Again,
}

/// One try of a request, described by the caller.
pub trait Operation {
    /// What a successful try gives.
    type Output;
    /// What a failed one gives.
    type Error;
    /// Makes one try.
    fn attempt(
        &mut self,
        this: Try,
    ) -> impl Future<Output = Step<Self::Output, Self::Error>> + Send;
}

/// The retry loop: tries `operation` until it is done or the policy's tries are used up, waiting
/// on `clock` between tries.
pub async fn run<O: Operation + Send>(
    policy: &RetryPolicy,
    clock: &dyn Clock,
    operation: &mut O,
) -> Result<O::Output, O::Error> {
    let max = policy.max_attempts.max(1);
    let mut number = 0;
    loop {
        number += 1;
        let this = Try {
            number,
            last: number >= max,
        };
        match operation.attempt(this).await {
            Step::Done(result) => return result,
            Step::Retry { error, .. } if this.last => return Err(error),
            Step::Retry { retry_after, .. } => {
                clock.sleep(policy.delay(number, retry_after)).await;
            }
            Step::Again => number -= 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::TestClock;

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        let cases = [
            ("3", Some(3)),
            (" 0 ", Some(0)),
            ("Sun, 06 Nov 1994 08:49:47 GMT", Some(10)),
            ("Sun, 06 Nov 1994 08:49:30 GMT", Some(0)),
            ("soon", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_retry_after(input, now).map(|d| d.as_secs()),
                want,
                "{input}"
            );
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy {
            base: Duration::from_millis(100),
            cap: Duration::from_millis(500),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            assert!(policy.backoff(30) <= Duration::from_millis(500));
        }
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(600))),
            policy.retry_after_cap
        );
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2))),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn which_statuses_retry() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(retryable_status(StatusCode::from_u16(code).unwrap()));
        }
        for code in [400, 401, 403, 404, 409, 501] {
            assert!(!retryable_status(StatusCode::from_u16(code).unwrap()));
        }
    }

    /// Fails transiently `failures` times (asking for `retry_after`), learns once, then succeeds.
    struct Flaky {
        failures: u32,
        learned: bool,
        tries: Vec<Try>,
        retry_after: Option<Duration>,
    }

    impl Operation for Flaky {
        type Output = u32;
        type Error = &'static str;
        async fn attempt(&mut self, this: Try) -> Step<u32, &'static str> {
            self.tries.push(this);
            if !self.learned {
                self.learned = true;
                return Step::Again;
            }
            if self.failures > 0 {
                self.failures -= 1;
                return Step::Retry {
                    error: "transient",
                    retry_after: self.retry_after,
                };
            }
            Step::Done(Ok(this.number))
        }
    }

    fn flaky(failures: u32, retry_after: Option<Duration>) -> Flaky {
        Flaky {
            failures,
            learned: false,
            tries: Vec::new(),
            retry_after,
        }
    }

    #[tokio::test]
    async fn the_loop_retries_waits_on_the_clock_and_gives_up() {
        let policy = RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::default()
        };
        let clock = TestClock::new();
        let mut op = flaky(2, Some(Duration::from_secs(7)));
        assert_eq!(run(&policy, &clock, &mut op).await, Ok(3));
        // The lesson did not use up a try; two Retry-After waits passed on the clock.
        let numbers: Vec<u32> = op.tries.iter().map(|t| t.number).collect();
        assert_eq!(numbers, [1, 1, 2, 3]);
        assert!(op.tries[3].last && !op.tries[2].last);
        assert_eq!(clock.elapsed(), Duration::from_secs(14));

        let mut op = flaky(5, None);
        assert_eq!(run(&policy, &clock, &mut op).await, Err("transient"));
        assert_eq!(op.tries.len(), 4, "one lesson and three tries");
    }
}
