//! tagman-diag: the diagnostics layer every check stands on as an equal.
//!
//! A [`Rule`] is a code, a name, a default level, a [`Subject`] and its docs as data; a rule's
//! check pushes [`Finding`]s into [`Findings`] (capped per file); the one [`Sink`] applies the
//! policy's levels and per-path overrides and turns findings into [`Diagnostic`]s, and
//! [`registry::run`] is the only loop that runs rules. The crates that own rules (manifest rules
//! in `tagman-lint`, commit-message rules in `tagman-git`, source-tree rules in `tagman-refs`)
//! depend on this crate, never on each other; the binary composes their slices into one
//! [`Registry`] and renders the [`Report`]. Nothing here prints.

pub mod diagnostic;
pub mod registry;
pub mod sink;

pub use diagnostic::{Diagnostic, Finding, Label, Report};
pub use registry::{Docs, Registry, Rule, Subject};
pub use sink::{Findings, Sink, DEFAULT_MAX_FINDINGS};
