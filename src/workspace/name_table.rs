//! The name table and the name facts: what name searches (completion, workspace symbols) read.
//! [`NameFacts`] is one dense record per note (character mask, [`NameKey`]s of the id and title,
//! KB, id head); [`NameTable`] holds every note's id, title, aliases and headings in one buffer
//! with a [`char_mask`] for each, so a search screens masks before it reads any name.

use super::hash::text_head;
use super::note::{KbId, NameKey, Note, char_mask};
use crate::text::FileId;

/// What name searches read about each note, in one dense array by file id
/// ([`super::Workspace::name_facts`]): a scan of 100k notes then reads a few MB in order
/// instead of chasing a pointer into every note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameFacts {
    /// [`Note::name_mask`]; 0 for a removed note.
    pub mask: u64,
    pub id_key: Option<NameKey>,
    pub title_key: Option<NameKey>,
    /// The id's head (`hash::text_head`): orders notes by id without reading most ids.
    pub id_head: u64,
    /// The id's length in bytes.
    pub id_len: u32,
    pub kb: KbId,
    /// Whether a note has this file id (false once removed).
    pub live: bool,
    /// [`Note::entry`].
    pub entry: bool,
}

impl NameFacts {
    pub(super) const REMOVED: NameFacts = NameFacts {
        mask: 0,
        id_key: None,
        title_key: None,
        id_head: 0,
        id_len: 0,
        kb: KbId(0),
        live: false,
        entry: false,
    };

    pub(super) fn of(note: &Note) -> NameFacts {
        NameFacts {
            mask: note.name_mask,
            id_key: note.id_key,
            title_key: note.title_key,
            id_head: text_head(note.id()),
            id_len: note.id().len() as u32,
            kb: note.kb,
            live: true,
            entry: note.entry,
        }
    }
}

/// [`NameEntry::kind`] of a note's id, title or alias.
pub const NOTE_NAME: u32 = u32::MAX;

/// Marks the entries of a replaced or removed note.
const DEAD: FileId = FileId(u32::MAX);

/// A name in a [`NameTable`].
#[derive(Clone, Copy, Debug)]
pub struct NameEntry {
    start: u32,
    len: u32,
    pub file: FileId,
    /// [`NOTE_NAME`] for the id, [`Note::title`] or an alias; else the heading's index.
    pub kind: u32,
}

/// Every note's id, title, aliases and heading texts, as written, in one buffer, with a
/// [`char_mask`] for each in a dense array: a search screens the masks and reads only the
/// names that pass, sequentially, instead of chasing each note's separately allocated strings.
///
/// A note's entries are contiguous: its id, title and aliases (in that order), then its
/// headings. Replacing or removing a note leaves its old entries behind as dead ones; the
/// workspace rebuilds the table when they outnumber the live ones.
#[derive(Default)]
pub struct NameTable {
    text: String,
    masks: Vec<u64>,
    entries: Vec<NameEntry>,
    /// By file id: the range of the note's entries.
    spans: Vec<(u32, u32)>,
    dead: usize,
}

impl NameTable {
    pub(super) fn insert(&mut self, file: FileId, note: &Note) {
        self.remove(file);
        let start = self.entries.len() as u32;
        let names = std::iter::once(note.id())
            .chain(std::iter::once(note.title()))
            .chain(note.aliases())
            .map(|name| (name, NOTE_NAME));
        let headings = note
            .parsed
            .headings()
            .iter()
            .enumerate()
            .map(|(index, heading)| (heading.text, index as u32));
        for (name, kind) in names.chain(headings) {
            self.masks.push(char_mask(name));
            self.entries.push(NameEntry {
                start: self.text.len() as u32,
                len: name.len() as u32,
                file,
                kind,
            });
            self.text.push_str(name);
        }
        let index = file.0 as usize;
        if self.spans.len() <= index {
            self.spans.resize(index + 1, (0, 0));
        }
        self.spans[index] = (start, self.entries.len() as u32);
    }

    pub(super) fn remove(&mut self, file: FileId) {
        let Some(span) = self.spans.get_mut(file.0 as usize) else {
            return;
        };
        let (start, end) = std::mem::take(span);
        for entry in &mut self.entries[start as usize..end as usize] {
            entry.file = DEAD;
        }
        self.dead += (end - start) as usize;
    }

    /// The live entries whose [`char_mask`] holds all the bits of `mask`, with their text;
    /// each note's entries together, in the order described on [`NameTable`].
    pub fn matching(&self, mask: u64) -> impl Iterator<Item = (&str, NameEntry)> {
        self.matching_in(mask, 0..self.entries.len())
    }

    /// [`NameTable::matching`] among the entries at `range` (of `0..len()`), to split a scan
    /// between threads; a note's entries may then straddle two ranges.
    pub fn matching_in(
        &self,
        mask: u64,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (&str, NameEntry)> {
        let range = range.start.min(self.entries.len())..range.end.min(self.entries.len());
        self.masks[range.clone()]
            .iter()
            .zip(&self.entries[range])
            .filter(move |&(&names, entry)| names & mask == mask && entry.file != DEAD)
            .map(|(_, &entry)| {
                let start = entry.start as usize;
                (&self.text[start..start + entry.len as usize], entry)
            })
    }

    /// Whether most of the table is entries of replaced or removed notes (time to rebuild it).
    pub(super) fn is_mostly_dead(&self) -> bool {
        self.dead > 4096 && self.dead > self.entries.len() / 2
    }

    /// How many entries the table holds (dead ones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
