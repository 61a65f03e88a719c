//! Byte spans and 1-based line/column positions, the currency every finding is paid in.

use serde::Serialize;

/// A byte range in one source file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    /// Byte offset of the first byte.
    pub offset: usize,
    /// Length in bytes (zero for a point).
    pub len: usize,
}

impl Span {
    /// A span from `offset`, `len` bytes long.
    pub const fn new(offset: usize, len: usize) -> Self {
        Self { offset, len }
    }

    /// The offset one past the last byte.
    pub const fn end(&self) -> usize {
        self.offset + self.len
    }

    /// A sub-span `start..start+len` relative to this span's start.
    pub fn sub(&self, start: usize, len: usize) -> Self {
        Self::new(self.offset + start, len)
    }
}

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

/// A value together with where it was written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Spanned<T> {
    /// The value.
    pub value: T,
    /// Where it stands in its file.
    pub span: Span,
}

impl<T> Spanned<T> {
    /// Pairs `value` with `span`.
    pub const fn new(value: T, span: Span) -> Self {
        Self { value, span }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}
