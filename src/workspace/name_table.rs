//! The name table and the name facts: what name searches (completion, workspace symbols) read.
//! [`NameFacts`] is one dense record per note (character mask, [`NameKey`]s of the id and title,
//! KB, id head); [`NameTable`] holds every note's id, title and aliases in one [`NameList`]
//! and its headings in another, each a buffer of texts with a [`char_mask`] for each, so a
//! search screens masks before it reads any name, and completion reads no heading.

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
    /// [`NameKey`]s of the id and of [`Note::title`]: whole-name and prefix tests of short
    /// queries without reading the names themselves.
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

    /// The facts of `note` (computed: the note does not keep them).
    pub fn of(note: &Note) -> NameFacts {
        NameFacts {
            mask: note.name_mask(),
            id_key: NameKey::of(note.id()),
            title_key: NameKey::of(note.title()),
            id_head: text_head(note.id()),
            id_len: note.id().len() as u32,
            kb: note.kb,
            live: true,
            entry: note.entry,
        }
    }
}

/// Marks the entries of a replaced or removed note.
const DEAD: FileId = FileId(u32::MAX);

/// A name found by a [`NameList`] scan: the note it belongs to and which of the note's names
/// (in the note names: 0 the id, 1 the title, then the aliases; in the headings: the
/// heading's index in the note).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameEntry {
    pub file: FileId,
    pub index: u32,
}

/// Every note's names and headings, in two [`NameList`]s: completion reads only the names,
/// workspace symbols both.
///
/// Replacing or removing a note leaves its old entries behind as dead ones; the workspace
/// rebuilds the table when they outnumber the live ones.
#[derive(Default)]
pub struct NameTable {
    /// Each note's id, title and aliases, in that order.
    note_names: NameList,
    /// Each note's heading texts, in order.
    headings: NameList,
}

impl NameTable {
    pub(super) fn insert(&mut self, file: FileId, note: &Note) {
        let names = std::iter::once(note.id())
            .chain(std::iter::once(note.title()))
            .chain(note.aliases());
        self.note_names.insert(file, names);
        let headings = note.parsed.headings().iter().map(|heading| heading.text);
        self.headings.insert(file, headings);
    }

    pub(super) fn remove(&mut self, file: FileId) {
        self.note_names.remove(file);
        self.headings.remove(file);
    }

    /// The notes' ids, titles and aliases.
    pub fn note_names(&self) -> &NameList {
        &self.note_names
    }

    /// The notes' heading texts.
    pub fn headings(&self) -> &NameList {
        &self.headings
    }

    /// Whether most of the table is entries of replaced or removed notes (time to rebuild it).
    pub(super) fn is_mostly_dead(&self) -> bool {
        let dead = self.note_names.dead + self.headings.dead;
        let len = self.note_names.len() + self.headings.len();
        dead > 4096 && dead > len / 2
    }
}

/// One kind of name of every note (see [`NameTable`]) as written, in one buffer, with a
/// [`char_mask`] for each in a dense array of small records: a search screens the masks and
/// reads only the names that pass, in order, instead of chasing each note's separately
/// allocated strings. A note's entries are contiguous.
#[derive(Default)]
pub struct NameList {
    text: String,
    /// One per entry; the entry's text runs from its start to the next entry's.
    records: Vec<NameRecord>,
    /// By file id: the range of the note's entries.
    spans: Vec<(u32, u32)>,
    dead: usize,
}

/// An entry of a [`NameList`]: what a scan reads of every entry, in 16 bytes.
#[derive(Clone, Copy, Debug)]
struct NameRecord {
    /// [`char_mask`] of the text.
    mask: u64,
    /// Where the text starts in [`NameList::text`].
    start: u32,
    /// [`DEAD`] once the note is replaced or removed.
    file: FileId,
}

impl NameList {
    fn insert<'a>(&mut self, file: FileId, names: impl Iterator<Item = &'a str>) {
        self.remove(file);
        let start = self.records.len() as u32;
        for name in names {
            self.records.push(NameRecord {
                mask: char_mask(name),
                start: self.text.len() as u32,
                file,
            });
            self.text.push_str(name);
        }
        let index = file.0 as usize;
        if self.spans.len() <= index {
            self.spans.resize(index + 1, (0, 0));
        }
        self.spans[index] = (start, self.records.len() as u32);
    }

    fn remove(&mut self, file: FileId) {
        let Some(span) = self.spans.get_mut(file.0 as usize) else {
            return;
        };
        let (start, end) = std::mem::take(span);
        for record in &mut self.records[start as usize..end as usize] {
            record.file = DEAD;
        }
        self.dead += (end - start) as usize;
    }

    /// The live entries whose [`char_mask`] holds all the bits of `mask`, with their text;
    /// each note's entries together, in the order described on [`NameTable`].
    pub fn matching(&self, mask: u64) -> impl Iterator<Item = (&str, NameEntry)> {
        self.matching_in(mask, 0..self.records.len())
    }

    /// [`NameList::matching`] among the entries at `range` (of `0..len()`), to split a scan
    /// between threads; a note's entries may then straddle two ranges.
    pub fn matching_in(
        &self,
        mask: u64,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (&str, NameEntry)> {
        let range = range.start.min(self.records.len())..range.end.min(self.records.len());
        range
            .filter(move |&i| {
                let record = &self.records[i];
                record.mask & mask == mask && record.file != DEAD
            })
            .map(|i| {
                let record = self.records[i];
                let end = self
                    .records
                    .get(i + 1)
                    .map_or(self.text.len(), |next| next.start as usize);
                let first = self.spans[record.file.0 as usize].0;
                let entry = NameEntry {
                    file: record.file,
                    index: i as u32 - first,
                };
                (&self.text[record.start as usize..end], entry)
            })
    }

    /// How many entries the list holds (dead ones included).
    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fmt::Write;
    use std::path::PathBuf;

    use expect_test::expect;

    use super::{NameList, char_mask};
    use crate::syntax::parse_note;
    use crate::workspace::{IndexConfig, Workspace};

    /// A list's live entries that hold `mask`, one line each: note path, index, text; sorted,
    /// so that a workspace built otherwise (other file ids, other order) renders the same.
    fn render(workspace: &Workspace, list: &NameList, mask: u64) -> String {
        let mut lines: Vec<String> = list
            .matching(mask)
            .map(|(text, entry)| {
                let path = workspace.path(entry.file).unwrap().display();
                format!("{path} {} {text:?}", entry.index)
            })
            .collect();
        lines.sort();
        lines.join("\n")
    }

    /// Both lists of `workspace`, for `mask`.
    fn lists(workspace: &Workspace, mask: u64) -> String {
        let names = workspace.names();
        format!(
            "names:\n{}\nheadings:\n{}\n",
            render(workspace, names.note_names(), mask),
            render(workspace, names.headings(), mask)
        )
    }

    #[test]
    fn lists_hold_names_then_headings_of_live_notes() {
        let root = PathBuf::from("/ws");
        let mut workspace = Workspace::new(vec![root.clone()], IndexConfig::default());
        let mut set = |name: &str, text: &str| {
            workspace.set_note(root.join(name), parse_note(text));
        };
        set(
            "a.md",
            "---\nid: alpha\naliases: [First, Ä]\n---\n# One\n## Two\n",
        );
        set("b.md", "# Beta\n");
        set("c.md", "---\ntitle: Gone\n---\n# Soon\n");
        set(
            "a.md",
            "---\nid: alpha\naliases: [Prime]\n---\n# One\n### Three\n",
        );
        workspace.remove_note(&root.join("c.md"));
        expect![[r#"
            names:
            /ws/a.md 0 "alpha"
            /ws/a.md 1 "One"
            /ws/a.md 2 "Prime"
            /ws/b.md 0 "b"
            /ws/b.md 1 "Beta"
            headings:
            /ws/a.md 0 "One"
            /ws/a.md 1 "Three"
            /ws/b.md 0 "Beta"
        "#]]
        .assert_eq(&lists(&workspace, 0));
        // Masks screen: only texts with an `e` and a `t`.
        expect![[r#"
            names:
            /ws/b.md 1 "Beta"
            headings:
            /ws/a.md 1 "Three"
            /ws/b.md 0 "Beta"
        "#]]
        .assert_eq(&lists(&workspace, char_mask("te")));
    }

    #[test]
    fn lists_after_many_edits_equal_a_fresh_build() {
        let root = PathBuf::from("/ws");
        let mut workspace = Workspace::new(vec![root.clone()], IndexConfig::default());
        let mut texts: BTreeMap<PathBuf, String> = BTreeMap::new();
        let masks = [
            0,
            char_mask("e"),
            char_mask("ti"),
            char_mask("h2"),
            u64::MAX,
        ];
        for round in 0..4_000u32 {
            let path = root.join(format!("n{}.md", round % 40));
            if round % 7 == 3 {
                workspace.remove_note(&path);
                texts.remove(&path);
            } else {
                // Each edit leaves its old entries dead: the lists are rebuilt now and then.
                let mut text = format!(
                    "---\nid: note-{}\ntitle: Title {round}\naliases: [Hive {}]\n---\n",
                    round % 17,
                    round % 3
                );
                for heading in 0..round % 5 {
                    writeln!(text, "## Heading {heading} of {round}").unwrap();
                }
                workspace.set_note(path.clone(), parse_note(&text));
                texts.insert(path, text);
            }
            if round % 500 == 499 {
                let mut fresh = Workspace::new(vec![root.clone()], IndexConfig::default());
                fresh.extend_notes(
                    texts
                        .iter()
                        .map(|(path, text)| (path.clone(), parse_note(text)))
                        .collect(),
                );
                for mask in masks {
                    assert_eq!(
                        lists(&workspace, mask),
                        lists(&fresh, mask),
                        "round {round}, mask {mask:x}"
                    );
                }
            }
        }
        // The dead entries were dropped along the way.
        let names = workspace.names();
        let live = names.note_names().matching(0).count() + names.headings().matching(0).count();
        let len = names.note_names().len() + names.headings().len();
        assert!(len < 2 * live + 4096, "{len} entries, {live} live");
    }
}
