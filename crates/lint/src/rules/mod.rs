//! The manifest rule registry: one line per rule.

use crate::context::Context;
use crate::registry::{self, Rule};
use crate::sink::Findings;

pub mod build_tag;
pub mod build_tag_future;
pub mod duplicate_tag;
pub mod image_name;
pub mod registry_allowed;
pub mod repeated_entry;
pub mod schema;
pub mod src_ref;
pub mod tag_format;
pub mod tag_release;
pub mod yaml;

/// A manifest check: pushes findings, never returns `Err`.
pub type Check = fn(&Context<'_>, &mut Findings);

/// Every manifest rule with its check, in code order.
pub static RULES: &[(&Rule, Check)] = &[
    (&yaml::RULE, yaml::check),
    (&schema::RULE, schema::check),
    (&image_name::RULE, image_name::check),
    (&tag_format::RULE, tag_format::check),
    (&tag_release::RULE, tag_release::check),
    (&build_tag::RULE, build_tag::check),
    (&src_ref::RULE, src_ref::check),
    (&duplicate_tag::RULE, duplicate_tag::check),
    (&build_tag_future::RULE, build_tag_future::check),
    (&repeated_entry::RULE, repeated_entry::check),
    (&registry_allowed::RULE, registry_allowed::check),
];

/// The metadata of every manifest rule.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    std::iter::once(&crate::sink::LIMIT).chain(registry::metadata(RULES))
}
