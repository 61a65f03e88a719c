//! The bump's writes against a tree that changes under them (issue 20, items 9 and 10): a
//! directory swapped for a symlink between the plan and the write, a write that fails midway,
//! and the extended attributes of the files replaced. Real files, real symlinks, real `chattr`.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use tagman_core::write::Target;
use tagman_core::{Manifest, Policy, WriteError};
use tagman_refs::{
    bump, scan, BumpPlan, BumpSpec, Catalog, FileEdit, RefsError, WalkOptions, WriteScope,
};
use tagman_testkit::files::{self, NEW, OLD, SPEC};

/// Scans `root` with its own policy and manifests and plans the [`SPEC`] bump.
fn plan(root: &Path) -> BumpPlan {
    let policy = Policy::load(&root.join("tagman.yaml")).unwrap();
    let manifests: Vec<Manifest> = policy
        .discover_manifests()
        .unwrap()
        .iter()
        .map(|p| Manifest::read(p, &policy.limits()).unwrap())
        .collect();
    let scanned = scan(
        &[root.to_path_buf()],
        &policy,
        &manifests,
        WalkOptions::default(),
    )
    .unwrap();
    bump::plan(
        &scanned,
        &BumpSpec::parse(SPEC).unwrap(),
        &Catalog::new(&manifests),
        &policy.codenames,
    )
    .unwrap()
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
    let tree = files::bump_tree(3, 20);
    let root = tree.path();
    let plan = plan(root);
    assert_eq!(plan.edits.len(), 60);
    let scope = scope(root);
    let targets: Vec<(&FileEdit, Target)> = plan
        .edits
        .iter()
        .map(|e| (e, e.target(&scope).unwrap()))
        .collect();
    let swapped = files::app_dir(root, 1);
    let outside = files::outside_copy(&swapped);
    let before = snapshot(outside.path());
    let in_swapped = plan
        .edits
        .iter()
        .filter(|e| e.path.starts_with(&swapped))
        .count();
    assert_eq!(in_swapped, 20);
    let aside = files::swap_for_symlink(&swapped, outside.path());
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
    assert_eq!(snapshot(outside.path()), before, "nothing outside written");
    for (path, bytes) in snapshot(&aside) {
        assert_eq!(bytes, OLD.as_bytes(), "{} untouched", path.display());
    }
    for d in [0, 2] {
        for (path, bytes) in snapshot(&files::app_dir(root, d)) {
            assert_eq!(bytes, NEW.as_bytes(), "{}", path.display());
        }
    }
}

/// The same swap made after the plan and before the bump: the bump resolves every target
/// before its first write, so it stops there, naming the file and where it now leads, and
/// writes nothing. (A swap during the bump is the CLI tests' `bump_failures`.)
#[test]
fn a_swap_before_the_bump_stops_it_before_any_write() {
    let tree = files::bump_tree(2, 10);
    let root = tree.path();
    let plan = plan(root);
    let swapped = files::app_dir(root, 1);
    let outside = files::outside_copy(&swapped);
    let before = snapshot(outside.path());
    files::swap_for_symlink(&swapped, outside.path());
    let err = bump::write_all(&plan.edits, &scope(root)).unwrap_err();
    let RefsError::SymlinkOutside { path, target } = &err else {
        panic!("{err:?}");
    };
    assert!(path.starts_with(&swapped), "{}", path.display());
    assert!(target.starts_with(outside.path().canonicalize().unwrap()));
    assert!(
        err.to_string().contains("outside the scanned tree"),
        "{err}"
    );
    assert_eq!(snapshot(outside.path()), before, "nothing outside written");
    for (path, bytes) in snapshot(&files::app_dir(root, 0)) {
        assert_eq!(bytes, OLD.as_bytes(), "nothing written: {}", path.display());
    }
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
