//! The bump's writes against a tree that changes under them (issue 20, items 9 and 10): a
//! directory swapped for a symlink between the plan and the write, a write that fails midway,
//! and the extended attributes of the files replaced. Real files, real symlinks, real `chattr`.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use tagman_core::write::Target;
use tagman_core::WriteError;
use tagman_refs::{bump, BumpPlan, BumpSpec, Catalog, FileEdit, RefsError, WriteScope};
use tagman_testkit::files::{self, NEW, OLD, SPEC};

/// Scans `root` with its own policy and manifests and plans the [`SPEC`] bump.
fn plan(root: &Path) -> BumpPlan {
    let (policy, manifests, scanned) = crate::support::scan_tree(root);
    bump::plan(
        &scanned,
        &BumpSpec::parse(SPEC).unwrap(),
        &Catalog::new(&manifests),
        &policy.codenames,
    )
    .unwrap()
}

/// A bump tree planned, its last directory and a copy of it outside the tree (with the copy's
/// contents, to show nothing outside changed) for the directory swap.
struct Swap {
    tree: tempfile::TempDir,
    plan: BumpPlan,
    dir: PathBuf,
    outside: tempfile::TempDir,
    before: Vec<(PathBuf, Vec<u8>)>,
}

impl Swap {
    fn new(dirs: usize, files_each: usize) -> Self {
        let tree = files::bump_tree(dirs, files_each);
        let plan = plan(tree.path());
        let dir = files::app_dir(tree.path(), dirs - 1);
        let outside = files::outside_copy(&dir);
        let before = snapshot(outside.path());
        Self {
            tree,
            plan,
            dir,
            outside,
            before,
        }
    }

    /// Puts the symlink to the outside copy in place of the directory; returns where it went.
    fn swap(&self) -> PathBuf {
        files::swap_for_symlink(&self.dir, self.outside.path())
    }

    fn assert_nothing_outside_written(&self) {
        assert_eq!(
            snapshot(self.outside.path()),
            self.before,
            "nothing outside written"
        );
    }
}

/// Every file under `dir` holds `text`.
fn assert_all(dir: &Path, text: &str) {
    for (path, bytes) in snapshot(dir) {
        assert_eq!(bytes, text.as_bytes(), "{}", path.display());
    }
}

fn scope(root: &Path) -> WriteScope {
    WriteScope::new(&[root.to_path_buf()], false)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Every file of `dir` with its bytes, to compare before and after.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    tagman_testkit::tree::contents(dir)
}

/// Regression (issue 20, item 9): the targets were resolved, then a directory on the path of
/// some was swapped for a symlink to a copy outside the tree (same bytes, so the "unchanged since
/// the scan" check passes there). The writes into it were led outside. Now each fails, naming the
/// file and the directory that changed; the files elsewhere are written, nothing outside is.
#[test]
fn a_directory_swapped_between_the_plan_and_the_write_fails_those_writes() {
    let swap = Swap::new(3, 20);
    assert_eq!(swap.plan.edits.len(), 60);
    let scope = scope(swap.tree.path());
    let targets: Vec<(&FileEdit, Target)> = swap
        .plan
        .edits
        .iter()
        .map(|e| (e, e.target(&scope).unwrap()))
        .collect();
    let in_swapped = targets
        .iter()
        .filter(|(e, _)| e.path.starts_with(&swap.dir))
        .count();
    assert_eq!(in_swapped, 20);
    let aside = swap.swap();
    let mut refused = 0;
    for (edit, target) in &targets {
        match edit.write_to(target) {
            Ok(()) => assert_eq!(read(&edit.path), NEW, "{}", edit.path.display()),
            Err(RefsError::Write(WriteError::PathChanged {
                path, component, ..
            })) => {
                assert_eq!(path, target.resolved);
                assert_eq!(Some(component.as_path()), target.resolved.parent());
                refused += 1;
            }
            Err(e) => panic!("{}: {e:?}", edit.path.display()),
        }
    }
    assert_eq!(
        refused, in_swapped,
        "every write into the swapped directory is refused"
    );
    swap.assert_nothing_outside_written();
    assert_all(&aside, OLD);
    assert_all(&files::app_dir(swap.tree.path(), 0), NEW);
    assert_all(&files::app_dir(swap.tree.path(), 1), NEW);
}

/// The same swap made after the plan and before the bump: the bump resolves every target
/// before its first write, so it stops there, naming the file and where it now leads, and
/// writes nothing. (A swap during the bump is the CLI tests' `bump_failures`.)
#[test]
fn a_swap_before_the_bump_stops_it_before_any_write() {
    let swap = Swap::new(2, 10);
    swap.swap();
    let err = bump::write_all(&swap.plan.edits, &scope(swap.tree.path())).unwrap_err();
    let RefsError::SymlinkOutside { path, target } = &err else {
        panic!("{err:?}");
    };
    assert!(path.starts_with(&swap.dir), "{}", path.display());
    assert!(target.starts_with(swap.outside.path().canonicalize().unwrap()));
    assert!(
        err.to_string().contains("outside the scanned tree"),
        "{err}"
    );
    swap.assert_nothing_outside_written();
    assert_all(&files::app_dir(swap.tree.path(), 0), OLD);
}

/// Issue 20, item 10: a write that fails midway, for a reason of its own (the file is immutable:
/// root cannot replace it either), leaves the files written before it at the new tag and names
/// them; the failing file keeps its bytes.
#[test]
fn a_write_failing_midway_names_the_files_written_before_it() {
    let tree = files::bump_tree(1, 6);
    let root = tree.path();
    let plan = plan(root);
    let stuck = &plan.edits[3].path;
    let _immutable = files::Immutable::new(stuck);
    let err = bump::write_all(&plan.edits, &scope(root)).unwrap_err();
    let RefsError::BumpIncomplete { written, error } = &err else {
        panic!("{err:?}");
    };
    let expected: Vec<PathBuf> = plan.edits[..3].iter().map(|e| e.path.clone()).collect();
    assert_eq!(written, &expected);
    assert!(
        matches!(**error, RefsError::Write(WriteError::Write { ref path, .. }) if path.ends_with(stuck.file_name().unwrap())),
        "{error:?}"
    );
    for path in written {
        assert_eq!(read(path), NEW, "{}", path.display());
    }
    assert_eq!(read(stuck), OLD);
    for edit in &plan.edits[4..] {
        assert_eq!(
            read(&edit.path),
            OLD,
            "not reached: {}",
            edit.path.display()
        );
    }
    let left: Vec<_> = std::fs::read_dir(files::app_dir(root, 0))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".tagman-"))
        .collect();
    assert!(
        left.is_empty(),
        "the failed write's temp file is removed: {left:?}"
    );
}

/// Issue 20, item 10: the files a bump replaces keep their extended attributes (`user.*`, and
/// `security.*`/`trusted.*` where the process may set them: root may), mode and owner.
#[test]
fn a_bump_keeps_extended_attributes_mode_and_owner() {
    use std::os::unix::fs::PermissionsExt as _;
    let base = files::xattr_dir();
    let root = base.path().join("tree");
    let tree = files::bump_tree(1, 2);
    tagman_testkit::tree::copy(tree.path(), &root);
    let plan = plan(&root);
    let file = &plan.edits[0].path;
    files::set_xattr(file, "user.tagman.origin", b"mirror-sync");
    files::set_xattr(file, "user.empty", b"");
    std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let is_root = std::fs::metadata(file).unwrap().uid() == 0;
    if is_root {
        files::set_xattr(file, "security.tagman", b"label");
        files::set_xattr(file, "trusted.tagman", b"t");
        std::os::unix::fs::chown(file, Some(4242), Some(4343)).unwrap();
    }
    let inode = std::fs::metadata(file).unwrap().ino();
    bump::write_all(&plan.edits, &scope(&root)).unwrap();
    let meta = std::fs::metadata(file).unwrap();
    assert_ne!(
        meta.ino(),
        inode,
        "the file was replaced, not edited in place"
    );
    assert_eq!(read(file), NEW);
    assert_eq!(
        files::xattr(file, "user.tagman.origin").as_deref(),
        Some(&b"mirror-sync"[..])
    );
    assert_eq!(files::xattr(file, "user.empty").as_deref(), Some(&b""[..]));
    assert_eq!(meta.permissions().mode() & 0o7777, 0o640);
    if is_root {
        assert_eq!(
            files::xattr(file, "security.tagman").as_deref(),
            Some(&b"label"[..])
        );
        assert_eq!(
            files::xattr(file, "trusted.tagman").as_deref(),
            Some(&b"t"[..])
        );
        assert_eq!((meta.uid(), meta.gid()), (4242, 4343));
    }
}
