//! tagman-lint's integration tests, one binary: StarlingX's real manifests lint as they should,
//! hostile input never panics, policy levels apply, and regressions stay fixed. Every rule's
//! ok/bad fixtures run through the binary in crates/cli's `rules` tests.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod corpus;
mod hostile;
mod policy;
