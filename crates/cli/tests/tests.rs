//! The `tagman` binary's tests, one binary: exit codes and formats, every rule's fixtures, the git
//! commands on real repositories, `refs`, `apply` against a real registry, and the Zuul jobs and
//! pre-commit hooks run by the real tools.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

// The registry harness and test images of tagman-apply's tests, shared (not copied).
#[allow(dead_code)]
#[path = "../../apply/tests/registry/harness.rs"]
mod harness;
#[allow(dead_code)]
#[path = "../../apply/tests/registry/images.rs"]
mod images;
mod support;

mod apply;
mod cli;
mod git;
mod hostile;
mod pre_commit;
mod refs;
mod rules;
mod zuul;
