//! The `tagman` binary's tests, one binary: exit codes and formats, every rule's fixtures, the git
//! commands on real repositories, `refs`, `apply` against a real registry, the Zuul jobs and
//! pre-commit hooks run by the real tools, and tagman installed from its wheel and packaged.

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
mod apply_ops;
mod cli;
mod forged;
mod git;
mod git_history;
mod hostile;
mod install;
mod packaging;
mod pre_commit;
mod refs;
mod refs_classes;
mod rules;
mod status;
mod zuul;
mod zuul_jobs;
