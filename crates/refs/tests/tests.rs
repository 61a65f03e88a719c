//! tagman-refs' integration tests, one binary: the fixture tree's file kinds, findings and bumps;
//! packages and archives built at test time, budgets against bombs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod archives;
mod fixtures;
mod linear;
mod support;
