//! The safe write's directory where there are no directory descriptors (not Unix): paths are
//! used as resolved, so a directory swapped on the path between the resolve and the write is
//! not caught here as it is on Unix, and extended attributes are not kept.

use std::ffi::OsStr;
use std::fs;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

use super::{WriteError, TEMP_PREFIX, TEMP_SUFFIX};

/// A directory a write lands in, by path.
#[derive(Debug)]
pub(super) struct Dir {
    path: PathBuf,
}

impl Dir {
    pub(super) fn open(path: &Path, _file: &Path) -> Result<Self, WriteError> {
        Ok(Self {
            path: path.to_owned(),
        })
    }

    pub(super) fn read(&self, name: &OsStr, limit: u64) -> Result<Vec<u8>, WriteError> {
        let path = self.path.join(name);
        let mut bytes = Vec::new();
        fs::File::open(&path)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .map_err(|source| WriteError::Write { path, source })?;
        Ok(bytes)
    }

    pub(super) fn replace(&self, name: &OsStr, contents: &[u8]) -> Result<(), WriteError> {
        let path = self.path.join(name);
        let failed = |source: io::Error| WriteError::Write {
            path: path.clone(),
            source,
        };
        let old = fs::symlink_metadata(&path)
            .ok()
            .filter(fs::Metadata::is_file);
        let prefix = format!("{TEMP_PREFIX}{}-", std::process::id());
        let mut temp = tempfile::Builder::new()
            .prefix(&prefix)
            .suffix(TEMP_SUFFIX)
            .tempfile_in(&self.path)
            .map_err(failed)?;
        temp.write_all(contents).map_err(failed)?;
        if let Some(old) = old {
            temp.as_file()
                .set_permissions(old.permissions())
                .map_err(failed)?;
        }
        temp.as_file().sync_all().map_err(failed)?;
        temp.persist(&path).map_err(|e| failed(e.error))?;
        Ok(())
    }

    pub(super) fn remove_stale(
        &self,
        stale: impl Fn(&str, &fs::Metadata) -> bool,
    ) -> io::Result<Vec<PathBuf>> {
        let mut removed = Vec::new();
        for entry in fs::read_dir(&self.path)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str().filter(|n| super::is_temp_name(n)) else {
                continue;
            };
            let meta = entry.metadata()?;
            if !meta.file_type().is_file() || !stale(name, &meta) {
                continue;
            }
            match fs::remove_file(entry.path()) {
                Ok(()) => removed.push(entry.path()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(removed)
    }
}
