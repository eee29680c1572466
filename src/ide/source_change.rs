//! The plain-data answer of every feature that changes files (rename, file moves, quick fixes):
//! text edits by file and byte range, plus at most one file operation. The core never writes a
//! file; the LSP shell turns a [`SourceChange`] into a `WorkspaceEdit` that the editor applies.
//!
//! Edits are kept sorted by file and position; edits that touch (one ends where the next
//! starts) are merged, so the result never holds two edits with overlapping or shared ranges.

use std::path::PathBuf;

use crate::text::{FileId, TextRange};

/// Replace `range` of `file` (as the index knows it) by `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdit {
    pub file: FileId,
    pub range: TextRange,
    pub new_text: String,
}

/// A file operation, applied after every text edit (which address files by their old paths).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileSystemEdit {
    /// Create a new file holding `text`; the editor must not overwrite an existing one.
    CreateFile { path: PathBuf, text: String },
    /// Rename a file; the editor must not overwrite an existing one.
    MoveFile { from: PathBuf, to: PathBuf },
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceChange {
    /// Sorted by file, then range; never overlapping.
    pub edits: Vec<FileEdit>,
    pub file_system: Option<FileSystemEdit>,
}

impl SourceChange {
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty() && self.file_system.is_none()
    }

    /// The files with text edits, each once, in order.
    pub fn files(&self) -> Vec<FileId> {
        let mut files: Vec<FileId> = self.edits.iter().map(|e| e.file).collect();
        files.dedup();
        files
    }
}

/// A block id promised to a paragraph of `file` by a completion item that links to it: the
/// edit that adds it is made when the editor runs the item's command (see
/// [`super::add_block_id`]), against the note's text of that moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewBlockId {
    pub file: FileId,
    /// The paragraph's text when the id was promised (to find it again).
    pub paragraph: String,
    /// Where the paragraph's text ended then: ` ^id` goes there.
    pub end: u32,
    /// The id, without `^`.
    pub id: String,
}

/// Collects edits in any order and produces a sorted, merged [`SourceChange`].
#[derive(Default)]
pub struct SourceChangeBuilder {
    edits: Vec<FileEdit>,
    file_system: Option<FileSystemEdit>,
}

impl SourceChangeBuilder {
    pub fn replace(&mut self, file: FileId, range: TextRange, new_text: impl Into<String>) {
        self.edits.push(FileEdit {
            file,
            range,
            new_text: new_text.into(),
        });
    }

    pub fn insert(&mut self, file: FileId, offset: u32, text: impl Into<String>) {
        self.replace(file, TextRange::empty(offset as usize), text);
    }

    pub fn file_system(&mut self, edit: FileSystemEdit) {
        self.file_system = Some(edit);
    }

    pub fn finish(mut self) -> SourceChange {
        // A stable sort keeps insertions at one offset in the order they were added.
        self.edits
            .sort_by_key(|e| (e.file, e.range.start, e.range.end));
        self.edits.dedup();
        let mut merged: Vec<FileEdit> = Vec::with_capacity(self.edits.len());
        for edit in self.edits {
            match merged.last_mut() {
                Some(last) if last.file == edit.file && last.range.end >= edit.range.start => {
                    // Touching edits become one; a genuine overlap keeps the first edit's text
                    // for the shared bytes (features never produce one).
                    if edit.range.start >= last.range.end || edit.range.is_empty() {
                        last.new_text.push_str(&edit.new_text);
                    }
                    last.range.end = last.range.end.max(edit.range.end);
                }
                _ => merged.push(edit),
            }
        }
        SourceChange {
            edits: merged,
            file_system: self.file_system,
        }
    }
}

/// Applies `edits` (sorted, non-overlapping, all for one file) to `text`. For tests and for
/// previewing; an edit outside the text is skipped.
pub fn apply_edits(text: &str, edits: &[&FileEdit]) -> String {
    let mut out = text.to_owned();
    for edit in edits.iter().rev() {
        if out.get(edit.range.as_usize()).is_some() {
            out.replace_range(edit.range.as_usize(), &edit.new_text);
        }
    }
    out
}
