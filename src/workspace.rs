//! The workspace: knowledge bases and every note's facts, with the lookup tables the resolver
//! and the features need. Updated one file at a time (`set_note`, `remove_note`, `set_kb_config`),
//! so a keystroke or a file changed on disk costs work proportional to that file.
//!
//! The workspace holds no file text and does no I/O: callers read files (see [`crate::vfs`]),
//! parse them with [`crate::syntax::parse_note`] (in parallel, outside any lock) and hand the
//! facts over. Which note a link means is decided in [`crate::slug`], never here.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap as HashMap;

use crate::slug;
use crate::syntax::{KbConfig, ParsedNote, parse_kb_config};
use crate::text::FileId;

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
    /// Frontmatter `id`, else the file stem.
    pub id: Box<str>,
    pub stem: Box<str>,
    /// Path inside the KB folder, `/`-separated, without the extension.
    pub kb_path: Box<str>,
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
    };

    fn of(note: &Note) -> NameFacts {
        NameFacts {
            mask: note.name_mask,
            id_key: note.id_key,
            title_key: note.title_key,
            id_head: id_head(&note.id),
            id_len: note.id.len() as u32,
            kb: note.kb,
            live: true,
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
    /// The title to show: frontmatter `title`, else the first heading, else the id.
    pub fn title(&self) -> &str {
        let fm_title = self
            .parsed
            .frontmatter
            .as_ref()
            .and_then(|fm| fm.title.as_ref());
        match fm_title {
            Some(title) if !title.text.is_empty() => &title.text,
            _ => self
                .parsed
                .headings
                .first()
                .filter(|h| h.level == 1)
                .map_or(&*self.id, |h| &*h.text),
        }
    }

    pub fn note_type(&self) -> Option<&str> {
        let fm = self.parsed.frontmatter.as_ref()?;
        fm.note_type.as_ref().map(|t| &*t.text)
    }

    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.parsed
            .frontmatter
            .iter()
            .flat_map(|fm| fm.aliases.iter().map(|a| &*a.text))
    }

    /// The frontmatter `id:` value, when the note has a non-empty one (else its id is the stem).
    pub fn id_value(&self) -> Option<&crate::syntax::Value> {
        let fm = self.parsed.frontmatter.as_ref()?;
        fm.id.as_ref().filter(|id| !id.text.trim().is_empty())
    }

    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.parsed
            .frontmatter
            .iter()
            .flat_map(|fm| fm.tags.iter().map(|t| &*t.text))
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
    file_by_path: HashMap<PathBuf, FileId>,
    /// Folded id -> notes with that id.
    by_id: HashMap<Box<str>, Vec<FileId>>,
    /// Folded file stem -> notes with that stem.
    by_stem: HashMap<Box<str>, Vec<FileId>>,
    /// Folded title or alias -> notes.
    by_name: HashMap<Box<str>, Vec<FileId>>,
    /// Folded link key (see [`slug::link_keys`]) -> notes that link or refer with that key.
    linked_from: HashMap<Box<str>, Vec<FileId>>,
    /// The keys of `linked_from`, sorted, for prefix searches (wanted pages).
    sorted_link_keys: BTreeSet<Box<str>>,
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
            note.kb_path = kb_path;
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
        self.file_by_path.get(path).copied()
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
        let file = match self.file_by_path.get(&path) {
            Some(&file) => file,
            None => {
                let file = FileId(self.notes.len() as u32);
                self.notes.push(None);
                self.name_facts.push(NameFacts::REMOVED);
                self.file_by_path.insert(path.clone(), file);
                file
            }
        };
        let mut affected = self.unindex(file);
        let note = self.make_note(path, parsed);
        self.name_facts[file.0 as usize] = NameFacts::of(&note);
        self.names.insert(file, &note);
        if let Some(old) = self.notes[file.0 as usize].as_ref().map(|n| n.kb) {
            self.count_note(old, false);
        }
        self.count_note(note.kb, true);
        self.notes[file.0 as usize] = Some(note);
        affected.extend(self.index(file));
        affected.push(file);
        self.compact_names();
        affected.sort_unstable();
        affected.dedup();
        (file, affected)
    }

    /// Forgets the note at `path`; returns the notes whose answers may have changed.
    pub fn remove_note(&mut self, path: &Path) -> Vec<FileId> {
        let Some(file) = self.file_by_path.remove(path) else {
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
        let prepared = notes
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
        PreparedNote { note, keys }
    }

    /// Adds prepared notes (the initial index). Unlike [`Workspace::set_note`] it skips the
    /// affected-set work, as nothing has diagnostics yet: the keys go straight into the tables.
    pub fn extend_prepared(&mut self, notes: Vec<PreparedNote>) {
        self.notes.reserve(notes.len());
        self.file_by_path.reserve(notes.len());
        for PreparedNote { note, keys } in notes {
            if self.file_by_path.contains_key(&note.path) {
                // A path already known (or given twice): replace it the usual way.
                self.set_note(note.path, note.parsed);
                continue;
            }
            let file = FileId(self.notes.len() as u32);
            self.file_by_path.insert(note.path.clone(), file);
            self.name_facts.push(NameFacts::of(&note));
            self.names.insert(file, &note);
            self.count_note(note.kb, true);
            self.notes.push(Some(note));
            self.add_keys(file, keys, false);
        }
        // One sort of all link keys, rather than one insertion per new key.
        self.sorted_link_keys = self.linked_from.keys().cloned().collect();
    }

    /// Builds the note for `path`: its KB, path inside the KB, id and stem.
    fn make_note(&self, path: PathBuf, parsed: ParsedNote) -> Note {
        let kb = self.kb_for_path(&path);
        let stem: Box<str> = path
            .file_stem()
            .map_or_else(String::new, |s| s.to_string_lossy().into_owned())
            .into();
        let fm_id = parsed.frontmatter.as_ref().and_then(|fm| fm.id.as_ref());
        let id = match fm_id {
            Some(id) if !id.text.trim().is_empty() => id.text.trim().into(),
            _ => stem.clone(),
        };
        let mut note = Note {
            kb_path: self.kb_relative_path(kb, &path),
            path,
            kb,
            id,
            stem,
            parsed,
            name_mask: 0,
            heading_mask: 0,
            id_key: None,
            title_key: None,
        };
        note.id_key = NameKey::of(&note.id);
        note.title_key = NameKey::of(note.title());
        note.name_mask = std::iter::once(&*note.id)
            .chain(std::iter::once(note.title()))
            .chain(note.aliases())
            .fold(0, |mask, name| mask | char_mask(name));
        note.heading_mask = note
            .parsed
            .headings
            .iter()
            .fold(0, |mask, heading| mask | char_mask(&heading.text));
        note
    }

    fn names_of(note: &Note) -> (Box<str>, Box<str>, Vec<Box<str>>) {
        let mut names: Vec<Box<str>> = Vec::new();
        if let Some(title) = note
            .parsed
            .frontmatter
            .as_ref()
            .and_then(|fm| fm.title.as_ref())
        {
            names.push(slug::fold(&title.text).into());
        }
        names.extend(note.aliases().map(|a| slug::fold(a).into()));
        names.sort_unstable();
        names.dedup();
        (
            slug::fold(&note.id).into(),
            slug::fold(&note.stem).into(),
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
        for name in std::iter::once(&keys.id)
            .chain(std::iter::once(&keys.stem))
            .chain(&keys.names)
        {
            affected.extend(self.linked_from.get(name).into_iter().flatten().copied());
        }
        self.add_keys(file, keys, true);
        affected
    }

    /// Adds `file` to the tables; `sort_new_keys` keeps `sorted_link_keys` in step (a bulk
    /// insertion rebuilds it once instead).
    fn add_keys(&mut self, file: FileId, keys: NoteKeys, sort_new_keys: bool) {
        self.by_id.entry(keys.id).or_default().push(file);
        self.by_stem.entry(keys.stem).or_default().push(file);
        for name in keys.names {
            self.by_name.entry(name).or_default().push(file);
        }
        for key in keys.links {
            match self.linked_from.entry(key) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut().push(file),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    if sort_new_keys {
                        self.sorted_link_keys.insert(entry.key().clone());
                    }
                    entry.insert(vec![file]);
                }
            }
        }
    }

    /// Removes `file`'s entries from the tables; returns notes that linked to its names.
    fn unindex(&mut self, file: FileId) -> Vec<FileId> {
        let Some(note) = self.note(file) else {
            return Vec::new();
        };
        let (id, stem, names) = Self::names_of(note);
        let keys = slug::note_link_keys(note);
        let mut affected = Vec::new();
        for name in std::iter::once(&id)
            .chain(std::iter::once(&stem))
            .chain(&names)
        {
            affected.extend(self.linked_from.get(name).into_iter().flatten().copied());
        }
        remove_from(&mut self.by_id, &id, file);
        remove_from(&mut self.by_stem, &stem, file);
        for name in &names {
            remove_from(&mut self.by_name, name, file);
        }
        for key in &keys {
            if remove_from(&mut self.linked_from, key, file) {
                self.sorted_link_keys.remove(key);
            }
        }
        affected
    }

    // ----- lookups for the resolver and features -----

    /// Notes whose folded id is `folded_id`.
    pub fn notes_by_id(&self, folded_id: &str) -> &[FileId] {
        self.by_id.get(folded_id).map_or(&[], Vec::as_slice)
    }

    /// Notes whose folded file stem is `folded_stem`.
    pub fn notes_by_stem(&self, folded_stem: &str) -> &[FileId] {
        self.by_stem.get(folded_stem).map_or(&[], Vec::as_slice)
    }

    /// Notes whose folded title or alias is `folded_name`.
    pub fn notes_by_name(&self, folded_name: &str) -> &[FileId] {
        self.by_name.get(folded_name).map_or(&[], Vec::as_slice)
    }

    /// Notes with a link or reference whose key is `key` (see [`slug::link_keys`]).
    pub fn notes_linking_with_key(&self, key: &str) -> &[FileId] {
        self.linked_from.get(key).map_or(&[], Vec::as_slice)
    }

    /// The link keys that start with `prefix`, in sorted order, with the notes using them.
    pub fn link_keys_starting_with<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a [FileId])> {
        use std::ops::Bound;
        self.sorted_link_keys
            .range::<str, _>((Bound::Included(prefix), Bound::Unbounded))
            .take_while(move |key| key.starts_with(prefix))
            .map(|key| (&**key, self.notes_linking_with_key(key)))
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

    /// Every link key in use, with the notes using it (for "wanted pages").
    pub fn link_keys(&self) -> impl Iterator<Item = (&str, &[FileId])> {
        self.linked_from.iter().map(|(k, v)| (&**k, v.as_slice()))
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
}

/// A note's entries in the lookup tables: folded id, stem and names, and its link keys.
struct NoteKeys {
    id: Box<str>,
    stem: Box<str>,
    names: Vec<Box<str>>,
    links: Vec<Box<str>>,
}

impl NoteKeys {
    fn of(note: &Note) -> NoteKeys {
        let (id, stem, names) = Workspace::names_of(note);
        NoteKeys {
            id,
            stem,
            names,
            links: slug::note_link_keys(note),
        }
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

/// Removes `file` from `key`'s list; true when that empties the list and removes the key.
fn remove_from(map: &mut HashMap<Box<str>, Vec<FileId>>, key: &str, file: FileId) -> bool {
    if let Some(files) = map.get_mut(key) {
        if let Some(i) = files.iter().position(|&f| f == file) {
            files.swap_remove(i);
        }
        if files.is_empty() {
            map.remove(key);
            return true;
        }
    }
    false
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
        let names = std::iter::once(&*note.id)
            .chain(std::iter::once(note.title()))
            .chain(note.aliases())
            .map(|name| (name, NOTE_NAME));
        let headings = note
            .parsed
            .headings
            .iter()
            .enumerate()
            .map(|(index, heading)| (&*heading.text, index as u32));
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
        self.masks
            .iter()
            .zip(&self.entries)
            .filter(move |&(&names, entry)| names & mask == mask && entry.file != DEAD)
            .map(|(_, &entry)| {
                let start = entry.start as usize;
                (&self.text[start..start + entry.len as usize], entry)
            })
    }
}
