//! The note model: knowledge bases ([`Kb`], [`KbId`]), a note's facts ([`Note`]: its path, KB,
//! id, stem and parsed text), what name searches screen notes with (a [`char_mask`] of the
//! names, [`NameKey`]s of the id and title, kept by the workspace in its `NameFacts`) and the
//! settings that change what the index means ([`IndexConfig`]).

use std::path::PathBuf;

use crate::syntax::{KbConfig, ParsedNote};
use crate::text::{TextRange, to_u32};

/// A knowledge base: a folder with `kb.yaml`, or a root's implicit KB for notes outside any.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct KbId(pub u32);

#[derive(Clone, Debug)]
pub struct Kb {
    pub name: String,
    pub shortname: Option<String>,
    pub dir: PathBuf,
    /// Path of `kb.yaml`; `None` for a root's implicit KB.
    pub config_path: Option<PathBuf>,
    pub config: KbConfig,
}

impl Kb {
    pub fn is_implicit(&self) -> bool {
        self.config_path.is_none()
    }
}

/// Marks a name of [`Note::names`] that is not written since another one holds it: the id
/// that is the stem, the stem that ends the KB path.
const SHARED: u32 = 1 << 31;

/// [`Note::names`], `id_len` and `stem_len` of a note with these names, each written once: the
/// id, unless it is the stem (as it usually is, and always in a vault without ids); the stem,
/// unless the KB path ends with it (as it does for every note the workspace names); then the
/// KB path. At 100k notes, writing each name once kept 3.6 MB less.
fn lay_out_names(id: &str, stem: &str, kb_path: &str) -> (Box<str>, u32, u32) {
    let id_shared = id == stem;
    let stem_shared = kb_path.ends_with(stem);
    let names = [
        if id_shared { "" } else { id },
        if stem_shared { "" } else { stem },
        kb_path,
    ]
    .concat()
    .into();
    let id_len = if id_shared { SHARED } else { to_u32(id.len()) };
    let stem_len = to_u32(stem.len()) | if stem_shared { SHARED } else { 0 };
    (names, id_len, stem_len)
}

#[derive(Clone, Debug)]
pub struct Note {
    pub path: PathBuf,
    pub kb: KbId,
    /// [`Note::id`], [`Note::stem`] and [`Note::kb_path`] one after the other, in one
    /// allocation, each written once (see [`lay_out_names`]).
    names: Box<str>,
    /// The id's length, or [`SHARED`] when the id is the stem (and not written).
    id_len: u32,
    /// The stem's length, with [`SHARED`] set when the stem is the end of the KB path (and not
    /// written).
    stem_len: u32,
    pub parsed: ParsedNote,
    /// Whether the file is one of its KB's entries by Pyrite's rules (see
    /// [`crate::schema::is_entry_file`]): a README or a template is a file to read and link
    /// to, but not an entry (no duplicate id, not offered as a note, no schema checks).
    pub entry: bool,
}

impl Note {
    /// The note at `path` in `kb` (at `kb_path` inside it), with its id (frontmatter `id`, else
    /// the file stem), stem and the name facts that name searches screen with.
    pub(super) fn new(path: PathBuf, kb: KbId, kb_path: &str, parsed: ParsedNote) -> Note {
        let (names, id_len, stem_len) = {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy())
                .unwrap_or_default();
            let fm_id = parsed.frontmatter().and_then(|fm| fm.id());
            let id = match fm_id {
                Some(id) if !id.text.trim().is_empty() => id.text.trim(),
                _ => &stem,
            };
            lay_out_names(id, &stem, kb_path)
        };
        Note {
            names,
            id_len,
            stem_len,
            path,
            kb,
            parsed,
            entry: true,
        }
    }

    /// [`char_mask`] of the id, the title and the aliases: lets name searches (completion,
    /// workspace symbols) skip a note without reading its names. Not kept in the note: the
    /// searches read it from the workspace's dense [`super::NameFacts`].
    pub fn name_mask(&self) -> u64 {
        std::iter::once(self.id())
            .chain(std::iter::once(self.title()))
            .chain(self.aliases())
            .fold(0, |mask, name| mask | char_mask(name))
    }

    /// Frontmatter `id`, else the file stem.
    pub fn id(&self) -> &str {
        if self.id_len == SHARED {
            return self.stem();
        }
        &self.names[..self.id_len as usize]
    }

    /// How many bytes of [`Note::names`] the id takes (none when it is the stem).
    fn written_id_len(&self) -> usize {
        if self.id_len == SHARED {
            0
        } else {
            self.id_len as usize
        }
    }

    /// Whether the note is a markdown file (not a KB's `cross-kb-links.yaml`, which is indexed
    /// like a note for its references).
    pub fn is_markdown(&self) -> bool {
        self.path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
    }

    /// How many bytes of [`Note::names`] the stem takes (none when it ends the KB path).
    fn written_stem_len(&self) -> usize {
        if self.stem_len & SHARED != 0 {
            0
        } else {
            self.stem_len as usize
        }
    }

    pub fn stem(&self) -> &str {
        let len = (self.stem_len & !SHARED) as usize;
        if self.stem_len & SHARED != 0 {
            return &self.names[self.names.len() - len..];
        }
        let start = self.written_id_len();
        &self.names[start..start + len]
    }

    /// Path inside the KB folder, `/`-separated, without the extension.
    pub fn kb_path(&self) -> &str {
        &self.names[self.written_id_len() + self.written_stem_len()..]
    }

    /// Stores `id`, `stem` and `kb_path` in [`Note::names`].
    pub(super) fn set_names(&mut self, id: &str, stem: &str, kb_path: &str) {
        (self.names, self.id_len, self.stem_len) = lay_out_names(id, stem, kb_path);
    }

    /// The title to show: frontmatter `title`, else the first heading, else the id.
    pub fn title(&self) -> &str {
        let fm_title = self.parsed.frontmatter().and_then(|fm| fm.title());
        match fm_title {
            Some(title) if !title.text.is_empty() => title.text,
            _ => self
                .parsed
                .headings()
                .first()
                .filter(|h| h.level == 1)
                .map_or(self.id(), |h| h.text),
        }
    }

    pub fn note_type(&self) -> Option<&str> {
        let fm = self.parsed.frontmatter()?;
        fm.note_type().map(|t| t.text)
    }

    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.parsed
            .frontmatter()
            .into_iter()
            .flat_map(|fm| fm.aliases().iter().map(|a| a.text))
    }

    /// The range that stands for the note's identity: its `id:` value, else the start of the
    /// file.
    pub fn id_range(&self) -> TextRange {
        self.parsed
            .frontmatter()
            .and_then(|fm| fm.id())
            .map_or(TextRange::empty(0), |id| id.range)
    }

    /// The frontmatter `id:` value, when the note has a non-empty one (else its id is the stem).
    pub fn id_value(&self) -> Option<crate::syntax::Value<'_>> {
        let fm = self.parsed.frontmatter()?;
        fm.id().filter(|id| !id.text.trim().is_empty())
    }

    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.parsed
            .frontmatter()
            .into_iter()
            .flat_map(|fm| fm.tags().iter().map(|t| t.text))
    }
}

/// Settings that change what the index means (not how it is shown).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IndexConfig {
    /// Extra frontmatter fields whose values are note ids, in every KB.
    pub reference_fields: Vec<String>,
}

/// The start of an ASCII name, trimmed and lowercased (zero-padded), and its trimmed length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameKey {
    pub head: [u8; 8],
    pub len: u32,
}

impl NameKey {
    /// `None` for a name that is not all ASCII.
    pub fn of(name: &str) -> Option<NameKey> {
        if !name.is_ascii() {
            return None;
        }
        let trimmed = name.trim();
        let mut head = [0u8; 8];
        for (slot, byte) in head.iter_mut().zip(trimmed.bytes()) {
            *slot = byte.to_ascii_lowercase();
        }
        Some(NameKey {
            head,
            len: trimmed.len() as u32,
        })
    }
}

/// A bit for each lowercase ASCII letter and digit in `text` (ignoring case), and shared bits
/// for other ASCII bytes; every bit when `text` is not ASCII. Text can contain all of a
/// query's characters only if its mask holds the query's mask.
pub fn char_mask(text: &str) -> u64 {
    if !text.is_ascii() {
        return u64::MAX;
    }
    text.bytes().fold(0, |mask, byte| {
        let byte = byte.to_ascii_lowercase();
        let bit = match byte {
            b'a'..=b'z' => byte - b'a',
            b'0'..=b'9' => 26 + byte - b'0',
            _ => 36 + byte % 28,
        };
        mask | 1 << bit
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whichever names are shared, a note gives back the id, stem and KB path it was given.
    #[test]
    fn a_note_gives_back_its_names_whichever_are_written_once() {
        let mut note = Note::new(
            PathBuf::from("/kb/a.md"),
            KbId(0),
            "a",
            crate::syntax::parse_note(""),
        );
        let cases = [
            ("a", "a", "a"),
            ("a", "a", "dir/a"),
            ("id", "a", "dir/a"),
            ("id", "stem", "dir/other"),
            ("", "stem", "dir/stem"),
            ("stem", "stem", "dir/other"),
            ("é-ü", "ßtem", "ü/ßtem"),
            ("", "", ""),
        ];
        for (id, stem, kb_path) in cases {
            note.set_names(id, stem, kb_path);
            assert_eq!(
                (note.id(), note.stem(), note.kb_path()),
                (id, stem, kb_path),
                "{id:?} {stem:?} {kb_path:?}"
            );
        }
        // Written once: the usual note's names take only its KB path's bytes.
        note.set_names("a", "a", "dir/a");
        assert_eq!(note.names.len(), "dir/a".len());
    }
}
