//! A note's links with their texts ([`NoteLinks`]): a note the editor shows (or `check`
//! read) keeps them; a closed note keeps only where they are in its file
//! ([`crate::syntax::Retention::Compact`]), and its texts are read from the file again when an
//! answer asks for them: the one place where the workspace reads a file.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use crate::syntax::{Links, ParsedNote, Retention, parse_file};
use crate::vfs;

/// A note's links, readable with their texts (see [`NoteLinks::links`]).
pub struct NoteLinks<'a>(Source<'a>);

enum Source<'a> {
    /// The note keeps its link texts.
    Kept(&'a ParsedNote),
    /// The note's file, read again: the text the note was parsed from.
    Read(&'a ParsedNote, String),
    /// The file changed since the note was indexed (its watcher event is on its way), or
    /// cannot be read any more: its links as it now reads (none when it cannot be read), whose
    /// indices are not the index's (see [`indexed_note_links`]).
    Changed(Box<ParsedNote>),
}

impl NoteLinks<'_> {
    /// The links, in order.
    pub fn links(&self) -> Links<'_> {
        match &self.0 {
            Source::Kept(parsed) => parsed.links(),
            Source::Read(parsed, text) => parsed.links_in(text).unwrap_or(Links::EMPTY),
            Source::Changed(parsed) => parsed.links(),
        }
    }

    /// The note's text as read from its file, when it was read and is the one indexed (for
    /// whoever needs it too, so that the file is read once).
    pub fn read_text(&self) -> Option<&str> {
        match &self.0 {
            Source::Read(_, text) => Some(text),
            _ => None,
        }
    }
}

/// The links of `parsed`, the note at `path`, whose texts are read from the file (inside
/// `roots`) when the note does not keep them.
pub(super) fn note_links<'a>(
    roots: &[PathBuf],
    path: &Path,
    parsed: &'a ParsedNote,
) -> NoteLinks<'a> {
    match indexed_or_read(roots, path, parsed) {
        Ok(links) => links,
        Err(text) => {
            let parsed = text.map(|text| parse_file(path, &text, Retention::Full));
            NoteLinks(Source::Changed(Box::new(parsed.unwrap_or_default())))
        }
    }
}

/// `use_links` of the links of `parsed`, the note at `path` (see [`note_links`]): a closed
/// note's file is read into a buffer each thread keeps, with no allocation when it is the
/// text indexed.
pub(super) fn with_note_links<R>(
    roots: &[PathBuf],
    path: &Path,
    parsed: &ParsedNote,
    use_links: impl FnOnce(Links<'_>) -> R,
) -> R {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    if parsed.keeps_link_texts() {
        return use_links(parsed.links());
    }
    let read = BUFFER.with_borrow_mut(|buffer| {
        let read = vfs::read_note_again_into(path, roots, parsed.text_len() as usize, buffer);
        let text = read.and_then(|read| read.ok());
        match text.and_then(|text| parsed.links_in(text)) {
            Some(links) => ControlFlow::Break(use_links(links)),
            None => ControlFlow::Continue(use_links),
        }
    });
    match read {
        ControlFlow::Break(result) => result,
        // Changed since it was indexed, or unreadable: read and parsed as it now is.
        ControlFlow::Continue(use_links) => use_links(note_links(roots, path, parsed).links()),
    }
}

/// [`note_links`] when they are the links the note was indexed with; `None` when its file
/// changed since or cannot be read, with no parse of what it now holds.
pub(super) fn indexed_note_links<'a>(
    roots: &[PathBuf],
    path: &Path,
    parsed: &'a ParsedNote,
) -> Option<NoteLinks<'a>> {
    indexed_or_read(roots, path, parsed).ok()
}

/// The note's links as indexed, or else the text its file now holds (`None` when it cannot
/// be read).
fn indexed_or_read<'a>(
    roots: &[PathBuf],
    path: &Path,
    parsed: &'a ParsedNote,
) -> Result<NoteLinks<'a>, Option<String>> {
    if parsed.keeps_link_texts() {
        return Ok(NoteLinks(Source::Kept(parsed)));
    }
    let text = vfs::read_note_again(path, roots, parsed.text_len() as usize)
        .and_then(|read| read.map_err(|error| tracing::info!("{error}")).ok());
    let Some(text) = text else {
        return Err(None);
    };
    if parsed.links_in(&text).is_some() {
        return Ok(NoteLinks(Source::Read(parsed, text)));
    }
    tracing::debug!("{} changed since it was indexed", path.display());
    Err(Some(text))
}
