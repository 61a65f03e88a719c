//! A unified diff of one file's bump: tagman's one unified diff, `tagman_core::unified_diff`,
//! kept under this name for `bump` and for callers of `tagman_refs::unified_diff::unified`.

pub use tagman_core::unified_diff::unified;
