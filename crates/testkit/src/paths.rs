//! Where the project, its fixtures and the StarlingX corpus are, from any crate's tests.

use std::path::{Path, PathBuf};

/// The workspace root (this crate sits at `crates/testkit`).
pub fn project_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize()
        .unwrap_or_else(|e| panic!("the project root {} is unreadable: {e}", root.display()))
}

/// `fixtures/` at the project root.
pub fn fixtures_dir() -> PathBuf {
    existing(project_root().join("fixtures"), "the fixtures directory")
}

/// `fixtures/corpus/starlingx-root`: StarlingX's tag-file history. Missing is a failure.
pub fn corpus_dir() -> PathBuf {
    existing(
        fixtures_dir().join("corpus/starlingx-root"),
        "the StarlingX corpus (fixtures/corpus/starlingx-root, part of the repository)",
    )
}

/// A directory under the workspace's `target/` kept between runs (caches of outside tools).
pub fn cache_dir(name: &str) -> PathBuf {
    let dir = project_root().join("target").join("tool-tests").join(name);
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

fn existing(path: PathBuf, what: &str) -> PathBuf {
    assert!(
        path.is_dir(),
        "{what} is missing at {}: the tests need it and never skip without it",
        path.display()
    );
    path
}
