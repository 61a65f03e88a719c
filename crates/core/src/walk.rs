//! The one way tagman lists the files of a tree, for manifest discovery and for `tagman refs`
//! alike: the `ignore` crate, configured as ripgrep configures it, so both agree on which files
//! exist.
//!
//! `.gitignore` (with its parents' up to the repository root), `.ignore` and
//! `.git/info/exclude` are honoured, also outside a git repository (a tree unpacked from a
//! tarball keeps its `.gitignore`); hidden files are read (`.zuul.d/`, `.github/` hold
//! references); the user's global excludes file is not read, or findings would depend on the
//! machine; symlinks are not followed; `.git/` is never entered, nor tagman's own temp files.

use std::path::Path;

use ignore::WalkBuilder;

/// A walk over `root` with tagman's settings. Add more roots with [`WalkBuilder::add`]; an
/// extra `filter_entry` replaces the one that skips `.git/`, so keep that test in it.
pub fn builder(root: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(root);
    configure(&mut builder);
    builder
}

/// Applies tagman's settings to `builder` (see the module doc).
pub fn configure(builder: &mut WalkBuilder) -> &mut WalkBuilder {
    builder
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .follow_links(false)
        // tagman's own temp files (a write killed midway) are never content.
        .filter_entry(|entry| {
            let name = entry.file_name();
            name != ".git" && !name.to_str().is_some_and(crate::write::is_temp_name)
        })
}

/// The same walk with every ignore file disregarded: what an ignore file hides is listed too.
/// Used only to tell the user what the ignore files left out.
pub fn without_ignore_files(builder: &mut WalkBuilder) -> &mut WalkBuilder {
    builder
        .ignore(false)
        .git_ignore(false)
        .git_exclude(false)
        .parents(false)
}
