//! Vocabulary shared by the whole core: file ids and byte ranges.
//!
//! Every position inside the core is a UTF-8 byte offset into a note's text. Line and column
//! numbers in any encoding exist only at the edges (the LSP shell and the `check` report), which
//! convert through [`crate::line_index::LineIndex`].

use std::fmt;

/// A file known to the workspace. Ids are never reused, so a stale id simply finds nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct FileId(pub u32);

/// A half-open range of UTF-8 byte offsets, `start..end`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TextRange {
    pub start: u32,
    pub end: u32,
}

impl TextRange {
    pub fn new(start: usize, end: usize) -> TextRange {
        debug_assert!(start <= end, "inverted range {start}..{end}");
        TextRange {
            start: to_u32(start),
            end: to_u32(end),
        }
    }

    pub fn empty(offset: usize) -> TextRange {
        TextRange::new(offset, offset)
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// True when `offset` lies inside the range or touches its end (a cursor right after the
    /// last character still belongs to the range, as editors expect).
    pub fn contains_inclusive(self, offset: u32) -> bool {
        self.start <= offset && offset <= self.end
    }

    pub fn contains_range(self, other: TextRange) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    pub fn shifted(self, delta: usize) -> TextRange {
        TextRange::new(self.start as usize + delta, self.end as usize + delta)
    }

    pub fn as_usize(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }
}

impl fmt::Debug for TextRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{}", self.start, self.end)
    }
}

/// A cursor in one file.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct FilePosition {
    pub file: FileId,
    pub offset: u32,
}

/// A range in one file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct FileRange {
    pub file: FileId,
    pub range: TextRange,
}

/// Converts an offset to `u32`, saturating: notes larger than 4 GiB are not supported and the
/// walker skips them long before this matters.
pub fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}
