//! Each note's line index, for converting one answer's byte ranges ([`LineIndexes`]): the one
//! a note keeps when the editor shows it, else one made again from the file on disk.
//!
//! The index keeps no line index for a note read from disk (see
//! [`crate::syntax::LineIndexing`]): at 100,000 notes they took 12 MB and 80 ms of the load,
//! while an answer names a few closed notes at most (a definition's target, the places of
//! references, a rename's edits, the notes whose diagnostics are published). Such a note's
//! file is read again when its positions are asked for, once per answer.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;
use std::rc::Rc;

use crate::line_index::LineIndex;
use crate::text::FileId;
use crate::vfs;
use crate::workspace::Workspace;

/// The line indexes of the notes one answer names, for converting its ranges: made again from
/// disk for closed notes, at most once each.
pub(super) struct LineIndexes<'w> {
    workspace: &'w Workspace,
    /// The indexes made from disk so far; `None` for a file that could not be read.
    made: RefCell<HashMap<FileId, Option<Rc<LineIndex>>>>,
}

/// A note's line index: the note's own, or one made from its file.
pub(super) enum LineIndexRef<'w> {
    Kept(&'w LineIndex),
    Made(Rc<LineIndex>),
}

impl Deref for LineIndexRef<'_> {
    type Target = LineIndex;

    fn deref(&self) -> &LineIndex {
        match self {
            LineIndexRef::Kept(index) => index,
            LineIndexRef::Made(index) => index,
        }
    }
}

impl<'w> LineIndexes<'w> {
    pub(super) fn new(workspace: &'w Workspace) -> LineIndexes<'w> {
        LineIndexes {
            workspace,
            made: RefCell::default(),
        }
    }

    /// The workspace whose notes these are.
    pub(super) fn workspace(&self) -> &'w Workspace {
        self.workspace
    }

    /// `file`'s line index; `None` for a file that is not a note, or a closed note whose file
    /// cannot be read (gone since it was indexed, or not inside the roots any more).
    pub(super) fn get(&self, file: FileId) -> Option<LineIndexRef<'w>> {
        let note = self.workspace.note(file)?;
        if let Some(index) = note.parsed.line_index() {
            return Some(LineIndexRef::Kept(index));
        }
        if let Some(made) = self.made.borrow().get(&file) {
            return made.clone().map(LineIndexRef::Made);
        }
        let made = self.read(&note.path, note.parsed.text_len()).map(Rc::new);
        self.made.borrow_mut().insert(file, made.clone());
        made.map(LineIndexRef::Made)
    }

    /// The line index of the closed note at `path`, from its file (only inside the roots,
    /// never through a symlink).
    fn read(&self, path: &std::path::Path, indexed_len: u32) -> Option<LineIndex> {
        if !vfs::is_readable_in_roots(path, self.workspace.roots()) {
            return None;
        }
        let text = vfs::read_text(path)
            .map_err(|error| tracing::info!("{error}"))
            .ok()?;
        if text.len() != indexed_len as usize {
            // Changed on disk since it was indexed: the watcher's event is on its way, and the
            // positions are made from what the editor will open.
            tracing::debug!("{} changed since it was indexed", path.display());
        }
        Some(LineIndex::new(&text))
    }
}
