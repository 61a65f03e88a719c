//! tagman-git's integration tests, one binary: StarlingX's real history replayed through the gate,
//! `--online` against a loopback stand-in, `src_ref` verification against real clones.

// Helpers outside #[test] functions unwrap too: a broken fixture is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod change_base;
mod corpus;
mod follow_up;
mod history;
#[cfg(feature = "online")]
mod online;
mod src_repos;
mod suggest;
