//! Per-rule fixtures: `fixtures/lint/<CODE>/ok-*` must be clean, `bad-*` must trigger the rule.
//! A fixture is a file, or a directory whose files are checked together; in a directory, files
//! named `base-*` are the manifests as they stood at the base revision.

use std::path::{Path, PathBuf};

use crate::paths::fixtures_dir;

/// The directory holding every rule's fixtures.
pub fn rules_dir() -> PathBuf {
    fixtures_dir().join("lint")
}

/// One rule's fixtures.
#[derive(Clone, Debug)]
pub struct RuleFixtures {
    /// The rule's own directory (its optional `tagman.yaml` applies to every fixture).
    pub dir: PathBuf,
    /// `ok-*`: each must be clean.
    pub ok: Vec<PathBuf>,
    /// `bad-*`: each must trigger the rule.
    pub bad: Vec<PathBuf>,
}

impl RuleFixtures {
    /// The policy file of the rule's fixtures, when it has one.
    pub fn policy(&self) -> Option<PathBuf> {
        let path = self.dir.join("tagman.yaml");
        path.is_file().then_some(path)
    }
}

/// The fixtures of rule `code`; a rule without an ok and a bad fixture fails the test.
pub fn for_rule(code: &str) -> RuleFixtures {
    let dir = rules_dir().join(code);
    let ok = named(&dir, "ok-");
    let bad = named(&dir, "bad-");
    assert!(
        !ok.is_empty() && !bad.is_empty(),
        "{code} needs ok-* and bad-* fixtures in {}",
        dir.display()
    );
    RuleFixtures { dir, ok, bad }
}

/// The name a fixture's snapshot is stored under: `CODE__stem`.
pub fn snapshot_name(code: &str, fixture: &Path) -> String {
    let stem = fixture
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{code}__{stem}")
}

/// A fixture's files: itself, or a directory's files sorted, split into (base, checked).
pub fn split_base(fixture: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let files = if fixture.is_dir() {
        sorted_entries(fixture)
    } else {
        vec![fixture.to_path_buf()]
    };
    files.into_iter().partition(|p| {
        p.file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("base-"))
    })
}

fn named(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    sorted_entries(dir)
        .into_iter()
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(prefix))
        })
        .collect()
}

fn sorted_entries(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    found.sort();
    found
}
