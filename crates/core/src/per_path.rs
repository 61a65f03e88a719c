//! Rule levels by path (`per_path:` in tagman.yaml, like ruff's per-file-ignores): which globs
//! change which source-tree rules' levels, plus the built-in entries that demote errors to
//! warnings under common test and fixture paths.

use globset::GlobSet;

use crate::policy::{names_rule, RuleLevel, RuleOverride, Severity};
use crate::select::{compile_globs, InvalidGlob};
use crate::span::{Span, Spanned};

/// Test and fixture paths whose findings are warnings unless the policy says otherwise: data for
/// tests is rarely pulled by a release, and a gate should not fail on it.
pub const TEST_PATHS: [&str; 8] = [
    "**/tests/**",
    "**/test/**",
    "**/testdata/**",
    "**/fixtures/**",
    "**/unit_tests/**",
    "**/testcases/**",
    "**/*_test.*",
    "**/test_*.py",
];

/// One `per_path` entry: a glob and the levels it sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathRules {
    /// The glob, relative to the policy's directory (or to the scanned path), as written.
    pub glob: Spanned<String>,
    /// The rule levels it sets, by code or name.
    pub levels: Vec<RuleOverride>,
    /// A built-in entry: it turns every error into a warning and turns nothing on.
    pub demote: bool,
}

/// Every `per_path` entry in force, built-in ones first, with their globs compiled once.
#[derive(Clone, Debug)]
pub struct PerPath {
    entries: Vec<PathRules>,
    set: GlobSet,
}

impl Default for PerPath {
    fn default() -> Self {
        Self::builtin()
    }
}

impl PerPath {
    /// The built-in entries alone: errors under [`TEST_PATHS`] become warnings.
    pub fn builtin() -> Self {
        let entries = TEST_PATHS
            .iter()
            .map(|glob| PathRules {
                glob: Spanned::new((*glob).to_owned(), Span::default()),
                levels: Vec::new(),
                demote: true,
            })
            .collect();
        // The built-in globs are constants that compile; an empty set is the safe fallback.
        Self::compile(entries).unwrap_or_else(|_| Self {
            entries: Vec::new(),
            set: GlobSet::empty(),
        })
    }

    /// The built-in entries extended by the policy's: a policy entry with the same glob as a
    /// built-in one replaces it (`"**/tests/**": {}` restores errors there); the others follow
    /// the built-in ones, in the policy's order.
    pub fn extended(policy_entries: Vec<PathRules>) -> Result<Self, InvalidGlob> {
        let mut entries: Vec<PathRules> = Self::builtin()
            .entries
            .into_iter()
            .filter(|b| !policy_entries.iter().any(|p| p.glob.value == b.glob.value))
            .collect();
        entries.extend(policy_entries);
        Self::compile(entries)
    }

    fn compile(entries: Vec<PathRules>) -> Result<Self, InvalidGlob> {
        let globs: Vec<String> = entries.iter().map(|e| e.glob.value.clone()).collect();
        let set = compile_globs(&globs)?;
        Ok(Self { entries, set })
    }

    /// Every entry in force, in the order they apply.
    pub fn entries(&self) -> &[PathRules] {
        &self.entries
    }

    /// The entries matching any of `paths` (`/`-separated, relative: to the policy's directory,
    /// to the scanned path), in the order they apply.
    pub fn scope<'a>(&'a self, paths: &[&str]) -> PathScope<'a> {
        let mut matched: Vec<usize> = paths
            .iter()
            .flat_map(|p| self.set.matches(p.trim_start_matches("./")))
            .collect();
        matched.sort_unstable();
        matched.dedup();
        PathScope {
            entries: matched
                .into_iter()
                .filter_map(|i| self.entries.get(i))
                .collect(),
        }
    }
}

/// The `per_path` entries that apply to one file.
#[derive(Clone, Debug, Default)]
pub struct PathScope<'a> {
    entries: Vec<&'a PathRules>,
}

impl PathScope<'_> {
    /// Whether no entry applies.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The severity of the rule `code`/`name` in this file, given its severity elsewhere
    /// (`None`: off). Entries apply in order, so the last one naming the rule wins; a built-in
    /// entry only lowers an error to a warning.
    pub fn severity(&self, code: &str, name: &str, base: Option<Severity>) -> Option<Severity> {
        let mut severity = base;
        for entry in &self.entries {
            if entry.demote {
                severity = severity.map(|s| s.min(Severity::Warning));
            }
            if let Some(o) = entry
                .levels
                .iter()
                .rev()
                .find(|o| names_rule(&o.rule.value, code, name))
            {
                severity = match o.level {
                    RuleLevel::Error => Some(Severity::Error),
                    RuleLevel::Warning => Some(Severity::Warning),
                    RuleLevel::Off => None,
                };
            }
        }
        severity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(glob: &str, levels: &[(&str, RuleLevel)]) -> PathRules {
        PathRules {
            glob: Spanned::new(glob.to_owned(), Span::default()),
            levels: levels
                .iter()
                .map(|(rule, level)| RuleOverride {
                    rule: Spanned::new((*rule).to_owned(), Span::default()),
                    level: *level,
                })
                .collect(),
            demote: false,
        }
    }

    #[test]
    fn builtin_entries_demote_errors_under_test_paths_only() {
        let per_path = PerPath::builtin();
        for path in [
            "sysinv/tests/conductor/test_x.py",
            "roles/x/files/test/run.sh",
            "unit_tests/config/docker/docker_config_test.py",
            "pkg/x_test.go",
            "a/test_images.py",
            "charts/fixtures/values.yaml",
        ] {
            let scope = per_path.scope(&[path]);
            assert_eq!(
                scope.severity("TM201", "floating-reference", Some(Severity::Error)),
                Some(Severity::Warning),
                "{path}"
            );
            // A rule the policy turned off stays off.
            assert_eq!(scope.severity("TM201", "floating-reference", None), None);
        }
        for path in [
            "config/kof/files/default.json5",
            "testing/values.yaml",
            "latest.yaml",
        ] {
            assert!(per_path.scope(&[path]).is_empty(), "{path}");
        }
    }

    #[test]
    fn policy_entries_extend_and_replace_builtin_ones_and_the_last_wins() {
        let per_path = PerPath::extended(vec![
            entry("**/tests/**", &[]),
            entry("doc/**", &[("TM202", RuleLevel::Off)]),
            entry("doc/keep/**", &[("undeclared-tag", RuleLevel::Error)]),
        ])
        .unwrap();
        let error = Some(Severity::Error);
        let at = |p: &str| {
            per_path
                .scope(&[p])
                .severity("TM202", "undeclared-tag", error)
        };
        assert_eq!(at("a/tests/x.yaml"), error, "replaced built-in entry");
        assert_eq!(at("a/test/x.yaml"), Some(Severity::Warning));
        assert_eq!(at("doc/x.yaml"), None);
        assert_eq!(at("doc/keep/x.yaml"), error);
        assert!(PerPath::extended(vec![entry("a/[", &[])]).is_err());
    }
}
