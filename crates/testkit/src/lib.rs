//! tagman-testkit: the helpers every crate's tests share, written once (a dev-dependency only).
//!
//! A broken fixture or a missing corpus is a failed test, never a skipped one: the helpers panic
//! with a message that says what is missing and where it was looked for.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod corpus;
#[cfg(unix)]
pub mod files;
pub mod fixtures;
pub mod git;
pub mod hostile;
pub mod http;
pub mod packages;
pub mod paths;
pub mod tree;
