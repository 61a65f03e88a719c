//! The one safe write: every file tagman writes (`refs --bump`, `add`, `apply --report`,
//! `man --out-dir`) goes through [`write_file`] or [`Target::open`].
//!
//! A named path that is a symlink is resolved first and its target edited, so the link stays a
//! link and the file it points at gets the change. The write itself happens through the target's
//! directory held open ([`dir`]): reached from `/` one component at a time without following a
//! symlink, so a directory swapped for a symlink after the path was resolved fails the write
//! instead of leading it elsewhere. In that directory the new bytes go to a fresh temp file
//! created exclusively (`O_CREAT|O_EXCL|O_NOFOLLOW` under a random name: nothing at that name,
//! not even a planted symlink, is opened or followed), given the replaced file's owner and group
//! (where permitted), mode and extended attributes, flushed to disk, renamed over the target
//! within the same directory, and the directory is flushed too. A reader sees the old file or
//! the new one, never half of one.

#[cfg(unix)]
mod dir;
#[cfg(not(unix))]
#[path = "write/portable.rs"]
mod dir;

use std::ffi::OsString;
use std::fs::{self, Metadata};
use std::io;
use std::path::{Path, PathBuf};

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The path (or a directory on it) could not be resolved.
    #[error("cannot resolve {}: {source}", path.display())]
    Resolve {
        /// The path as named.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// The path is a symlink whose target does not exist.
    #[error("{} is a symlink to {}, which does not exist", path.display(), target.display())]
    Dangling {
        /// The path as named.
        path: PathBuf,
        /// Where the link points.
        target: PathBuf,
    },
    /// The path resolves to something other than a regular file (a directory, a device).
    #[error("{} is not a regular file", path.display())]
    NotAFile {
        /// The path as named.
        path: PathBuf,
    },
    /// A directory on the path (or the file itself) is no longer what was resolved: swapped for
    /// a symlink or a file since. Nothing was written.
    #[error("refusing to write {}: {} is no longer the directory it was resolved to (a symlink or a file was put there since)", path.display(), component.display())]
    PathChanged {
        /// The file to be written (the resolved target).
        path: PathBuf,
        /// The component found changed.
        component: PathBuf,
        /// The operating system's error (`ELOOP` or `ENOTDIR`).
        #[source]
        source: io::Error,
    },
    /// An extended attribute of the replaced file could not be kept; the target is unchanged.
    #[error("cannot keep the extended attribute `{name}` of {}: {source}", path.display())]
    Attribute {
        /// The file written (the resolved target).
        path: PathBuf,
        /// The attribute's name.
        name: String,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
    /// Writing, flushing or renaming failed; the target is unchanged.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file written (the resolved target).
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: io::Error,
    },
}

/// Where a write lands: the path as named, and the regular file (or new file) it resolves to.
#[derive(Debug)]
pub struct Target {
    /// The path as named.
    pub named: PathBuf,
    /// The absolute path with every symlink resolved: the file that is replaced.
    pub resolved: PathBuf,
}

impl Target {
    /// Resolves `path`: an existing file (through any symlinks), or a new file in an existing
    /// directory.
    pub fn resolve(path: &Path) -> Result<Self, WriteError> {
        let resolve_err = |source| WriteError::Resolve {
            path: path.to_owned(),
            source,
        };
        match fs::symlink_metadata(path) {
            Ok(link) => {
                let resolved = match fs::canonicalize(path) {
                    Ok(resolved) => resolved,
                    Err(e) if e.kind() == io::ErrorKind::NotFound && link.is_symlink() => {
                        return Err(WriteError::Dangling {
                            path: path.to_owned(),
                            target: fs::read_link(path).unwrap_or_default(),
                        })
                    }
                    Err(e) => return Err(resolve_err(e)),
                };
                let meta = fs::metadata(&resolved).map_err(resolve_err)?;
                if !meta.is_file() {
                    return Err(WriteError::NotAFile {
                        path: path.to_owned(),
                    });
                }
                Ok(Self {
                    named: path.to_owned(),
                    resolved,
                })
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                let name = path.file_name().ok_or_else(|| WriteError::NotAFile {
                    path: path.to_owned(),
                })?;
                let parent = match path.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
                let dir = fs::canonicalize(parent).map_err(resolve_err)?;
                Ok(Self {
                    named: path.to_owned(),
                    resolved: dir.join(name),
                })
            }
            Err(e) => Err(resolve_err(e)),
        }
    }

    /// Opens the directory the target lies in, walking the resolved path again from `/`
    /// without following a symlink: what is read and written through the answer happens there,
    /// or fails with [`WriteError::PathChanged`] if the path no longer leads there.
    pub fn open(&self) -> Result<Opened, WriteError> {
        let (Some(dir), Some(name)) = (self.resolved.parent(), self.resolved.file_name()) else {
            return Err(WriteError::NotAFile {
                path: self.resolved.clone(),
            });
        };
        Ok(Opened {
            dir: dir::Dir::open(dir, &self.resolved)?,
            name: name.to_owned(),
        })
    }

    /// Replaces the target's contents with `contents` (see the module doc for how).
    pub fn write(&self, contents: &[u8]) -> Result<(), WriteError> {
        self.open()?.replace(contents)
    }
}

/// A target's directory held open, for a read and a write that both happen in it.
#[derive(Debug)]
pub struct Opened {
    dir: dir::Dir,
    name: OsString,
}

impl Opened {
    /// The target's current contents, at most `limit` bytes (a regular file; a symlink put in
    /// its place since it was resolved is refused).
    pub fn read(&self, limit: u64) -> Result<Vec<u8>, WriteError> {
        self.dir.read(&self.name, limit)
    }

    /// Replaces the target's contents with `contents` (see the module doc for how).
    pub fn replace(&self, contents: &[u8]) -> Result<(), WriteError> {
        self.dir.replace(&self.name, contents)
    }
}

/// How every temp file of the safe write is named: `.tagman-<pid>-<random>.tmp`.
pub const TEMP_PREFIX: &str = ".tagman-";
/// The end of a temp file's name.
pub const TEMP_SUFFIX: &str = ".tmp";

/// Whether `name` is a temp file of the safe write (never content to scan).
pub fn is_temp_name(name: &str) -> bool {
    name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
}

/// Removes the temp files in `dir` that a killed tagman left (`SIGKILL` between create and
/// rename): those naming a process that no longer runs, and those of the older unnamed form
/// untouched for an hour. Only regular files are removed, never what a symlink points at, and
/// `dir` (absolute, as resolved: no symlink on it) is reached as a write's directory is, so a
/// directory swapped for a symlink is refused ([`WriteError::PathChanged`]). Returns what was
/// removed.
pub fn clean_stale(dir: &Path) -> Result<Vec<PathBuf>, WriteError> {
    dir::Dir::open(dir, dir)?
        .remove_stale(is_stale)
        .map_err(|source| WriteError::Write {
            path: dir.to_owned(),
            source,
        })
}

/// Whether the temp file `name` is left over: its writer's process is gone (Linux's `/proc`), or
/// it has no process id and is an hour old.
fn is_stale(name: &str, meta: &Metadata) -> bool {
    let middle = &name[TEMP_PREFIX.len()..name.len() - TEMP_SUFFIX.len()];
    match middle.split_once('-').map(|(pid, _)| pid.parse::<u32>()) {
        Some(Ok(pid)) => pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists(),
        _ => meta
            .modified()
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 3600),
    }
}

/// Writes `contents` to `path` safely (see the module doc); returns the file written.
pub fn write_file(path: &Path, contents: &[u8]) -> Result<PathBuf, WriteError> {
    let target = Target::resolve(path)?;
    target.write(contents)?;
    Ok(target.resolved)
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::{symlink, PermissionsExt as _};

    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).map_or(0, |m| m.permissions().mode() & 0o7777)
    }

    #[test]
    fn replaces_a_file_keeping_its_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("values.yaml");
        fs::write(&file, "old\n").unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o640)).unwrap();
        let written = write_file(&file, b"new\n").unwrap();
        assert_eq!(written, fs::canonicalize(&file).unwrap());
        assert_eq!(fs::read_to_string(&file).unwrap(), "new\n");
        assert_eq!(mode(&file), 0o640);
        fs::set_permissions(&file, fs::Permissions::from_mode(0o755)).unwrap();
        write_file(&file, b"newer\n").unwrap();
        assert_eq!(mode(&file), 0o755);
        let left: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp file is left behind");
    }

    #[test]
    fn planted_symlinks_at_temp_like_names_redirect_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("victim");
        fs::write(&victim, "precious\n").unwrap();
        let file = dir.path().join("values.yaml");
        fs::write(&file, "old\n").unwrap();
        // The names the two old helpers used, and temp-like names of every shape.
        let mut names = vec![
            ".values.yaml.tagman-bump".to_owned(),
            "values.yaml.tagman-add".to_owned(),
        ];
        names.extend((0..200).map(|i| format!(".tagman-{i:06}.tmp")));
        for name in &names {
            symlink(&victim, dir.path().join(name)).unwrap();
        }
        write_file(&file, b"new\n").unwrap();
        assert_eq!(fs::read_to_string(&victim).unwrap(), "precious\n");
        assert_eq!(fs::read_to_string(&file).unwrap(), "new\n");
        assert!(!fs::symlink_metadata(&file).unwrap().is_symlink());
        for name in &names {
            let link = dir.path().join(name);
            assert!(fs::symlink_metadata(&link).unwrap().is_symlink(), "{name}");
        }
    }

    #[test]
    fn a_symlinked_file_is_edited_at_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.yaml");
        fs::write(&real, "old\n").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.path().join("link.yaml");
        symlink("real.yaml", &link).unwrap();
        let written = write_file(&link, b"new\n").unwrap();
        assert_eq!(written, fs::canonicalize(&real).unwrap());
        assert!(
            fs::symlink_metadata(&link).unwrap().is_symlink(),
            "the link stays"
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new\n");
        assert_eq!(mode(&real), 0o600);

        let dangling = dir.path().join("dangling.yaml");
        symlink("nowhere.yaml", &dangling).unwrap();
        let err = write_file(&dangling, b"x").unwrap_err();
        assert!(matches!(err, WriteError::Dangling { .. }), "{err}");
        assert!(!dir.path().join("nowhere.yaml").exists());
        assert!(matches!(
            write_file(dir.path(), b"x").unwrap_err(),
            WriteError::NotAFile { .. }
        ));
    }

    /// Regression (issue 20): a bump killed between create and rename left its temp file for
    /// ever. A later write in the directory removes it, and leaves a live writer's alone.
    #[test]
    fn stale_temp_files_of_dead_writers_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let stale = dir.path().join(format!(".tagman-{dead}-abc123.tmp"));
        let live = dir
            .path()
            .join(format!(".tagman-{}-abc123.tmp", std::process::id()));
        let young = dir.path().join(".tagman-abc123.tmp");
        for p in [&stale, &live, &young] {
            fs::write(p, "half").unwrap();
        }
        std::os::unix::fs::symlink(&stale, dir.path().join(format!(".tagman-{dead}-x.tmp")))
            .unwrap();
        let removed = clean_stale(dir.path()).unwrap();
        assert_eq!(removed, std::slice::from_ref(&stale));
        assert!(live.exists() && young.exists());
    }

    /// A tree `dir/sub/values.yaml`, and outside it a copy of `sub` to swap in by a symlink.
    #[allow(clippy::unwrap_used)]
    fn tree_and_outside() -> (tempfile::TempDir, tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub/values.yaml"), "old\n").unwrap();
        fs::write(outside.path().join("values.yaml"), "old\n").unwrap();
        let file = dir.path().join("sub/values.yaml");
        (dir, outside, file)
    }

    /// Moves `sub` aside and puts a symlink to `outside` in its place.
    #[allow(clippy::unwrap_used)]
    fn swap(dir: &Path, outside: &Path) -> PathBuf {
        let aside = dir.join("sub.aside");
        fs::rename(dir.join("sub"), &aside).unwrap();
        symlink(outside, dir.join("sub")).unwrap();
        aside
    }

    /// Regression (issue 20, item 9): a directory on the path swapped for a symlink between the
    /// resolve and the write led the write out of the tree.
    #[test]
    fn a_directory_swapped_after_the_resolve_fails_the_write() {
        let (dir, outside, file) = tree_and_outside();
        let target = Target::resolve(&file).unwrap();
        let aside = swap(dir.path(), outside.path());
        let err = target.write(b"new\n").unwrap_err();
        let WriteError::PathChanged {
            path, component, ..
        } = &err
        else {
            panic!("{err:?}");
        };
        assert_eq!(path, &target.resolved);
        assert_eq!(component, &target.resolved.parent().unwrap().to_path_buf());
        let text = err.to_string();
        assert!(
            text.contains("values.yaml") && text.contains("no longer the directory"),
            "{text}"
        );
        assert_eq!(
            fs::read_to_string(outside.path().join("values.yaml")).unwrap(),
            "old\n"
        );
        assert_eq!(
            fs::read_dir(outside.path()).unwrap().count(),
            1,
            "no temp file outside"
        );
        assert_eq!(
            fs::read_to_string(aside.join("values.yaml")).unwrap(),
            "old\n"
        );
        // A read through the swapped path is refused the same way.
        assert!(matches!(target.open(), Err(WriteError::PathChanged { .. })));
    }

    /// Once the directory is held, a swap of its path no longer matters: the read and the write
    /// both happen in the directory that was resolved (moved aside, still inside the tree).
    #[test]
    fn a_directory_swapped_after_it_was_opened_keeps_the_write_in_it() {
        let (dir, outside, file) = tree_and_outside();
        let target = Target::resolve(&file).unwrap();
        let opened = target.open().unwrap();
        let aside = swap(dir.path(), outside.path());
        assert_eq!(opened.read(1024).unwrap(), b"old\n");
        opened.replace(b"new\n").unwrap();
        assert_eq!(
            fs::read_to_string(aside.join("values.yaml")).unwrap(),
            "new\n"
        );
        assert_eq!(
            fs::read_to_string(outside.path().join("values.yaml")).unwrap(),
            "old\n"
        );
        assert_eq!(fs::read_dir(outside.path()).unwrap().count(), 1);
    }

    /// The file itself swapped for a symlink after the resolve: refused, the link's target kept.
    #[test]
    fn a_file_swapped_for_a_symlink_after_the_resolve_is_refused() {
        let (_dir, outside, file) = tree_and_outside();
        let target = Target::resolve(&file).unwrap();
        fs::remove_file(&file).unwrap();
        symlink(outside.path().join("values.yaml"), &file).unwrap();
        assert!(matches!(
            target.write(b"new\n"),
            Err(WriteError::PathChanged { .. })
        ));
        assert!(matches!(
            target.open().unwrap().read(1024),
            Err(WriteError::PathChanged { .. })
        ));
        assert_eq!(
            fs::read_to_string(outside.path().join("values.yaml")).unwrap(),
            "old\n"
        );
        assert!(fs::symlink_metadata(&file).unwrap().is_symlink());
    }

    /// The clean-up of stale temp files goes through the held directory too: swapped for a
    /// symlink, the directory is refused, and a stale-looking file outside is left alone.
    #[test]
    fn stale_temp_files_are_not_removed_through_a_swapped_directory() {
        let (dir, outside, file) = tree_and_outside();
        let sub = file.parent().unwrap().canonicalize().unwrap();
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let name = format!(".tagman-{dead}-abc123.tmp");
        fs::write(outside.path().join(&name), "someone else's").unwrap();
        fs::write(sub.join(&name), "half").unwrap();
        let aside = swap(dir.path(), outside.path());
        assert!(matches!(
            clean_stale(&sub),
            Err(WriteError::PathChanged { .. })
        ));
        assert!(outside.path().join(&name).exists());
        assert_eq!(clean_stale(&aside).unwrap(), [aside.join(&name)]);
    }

    #[test]
    fn a_new_file_gets_the_usual_mode() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("report.json");
        write_file(&file, b"{}\n").unwrap();
        assert_eq!(fs::read_to_string(&file).unwrap(), "{}\n");
        // 0666 less a umask: readable by others unless the umask says otherwise, never 0600-only
        // because of how the temp file was made.
        let plain = dir.path().join("plain");
        fs::write(&plain, "").unwrap();
        assert_eq!(mode(&file), mode(&plain));
        let missing_dir = dir.path().join("no/such/dir/file");
        assert!(matches!(
            write_file(&missing_dir, b"x").unwrap_err(),
            WriteError::Resolve { .. }
        ));
    }
}
