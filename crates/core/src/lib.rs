//! tagman-core: the tag-manifest model (every value keeps its span), image references and the policy.
//!
//! This crate neither prints nor talks to the network: it reads files, parses them into spanned
//! values and answers questions about names and tags; every file tagman writes goes through its
//! one safe write ([`write`]). Checks live in `tagman-lint`, registry work
//! in `tagman-apply`.

pub mod manifest;
pub mod per_path;
pub mod policy;
pub mod reference;
pub mod schema;
pub mod select;
pub mod source;
pub mod span;
pub mod tag;
pub mod text;
pub mod unified_diff;
pub mod walk;
pub mod write;
pub mod yaml;

pub use manifest::{Entry, Manifest, ManifestError};
pub use per_path::{PathScope, PerPath};
pub use policy::{Policy, PolicyError, RuleLevel, Severity};
pub use reference::{ImageName, NameError, Reference};
pub use select::{GlobError, InvalidGlob, ManifestSelector};
pub use source::{InvalidUtf8, SourceError, SourceFile};
pub use span::{Position, Span, Spanned};
pub use write::{write_file, WriteError};
pub use yaml::Limits;
