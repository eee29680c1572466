//! The workspace: knowledge bases and every note's facts, with the lookup tables the resolver
//! and the features need. Updated one file at a time (`set_note`, `remove_note`, `set_kb_config`),
//! so a keystroke or a file changed on disk costs work proportional to that file.
//!
//! The workspace holds no file text: callers read files (see [`crate::vfs`]), parse them with
//! [`crate::syntax::parse_file`] (in parallel, outside any lock) and hand the facts over. Its
//! one read is a closed note's links' texts, which such a note does not keep
//! ([`crate::syntax::Retention::Compact`]): [`Workspace::links_of`] reads them from its file
//! (`note_links.rs`). Which note a link means is decided in [`crate::slug`], never here.

//!
//! This file is the workspace's API; its parts live beside it: the note model (`note.rs`), the
//! key table that the lookups by id, stem and name read (`key_table.rs`), the link table that
//! the lookups by link key read (`link_table.rs`), the name facts and name table that name
//! searches scan (`name_table.rs`), the tables' hashing (`hash.rs`), a note's links with their
//! texts (`note_links.rs`) and the attachments, files that are link targets but not notes
//! (`attachments.rs`).

mod attachments;
mod hash;
mod key_table;
mod link_table;
mod name_table;
mod note;
mod note_links;

use std::path::{Path, PathBuf};

use hashbrown::HashTable;
use rustc_hash::FxHashMap as HashMap;

use crate::syntax::{KbConfig, ParsedNote, parse_kb_config};
use crate::text::FileId;
use crate::vfs::{has_plain_parts, is_plain_path};

use attachments::Attachments;
pub use attachments::{ATTACHMENT_BIT, Attachment};
use hash::{hash_key, hash_path, table_hash};
use key_table::{DEFER_LINK_ORDER_ABOVE, KeyTable, NAME_SLOTS, NoteKeys, Role};
#[cfg(test)]
use link_table::LINK_SHARDS;
use link_table::{LinkShards, LinkTable, NoteLinkKeys};
pub use name_table::{NameEntry, NameFacts, NameList, NameTable};
pub use note::{IndexConfig, Kb, KbId, NameKey, Note, char_mask};
pub use note_links::NoteLinks;

#[derive(Default)]
pub struct Workspace {
    roots: Vec<PathBuf>,
    kbs: Vec<Kb>,
    /// KBs by ASCII-lowercased name and shortname (see [`Workspace::kb_by_name`]): a link's KB
    /// prefix is found in one lookup, not a comparison with every KB's names.
    kb_names: HashMap<String, KbId>,
    kb_by_dir: HashMap<PathBuf, KbId>,
    notes: Vec<Option<Note>>,
    /// The notes by path: file ids (with their path's [`hash_path`]), compared through
    /// `notes[file].path` (no second copy of each path).
    file_by_path: HashTable<(FileId, u32)>,
    /// Folded id, stem, title or alias -> notes.
    keys: KeyTable<NAME_SLOTS>,
    /// Link key (see [`crate::keys::note_link_keys`]) -> notes, built on first use.
    links: LinkTable,
    /// Every note's [`NameFacts`] by file id: one dense array for name searches to scan
    /// before they touch any note.
    name_facts: Vec<NameFacts>,
    /// Every note's names and headings in one buffer, for name searches (workspace symbols).
    names: NameTable,
    /// How many notes each KB holds, by KB id (for `visible_kbs`, without a scan of all notes).
    kb_note_counts: Vec<u32>,
    /// Files under the roots that are not notes (see [`Attachment`]).
    attachments: Attachments,
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
        self.index_kb_names();
    }

    /// Rebuilds [`Workspace::kb_names`] after the KBs changed: each name and shortname names
    /// the first KB with a kb.yaml that has it, else the first implicit one.
    fn index_kb_names(&mut self) {
        self.kb_names.clear();
        for implicit in [false, true] {
            for (index, kb) in self.kbs.iter().enumerate() {
                if kb.is_implicit() != implicit {
                    continue;
                }
                let id = KbId(index as u32);
                for name in std::iter::once(&kb.name).chain(&kb.shortname) {
                    self.kb_names.entry(name.to_ascii_lowercase()).or_insert(id);
                }
            }
        }
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
        if name.bytes().any(|b| b.is_ascii_uppercase()) {
            self.kb_names.get(&name.to_ascii_lowercase()).copied()
        } else {
            self.kb_names.get(name).copied()
        }
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
        self.index_kb_names();
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
            self.index_kb_names();
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
        let mut attachments = std::mem::take(&mut self.attachments);
        attachments.reassign_under(dir, |path| {
            let kb = self.kb_for_path(path);
            (kb, self.kb_relative_file_path(kb, path))
        });
        self.attachments = attachments;
    }

    /// The KB a file at `path` belongs to: the nearest folder with kb.yaml, else its root's.
    pub fn kb_for_path(&self, path: &Path) -> KbId {
        self.kb_for_plain_path(path)
            .unwrap_or_else(|| self.kb_for_path_by_components(path))
    }

    /// [`Workspace::kb_for_path`] for any path, through its components.
    fn kb_for_path_by_components(&self, path: &Path) -> KbId {
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

    /// [`Workspace::kb_for_path`] read from the text of a plain path under plain roots (see
    /// [`is_plain_path`]; nearly every path): its folders are the text before each `/`, with
    /// no component parsing (which took a tenth of a note's preparation). `None` otherwise.
    fn kb_for_plain_path(&self, path: &Path) -> Option<KbId> {
        let text = path.to_str()?;
        if !is_plain_path(path) || !self.roots.iter().all(|root| is_plain_path(root)) {
            return None;
        }
        let under = |root: &&PathBuf| {
            let root = root.as_os_str().as_encoded_bytes();
            text.as_bytes().starts_with(root) && text.as_bytes().get(root.len()) == Some(&b'/')
        };
        let root = self
            .roots
            .iter()
            .filter(under)
            .max_by_key(|root| root.as_os_str().len())?;
        let root_len = root.as_os_str().len();
        for end in memchr::memrchr_iter(b'/', text.as_bytes()) {
            if end < root_len {
                break;
            }
            if let Some(&id) = self.kb_by_dir.get(Path::new(&text[..end])) {
                return Some(id);
            }
        }
        let root_index = self
            .roots
            .iter()
            .position(|r| r.as_os_str() == root.as_os_str())?;
        // Implicit KBs were pushed first, one per root, in root order.
        Some(KbId(root_index as u32))
    }

    /// `path` inside `kb`'s folder, `/`-separated, without the extension (a note's `kb_path`).
    pub fn kb_relative_path(&self, kb: KbId, path: &Path) -> Box<str> {
        if let Some(relative) = self.plain_relative_path(kb, path) {
            // What `with_extension("")` cuts: from the last `.` of the file name, unless the
            // name starts with its only `.`.
            let name_start = relative.rfind('/').map_or(0, |slash| slash + 1);
            let end = match relative[name_start..].rfind('.') {
                Some(dot) if dot > 0 => name_start + dot,
                _ => relative.len(),
            };
            return relative[..end].into();
        }
        self.kb_relative_file_path(kb, &path.with_extension(""))
    }

    /// `path` inside `kb`'s folder, `/`-separated, as it is (an attachment's `kb_path`).
    pub fn kb_relative_file_path(&self, kb: KbId, path: &Path) -> Box<str> {
        if let Some(relative) = self.plain_relative_path(kb, path) {
            return relative.into();
        }
        let dir = self.kbs.get(kb.0 as usize).map(|k| k.dir.as_path());
        joined_components(dir, path)
    }

    /// The text of `path` after `kb`'s folder and a `/`, when both are UTF-8 and the rest is
    /// plain `/`-separated names (no empty, `.` or `..` part, no other separator): what the
    /// component-by-component join gives, without building it (nearly every indexed path).
    fn plain_relative_path<'a>(&self, kb: KbId, path: &'a Path) -> Option<&'a str> {
        if cfg!(windows) {
            return None;
        }
        let dir = self.kbs.get(kb.0 as usize)?.dir.to_str()?;
        if dir.is_empty() || dir.ends_with('/') {
            return None;
        }
        let relative = path.to_str()?.strip_prefix(dir)?.strip_prefix('/')?;
        has_plain_parts(relative.as_bytes()).then_some(relative)
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

    /// The path of the note or attachment `file`.
    pub fn path(&self, file: FileId) -> Option<&Path> {
        match self.note(file) {
            Some(note) => Some(&note.path),
            None => Some(&self.attachment(file)?.path),
        }
    }

    // ----- attachments -----

    /// The attachment `file`, when it is one.
    pub fn attachment(&self, file: FileId) -> Option<&Attachment> {
        self.attachments.get(file)
    }

    /// The attachment at `path`, if one is indexed there.
    pub fn attachment_id(&self, path: &Path) -> Option<FileId> {
        self.attachments.id(path)
    }

    /// Attachments whose folded file name (with extension) is `folded_name`.
    pub fn attachments_by_name(&self, folded_name: &str) -> &[FileId] {
        self.attachments.by_name(folded_name)
    }

    /// Every attachment, in the order indexed.
    pub fn attachments(&self) -> impl Iterator<Item = (FileId, &Attachment)> {
        self.attachments.iter()
    }

    pub fn attachment_count(&self) -> usize {
        self.attachments.len()
    }

    /// Adds or updates the attachment at `path`, `size` bytes long; returns its id and the
    /// notes whose answers may have changed (those linking with its file name).
    pub fn set_attachment(&mut self, path: PathBuf, size: u64) -> (FileId, Vec<FileId>) {
        let kb = self.kb_for_path(&path);
        let kb_path = self.kb_relative_file_path(kb, &path);
        let file = self.attachments.set(path, kb, kb_path, size);
        let affected = self.attachment_affected(file);
        (file, affected)
    }

    /// Forgets the attachment at `path`; returns the notes that linked to its file name.
    pub fn remove_attachment(&mut self, path: &Path) -> Vec<FileId> {
        let Some(file) = self.attachments.id(path) else {
            return Vec::new();
        };
        let affected = self.attachment_affected(file);
        self.attachments.remove(path);
        affected
    }

    /// The notes with a link whose key is the attachment's file name.
    fn attachment_affected(&self, file: FileId) -> Vec<FileId> {
        let Some(attachment) = self.attachments.get(file) else {
            return Vec::new();
        };
        let mut affected = self
            .notes_linking_with_key(&crate::keys::fold(attachment.name()))
            .to_vec();
        affected.sort_unstable();
        affected.dedup();
        affected
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

    /// How many notes `kb` holds.
    pub fn kb_note_count(&self, kb: KbId) -> usize {
        self.kb_note_counts
            .get(kb.0 as usize)
            .map_or(0, |&n| n as usize)
    }

    /// Adds or replaces the note at `path`; returns its id and the notes whose diagnostics or
    /// answers may have changed (those that link to its old or new names, and itself).
    pub fn set_note(&mut self, path: PathBuf, parsed: ParsedNote) -> (FileId, Vec<FileId>) {
        self.set_note_with(path, parsed, Affected::Wanted)
    }

    /// [`Workspace::set_note`] for the initial index (an open buffer's text over the file's),
    /// where nothing has diagnostics yet: which notes it affects is not worked out, so the link
    /// table is not built for it.
    pub fn put_note(&mut self, path: PathBuf, parsed: ParsedNote) -> FileId {
        self.set_note_with(path, parsed, Affected::NotWanted).0
    }

    fn set_note_with(
        &mut self,
        path: PathBuf,
        parsed: ParsedNote,
        wanted: Affected,
    ) -> (FileId, Vec<FileId>) {
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
        let old_links = self.note(file).map_or(0, |n| n.parsed.link_count());
        let many_links = old_links + parsed.link_count() > DEFER_LINK_ORDER_ABOVE;
        if wanted == Affected::Wanted {
            self.link_table();
        }
        if many_links && let Some(links) = self.links.built_mut() {
            links.defer_link_order();
        }
        let mut affected = self.unindex(file, wanted);
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
        affected.extend(self.index(file, wanted));
        if many_links && let Some(links) = self.links.built_mut() {
            links.restore_link_order();
        }
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
        let many_links = self
            .note(file)
            .is_some_and(|n| n.parsed.link_count() > DEFER_LINK_ORDER_ABOVE);
        self.link_table();
        if many_links && let Some(links) = self.links.built_mut() {
            links.defer_link_order();
        }
        let mut affected = self.unindex(file, Affected::Wanted);
        if let Some(links) = self.links.built_mut()
            && links.take_unread(file)
        {
            // Its file went before its old keys were taken out: the notes they led to lose
            // a backlink.
            let left = links.remove_unread_keys(file);
            affected.extend(self.notes_named_by_link_keys(&left));
        }
        if many_links && let Some(links) = self.links.built_mut() {
            links.restore_link_order();
        }
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
            kb_names: self.kb_names.clone(),
            kb_by_dir: self.kb_by_dir.clone(),
            config: self.config.clone(),
            ..Workspace::default()
        }
    }

    /// Adds prepared notes (the initial index), in order, as they come (the caller may still be
    /// preparing later ones). Unlike [`Workspace::set_note`] it skips the affected-set work, as
    /// nothing has diagnostics yet: the keys go straight into the tables.
    pub fn extend_prepared(&mut self, notes: impl IntoIterator<Item = PreparedNote>) {
        // The link table, if built, is built again when next asked for: once for all the new
        // notes rather than once per note.
        self.links.forget();
        for PreparedNote {
            note,
            keys,
            path_hash,
        } in notes
        {
            if self.find_path(&note.path, path_hash).is_some() {
                // A path already known (or given twice): replace it the usual way.
                self.put_note(note.path, note.parsed);
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
    }

    /// Builds the note for `path`: its KB, path inside the KB, id and stem.
    fn make_note(&self, path: PathBuf, parsed: ParsedNote) -> Note {
        let kb = self.kb_for_path(&path);
        let kb_path = self.kb_relative_path(kb, &path);
        // No KB at all while the server has no root yet.
        let in_kb_with_config = self
            .kbs
            .get(kb.0 as usize)
            .is_some_and(|k| !k.is_implicit());
        let entry = crate::schema::is_entry_file(in_kb_with_config, &kb_path, &path);
        let mut note = Note::new(path, kb, &kb_path, parsed);
        note.entry = entry;
        note
    }

    /// Adds `file`'s entries to the tables; returns notes that link to any of its names (when
    /// `wanted`).
    fn index(&mut self, file: FileId, wanted: Affected) -> Vec<FileId> {
        let Some(note) = self.notes[file.0 as usize].as_ref() else {
            return Vec::new();
        };
        let keys = NoteKeys::of(note);
        // After the affected notes, which may build the table.
        let mut affected = self.notes_linking_to_names(&keys, wanted);
        let link_keys = self.links.is_built().then(|| {
            let links = self.links_of(note);
            NoteLinkKeys::of(&note.parsed, links.links())
        });
        if let (Some(links), Some(link_keys)) = (self.links.built_mut(), link_keys) {
            if links.take_unread(file) {
                let left = links.replace_unread_keys(file, &link_keys);
                if wanted == Affected::Wanted {
                    affected.extend(self.notes_named_by_link_keys(&left));
                }
            } else {
                links.add_note(file, &link_keys);
            }
        }
        self.add_keys(file, keys);
        affected
    }

    /// The notes whose id, stem or name is one of link `keys` (or the part after a KB prefix):
    /// those a note's links with these keys led to, as far as the keys tell.
    fn notes_named_by_link_keys(&self, keys: &[String]) -> Vec<FileId> {
        let mut named = Vec::new();
        for key in keys {
            let name = key.rsplit(':').next().unwrap_or(key);
            for role in [Role::Id, Role::Stem, Role::Name] {
                named.extend_from_slice(self.keys.files(role, key));
                named.extend_from_slice(self.keys.files(role, name));
            }
        }
        named
    }

    /// Adds `file`'s names to the name tables.
    fn add_keys(&mut self, file: FileId, keys: NoteKeys) {
        for (role, key, hash) in keys.iter() {
            self.keys.add(role, key, hash, file);
        }
    }

    /// Removes `file`'s entries from the tables; returns notes that linked to its names (when
    /// `wanted`).
    fn unindex(&mut self, file: FileId, wanted: Affected) -> Vec<FileId> {
        let Some(note) = self.notes[file.0 as usize].as_ref() else {
            return Vec::new();
        };
        let keys = NoteKeys::of(note);
        // After the affected notes, which may build the table.
        let affected = self.notes_linking_to_names(&keys, wanted);
        // The keys the note was indexed with, from its links; unless its file changed (or went)
        // since: read again, they would be the new ones, so the old ones stay for whoever
        // replaces or removes the note (`index`, `remove_note`).
        let link_keys = self.links.is_built().then(|| {
            let links = self.indexed_links_of(note)?;
            Some(NoteLinkKeys::of(&note.parsed, links.links()))
        });
        match (self.links.built_mut(), link_keys) {
            (Some(links), Some(Some(link_keys))) => links.remove_note(file, &link_keys),
            (Some(links), Some(None)) => links.old_keys_unread(file),
            _ => {}
        }
        for (role, key, hash) in keys.iter() {
            self.keys.remove(role, key, hash, file);
        }
        affected
    }

    /// The notes with a link key equal to one of `keys` (a note's names), when `wanted`.
    fn notes_linking_to_names(&self, keys: &NoteKeys, wanted: Affected) -> Vec<FileId> {
        if wanted == Affected::NotWanted {
            return Vec::new();
        }
        let links = self.link_table();
        let mut affected = Vec::new();
        for (_, key, hash) in keys.iter() {
            affected.extend_from_slice(links.files_hashed(key, hash));
        }
        affected
    }

    /// The link table, built now if it is not yet (see [`LinkTable`]).
    fn link_table(&self) -> &LinkShards {
        self.links.get_or_build(&self.notes, &self.roots)
    }

    /// The links of `note` with their texts, read from its file when the note does not keep
    /// them (see [`NoteLinks`]).
    pub fn links_of<'a>(&'a self, note: &'a Note) -> NoteLinks<'a> {
        note_links::note_links(&self.roots, &note.path, &note.parsed)
    }

    /// [`Workspace::links_of`] when they are the links `note` was indexed with; `None` when
    /// its file changed since (or went), without parsing what it now holds.
    pub fn indexed_links_of<'a>(&'a self, note: &'a Note) -> Option<NoteLinks<'a>> {
        note_links::indexed_note_links(&self.roots, &note.path, &note.parsed)
    }

    /// Builds the link table now if it is not built yet, so that the first question about who
    /// links where does not wait for it (the server calls this once the index is ready).
    pub fn build_link_table(&self) {
        self.link_table();
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

    /// Notes with a link or reference whose key is `key` (see [`crate::keys::note_link_keys`]).
    pub fn notes_linking_with_key(&self, key: &str) -> &[FileId] {
        self.link_table().files(key)
    }

    /// Whether note `file`, one of [`Workspace::notes_linking_with_key`]`(key)`, is there
    /// through exactly one plain link or through frontmatter values only (see
    /// [`crate::keys::KeyOrigin`]), so that its links under `key` are known without reading
    /// them: false when it may be there otherwise.
    pub fn is_listed_plainly(&self, file: FileId, key: &str) -> bool {
        self.link_table().is_listed_plainly(file, hash_key(key))
    }

    /// How many links note `file`, one of [`Workspace::notes_linking_with_key`]`(key)`, has
    /// under `key`, when they are several and each written plainly (see
    /// [`crate::keys::KeyOrigin::PlainLinks`]): `None` otherwise.
    pub fn plain_links_under(&self, file: FileId, key: &str) -> Option<usize> {
        let count = self.link_table().plain_link_count(file, hash_key(key))?;
        Some(count as usize)
    }

    /// Whether note `file`, one of [`Workspace::notes_linking_with_key`]`(key)`, may be there
    /// through a link with a folder (or a relative one) whose last segment is `key` (see
    /// [`crate::keys::KeyOrigin::LastSegment`]): false when it is certainly not.
    pub fn may_link_by_last_segment(&self, file: FileId, key: &str) -> bool {
        self.link_table()
            .may_link_by_last_segment(file, hash_key(key))
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
        self.link_table().links_from(from, prefix)
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

    /// The KB of note `file` (`None` for an attachment or a removed note), read from the dense
    /// [`NameFacts`] array: resolving a link filters its candidates by KB without reading each
    /// candidate note.
    pub fn note_kb(&self, file: FileId) -> Option<KbId> {
        let facts = self.name_facts.get(file.0 as usize)?;
        facts.live.then_some(facts.kb)
    }

    /// The names and headings of every note (see [`NameTable`]).
    pub fn names(&self) -> &NameTable {
        &self.names
    }

    /// Rebuilds the name table once most of it is names of replaced or removed notes.
    fn compact_names(&mut self) {
        if self.names.is_mostly_dead() {
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
/// `path` inside `dir` (when it is inside), its components joined with `/`: the general form of
/// a note's or attachment's path in its KB (see `Workspace::plain_relative_path`).
fn joined_components(dir: Option<&Path>, path: &Path) -> Box<str> {
    let relative = dir
        .and_then(|dir| path.strip_prefix(dir).ok())
        .unwrap_or(path);
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/").into()
}

/// Whether an update works out which other notes it affects (see [`Workspace::put_note`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Affected {
    Wanted,
    NotWanted,
}

pub struct PreparedNote {
    note: Note,
    keys: NoteKeys,
    /// [`hash_path`] of the note's path.
    path_hash: u32,
}

fn note_has_path(notes: &[Option<Note>], file: FileId, path: &Path) -> bool {
    notes[file.0 as usize]
        .as_ref()
        .is_some_and(|note| note.path == path)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::fmt::Write;

    use super::*;
    use crate::syntax::parse_note;

    #[test]
    fn kbs_are_found_by_name_or_shortname_in_any_ascii_case() {
        let mut workspace =
            Workspace::new(vec!["/v".into(), "/plain".into()], IndexConfig::default());
        workspace.set_kb_config(Path::new("/v/a/kb.yaml"), "name: Garden\nshortname: gd\n");
        workspace.set_kb_config(Path::new("/v/b/kb.yaml"), "name: GD\n");
        workspace.set_kb_config(Path::new("/v/c/kb.yaml"), "name: plain\n");
        let name_of = |workspace: &Workspace, name: &str| {
            workspace
                .kb_by_name(name)
                .map(|id| workspace.kb(id).dir.clone())
        };
        // The first KB with a kb.yaml that has the name, by name or shortname; a KB with a
        // kb.yaml before a root's implicit one (the root `/plain` is also named `plain`).
        for (name, dir) in [
            ("garden", Some("/v/a")),
            ("GARDEN", Some("/v/a")),
            ("gd", Some("/v/a")),
            ("Gd", Some("/v/a")),
            ("plain", Some("/v/c")),
            ("v", Some("/v")),
            ("nowhere", None),
            ("gärden", None),
        ] {
            assert_eq!(name_of(&workspace, name), dir.map(PathBuf::from), "{name}");
        }
        // A KB whose kb.yaml is gone no longer answers to its names; the next one does.
        workspace.remove_kb_config(Path::new("/v/a/kb.yaml"));
        assert_eq!(name_of(&workspace, "gd"), Some(PathBuf::from("/v/b")));
        assert_eq!(name_of(&workspace, "garden"), None);
        workspace.remove_kb_config(Path::new("/v/c/kb.yaml"));
        assert_eq!(name_of(&workspace, "plain"), Some(PathBuf::from("/plain")));
    }

    #[test]
    fn plain_relative_paths_equal_the_joined_components() {
        let mut workspace = Workspace::new(vec!["/v".into()], IndexConfig::default());
        workspace.set_kb_config(Path::new("/v/kb/kb.yaml"), "name: kb\n");
        let kb = workspace.kb_for_path(Path::new("/v/kb/a.md"));
        let mut rendered = String::new();
        for path in [
            "/v/kb/a.md",
            "/v/kb/sub/b.markdown",
            "/v/kb/a.b.md",
            "/v/kb/.hidden",
            "/v/kb/sub/.hidden.md",
            "/v/kb/a.",
            "/v/kb/no-extension",
            "/v/kb/sub/./c.md",
            "/v/kb//d.md",
            "/v/kb/../e.md",
            "/v/kb/f/",
            "/v/kbx/g.md",
            "/elsewhere/h.md",
        ] {
            let path = Path::new(path);
            let dir = Some(workspace.kb(kb).dir.as_path());
            let general = (
                joined_components(dir, &path.with_extension("")),
                joined_components(dir, path),
            );
            let fast = (
                workspace.kb_relative_path(kb, path),
                workspace.kb_relative_file_path(kb, path),
            );
            assert_eq!(fast, general, "{}", path.display());
            let plain = workspace.plain_relative_path(kb, path).is_some();
            writeln!(rendered, "{} {plain} {:?}", path.display(), fast).unwrap();
        }
        expect_test::expect![[r#"
            /v/kb/a.md true ("a", "a.md")
            /v/kb/sub/b.markdown true ("sub/b", "sub/b.markdown")
            /v/kb/a.b.md true ("a.b", "a.b.md")
            /v/kb/.hidden true (".hidden", ".hidden")
            /v/kb/sub/.hidden.md true ("sub/.hidden", "sub/.hidden.md")
            /v/kb/a. true ("a", "a.")
            /v/kb/no-extension true ("no-extension", "no-extension")
            /v/kb/sub/./c.md false ("sub/c", "sub/c.md")
            /v/kb//d.md false ("d", "d.md")
            /v/kb/../e.md false ("../e", "../e.md")
            /v/kb/f/ false ("f", "f")
            /v/kbx/g.md false ("//v/kbx/g", "//v/kbx/g.md")
            /elsewhere/h.md false ("//elsewhere/h", "//elsewhere/h.md")
        "#]]
        .assert_eq(&rendered);
    }

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
        for prefix in ["", "b", "bulk-1-", "n", "note-1", "shared", "t", "target-1"] {
            let mut last: Option<&str> = None;
            for (key, files) in workspace.link_keys_starting_with(prefix) {
                // The shards' keys come merged: in strictly increasing order.
                assert!(last.is_none_or(|last| last < key), "{last:?} then {key}");
                last = Some(key);
                writeln!(out, "{prefix}* {key}: [{}]", paths(files)).unwrap();
            }
        }
        // Every link key is found by the prefix search, as by its own lookup.
        let keys: Vec<&str> = workspace.link_keys().map(|(key, _)| key).collect();
        for key in &keys {
            assert!(!workspace.notes_linking_with_key(key).is_empty(), "{key}");
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
                let long_key = format!("target-{round}-{}", "x".repeat(200));
                let mut text = format!(
                    "---\nid: note-{}\ntitle: Title {}\n---\n[[n{}]] [[shared]] [[{long_key}]]\n",
                    round % 17,
                    round % 13,
                    round % 7,
                );
                // Now and then a note with more links than one update shifts the sorted
                // link keys for, one by one: the deferred order must end up the same.
                if round % 10 == 3 {
                    for i in 0..DEFER_LINK_ORDER_ABOVE + 10 {
                        write!(text, "[[bulk-{}-{i}]] ", round % 4).unwrap();
                    }
                }
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
        // 2,400 long link keys (500 KB) were added and all but a few forgotten: their text was
        // dropped (each shard keeps at most 64 KiB of dead text).
        let links = workspace.link_table();
        assert!(links.text_len() < LINK_SHARDS << 16, "{}", links.text_len());
        // (Plus the bulk keys: four sets of 74, some still used by live notes.)
        assert!(
            links.key_count() < 200 + 4 * (DEFER_LINK_ORDER_ABOVE + 10),
            "{}",
            links.key_count()
        );
        // The name table holds the ids, stems and titles only.
        assert!(
            workspace.keys.key_count() < 100,
            "{}",
            workspace.keys.key_count()
        );
    }

    /// The KB of a plain path read from its text is the KB its components give, for paths
    /// in nested KBs, in nested and repeated roots, at a root's top and outside every root.
    #[test]
    fn the_kb_of_a_plain_path_is_the_kb_its_components_give() {
        let roots = ["/ws", "/ws/inner", "/other", "/ws"].map(PathBuf::from);
        let mut workspace = Workspace::new(roots.to_vec(), IndexConfig::default());
        for dir in [
            "/ws/a",
            "/ws/a/b/c",
            "/ws/inner",
            "/ws/inner/k",
            "/other/x",
            "/ws-not/k",
        ] {
            workspace.set_kb_config(&Path::new(dir).join("kb.yaml"), "name: k\n");
        }
        let paths = [
            "/ws/n.md",
            "/ws/a/n.md",
            "/ws/a/b/n.md",
            "/ws/a/b/c/n.md",
            "/ws/a/b/c/d/e/n.md",
            "/ws/inner/n.md",
            "/ws/inner/k/n.md",
            "/ws/innerx/n.md",
            "/other/x/y/n.md",
            "/other/n.md",
            "/ws-not/k/n.md",
            "/elsewhere/n.md",
            "/n.md",
        ];
        for path in paths.map(Path::new) {
            assert!(is_plain_path(path), "{}", path.display());
            let by_components = workspace.kb_for_path_by_components(path);
            let by_text = workspace.kb_for_plain_path(path);
            // Outside every root the components' answer (root 0) is used as it is.
            if path.starts_with("/ws") || path.starts_with("/other") {
                assert_eq!(by_text, Some(by_components), "{}", path.display());
            } else {
                assert_eq!(by_text, None, "{}", path.display());
            }
        }
    }

    /// The link table is built when first asked for, from the notes as they are then: notes
    /// put in while it is not built (the open buffers during indexing) are in it, and once it
    /// is built every kind of update keeps it as a fresh build would have it.
    #[test]
    fn the_link_table_built_late_sees_every_update_before_and_after() {
        let root = PathBuf::from("/ws");
        let mut workspace = Workspace::new(vec![root.clone()], IndexConfig::default());
        let note = |text: &str| parse_note(text);
        workspace.extend_notes(vec![
            (root.join("a.md"), note("[[b]] [[gone]]\n")),
            (root.join("b.md"), note("[[a]]\n")),
        ]);
        // Not built yet: an open buffer replaces `a` and adds `c` without building it.
        workspace.put_note(root.join("a.md"), note("[[c]]\n"));
        workspace.put_note(root.join("c.md"), note("[[b]] [[a]]\n"));
        fn stems(workspace: &Workspace, files: &[FileId]) -> Vec<String> {
            let mut stems: Vec<String> = files
                .iter()
                .map(|&f| workspace.note(f).unwrap().stem().to_owned())
                .collect();
            stems.sort();
            stems
        }
        let linking = |workspace: &Workspace, key: &str| {
            stems(workspace, workspace.notes_linking_with_key(key))
        };
        assert_eq!(linking(&workspace, "b"), ["c"]);
        assert_eq!(linking(&workspace, "a"), ["b", "c"]);
        assert!(linking(&workspace, "gone").is_empty());
        // Built now: an edit, a removal and a buffer put in are kept in it.
        let (_, affected) = workspace.set_note(root.join("b.md"), note("# B\n[[c]]\n"));
        assert_eq!(stems(&workspace, &affected), ["b", "c"]);
        workspace.remove_note(&root.join("c.md"));
        workspace.put_note(root.join("d.md"), note("[[b]]\n"));
        assert_eq!(linking(&workspace, "b"), ["d"]);
        assert_eq!(linking(&workspace, "c"), ["a", "b"]);
        assert!(linking(&workspace, "a").is_empty());
    }

    #[test]
    fn a_closed_note_s_links_are_read_from_its_file_even_after_it_changed_or_went() {
        use crate::syntax::{Retention, parse_file};
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        let mut workspace = Workspace::new(vec![root.clone()], IndexConfig::default());
        let write = |name: &str, text: &str| {
            std::fs::write(root.join(name), text).unwrap();
            (
                root.join(name),
                parse_file(&root.join(name), text, Retention::Compact),
            )
        };
        // CRLF, CJK and an emoji before the links: their places are bytes in the file.
        let a_text = "# 見出し 🙂\r\n[[b]] and [[c|Shown]]\r\n";
        workspace.extend_notes(vec![
            write("a.md", a_text),
            write("b.md", "# B\n"),
            write("c.md", "# C\n[[a#見出し 🙂]]\n"),
        ]);
        let a = workspace.file_id(&root.join("a.md")).unwrap();
        let targets = |workspace: &Workspace| -> (bool, Vec<String>) {
            let note = workspace.note(a).unwrap();
            let links = workspace.links_of(note);
            let texts = links.links().iter().map(|l| l.target.text.to_owned());
            (workspace.indexed_links_of(note).is_some(), texts.collect())
        };
        assert!(!workspace.note(a).unwrap().parsed.keeps_link_texts());
        assert_eq!(targets(&workspace), (true, vec!["b".into(), "c".into()]));
        let linking =
            |workspace: &Workspace, key: &str| workspace.notes_linking_with_key(key).to_vec();
        assert_eq!(linking(&workspace, "b"), [a]);
        let c = workspace.file_id(&root.join("c.md")).unwrap();
        assert_eq!(linking(&workspace, "a"), [c]);
        // Changed on disk, the watcher's event not handled yet: the links as the file now
        // reads; as long, with a link moved or retargeted, as when longer.
        let moved = a_text.replace("[[b]] and", "and [[b]]");
        std::fs::write(root.join("a.md"), &moved).unwrap();
        assert_eq!(targets(&workspace), (false, vec!["b".into(), "c".into()]));
        std::fs::write(root.join("a.md"), a_text.replace("[[b]]", "[[x]]")).unwrap();
        assert_eq!(targets(&workspace), (false, vec!["x".into(), "c".into()]));
        std::fs::write(root.join("a.md"), "[[d]] [[c]]\n").unwrap();
        assert_eq!(targets(&workspace), (false, vec!["d".into(), "c".into()]));
        // The event: the keys the note was indexed with leave the link table, though they
        // cannot be read from the file any more; the note they led to is affected (one key
        // left: found by its hash).
        let b = workspace.file_id(&root.join("b.md")).unwrap();
        let (_, affected) = workspace.set_note(root.join("a.md"), write("a.md", "[[d]] [[c]]\n").1);
        assert!(affected.contains(&b), "{affected:?}");
        assert!(linking(&workspace, "b").is_empty());
        assert_eq!(linking(&workspace, "d"), [a]);
        assert_eq!(linking(&workspace, "c"), [a]);
        // No key left (one added), then every key left (found by a search).
        std::fs::write(root.join("a.md"), "[[e]]\n").unwrap();
        workspace.set_note(root.join("a.md"), write("a.md", "[[d]] [[c]] [[e]]\n").1);
        for key in ["d", "c", "e"] {
            assert_eq!(linking(&workspace, key), [a], "{key}");
        }
        std::fs::write(root.join("a.md"), "[[e]]\n").unwrap();
        workspace.set_note(root.join("a.md"), write("a.md", "[[d]] [[c]]\n").1);
        assert!(linking(&workspace, "e").is_empty());
        std::fs::write(root.join("a.md"), "[[e]]\n").unwrap();
        workspace.set_note(root.join("a.md"), write("a.md", "[[f]] [[g]] [[h]]\n").1);
        for key in ["d", "c", "e"] {
            assert!(linking(&workspace, key).is_empty(), "{key}");
        }
        assert_eq!(linking(&workspace, "f"), [a]);
        workspace.set_note(root.join("a.md"), write("a.md", "[[d]] [[c]]\n").1);
        // Edits of every kind, each seen only after the file changed: the table ends as the
        // links are.
        let pool = ["p0", "p1", "p2", "p3", "p4", "p5", "p6"];
        let mut seed = 7u32;
        for round in 0..300 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let chosen: Vec<&str> = pool
                .iter()
                .enumerate()
                .filter(|(i, _)| seed >> (8 + i) & 1 == 1)
                .map(|(_, key)| *key)
                .collect();
            // A key linked twice half the time: its count is kept (`plain_links_under`).
            let twice = |i: usize| seed >> (16 + i) & 1 == 1;
            let links = |(i, key): (usize, &&str)| match twice(i) {
                true => format!("[[{key}]] [[{key}|again]] "),
                false => format!("[[{key}]] "),
            };
            let text: String = chosen.iter().enumerate().map(links).collect();
            // Often as long as the text before (the padding as it was).
            let text = format!("{text}{}\n", "x".repeat(round % 7 / 3));
            workspace.set_note(root.join("a.md"), write("a.md", &text).1);
            for key in pool {
                let place = chosen.iter().position(|chosen| *chosen == key);
                let expected: &[FileId] = if place.is_some() { &[a] } else { &[] };
                assert_eq!(linking(&workspace, key), expected, "{key} in round {round}");
                if let Some(place) = place {
                    let count = workspace.plain_links_under(a, key);
                    assert_eq!(count, twice(place).then_some(2), "{key} in round {round}");
                    if twice(place) {
                        assert!(
                            !workspace.is_listed_plainly(a, key),
                            "{key} in round {round}"
                        );
                    }
                }
            }
        }
        workspace.set_note(root.join("a.md"), write("a.md", "[[d]] [[c]]\n").1);
        // Gone before its removal: no links to read, and its keys leave with it.
        std::fs::remove_file(root.join("a.md")).unwrap();
        assert_eq!(targets(&workspace), (false, vec![]));
        workspace.remove_note(&root.join("a.md"));
        assert!(linking(&workspace, "d").is_empty());
        assert!(linking(&workspace, "c").is_empty());
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
