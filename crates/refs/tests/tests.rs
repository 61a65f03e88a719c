//! tagman-refs' integration tests, one binary: the fixture tree's file kinds, findings and bumps;
//! packages, archives and ISO images built at test time, budgets against bombs and hostile images.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod archives;
#[cfg(unix)]
mod bump_write;
mod fixtures;
mod hostile;
mod iso;
mod linear;
mod overrides;
mod planted;
mod repository_overrides;
mod support;
