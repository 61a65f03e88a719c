//! tagman-refs' integration tests, one binary: the fixture tree's file kinds, findings and bumps.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod fixtures;
mod linear;
