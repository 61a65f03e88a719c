//! The rule registry of this binary: every crate's rule slice, composed once. The registry type
//! and everything it answers (lookup, `--explain`, the README table, unknown policy keys) live in
//! tagman-diag; only the binary links every crate that has rules, so the list is made here.

use std::sync::OnceLock;

use tagman_diag::Registry;

/// Every rule tagman knows.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        Registry::new(
            tagman_lint::rules::all()
                .chain(tagman_git::rules::all())
                .chain(tagman_refs::rules::all()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole code space in one place: codes and names unique and well formed, every rule
    /// documented, and the list pinned so a rule cannot appear, vanish or change its default or
    /// subject unnoticed.
    #[test]
    fn the_registry_is_sound_and_pinned() {
        let registry = registry();
        assert_eq!(registry.problems(), Vec::<String>::new());
        let rows: Vec<String> = registry
            .all()
            .iter()
            .map(|r| format!("{} {} {} {}", r.code, r.name, r.default, r.subject))
            .collect();
        insta::assert_snapshot!("registry", rows.join("\n"));
    }
}
