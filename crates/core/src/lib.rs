//! tagman-core: the tag-manifest model (every value keeps its span), image references and the policy.
//!
//! This crate neither prints nor talks to the network: it reads files, parses them into spanned
//! values and answers questions about names and tags; every file tagman writes goes through its
//! one safe write ([`write`]). It also holds the one manifest loader ([`load`]), the manifests of
//! one state of a repository ([`snapshot`]) and the entry diff between two states
//! ([`entry_diff`]): data every check stands on. Diagnostics live in `tagman-diag`, the checks in
//! `tagman-lint`, `tagman-git` and `tagman-refs`, registry work in `tagman-apply`.

pub mod entry_diff;
pub mod load;
pub mod manifest;
pub mod per_path;
pub mod policy;
pub mod reference;
pub mod schema;
pub mod select;
pub mod snapshot;
pub mod source;
pub mod span;
pub mod tag;
pub mod text;
pub mod unified_diff;
pub mod walk;
pub mod write;
pub mod yaml;

pub use entry_diff::{
    changed_entries, reference_requirement, ChangedEntries, DiffEntry, DiffPair, EntryDiff,
    Requirement,
};
pub use load::{LoadError, Loaded, SourceName, Unparsed};
pub use manifest::{Entry, Manifest, ManifestError};
pub use per_path::{PathScope, PerPath};
pub use policy::{Policy, PolicyError, RuleLevel, Severity};
pub use reference::{ImageName, NameError, Reference};
pub use select::{GlobError, InvalidGlob, ManifestSelector};
pub use snapshot::Snapshot;
pub use source::{InvalidUtf8, SourceError, SourceFile};
pub use span::{Position, Span, Spanned};
pub use write::{write_file, WriteError};
pub use yaml::Limits;
