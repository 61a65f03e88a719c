//! Files in the states a bump's write must survive: a tree of many files to bump, a directory
//! swapped for a symlink, extended attributes, and a file root cannot replace (`chattr +i`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// The bump every tree of [`bump_tree`] takes.
pub const SPEC: &str = "docker.io/starlingx/dex=stx.9.0-v2.40.0";
/// A file of [`bump_tree`] before the bump.
pub const OLD: &str = "image: docker.io/starlingx/dex:stx.4.0-v2.14.0-1\n";
/// The same file after it.
pub const NEW: &str = "image: docker.io/starlingx/dex:stx.9.0-v2.40.0\n";

/// A tree of `dirs` directories `apps/dNNN` holding `files` manifests `fNNNN.yaml` each, every one
/// [`OLD`], beside the refs fixture tree's policy and manifest (which declare both dex tags).
pub fn bump_tree(dirs: usize, files: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = crate::paths::fixtures_dir().join("refs/tree");
    for name in ["tagman.yaml", "image-tags.yaml"] {
        std::fs::copy(fixture.join(name), dir.path().join(name)).unwrap();
    }
    for d in 0..dirs {
        let sub = app_dir(dir.path(), d);
        std::fs::create_dir_all(&sub).unwrap();
        for f in 0..files {
            std::fs::write(sub.join(format!("f{f:04}.yaml")), OLD).unwrap();
        }
    }
    dir
}

/// The `d`th directory of a [`bump_tree`] at `root`.
pub fn app_dir(root: &Path, d: usize) -> PathBuf {
    root.join("apps").join(format!("d{d:03}"))
}

/// A copy of the directory `dir` (its files, each [`OLD`] or not) in a fresh temp dir outside any
/// tree: what a symlink swapped in for `dir` leads to, with the same contents, so that a write
/// led there would pass the bump's "unchanged since the scan" check.
pub fn outside_copy(dir: &Path) -> tempfile::TempDir {
    let outside = tempfile::tempdir().unwrap();
    crate::tree::copy(dir, outside.path());
    outside
}

/// Moves `dir` aside (to `dir.aside`) and puts a symlink to `to` in its place, as an attacker
/// with write access to the tree would; returns where the directory went.
pub fn swap_for_symlink(dir: &Path, to: &Path) -> PathBuf {
    let aside = dir.with_extension("aside");
    std::fs::rename(dir, &aside).unwrap();
    std::os::unix::fs::symlink(to, dir).unwrap();
    aside
}

/// Undoes [`swap_for_symlink`].
pub fn swap_back(dir: &Path, aside: &Path) {
    std::fs::remove_file(dir).unwrap();
    std::fs::rename(aside, dir).unwrap();
}

/// A temp dir on a file system that keeps `user.*` extended attributes: the system's temp dir,
/// else the workspace's `target/` or `/var/tmp`, saying on stderr which was taken. Fails the
/// test, naming every place tried and why, when none keeps them: never a silent skip.
pub fn xattr_dir() -> tempfile::TempDir {
    let candidates = [
        std::env::temp_dir(),
        crate::paths::cache_dir("xattr"),
        PathBuf::from("/var/tmp"),
    ];
    let mut tried = Vec::new();
    for (i, place) in candidates.iter().enumerate() {
        let dir = match tempfile::tempdir_in(place) {
            Ok(dir) => dir,
            Err(e) => {
                tried.push(format!("{}: {e}", place.display()));
                continue;
            }
        };
        let probe = dir.path().join("probe");
        std::fs::write(&probe, "").unwrap();
        match rustix::fs::setxattr(&probe, "user.tagman.probe", b"1", xattr_flags()) {
            Ok(()) => {
                std::fs::remove_file(&probe).unwrap();
                if i > 0 {
                    #[allow(clippy::print_stderr)]
                    {
                        eprintln!(
                            "user.* extended attributes: {} keeps none ({}); testing in {}",
                            candidates[0].display(),
                            tried.join("; "),
                            place.display()
                        );
                    }
                }
                return dir;
            }
            Err(e) => tried.push(format!("{}: {e}", place.display())),
        }
    }
    panic!(
        "no file system here keeps user.* extended attributes, so keeping them cannot be tested; tried {}",
        tried.join("; ")
    );
}

fn xattr_flags() -> rustix::fs::XattrFlags {
    rustix::fs::XattrFlags::empty()
}

/// Sets the extended attribute `name` of `path` (not through a symlink).
pub fn set_xattr(path: &Path, name: &str, value: &[u8]) {
    rustix::fs::lsetxattr(path, name, value, xattr_flags())
        .unwrap_or_else(|e| panic!("cannot set {name} on {}: {e}", path.display()));
}

/// The extended attribute `name` of `path`, if it has one.
pub fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut value = vec![0_u8; 65_536];
    match rustix::fs::lgetxattr(path, name, &mut value[..]) {
        Ok(len) => {
            value.truncate(len);
            Some(value)
        }
        Err(rustix::io::Errno::NODATA) => None,
        Err(e) => panic!("cannot read {name} of {}: {e}", path.display()),
    }
}

/// A file made immutable with `chattr +i` (not even root may replace or rename over it), made
/// mutable again on drop so its temp dir can be removed.
pub struct Immutable(PathBuf);

impl Immutable {
    /// `chattr +i path`. Fails the test, saying why, where the file system or the process's
    /// capabilities (`CAP_LINUX_IMMUTABLE`) do not allow it.
    pub fn new(path: &Path) -> Self {
        chattr("+i", path);
        Self(path.to_owned())
    }
}

impl Drop for Immutable {
    fn drop(&mut self) {
        let _ = Command::new("chattr").arg("-i").arg(&self.0).status();
    }
}

fn chattr(flag: &str, path: &Path) {
    let out = Command::new("chattr")
        .arg(flag)
        .arg(path)
        .output()
        .unwrap_or_else(|e| panic!("chattr (e2fsprogs) is needed to make a write fail: {e}"));
    assert!(
        out.status.success(),
        "chattr {flag} {} failed (the file system or CAP_LINUX_IMMUTABLE is missing here): {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}
