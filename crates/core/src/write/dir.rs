//! The directory a write lands in, held open: reached from `/` one component at a time, never
//! following a symlink, so the read before a write, the temp file's create and the rename all
//! happen in the directory that was resolved, whatever is swapped on its path meanwhile.
//!
//! A directory on the path replaced by a symlink (or by anything else) after the target was
//! resolved makes the walk fail with [`WriteError::PathChanged`]; once the directory is held, a
//! swap of its path no longer matters, as every later step is relative to the held descriptor.

use std::ffi::OsStr;
use std::fs::{File, Metadata};
use std::io::{self, Read as _, Write as _};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{openat, renameat, unlinkat, AtFlags, Mode, OFlags, CWD};
use rustix::io::Errno;

use super::{WriteError, TEMP_PREFIX, TEMP_SUFFIX};

/// How a directory on the way is opened: only to look names up in it where the kernel allows
/// (`O_PATH` needs no read permission, as a path lookup needs none).
#[cfg(any(target_os = "linux", target_os = "android"))]
const SEARCH: OFlags = OFlags::PATH;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const SEARCH: OFlags = OFlags::RDONLY;

/// The largest list of attribute names, and the largest value, Linux hands out (`XATTR_LIST_MAX`,
/// `XATTR_SIZE_MAX`): the bound of every attribute read.
const XATTR_MAX: usize = 65_536;

/// A directory held open for a write, and its path (for messages only).
#[derive(Debug)]
pub(super) struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

impl Dir {
    /// Opens the absolute, symlink-free `path` from `/`, one component at a time with
    /// `O_NOFOLLOW|O_DIRECTORY`. `file` is the file to be written, for the error.
    pub(super) fn open(path: &Path, file: &Path) -> Result<Self, WriteError> {
        if !path.is_absolute() {
            return Err(write_err(file, Errno::INVAL));
        }
        let mut fd = openat(
            CWD,
            "/",
            SEARCH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| write_err(file, e))?;
        let mut reached = PathBuf::from("/");
        for component in path.components() {
            let name = match component {
                Component::RootDir => continue,
                Component::Normal(name) => name,
                // A resolved path holds none of these; a relative or `..` path is not walked.
                _ => {
                    return Err(write_err(file, Errno::INVAL));
                }
            };
            reached.push(name);
            let flags = SEARCH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            fd = openat(&fd, name, flags, Mode::empty()).map_err(|e| match e {
                // A symlink now (ELOOP), or a file (ENOTDIR): not the directory resolved.
                Errno::LOOP | Errno::NOTDIR => WriteError::PathChanged {
                    path: file.to_owned(),
                    component: reached.clone(),
                    source: e.into(),
                },
                _ => write_err(file, e),
            })?;
        }
        Ok(Self {
            fd,
            path: path.to_owned(),
        })
    }

    /// Opens `name` in the directory for reading, refusing a symlink: `None` if there is none.
    pub(super) fn open_file(&self, name: &OsStr) -> Result<Option<File>, WriteError> {
        let path = self.path.join(name);
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
        // O_NONBLOCK: a FIFO swapped in for the file must not block the open.
        let file = match openat(&self.fd, name, flags | OFlags::NONBLOCK, Mode::empty()) {
            Ok(fd) => File::from(fd),
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => {
                return Err(WriteError::PathChanged {
                    component: path.clone(),
                    path,
                    source: Errno::LOOP.into(),
                })
            }
            Err(e) => return Err(write_err(&path, e)),
        };
        let meta = file.metadata().map_err(|e| WriteError::Write {
            path: path.clone(),
            source: e,
        })?;
        if !meta.is_file() {
            return Err(WriteError::NotAFile { path });
        }
        Ok(Some(file))
    }

    /// Reads at most `limit` bytes of `name` (a regular file, not through a symlink).
    pub(super) fn read(&self, name: &OsStr, limit: u64) -> Result<Vec<u8>, WriteError> {
        let path = self.path.join(name);
        let file = self.open_file(name)?.ok_or_else(|| WriteError::Write {
            path: path.clone(),
            source: io::ErrorKind::NotFound.into(),
        })?;
        let mut bytes = Vec::new();
        file.take(limit)
            .read_to_end(&mut bytes)
            .map_err(|source| WriteError::Write { path, source })?;
        Ok(bytes)
    }

    /// Replaces `name` with `contents`: a temp file created exclusively in this directory, given
    /// the old file's owner, mode and extended attributes, flushed, renamed over `name`.
    pub(super) fn replace(&self, name: &OsStr, contents: &[u8]) -> Result<(), WriteError> {
        let path = self.path.join(name);
        let failed = |source| WriteError::Write {
            path: path.clone(),
            source,
        };
        let old = self.open_file(name)?;
        let old_meta = old
            .as_ref()
            .map(File::metadata)
            .transpose()
            .map_err(failed)?;
        let temp = Temp::create(self, old_meta.is_none()).map_err(failed)?;
        let mut file = &temp.file;
        file.write_all(contents).map_err(failed)?;
        if let (Some(old), Some(meta)) = (&old, &old_meta) {
            keep_owner(&temp.file, meta);
            file.set_permissions(meta.permissions()).map_err(failed)?;
            copy_xattrs(old, &temp.file, &path)?;
        }
        file.sync_all().map_err(failed)?;
        renameat(&self.fd, &temp.name, &self.fd, name).map_err(|e| failed(e.into()))?;
        temp.renamed();
        self.sync().map_err(failed)
    }

    /// Removes the temp files of the safe write in this directory that `stale` says are left
    /// over: regular files only (looked at without following a symlink, never opened for I/O
    /// where there is `O_PATH`), each unlinked by name in the held directory. Returns their paths.
    pub(super) fn remove_stale(
        &self,
        stale: impl Fn(&str, &Metadata) -> bool,
    ) -> io::Result<Vec<PathBuf>> {
        let listing = openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let mut removed = Vec::new();
        for entry in rustix::fs::Dir::read_from(&listing)? {
            let entry = entry?;
            let Some(name) = entry
                .file_name()
                .to_str()
                .ok()
                .filter(|n| super::is_temp_name(n))
            else {
                continue;
            };
            let flags = SEARCH | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
            let file = match openat(&self.fd, name, flags, Mode::empty()) {
                Ok(fd) => File::from(fd),
                // A symlink (where O_PATH does not open the link itself), or gone already.
                Err(Errno::LOOP | Errno::NOENT) => continue,
                Err(e) => return Err(e.into()),
            };
            let meta = file.metadata()?;
            if !meta.is_file() || !stale(name, &meta) {
                continue;
            }
            match unlinkat(&self.fd, name, AtFlags::empty()) {
                Ok(()) => removed.push(self.path.join(name)),
                // Another run cleaned it first.
                Err(Errno::NOENT) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(removed)
    }

    /// Flushes the directory entry of the rename to disk.
    fn sync(&self) -> io::Result<()> {
        let dir = File::from(openat(
            &self.fd,
            ".",
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?);
        match dir.sync_all() {
            // Some file systems cannot flush a directory; the rename itself is still atomic.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => Ok(()),
            other => other,
        }
    }
}

/// A temp file of the safe write in a held directory; removed on drop unless renamed.
struct Temp<'a> {
    dir: &'a Dir,
    name: String,
    file: File,
    renamed: bool,
}

impl<'a> Temp<'a> {
    /// Creates `.tagman-<pid>-<random>.tmp` with `O_CREAT|O_EXCL|O_NOFOLLOW` (nothing at that
    /// name, not even a planted symlink, is opened), trying new names while one exists. A new
    /// file gets 0666 less the umask, as `fs::write` would give it; a replacement starts private.
    fn create(dir: &'a Dir, new_file: bool) -> io::Result<Self> {
        let mode = Mode::from_bits_truncate(if new_file { 0o666 } else { 0o600 });
        let flags = OFlags::WRONLY
            | OFlags::CREATE
            | OFlags::EXCL
            | OFlags::NOFOLLOW
            | OFlags::CLOEXEC
            | OFlags::NOCTTY;
        let mut last = Errno::EXIST;
        for _ in 0..64 {
            // The process id in the name tells a stale temp file (its writer killed) from a live one.
            let name = format!(
                "{TEMP_PREFIX}{}-{:016x}{TEMP_SUFFIX}",
                std::process::id(),
                fastrand::u64(..)
            );
            match openat(&dir.fd, name.as_str(), flags, mode) {
                Ok(fd) => {
                    return Ok(Self {
                        dir,
                        name,
                        file: File::from(fd),
                        renamed: false,
                    })
                }
                Err(Errno::EXIST) => last = Errno::EXIST,
                Err(e) => return Err(e.into()),
            }
        }
        Err(last.into())
    }

    fn renamed(mut self) {
        self.renamed = true;
    }
}

impl Drop for Temp<'_> {
    fn drop(&mut self) {
        if !self.renamed {
            // Best effort: a temp file left behind is cleaned by the next bump.
            let _ = unlinkat(&self.dir.fd, self.name.as_str(), AtFlags::empty());
        }
    }
}

/// Copies every extended attribute of `from` onto `to`. `user.*` attributes must be kept; those
/// of other namespaces (`security.*`, `trusted.*`, `system.*`) are kept where the kernel permits
/// this process to set them, as `cp --preserve=xattr` does.
fn copy_xattrs(from: &File, to: &File, path: &Path) -> Result<(), WriteError> {
    let failed = |name: &[u8], e: Errno| WriteError::Attribute {
        path: path.to_owned(),
        name: String::from_utf8_lossy(name).into_owned(),
        source: e.into(),
    };
    let mut list = vec![0_u8; XATTR_MAX];
    let len = match rustix::fs::flistxattr(from, &mut list[..]) {
        Ok(len) => len,
        // The file system keeps no attributes: there are none to copy.
        Err(Errno::NOTSUP) => return Ok(()),
        Err(e) => return Err(failed(b"(list)", e)),
    };
    let mut value = vec![0_u8; XATTR_MAX];
    for name in list[..len.min(XATTR_MAX)]
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
    {
        let size = match rustix::fs::fgetxattr(from, name, &mut value[..]) {
            Ok(size) => size.min(XATTR_MAX),
            // Removed since the list was read.
            Err(Errno::NODATA) => continue,
            Err(e) => return Err(failed(name, e)),
        };
        let set = rustix::fs::fsetxattr(to, name, &value[..size], rustix::fs::XattrFlags::empty());
        match set {
            Ok(()) => {}
            Err(Errno::PERM | Errno::ACCESS | Errno::NOTSUP) if !name.starts_with(b"user.") => {}
            Err(e) => return Err(failed(name, e)),
        }
    }
    Ok(())
}

/// Gives the temp file the old file's owner and group, where this user may (root may; others
/// may only keep their own), before its mode is set, as a change of owner clears set-id bits.
fn keep_owner(file: &File, old: &Metadata) {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(new) = file.metadata() else { return };
    if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
        // Not permitted is not an error: the file then belongs to whoever edits it.
        let _ = std::os::unix::fs::fchown(file, Some(old.uid()), Some(old.gid()));
    }
}

fn write_err(path: &Path, e: Errno) -> WriteError {
    WriteError::Write {
        path: path.to_owned(),
        source: e.into(),
    }
}
