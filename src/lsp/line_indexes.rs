//! Each note's line index, for converting an answer's byte ranges ([`LineIndexes`]): the one
//! the note has, else one made from the file on disk.
//!
//! A note read from disk is indexed without its line index (see
//! [`crate::syntax::Retention`]): at 100,000 notes they took 12 MB and 80 ms of the load,
//! while the answers of a session name a few of the closed notes (a definition's target, the
//! places of references, a rename's edits, symbols, a lens's backlinks). The first answer that
//! names one reads its file and gives the note the index it made, for the next answers
//! (until the note changes; not one made from a file that changed since it was indexed, whose
//! new note is on its way). Publishing diagnostics does not give any: after indexing it names
//! every note with a problem, and would put the indexes back.

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::line_index::LineIndex;
use crate::text::FileId;
use crate::vfs;
use crate::workspace::Workspace;

/// How many closed notes without a line index [`LineIndexes::prefetch`] reads in parallel at
/// least; fewer are read one by one when asked for (a read takes a few microseconds).
const PREFETCH_AT_LEAST: usize = 16;

/// The line indexes of the notes one answer names, for converting its ranges.
pub(super) struct LineIndexes<'w> {
    workspace: &'w Workspace,
    /// Whether an index made from a file is given to its note, or only kept for this answer
    /// (in `made`).
    give_to_notes: bool,
    /// The indexes made for this answer only (all of them, or those of files changed since
    /// they were indexed); `None` for a file that could not be read: each file is read once
    /// an answer.
    made: RefCell<HashMap<FileId, Option<Rc<LineIndex>>>>,
}

/// A note's line index: the note's own, or one made for an answer only.
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
    /// For a request's answer: an index made from a file is given to its note.
    pub(super) fn new(workspace: &'w Workspace) -> LineIndexes<'w> {
        LineIndexes {
            workspace,
            give_to_notes: true,
            made: RefCell::default(),
        }
    }

    /// For published diagnostics: an index made from a file is kept for this answer only.
    pub(super) fn for_diagnostics(workspace: &'w Workspace) -> LineIndexes<'w> {
        LineIndexes {
            give_to_notes: false,
            ..LineIndexes::new(workspace)
        }
    }

    /// The workspace whose notes these are.
    pub(super) fn workspace(&self) -> &'w Workspace {
        self.workspace
    }

    /// Makes the line indexes of the notes among `files` that have none at once, on all
    /// cores, when there are enough of them to be worth it (references, symbols, a rename's
    /// edits, a lens's places: an answer may name hundreds of notes, and most of its time is
    /// their reads).
    pub(super) fn prefetch(&self, files: impl IntoIterator<Item = FileId>) {
        if !self.give_to_notes {
            return;
        }
        let mut wanted: Vec<FileId> = files
            .into_iter()
            .filter(|&file| {
                let note = self.workspace.note(file);
                note.is_some_and(|note| note.parsed.line_index().is_none())
            })
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        if wanted.len() < PREFETCH_AT_LEAST {
            return;
        }
        use rayon::prelude::*;
        let (workspace, roots) = (self.workspace, self.workspace.roots());
        // The notes keep theirs; the others (changed since, or unreadable) are kept here.
        let not_given: Vec<(FileId, Option<LineIndex>)> = wanted
            .par_iter()
            .filter_map(|&file| {
                let note = workspace.note(file)?;
                let index = read(roots, &note.path, note.parsed.text_len());
                match index {
                    Some(index) if index.text_len() == note.parsed.text_len() => {
                        note.parsed.keep_line_index(index);
                        None
                    }
                    index => Some((file, index)),
                }
            })
            .collect();
        let mut made = self.made.borrow_mut();
        made.extend(
            not_given
                .into_iter()
                .map(|(file, index)| (file, index.map(Rc::new))),
        );
    }

    /// Makes `file`'s line index for this answer from `text`, the note's text read already
    /// (see [`crate::workspace::NoteLinks::read_text`]), unless the note has one.
    pub(super) fn know(&self, file: FileId, text: &str) {
        let has_one = self
            .workspace
            .note(file)
            .map(|n| n.parsed.line_index().is_some());
        if has_one == Some(false) {
            let index = Rc::new(LineIndex::new(text));
            self.made.borrow_mut().insert(file, Some(index));
        }
    }

    /// `file`'s line index; `None` for a file that is not a note, or a note without one whose
    /// file cannot be read (gone since it was indexed, or not inside the roots any more).
    pub(super) fn get(&self, file: FileId) -> Option<LineIndexRef<'w>> {
        let note = self.workspace.note(file)?;
        if let Some(index) = note.parsed.line_index() {
            return Some(LineIndexRef::Kept(index));
        }
        if let Some(made) = self.made.borrow().get(&file) {
            return made.clone().map(LineIndexRef::Made);
        }
        let index = read(self.workspace.roots(), &note.path, note.parsed.text_len());
        match index {
            // A file changed since it was indexed gets a new note soon: this one keeps no
            // index of another text, and neither does a note whose file cannot be read.
            Some(index) if self.give_to_notes && index.text_len() == note.parsed.text_len() => {
                Some(LineIndexRef::Kept(note.parsed.keep_line_index(index)))
            }
            index => {
                let made = index.map(Rc::new);
                self.made.borrow_mut().insert(file, made.clone());
                made.map(LineIndexRef::Made)
            }
        }
    }
}

/// The line index of the note at `path`, from its file (only inside the roots, never through a
/// symlink).
fn read(roots: &[PathBuf], path: &Path, indexed_len: u32) -> Option<LineIndex> {
    if !vfs::is_readable_in_roots(path, roots) {
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
