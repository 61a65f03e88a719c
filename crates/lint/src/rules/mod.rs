//! The manifest rule registry: one line per rule.

use crate::rule::{Check, Rule};

pub mod build_tag;
pub mod build_tag_future;
pub mod duplicate_tag;
pub mod image_name;
pub mod published_tag;
pub mod published_tag_removed;
pub mod registry_allowed;
pub mod repeated_entry;
pub mod schema;
pub mod src_ref;
pub mod tag_format;
pub mod tag_release;
pub mod yaml;

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
    (&published_tag::RULE, published_tag::check),
    (&published_tag_removed::RULE, published_tag_removed::check),
];

/// The metadata of every manifest rule.
pub fn all() -> impl Iterator<Item = &'static Rule> {
    RULES.iter().map(|(rule, _)| *rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_well_formed() {
        let mut codes = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for rule in all() {
            assert!(codes.insert(rule.code), "duplicate code {}", rule.code);
            assert!(names.insert(rule.name), "duplicate name {}", rule.name);
            assert!(
                rule.code.len() == 5 && rule.code.starts_with("TM"),
                "{}",
                rule.code
            );
            assert!(
                rule.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{}",
                rule.name
            );
        }
    }
}
