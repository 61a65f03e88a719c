//! A source file held in memory with a line index, read with a size cap and a UTF-8 check.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::span::{Position, Span};

/// Default cap on the size of a file tagman reads: 16 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Why a file could not be read as text.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// The file could not be opened or read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path as given.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than the configured cap.
    #[error("{path} is {size} bytes, over the {limit}-byte limit (raise `max_file_size` in tagman.yaml if this file is genuine)")]
    TooLarge {
        /// The path as given.
        path: PathBuf,
        /// The file's size, or the bytes read before giving up.
        size: u64,
        /// The cap in force.
        limit: u64,
    },
    /// The file is not UTF-8.
    #[error("{path} is not UTF-8 text: invalid byte at line {}, column {} (byte offset {})", invalid.position.line, invalid.position.column, invalid.offset)]
    NotUtf8 {
        /// The path as given.
        path: PathBuf,
        /// Where the first invalid byte is, with the text before it.
        invalid: Box<InvalidUtf8>,
    },
}

/// Bytes that are not UTF-8: where the first invalid byte is, and the valid text before it (so a
/// finding can show the line it stops on, whatever the bytes came from).
#[derive(Clone, Debug)]
pub struct InvalidUtf8 {
    /// Byte offset of the first invalid byte.
    pub offset: usize,
    /// Where that byte stands.
    pub position: Position,
    /// The text up to that byte, under the same name and revision.
    pub valid: SourceFile,
}

/// A file's name and text, with a line index for turning byte offsets into positions.
///
/// The name is the file's identity (a path as given, or repository-relative for a file read from
/// git); a file read at a revision also carries the revision, which human output shows
/// (`HEAD~1:image-tags.yaml`) and machine formats leave out so annotations attach to the file.
/// A file known to lie in a repository carries its path there, which machine formats name it by
/// wherever tagman runs (a working-tree file named `image-tags.yaml` from `sub/` is
/// `sub/image-tags.yaml` in the repository).
#[derive(Clone, Debug)]
pub struct SourceFile {
    name: Arc<str>,
    // One pointer for both, which most files lack: errors holding a file stay small.
    place: Option<Arc<Place>>,
    text: Arc<str>,
    line_starts: Arc<[usize]>,
}

/// Where a file came from, beyond its name.
#[derive(Clone, Debug, Default)]
struct Place {
    revision: Option<Arc<str>>,
    repository_path: Option<Arc<str>>,
}

impl SourceFile {
    /// A source from text already in memory; `name` is what findings show as the file.
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let line_starts = line_starts(text.as_bytes()).into();
        Self {
            name: name.into(),
            place: None,
            text,
            line_starts,
        }
    }

    /// The same file, read at `revision` (a commit, `index`).
    #[must_use]
    pub fn at_revision(mut self, revision: impl Into<Arc<str>>) -> Self {
        let mut place = self.place.as_deref().cloned().unwrap_or_default();
        place.revision = Some(revision.into());
        self.place = Some(Arc::new(place));
        self
    }

    /// The same file, known to lie at `path` (`/`-separated, relative to the root) in its
    /// repository.
    #[must_use]
    pub fn in_repository(mut self, path: impl Into<Arc<str>>) -> Self {
        let mut place = self.place.as_deref().cloned().unwrap_or_default();
        place.repository_path = Some(path.into());
        self.place = Some(Arc::new(place));
        self
    }

    /// Reads `path` (or standard input for `-`), refusing files over `max_size` bytes and
    /// bytes that are not UTF-8.
    pub fn read(path: &Path, max_size: u64) -> Result<Self, SourceError> {
        let bytes = read_capped(path, max_size)?;
        Self::from_bytes(path.to_string_lossy(), bytes).map_err(|invalid| SourceError::NotUtf8 {
            path: path.to_path_buf(),
            invalid: Box::new(invalid),
        })
    }

    /// A source from raw bytes; invalid UTF-8 is reported with the valid text before it.
    pub fn from_bytes(name: impl Into<Arc<str>>, bytes: Vec<u8>) -> Result<Self, InvalidUtf8> {
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Self::new(name, text)),
            Err(err) => {
                let offset = err.utf8_error().valid_up_to();
                let mut bytes = err.into_bytes();
                bytes.truncate(offset);
                let valid = Self::new(name, String::from_utf8_lossy(&bytes).into_owned());
                Err(InvalidUtf8 {
                    offset,
                    position: valid.position(offset),
                    valid,
                })
            }
        }
    }

    /// The file's identity: the path as given, or repository-relative when read from git.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The revision the file was read at, if it was read from git.
    pub fn revision(&self) -> Option<&str> {
        self.place.as_ref()?.revision.as_deref()
    }

    /// Where the file lies in its repository, relative to the root, when that is known: what
    /// machine formats name it by.
    pub fn repository_path(&self) -> Option<&str> {
        self.place.as_ref()?.repository_path.as_deref()
    }

    /// The name people read: `REV:path` for a file read at a revision, else the name.
    pub fn display_name(&self) -> std::borrow::Cow<'_, str> {
        match self.revision() {
            Some(rev) => std::borrow::Cow::Owned(format!("{rev}:{}", self.name)),
            None => std::borrow::Cow::Borrowed(&self.name),
        }
    }

    /// The shared name.
    pub fn name_arc(&self) -> Arc<str> {
        Arc::clone(&self.name)
    }

    /// The whole text (a leading byte-order mark included, so offsets match the file).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The shared text.
    pub fn text_arc(&self) -> Arc<str> {
        Arc::clone(&self.text)
    }

    /// The text under `span`, or `""` when the span is out of range.
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.offset..span.end()).unwrap_or("")
    }

    /// The 1-based line and character column of byte `offset` (clamped to the text).
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line_index = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.line_starts.get(line_index).copied().unwrap_or(0);
        let column = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Position {
            line: line_index + 1,
            column,
        }
    }

    /// The byte offset of 1-based `line` and character `column`, if the file has them.
    pub fn offset_of(&self, line: usize, column: usize) -> Option<usize> {
        let start = *self.line_starts.get(line.checked_sub(1)?)?;
        let rest = self.text.get(start..)?;
        let skip = column.checked_sub(1)?;
        match rest.char_indices().nth(skip) {
            Some((i, _)) => Some(start + i),
            None if rest.chars().count() == skip => Some(self.text.len()),
            None => None,
        }
    }

    /// The number of lines.
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

/// Reads at most `max_size` bytes of `path` (standard input for `-`): a larger file is refused
/// before it is read, and a file that grows while it is read is refused too.
pub fn read_capped(path: &Path, max_size: u64) -> Result<Vec<u8>, SourceError> {
    let io = |source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    };
    let too_large = |size| SourceError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit: max_size,
    };
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(max_size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
    } else {
        let file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map_err(io)?.len();
        if size > max_size {
            return Err(too_large(size));
        }
        file.take(max_size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(io)?;
    }
    if bytes.len() as u64 > max_size {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

fn line_starts(bytes: &[u8]) -> Vec<usize> {
    // memchr's vectorised search: this runs on every file `tagman refs` reads into a source.
    let mut starts = vec![0];
    starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
    starts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_lines() {
        let src = SourceFile::new("t", "ab\nçd\r\nx");
        assert_eq!(src.position(0), Position { line: 1, column: 1 });
        assert_eq!(src.position(3), Position { line: 2, column: 1 });
        // 'd' follows a two-byte character.
        assert_eq!(src.position(5), Position { line: 2, column: 2 });
        assert_eq!(src.position(8), Position { line: 3, column: 1 });
        assert_eq!(src.offset_of(2, 2), Some(5));
        assert_eq!(src.offset_of(9, 1), None);
    }

    #[test]
    fn a_revision_shows_in_the_display_name_only() {
        let src = SourceFile::new("image-tags.yaml", "").at_revision("HEAD~1");
        assert_eq!(src.name(), "image-tags.yaml");
        assert_eq!(src.display_name(), "HEAD~1:image-tags.yaml");
        assert_eq!(SourceFile::new("a", "").display_name(), "a");
    }

    #[test]
    fn a_repository_path_leaves_the_name_alone() {
        let src = SourceFile::new("image-tags.yaml", "").in_repository("sub/image-tags.yaml");
        assert_eq!(src.name(), "image-tags.yaml");
        assert_eq!(src.display_name(), "image-tags.yaml");
        assert_eq!(src.repository_path(), Some("sub/image-tags.yaml"));
        assert_eq!(SourceFile::new("a", "").repository_path(), None);
    }

    #[test]
    fn invalid_utf8_reports_first_bad_byte() {
        let err = SourceFile::from_bytes("t", b"a: b\nc: \xff\n".to_vec()).unwrap_err();
        assert_eq!(err.offset, 8);
        assert_eq!(err.position, Position { line: 2, column: 4 });
        assert_eq!(err.valid.text(), "a: b\nc: ");
        assert_eq!(err.valid.name(), "t");
    }
}
