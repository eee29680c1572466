//! The workspace: knowledge bases and every note's facts, with the lookup tables the resolver
//! and the features need. Updated one file at a time (`set_note`, `remove_note`, `set_kb_config`),
//! so a keystroke or a file changed on disk costs work proportional to that file.
//!
//! The workspace holds no file text and does no I/O: callers read files (see [`crate::vfs`]),
//! parse them with [`crate::syntax::parse_note`] (in parallel, outside any lock) and hand the
//! facts over. Which note a link means is decided in [`crate::slug`], never here.

use std::hash::BuildHasher;
use std::path::{Path, PathBuf};

use hashbrown::HashTable;
use rayon::slice::ParallelSliceMut;
use rustc_hash::{FxBuildHasher, FxHashMap as HashMap};

use crate::keys;
use crate::syntax::{KbConfig, ParsedNote, parse_kb_config};
use crate::text::{FileId, to_u32};

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

#[derive(Clone, Debug)]
pub struct Note {
    pub path: PathBuf,
    pub kb: KbId,
    /// [`Note::id`], [`Note::stem`] and [`Note::kb_path`] one after the other: one allocation.
    names: Box<str>,
    id_len: u32,
    stem_len: u32,
    pub parsed: ParsedNote,
    /// [`char_mask`] of the id, the title and the aliases: lets name searches (completion,
    /// workspace symbols) skip a note without reading its names.
    pub name_mask: u64,
    /// [`char_mask`] of all the headings' words together, to the same end.
    pub heading_mask: u64,
    /// [`NameKey`]s of the id and of [`Note::title`]: whole-name and prefix tests of short
    /// queries without reading the names themselves.
    pub id_key: Option<NameKey>,
    pub title_key: Option<NameKey>,
    /// Whether the file is one of its KB's entries by Pyrite's rules (see
    /// [`crate::schema::is_entry_file`]): a README or a template is a file to read and link
    /// to, but not an entry (no duplicate id, not offered as a note, no schema checks).
    pub entry: bool,
}

/// The start of an ASCII name, trimmed and lowercased (zero-padded), and its trimmed length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameKey {
    pub head: [u8; 8],
    pub len: u32,
}

/// What name searches read about each note, in one dense array by file id
/// ([`Workspace::name_facts`]): a scan of 100k notes then reads a few MB in order instead of
/// chasing a pointer into every note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NameFacts {
    /// [`Note::name_mask`]; 0 for a removed note.
    pub mask: u64,
    pub id_key: Option<NameKey>,
    pub title_key: Option<NameKey>,
    /// [`id_head`] of the id: orders notes by id without reading most ids.
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
    const REMOVED: NameFacts = NameFacts {
        mask: 0,
        id_key: None,
        title_key: None,
        id_head: 0,
        id_len: 0,
        kb: KbId(0),
        live: false,
        entry: false,
    };

    fn of(note: &Note) -> NameFacts {
        NameFacts {
            mask: note.name_mask,
            id_key: note.id_key,
            title_key: note.title_key,
            id_head: id_head(note.id()),
            id_len: note.id().len() as u32,
            kb: note.kb,
            live: true,
            entry: note.entry,
        }
    }
}

/// The first 8 bytes of `id`, zero-padded, as a big-endian number: ids compare as their heads
/// do, except that equal heads (ids sharing 8 leading bytes, or equal) need the ids themselves.
pub fn id_head(id: &str) -> u64 {
    let mut head = [0u8; 8];
    for (slot, byte) in head.iter_mut().zip(id.bytes()) {
        *slot = byte;
    }
    u64::from_be_bytes(head)
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

impl Note {
    /// Frontmatter `id`, else the file stem.
    pub fn id(&self) -> &str {
        &self.names[..self.id_len as usize]
    }

    pub fn stem(&self) -> &str {
        &self.names[self.id_len as usize..(self.id_len + self.stem_len) as usize]
    }

    /// Path inside the KB folder, `/`-separated, without the extension.
    pub fn kb_path(&self) -> &str {
        &self.names[(self.id_len + self.stem_len) as usize..]
    }

    /// Stores `id`, `stem` and `kb_path` in [`Note::names`].
    fn set_names(&mut self, id: &str, stem: &str, kb_path: &str) {
        self.names = [id, stem, kb_path].concat().into();
        self.id_len = to_u32(id.len());
        self.stem_len = to_u32(stem.len());
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

#[derive(Default)]
pub struct Workspace {
    roots: Vec<PathBuf>,
    kbs: Vec<Kb>,
    kb_by_dir: HashMap<PathBuf, KbId>,
    notes: Vec<Option<Note>>,
    /// The notes by path: file ids (with their path's [`hash_path`]), compared through
    /// `notes[file].path` (no second copy of each path).
    file_by_path: HashTable<(FileId, u32)>,
    /// Folded id, stem, title or alias, and link key (see [`keys::link_keys`]) -> notes.
    keys: KeyTable,
    /// Every note's [`NameFacts`] by file id: one dense array for name searches to scan
    /// before they touch any note.
    name_facts: Vec<NameFacts>,
    /// Every note's names and headings in one buffer, for name searches (workspace symbols).
    names: NameTable,
    /// How many notes each KB holds, by KB id (for `visible_kbs`, without a scan of all notes).
    kb_note_counts: Vec<u32>,
    pub config: IndexConfig,
}

impl Workspace {
    pub fn new(roots: Vec<PathBuf>, config: IndexConfig) -> Workspace {
        let mut workspace = Workspace {
            config,
            ..Workspace::default()
        };
        for root in roots {
            workspace.add_root(root);
        }
        workspace
    }

    pub fn roots(&self) -> &[PathBuf] {
        &self.roots
    }

    fn add_root(&mut self, root: PathBuf) {
        let name = root
            .file_name()
            .map_or_else(|| "root".to_owned(), |n| n.to_string_lossy().into_owned());
        self.kbs.push(Kb {
            name,
            shortname: None,
            dir: root.clone(),
            config_path: None,
            config: KbConfig::default(),
        });
        self.roots.push(root);
    }

    /// The root that contains `path`, if any (the deepest, when roots nest).
    pub fn root_of(&self, path: &Path) -> Option<&Path> {
        self.roots
            .iter()
            .filter(|root| path.starts_with(root))
            .max_by_key(|root| root.as_os_str().len())
            .map(PathBuf::as_path)
    }

    // ----- knowledge bases -----

    pub fn kb(&self, id: KbId) -> &Kb {
        &self.kbs[id.0 as usize]
    }

    pub fn kb_ids(&self) -> impl Iterator<Item = KbId> + '_ {
        (0..self.kbs.len() as u32).map(KbId)
    }

    /// KBs that count for a person: those with a kb.yaml, and implicit ones holding notes.
    pub fn visible_kbs(&self) -> Vec<KbId> {
        self.kb_ids()
            .filter(|&id| {
                !self.kb(id).is_implicit()
                    || self
                        .kb_note_counts
                        .get(id.0 as usize)
                        .is_some_and(|&n| n > 0)
            })
            .collect()
    }

    /// Counts a note into (`add`) or out of `kb`.
    fn count_note(&mut self, kb: KbId, add: bool) {
        let index = kb.0 as usize;
        if self.kb_note_counts.len() <= index {
            self.kb_note_counts.resize(index + 1, 0);
        }
        let count = &mut self.kb_note_counts[index];
        *count = if add {
            *count + 1
        } else {
            count.saturating_sub(1)
        };
    }

    /// A KB by name or shortname, case-insensitively.
    pub fn kb_by_name(&self, name: &str) -> Option<KbId> {
        let find = |implicit: bool| {
            self.kb_ids().find(|&id| {
                let kb = self.kb(id);
                kb.is_implicit() == implicit
                    && (kb.name.eq_ignore_ascii_case(name)
                        || kb
                            .shortname
                            .as_deref()
                            .is_some_and(|s| s.eq_ignore_ascii_case(name)))
            })
        };
        find(false).or_else(|| find(true))
    }

    /// The name to write before `:` when linking into `kb`: the shortname if there is one.
    pub fn kb_link_prefix(&self, kb: KbId) -> &str {
        let kb = self.kb(kb);
        kb.shortname.as_deref().unwrap_or(&kb.name)
    }

    /// Adds or updates the KB whose `kb.yaml` is at `path`. Notes below it move into it.
    pub fn set_kb_config(&mut self, path: &Path, text: &str) {
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let config = parse_kb_config(text);
        let name = config.name.clone().unwrap_or_else(|| {
            dir.file_name()
                .map_or_else(|| "kb".to_owned(), |n| n.to_string_lossy().into_owned())
        });
        let kb = Kb {
            name,
            shortname: config.shortname.clone(),
            dir: dir.clone(),
            config_path: Some(path.to_path_buf()),
            config,
        };
        match self.kb_by_dir.get(&dir) {
            Some(&id) => self.kbs[id.0 as usize] = kb,
            None => {
                let id = KbId(self.kbs.len() as u32);
                self.kbs.push(kb);
                self.kb_by_dir.insert(dir.clone(), id);
                self.reassign_kbs_under(&dir);
            }
        }
    }

    /// Forgets the KB whose `kb.yaml` was at `path`; its notes fall back to the KB above.
    pub fn remove_kb_config(&mut self, path: &Path) {
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        if let Some(id) = self.kb_by_dir.remove(&dir) {
            // Keep the slot (ids are indices) but make it an inert, implicit-looking KB.
            let kb = &mut self.kbs[id.0 as usize];
            kb.config_path = None;
            kb.config = KbConfig::default();
            kb.name = format!("(removed) {}", kb.name);
            kb.shortname = None;
            self.reassign_kbs_under(&dir);
        }
    }

    fn reassign_kbs_under(&mut self, dir: &Path) {
        let moves: Vec<(usize, KbId, Box<str>)> = self
            .notes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((i, n.as_ref()?)))
            .filter(|(_, note)| note.path.starts_with(dir))
            .map(|(i, note)| {
                let kb = self.kb_for_path(&note.path);
                (i, kb, self.kb_relative_path(kb, &note.path))
            })
            .collect();
        for (i, kb, kb_path) in moves {
            let Some(note) = self.notes[i].as_mut() else {
                continue;
            };
            let old = std::mem::replace(&mut note.kb, kb);
            let (id, stem) = (note.id().to_owned(), note.stem().to_owned());
            note.set_names(&id, &stem, &kb_path);
            let in_kb_with_config = self
                .kbs
                .get(kb.0 as usize)
                .is_some_and(|k| !k.is_implicit());
            note.entry = crate::schema::is_entry_file(in_kb_with_config, &kb_path, &note.path);
            self.name_facts[i] = NameFacts::of(note);
            self.count_note(old, false);
            self.count_note(kb, true);
        }
    }

    /// The KB a file at `path` belongs to: the nearest folder with kb.yaml, else its root's.
    pub fn kb_for_path(&self, path: &Path) -> KbId {
        let root = self.root_of(path);
        for dir in path.ancestors().skip(1) {
            if let Some(&id) = self.kb_by_dir.get(dir) {
                return id;
            }
            if Some(dir) == root {
                break;
            }
        }
        let root_index = root
            .and_then(|root| self.roots.iter().position(|r| r == root))
            .unwrap_or(0);
        // Implicit KBs were pushed first, one per root, in root order.
        KbId(root_index as u32)
    }

    /// `path` inside `kb`'s folder, `/`-separated, without the extension (a note's `kb_path`).
    pub fn kb_relative_path(&self, kb: KbId, path: &Path) -> Box<str> {
        let dir = &self
            .kbs
            .get(kb.0 as usize)
            .map(|k| k.dir.clone())
            .unwrap_or_default();
        let relative = path.strip_prefix(dir).unwrap_or(path).with_extension("");
        let parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        parts.join("/").into()
    }

    // ----- notes -----

    pub fn file_id(&self, path: &Path) -> Option<FileId> {
        self.find_path(path, hash_path(path))
    }

    /// [`Workspace::file_id`] with the path's hash already computed.
    fn find_path(&self, path: &Path, hash: u32) -> Option<FileId> {
        let notes = &self.notes;
        let (file, _) = self.file_by_path.find(table_hash(hash), |&(file, other)| {
            other == hash && note_has_path(notes, file, path)
        })?;
        Some(*file)
    }

    /// Puts `file`, whose path hashes to `hash`, in the path table.
    fn insert_path(&mut self, file: FileId, hash: u32) {
        self.file_by_path
            .insert_unique(table_hash(hash), (file, hash), |&(_, hash)| {
                table_hash(hash)
            });
    }

    /// Takes `path` out of the path table; returns its file id.
    fn remove_path(&mut self, path: &Path) -> Option<FileId> {
        let notes = &self.notes;
        let hash = hash_path(path);
        let entry = self
            .file_by_path
            .find_entry(table_hash(hash), |&(file, other)| {
                other == hash && note_has_path(notes, file, path)
            })
            .ok()?;
        Some(entry.remove().0.0)
    }

    pub fn note(&self, file: FileId) -> Option<&Note> {
        self.notes.get(file.0 as usize)?.as_ref()
    }

    /// Every note, in file-id order.
    pub fn notes(&self) -> impl Iterator<Item = (FileId, &Note)> {
        self.notes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((FileId(i as u32), n.as_ref()?)))
    }

    pub fn note_count(&self) -> usize {
        self.file_by_path.len()
    }

    /// Adds or replaces the note at `path`; returns its id and the notes whose diagnostics or
    /// answers may have changed (those that link to its old or new names, and itself).
    pub fn set_note(&mut self, path: PathBuf, parsed: ParsedNote) -> (FileId, Vec<FileId>) {
        let known = self.file_id(&path);
        let file = match known {
            Some(file) => file,
            None => {
                let file = FileId(self.notes.len() as u32);
                self.notes.push(None);
                self.name_facts.push(NameFacts::REMOVED);
                file
            }
        };
        let mut affected = self.unindex(file);
        let note = self.make_note(path, parsed);
        // A keystroke that leaves the note's names, headings and block ids as they were
        // changes no other note's answers: its backlinks need no new diagnostics.
        let same_identity = self.notes[file.0 as usize]
            .as_ref()
            .is_some_and(|old| Self::same_identity(old, &note));
        self.name_facts[file.0 as usize] = NameFacts::of(&note);
        self.names.insert(file, &note);
        if let Some(old) = self.notes[file.0 as usize].as_ref().map(|n| n.kb) {
            self.count_note(old, false);
        }
        self.count_note(note.kb, true);
        self.notes[file.0 as usize] = Some(note);
        if known.is_none() {
            let hash = self.note(file).map_or(0, |note| hash_path(&note.path));
            self.insert_path(file, hash);
        }
        affected.extend(self.index(file));
        if same_identity {
            affected.clear();
        }
        affected.push(file);
        self.compact_names();
        affected.sort_unstable();
        affected.dedup();
        (file, affected)
    }

    /// Whether two versions of a note look the same to links from other notes: same KB, id,
    /// stem, frontmatter title and aliases, heading texts and block ids.
    fn same_identity(old: &Note, new: &Note) -> bool {
        fn title(note: &Note) -> Option<&str> {
            let fm = note.parsed.frontmatter();
            fm.and_then(|fm| fm.title()).map(|title| title.text)
        }
        old.kb == new.kb
            && old.id() == new.id()
            && old.stem() == new.stem()
            && title(old) == title(new)
            && old.aliases().eq(new.aliases())
            && old.parsed.headings().iter().map(|h| h.text).eq(new
                .parsed
                .headings()
                .iter()
                .map(|h| h.text))
            && old.parsed.block_ids().iter().map(|b| b.id).eq(new
                .parsed
                .block_ids()
                .iter()
                .map(|b| b.id))
    }

    /// Forgets the note at `path`; returns the notes whose answers may have changed.
    pub fn remove_note(&mut self, path: &Path) -> Vec<FileId> {
        let Some(file) = self.remove_path(path) else {
            return Vec::new();
        };
        let mut affected = self.unindex(file);
        if let Some(old) = self.notes[file.0 as usize].take() {
            self.count_note(old.kb, false);
        }
        self.name_facts[file.0 as usize] = NameFacts::REMOVED;
        self.names.remove(file);
        self.compact_names();
        affected.retain(|&f| f != file);
        affected.sort_unstable();
        affected.dedup();
        affected
    }

    /// Adds many notes at once (the initial index); parsing is the caller's, done in parallel.
    pub fn extend_notes(&mut self, notes: Vec<(PathBuf, ParsedNote)>) {
        let prepared: Vec<PreparedNote> = notes
            .into_iter()
            .map(|(path, parsed)| self.prepare_note(path, parsed))
            .collect();
        self.extend_prepared(prepared);
    }

    /// Builds the note for `path` and its table keys without changing the workspace, so that
    /// callers can prepare notes in parallel (right after parsing them) and insert them with
    /// [`Workspace::extend_prepared`]. KB configs must be set first.
    pub fn prepare_note(&self, path: PathBuf, parsed: ParsedNote) -> PreparedNote {
        let note = self.make_note(path, parsed);
        let keys = NoteKeys::of(&note);
        let path_hash = hash_path(&note.path);
        PreparedNote {
            note,
            keys,
            path_hash,
        }
    }

    /// Makes room for `notes` more notes (before a bulk insertion of that many).
    pub fn reserve(&mut self, notes: usize) {
        self.notes.reserve(notes);
        self.name_facts.reserve(notes);
        self.file_by_path
            .reserve(notes, |&(_, hash)| table_hash(hash));
    }

    /// A workspace with this one's roots, KBs and settings and no notes: it can prepare notes
    /// ([`Workspace::prepare_note`]) on other threads while this one takes them in.
    pub fn clone_without_notes(&self) -> Workspace {
        Workspace {
            roots: self.roots.clone(),
            kbs: self.kbs.clone(),
            kb_by_dir: self.kb_by_dir.clone(),
            config: self.config.clone(),
            ..Workspace::default()
        }
    }

    /// Adds prepared notes (the initial index), in order, as they come (the caller may still be
    /// preparing later ones). Unlike [`Workspace::set_note`] it skips the affected-set work, as
    /// nothing has diagnostics yet: the keys go straight into the tables.
    pub fn extend_prepared(&mut self, notes: impl IntoIterator<Item = PreparedNote>) {
        // One sort of all link keys at the end, rather than one insertion per new key.
        self.keys.sort_pending = true;
        for PreparedNote {
            note,
            keys,
            path_hash,
        } in notes
        {
            if self.find_path(&note.path, path_hash).is_some() {
                // A path already known (or given twice): replace it the usual way.
                self.set_note(note.path, note.parsed);
                continue;
            }
            let file = FileId(self.notes.len() as u32);
            self.name_facts.push(NameFacts::of(&note));
            self.names.insert(file, &note);
            self.count_note(note.kb, true);
            self.notes.push(Some(note));
            self.insert_path(file, path_hash);
            self.add_keys(file, keys);
        }
        self.keys.sort_links();
    }

    /// Builds the note for `path`: its KB, path inside the KB, id and stem.
    fn make_note(&self, path: PathBuf, parsed: ParsedNote) -> Note {
        let kb = self.kb_for_path(&path);
        let stem = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
        let fm_id = parsed.frontmatter().and_then(|fm| fm.id());
        let id = match fm_id {
            Some(id) if !id.text.trim().is_empty() => id.text.trim(),
            _ => &stem,
        };
        let kb_path = self.kb_relative_path(kb, &path);
        // No KB at all while the server has no root yet.
        let in_kb_with_config = self
            .kbs
            .get(kb.0 as usize)
            .is_some_and(|k| !k.is_implicit());
        let entry = crate::schema::is_entry_file(in_kb_with_config, &kb_path, &path);
        let mut note = Note {
            names: Box::default(),
            id_len: 0,
            stem_len: 0,
            path,
            kb,
            parsed: ParsedNote::default(),
            name_mask: 0,
            heading_mask: 0,
            id_key: None,
            title_key: None,
            entry,
        };
        note.set_names(id, &stem, &kb_path);
        note.parsed = parsed;
        note.id_key = NameKey::of(note.id());
        note.title_key = NameKey::of(note.title());
        note.name_mask = std::iter::once(note.id())
            .chain(std::iter::once(note.title()))
            .chain(note.aliases())
            .fold(0, |mask, name| mask | char_mask(name));
        note.heading_mask = note
            .parsed
            .headings()
            .iter()
            .fold(0, |mask, heading| mask | char_mask(heading.text));
        note
    }

    fn names_of(note: &Note) -> (Box<str>, Box<str>, Vec<Box<str>>) {
        let mut names: Vec<Box<str>> = Vec::new();
        if let Some(title) = note.parsed.frontmatter().and_then(|fm| fm.title()) {
            names.push(keys::fold(title.text).into());
        }
        names.extend(note.aliases().map(|a| keys::fold(a).into()));
        names.sort_unstable();
        names.dedup();
        (
            keys::fold(note.id()).into(),
            keys::fold(note.stem()).into(),
            names,
        )
    }

    /// Adds `file`'s entries to the tables; returns notes that link to any of its names.
    fn index(&mut self, file: FileId) -> Vec<FileId> {
        let Some(note) = self.note(file) else {
            return Vec::new();
        };
        let keys = NoteKeys::of(note);
        let mut affected = Vec::new();
        for (role, key, hash) in keys.iter() {
            if role != Role::Link {
                affected.extend_from_slice(self.keys.files_hashed(Role::Link, key, hash));
            }
        }
        self.add_keys(file, keys);
        affected
    }

    /// Adds `file` to the tables.
    fn add_keys(&mut self, file: FileId, keys: NoteKeys) {
        for (role, key, hash) in keys.iter() {
            self.keys.add(role, key, hash, file);
        }
    }

    /// Removes `file`'s entries from the tables; returns notes that linked to its names.
    fn unindex(&mut self, file: FileId) -> Vec<FileId> {
        let Some(note) = self.note(file) else {
            return Vec::new();
        };
        let (id, stem, names) = Self::names_of(note);
        let keys = keys::note_link_keys(&note.parsed);
        let mut affected = Vec::new();
        for name in std::iter::once(&id)
            .chain(std::iter::once(&stem))
            .chain(&names)
        {
            affected.extend_from_slice(self.keys.files(Role::Link, name));
        }
        self.keys.remove(Role::Id, &id, file);
        self.keys.remove(Role::Stem, &stem, file);
        for name in &names {
            self.keys.remove(Role::Name, name, file);
        }
        for key in &keys {
            self.keys.remove(Role::Link, key, file);
        }
        affected
    }

    // ----- lookups for the resolver and features -----

    /// Notes whose folded id is `folded_id`.
    pub fn notes_by_id(&self, folded_id: &str) -> &[FileId] {
        self.keys.files(Role::Id, folded_id)
    }

    /// Notes whose folded file stem is `folded_stem`.
    pub fn notes_by_stem(&self, folded_stem: &str) -> &[FileId] {
        self.keys.files(Role::Stem, folded_stem)
    }

    /// Notes whose folded title or alias is `folded_name`.
    pub fn notes_by_name(&self, folded_name: &str) -> &[FileId] {
        self.keys.files(Role::Name, folded_name)
    }

    /// Notes with a link or reference whose key is `key` (see [`keys::link_keys`]).
    pub fn notes_linking_with_key(&self, key: &str) -> &[FileId] {
        self.keys.files(Role::Link, key)
    }

    /// The link keys that start with `prefix`, in sorted order, with the notes using them.
    pub fn link_keys_starting_with<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a [FileId])> {
        self.link_keys_from(prefix, prefix)
    }

    /// [`Workspace::link_keys_starting_with`] `prefix`, from the first key not below `from`
    /// (to skip a run of keys without reading them).
    pub fn link_keys_from<'a>(
        &'a self,
        from: &str,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a [FileId])> + use<'a> {
        let keys = &self.keys;
        debug_assert!(!keys.sort_pending);
        let from = from.max(prefix);
        let start = keys
            .sorted_links
            .partition_point(|&id| keys.key_text(id) < from);
        keys.sorted_links[start..]
            .iter()
            .map(|&id| (keys.key_text(id), keys.files_of(Role::Link, id)))
            .take_while(move |(key, _)| key.starts_with(prefix))
    }

    /// Notes whose [`Note::name_mask`] holds all the bits of `mask`, in file-id order.
    pub fn notes_with_name_mask(&self, mask: u64) -> impl Iterator<Item = (FileId, &Note)> {
        self.name_facts
            .iter()
            .enumerate()
            .filter(move |&(_, facts)| facts.live && facts.mask & mask == mask)
            .filter_map(|(i, _)| Some((FileId(i as u32), self.notes[i].as_ref()?)))
    }

    /// Every file id's [`NameFacts`], indexed by file id (removed notes are not `live`).
    pub fn name_facts(&self) -> &[NameFacts] {
        &self.name_facts
    }

    /// The names and headings of every note (see [`NameTable`]).
    pub fn names(&self) -> &NameTable {
        &self.names
    }

    /// Rebuilds the name table once most of it is names of replaced or removed notes.
    fn compact_names(&mut self) {
        if self.names.dead > 4096 && self.names.dead > self.names.entries.len() / 2 {
            let mut names = NameTable::default();
            for (file, note) in self.notes() {
                names.insert(file, note);
            }
            self.names = names;
        }
    }

    /// Every link key in use, in sorted order, with the notes using it (for "wanted pages").
    pub fn link_keys(&self) -> impl Iterator<Item = (&str, &[FileId])> {
        self.link_keys_starting_with("")
    }

    /// Whether `field` holds note ids in `kb` (declared in kb.yaml or in the settings).
    pub fn is_reference_field(&self, kb: KbId, field: &str) -> bool {
        self.config.reference_fields.iter().any(|f| f == field)
            || self.kb(kb).config.is_reference_field(field)
    }
}

/// A note built and keyed by [`Workspace::prepare_note`], ready for
/// [`Workspace::extend_prepared`].
pub struct PreparedNote {
    note: Note,
    keys: NoteKeys,
    /// [`hash_path`] of the note's path.
    path_hash: u32,
}

/// A note's entries in the lookup tables, with their [`hash_key`]s, in one buffer: folded id,
/// stem and names, then its link keys. Built where the note is parsed, so the thread that
/// inserts notes neither hashes nor frees many small strings.
struct NoteKeys {
    text: String,
    /// Each key's end in `text` and its hash.
    keys: Vec<(u32, u32)>,
    /// How many keys are the id, the stem and the names (the rest are link keys).
    name_count: usize,
}

impl NoteKeys {
    fn of(note: &Note) -> NoteKeys {
        let (id, stem, names) = Workspace::names_of(note);
        let links = keys::note_link_keys(&note.parsed);
        let all = || {
            [&id, &stem]
                .into_iter()
                .chain(&names)
                .chain(&links)
                .map(|key| &**key)
        };
        let mut keys = NoteKeys {
            text: String::with_capacity(all().map(str::len).sum()),
            keys: Vec::with_capacity(2 + names.len() + links.len()),
            name_count: 2 + names.len(),
        };
        for key in all() {
            keys.text.push_str(key);
            keys.keys.push((keys.text.len() as u32, hash_key(key)));
        }
        keys
    }

    /// Each key with its role and hash.
    fn iter(&self) -> impl Iterator<Item = (Role, &str, u32)> {
        let mut start = 0;
        self.keys.iter().enumerate().map(move |(i, &(end, hash))| {
            let key = &self.text[start..end as usize];
            start = end as usize;
            let role = match i {
                0 => Role::Id,
                1 => Role::Stem,
                _ if i < self.name_count => Role::Name,
                _ => Role::Link,
            };
            (role, key, hash)
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

/// A path's hash, stored beside its entry in the path table (see [`table_hash`]).
fn hash_path(path: &Path) -> u32 {
    fold_hash(FxBuildHasher.hash_one(path))
}

/// A key's hash, stored beside its entry in [`KeyTable::lookup`] (see [`table_hash`]).
fn hash_key(key: &str) -> u32 {
    fold_hash(FxBuildHasher.hash_one(key))
}

fn fold_hash(hash: u64) -> u32 {
    (hash ^ hash >> 32) as u32
}

/// The hash a table probes with, from the 32-bit one stored beside each entry: a table grows
/// without reading any key or path again, and a probe compares the stored hash before the text.
fn table_hash(hash: u32) -> u64 {
    u64::from(hash) << 32 | u64::from(hash)
}

fn note_has_path(notes: &[Option<Note>], file: FileId, path: &Path) -> bool {
    notes[file.0 as usize]
        .as_ref()
        .is_some_and(|note| note.path == path)
}

/// Which lookup a key serves in a [`KeyTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// A folded note id.
    Id = 0,
    /// A folded file stem.
    Stem = 1,
    /// A folded title or alias.
    Name = 2,
    /// A folded link key (see [`keys::link_keys`]): the notes that link or refer with it.
    Link = 3,
}

/// The notes under one key in one role: the usual single note inline, more in a list.
/// Stored packed in a [`Key`] slot (see [`Files::pack`]).
#[derive(Clone, Copy, Debug)]
enum Files {
    One(FileId),
    /// An index into [`KeyTable::lists`] (which holds two notes or more).
    Many(u32),
}

/// A [`Key`] slot with no note.
const NO_FILES: FileId = FileId(u32::MAX);

/// Marks a [`Key`] slot that holds a list index rather than a file id.
const LIST_BIT: u32 = 1 << 31;

impl Files {
    /// `files` in one `u32`: [`NO_FILES`], a file id, or a list index with [`LIST_BIT`] set.
    fn pack(files: Option<Files>) -> FileId {
        match files {
            None => NO_FILES,
            Some(Files::One(file)) => file,
            Some(Files::Many(index)) => FileId(LIST_BIT | index),
        }
    }

    fn unpack(slot: FileId) -> Option<Files> {
        match slot {
            NO_FILES => None,
            FileId(index) if index & LIST_BIT != 0 => Some(Files::Many(index & !LIST_BIT)),
            file => Some(Files::One(file)),
        }
    }
}

/// An interned key: its text in [`KeyTable::text`] and its notes in each [`Role`], packed.
#[derive(Clone, Copy, Debug)]
struct Key {
    start: u32,
    len: u32,
    files: [FileId; 4],
}

impl Key {
    fn is_unused(&self) -> bool {
        self.files.iter().all(|&slot| slot == NO_FILES)
    }
}

/// The workspace's lookup tables (by folded id, stem, title or alias, and link key) in one:
/// each distinct key is stored once, in one buffer, and named by a `u32` id; a hash table of
/// ids, hashed and compared through that buffer, finds a key by its text. A key's notes in each
/// role are inline when there is one (the usual case), else in a list. Within a role, notes
/// keep the order in which they were added (a removal moves the last one into its place).
#[derive(Default)]
struct KeyTable {
    text: String,
    keys: Vec<Key>,
    /// Key ids with their [`hash_key`].
    lookup: HashTable<(u32, u32)>,
    /// Ids of unused keys, to reuse; their old text is dead bytes in `text`.
    free_keys: Vec<u32>,
    dead_bytes: usize,
    lists: Vec<Vec<FileId>>,
    free_lists: Vec<u32>,
    /// The ids of the keys used in [`Role::Link`], sorted by text, for prefix searches.
    sorted_links: Vec<u32>,
    /// Set while a bulk insertion leaves `sorted_links` stale, to sort it once at the end.
    sort_pending: bool,
}

/// The first 8 bytes of `key` as a big-endian number (zero-padded): keys in this order are
/// in string order, except that keys with the same head need a string comparison.
fn key_head(key: &str) -> u64 {
    let mut head = [0u8; 8];
    for (slot, byte) in head.iter_mut().zip(key.bytes()) {
        *slot = byte;
    }
    u64::from_be_bytes(head)
}

fn key_text<'a>(text: &'a str, keys: &[Key], id: u32) -> &'a str {
    let key = &keys[id as usize];
    &text[key.start as usize..(key.start + key.len) as usize]
}

impl KeyTable {
    fn key_text(&self, id: u32) -> &str {
        key_text(&self.text, &self.keys, id)
    }

    fn find(&self, key: &str, hash: u32) -> Option<u32> {
        let (id, _) = self.lookup.find(table_hash(hash), |&(id, other)| {
            other == hash && self.key_text(id) == key
        })?;
        Some(*id)
    }

    /// The notes under `key` in `role`.
    fn files(&self, role: Role, key: &str) -> &[FileId] {
        self.files_hashed(role, key, hash_key(key))
    }

    /// [`KeyTable::files`] with the key's hash already computed.
    fn files_hashed(&self, role: Role, key: &str, hash: u32) -> &[FileId] {
        self.find(key, hash)
            .map_or(&[], |id| self.files_of(role, id))
    }

    fn files_of(&self, role: Role, id: u32) -> &[FileId] {
        let slot = &self.keys[id as usize].files[role as usize];
        match Files::unpack(*slot) {
            None => &[],
            Some(Files::One(_)) => std::slice::from_ref(slot),
            Some(Files::Many(list)) => &self.lists[list as usize],
        }
    }

    /// The id of `key` (whose hash is `hash`), added if new.
    fn intern(&mut self, key: &str, hash: u32) -> u32 {
        if let Some(id) = self.find(key, hash) {
            return id;
        }
        let entry = Key {
            start: self.text.len() as u32,
            len: key.len() as u32,
            files: [NO_FILES; 4],
        };
        self.text.push_str(key);
        let id = match self.free_keys.pop() {
            Some(id) => {
                self.keys[id as usize] = entry;
                id
            }
            None => {
                self.keys.push(entry);
                (self.keys.len() - 1) as u32
            }
        };
        self.lookup
            .insert_unique(table_hash(hash), (id, hash), |&(_, hash)| table_hash(hash));
        id
    }

    /// Adds `file` under `key` (whose hash is `hash`) in `role`.
    fn add(&mut self, role: Role, key: &str, hash: u32, file: FileId) {
        debug_assert!(file.0 & LIST_BIT == 0, "file ids stay below 2^31");
        let id = self.intern(key, hash);
        let files = match Files::unpack(self.keys[id as usize].files[role as usize]) {
            None => {
                if role == Role::Link && !self.sort_pending {
                    let text = key_text(&self.text, &self.keys, id);
                    let at = self
                        .sorted_links
                        .partition_point(|&other| key_text(&self.text, &self.keys, other) < text);
                    self.sorted_links.insert(at, id);
                }
                Files::One(file)
            }
            Some(Files::One(first)) => {
                let list = vec![first, file];
                match self.free_lists.pop() {
                    Some(index) => {
                        self.lists[index as usize] = list;
                        Files::Many(index)
                    }
                    None => {
                        self.lists.push(list);
                        Files::Many((self.lists.len() - 1) as u32)
                    }
                }
            }
            Some(Files::Many(index)) => {
                self.lists[index as usize].push(file);
                Files::Many(index)
            }
        };
        self.keys[id as usize].files[role as usize] = Files::pack(Some(files));
    }

    /// Removes `file` from under `key` in `role`; forgets the key once no role uses it.
    fn remove(&mut self, role: Role, key: &str, file: FileId) {
        let hash = hash_key(key);
        let Some(id) = self.find(key, hash) else {
            return;
        };
        let slot = &mut self.keys[id as usize].files[role as usize];
        match Files::unpack(*slot) {
            None => return,
            Some(Files::One(only)) if only == file => *slot = NO_FILES,
            Some(Files::One(_)) => return,
            Some(Files::Many(index)) => {
                let list = &mut self.lists[index as usize];
                if let Some(i) = list.iter().position(|&f| f == file) {
                    list.swap_remove(i);
                }
                if let [only] = list[..] {
                    *slot = only;
                    self.lists[index as usize] = Vec::new();
                    self.free_lists.push(index);
                }
                return;
            }
        }
        // `key` has no note left in `role`.
        if role == Role::Link && !self.sort_pending {
            let at = self
                .sorted_links
                .partition_point(|&other| self.key_text(other) < key);
            if self.sorted_links.get(at) == Some(&id) {
                self.sorted_links.remove(at);
            }
        }
        if self.keys[id as usize].is_unused() {
            self.forget(id, key, hash);
        }
    }

    /// Frees the unused key `id` (whose text is `key`, hashing to `hash`) for reuse.
    fn forget(&mut self, id: u32, key: &str, hash: u32) {
        if let Ok(entry) = self
            .lookup
            .find_entry(table_hash(hash), |&(other, _)| other == id)
        {
            entry.remove();
        }
        self.dead_bytes += key.len();
        let entry = &mut self.keys[id as usize];
        entry.start = 0;
        entry.len = 0;
        self.free_keys.push(id);
        if self.dead_bytes > 1 << 16 && self.dead_bytes > self.text.len() / 2 {
            self.compact_text();
        }
    }

    /// Copies the live keys' text into a new buffer, dropping the dead bytes.
    fn compact_text(&mut self) {
        let mut text = String::with_capacity(self.text.len() - self.dead_bytes);
        for key in &mut self.keys {
            if key.is_unused() {
                continue;
            }
            let start = text.len() as u32;
            text.push_str(&self.text[key.start as usize..(key.start + key.len) as usize]);
            key.start = start;
        }
        self.text = text;
        self.dead_bytes = 0;
    }

    /// Rebuilds `sorted_links` after a bulk insertion.
    fn sort_links(&mut self) {
        let (text, keys) = (&self.text, &self.keys);
        // Sorted by the first 8 bytes as a number first: most comparisons need no string.
        let mut by_head: Vec<(u64, u32)> = (0..keys.len() as u32)
            .filter(|&id| keys[id as usize].files[Role::Link as usize] != NO_FILES)
            .map(|id| (key_head(key_text(text, keys, id)), id))
            .collect();
        by_head.par_sort_unstable_by(|a, b| {
            a.0.cmp(&b.0)
                .then_with(|| key_text(text, keys, a.1).cmp(key_text(text, keys, b.1)))
        });
        let mut sorted = std::mem::take(&mut self.sorted_links);
        sorted.clear();
        sorted.extend(by_head.iter().map(|&(_, id)| id));
        self.sorted_links = sorted;
        self.sort_pending = false;
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
    fn insert(&mut self, file: FileId, note: &Note) {
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

    fn remove(&mut self, file: FileId) {
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

    /// How many entries the table holds (dead ones included).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fmt::Write;

    use super::*;
    use crate::syntax::parse_note;

    /// Every lookup's answer for `probes` and every link key, with paths for file ids and lists
    /// sorted: the same for two workspaces holding the same notes, however they were built.
    fn tables(workspace: &Workspace, probes: &[String]) -> String {
        let paths = |files: &[FileId]| {
            let mut paths: Vec<String> = files
                .iter()
                .map(|&file| workspace.note(file).unwrap().path.display().to_string())
                .collect();
            paths.sort();
            paths.join(",")
        };
        let mut out = String::new();
        for key in probes {
            writeln!(
                out,
                "{key}: id [{}] stem [{}] name [{}] linked [{}]",
                paths(workspace.notes_by_id(key)),
                paths(workspace.notes_by_stem(key)),
                paths(workspace.notes_by_name(key)),
                paths(workspace.notes_linking_with_key(key)),
            )
            .unwrap();
        }
        for prefix in ["", "n", "note-1", "shared", "t", "target-1"] {
            for (key, files) in workspace.link_keys_starting_with(prefix) {
                writeln!(out, "{prefix}* {key}: [{}]", paths(files)).unwrap();
            }
        }
        for (file, note) in workspace.notes() {
            assert_eq!(workspace.file_id(&note.path), Some(file));
        }
        writeln!(out, "{} notes", workspace.note_count()).unwrap();
        out
    }

    #[test]
    fn tables_after_many_edits_equal_a_fresh_build() {
        let root = PathBuf::from("/ws");
        let mut workspace = Workspace::new(vec![root.clone()], IndexConfig::default());
        let mut texts: BTreeMap<PathBuf, String> = BTreeMap::new();
        let mut probes: Vec<String> = vec!["shared".into()];
        for round in 0..3_000u32 {
            let path = root.join(format!("n{}.md", round % 30));
            if round % 5 == 4 {
                workspace.remove_note(&path);
                texts.remove(&path);
            } else {
                // Ids, titles and the first link repeat (keys with several notes); the long
                // link key is new each round, so dead key text piles up and is compacted.
                let long_key = format!("target-{round}-{}", "x".repeat(40));
                let text = format!(
                    "---\nid: note-{}\ntitle: Title {}\n---\n[[n{}]] [[shared]] [[{long_key}]]\n",
                    round % 17,
                    round % 13,
                    round % 7,
                );
                probes.extend([
                    format!("note-{}", round % 17),
                    format!("title {}", round % 13),
                    format!("n{}", round % 30),
                    long_key,
                ]);
                workspace.set_note(path.clone(), parse_note(&text));
                texts.insert(path, text);
            }
            if round % 150 == 149 {
                probes.sort();
                probes.dedup();
                let mut fresh = Workspace::new(vec![root.clone()], IndexConfig::default());
                fresh.extend_notes(
                    texts
                        .iter()
                        .map(|(path, text)| (path.clone(), parse_note(text)))
                        .collect(),
                );
                assert_eq!(
                    tables(&workspace, &probes),
                    tables(&fresh, &probes),
                    "round {round}"
                );
            }
        }
        // 2,400 long keys were added and all but a few forgotten: their text was dropped.
        assert!(
            workspace.keys.text.len() < 1 << 16,
            "{}",
            workspace.keys.text.len()
        );
        assert!(
            workspace.keys.keys.len() < 200,
            "{}",
            workspace.keys.keys.len()
        );
    }

    #[test]
    fn an_edit_that_keeps_names_headings_and_block_ids_affects_only_its_note() {
        let root = PathBuf::from("/ws");
        let mut workspace = Workspace::new(vec![root.clone()], IndexConfig::default());
        let hub = root.join("hub.md");
        let hub_text = "---\ntitle: Hub\naliases: [Centre]\n---\n# Top\nText ^blk\n";
        workspace.set_note(hub.clone(), parse_note(hub_text));
        for i in 0..3 {
            let text = format!("[[hub#Top]] [[Centre]] [[hub^blk]] {i}\n");
            workspace.set_note(root.join(format!("n{i}.md")), parse_note(&text));
        }
        let mut edit = |text: &str| -> Vec<String> {
            let (_, affected) = workspace.set_note(hub.clone(), parse_note(text));
            let stem = |f: FileId| workspace.note(f).unwrap().stem().to_owned();
            affected.into_iter().map(stem).collect()
        };
        let body_only = edit(&hub_text.replace("Text", "More text [[n0]]"));
        let heading = edit(&hub_text.replace("# Top", "# Tip"));
        let block = edit(&hub_text.replace("^blk", "^blk2"));
        let alias = edit(&hub_text.replace("Centre", "Center"));
        let affected = [body_only, heading, block, alias];
        expect_test::expect![[r#"
            [
                [
                    "hub",
                ],
                [
                    "hub",
                    "n0",
                    "n1",
                    "n2",
                ],
                [
                    "hub",
                    "n0",
                    "n1",
                    "n2",
                ],
                [
                    "hub",
                    "n0",
                    "n1",
                    "n2",
                ],
            ]
        "#]]
        .assert_debug_eq(&affected);
    }
}
