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
mod apply_summary;
#[cfg(unix)]
mod bump_failures;
mod cli;
mod corpus;
mod discovery;
mod follow_up;
mod forged;
mod git;
mod git_history;
mod hostile;
mod install;
mod packaging;
mod pre_commit;
mod pypi_name;
mod refs;
mod refs_classes;
mod refs_codenames;
mod refs_overrides;
mod release_job;
mod rules;
mod status;
mod zuul;
mod zuul_follow_up;
mod zuul_jobs;
mod zuul_merge_modes;
