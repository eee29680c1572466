//! The key table: the workspace's lookup tables by folded id, stem, title or alias and link key,
//! in one. Each distinct key is interned once in one buffer and named by a `u32`; a key's notes
//! in each [`Role`] sit inline when there is one, else in a list. [`NoteKeys`] are one note's
//! name entries, built (and hashed) where the note is parsed; [`NoteLinkKeys`] its link keys.
//!
//! The link keys live in a table of their own, [`LinkTable`], built on first use rather than
//! while the notes load: no lookup by name needs them, only the answers about who links where
//! (references, backlinks, rename, the notes a change affects).

use std::sync::OnceLock;

use hashbrown::HashTable;
use rayon::slice::ParallelSliceMut;

use super::hash::{hash_key, table_hash, text_head};
use super::note::Note;
use crate::keys;
use crate::text::FileId;

/// A note's name entries in the lookup tables, with their [`hash_key`]s: its folded id, stem
/// and names, in one buffer. Built where the note is parsed, so the thread that inserts notes
/// neither hashes nor frees many small strings.
pub(super) struct NoteKeys {
    /// The folded id, stem, titles and aliases, one after the other (repeats included).
    names: String,
    /// The id's, the stem's, then each distinct name's range in `names` (names sorted).
    name_ranges: Vec<(u32, u32)>,
    /// Each name's hash, in `name_ranges` order.
    hashes: Vec<u32>,
}

impl NoteKeys {
    pub(super) fn of(note: &Note) -> NoteKeys {
        let title = note.parsed.frontmatter().and_then(|fm| fm.title());
        // Room for every name at once (folding keeps ASCII's length), not grown name by name.
        let room = note.id().len()
            + note.stem().len()
            + title.map_or(0, |title| title.text.len())
            + note.aliases().map(str::len).sum::<usize>();
        let mut names = String::with_capacity(room);
        let mut name_ranges = Vec::with_capacity(3);
        let mut push = |names: &mut String, text: &str| {
            let start = names.len() as u32;
            keys::fold_into(text, names);
            name_ranges.push((start, names.len() as u32));
        };
        push(&mut names, note.id());
        push(&mut names, note.stem());
        if let Some(title) = title {
            push(&mut names, title.text);
        }
        for alias in note.aliases() {
            push(&mut names, alias);
        }
        let text = |&(start, end): &(u32, u32)| &names[start as usize..end as usize];
        name_ranges[2..].sort_unstable_by(|a, b| text(a).cmp(text(b)));
        // The id and the stem stay; each distinct name is kept once.
        let mut kept = 2;
        for i in 2..name_ranges.len() {
            if kept == 2 || text(&name_ranges[kept - 1]) != text(&name_ranges[i]) {
                name_ranges[kept] = name_ranges[i];
                kept += 1;
            }
        }
        name_ranges.truncate(kept);
        let hashes = name_ranges
            .iter()
            .map(|range| hash_key(text(range)))
            .collect();
        NoteKeys {
            names,
            name_ranges,
            hashes,
        }
    }

    /// Each name entry with its role ([`Role::Id`], [`Role::Stem`] or [`Role::Name`]) and hash.
    pub(super) fn iter(&self) -> impl Iterator<Item = (Role, &str, u32)> {
        self.name_ranges
            .iter()
            .enumerate()
            .zip(&self.hashes)
            .map(|((i, &(start, end)), &hash)| {
                let role = match i {
                    0 => Role::Id,
                    1 => Role::Stem,
                    _ => Role::Name,
                };
                (role, &self.names[start as usize..end as usize], hash)
            })
    }
}

/// A note's link keys (see [`keys::note_link_keys`]) with their [`hash_key`]s.
pub(super) struct NoteLinkKeys {
    links: keys::KeyList,
    hashes: Vec<u32>,
}

impl NoteLinkKeys {
    pub(super) fn of(note: &Note) -> NoteLinkKeys {
        let links = keys::note_link_keys(&note.parsed);
        let hashes = links.iter().map(hash_key).collect();
        NoteLinkKeys { links, hashes }
    }

    /// Each link key with its hash.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        self.links.iter().zip(self.hashes.iter().copied())
    }
}

/// The notes by link key, built from the notes the first time it is asked for rather than
/// while they load: loading a 100,000-note vault spent a fifth of its time on this table, which
/// only the answers about who links where read. Once built, it is kept up to date note by note;
/// until then, changes need not touch it, since it will be built from the notes as they are
/// then.
#[derive(Default)]
pub(super) struct LinkTable {
    table: OnceLock<LinkShards>,
}

/// How many notes' link keys [`LinkTable`]'s build reads at a time.
const LINK_BUILD_BLOCK: usize = 1024;

impl LinkTable {
    /// The table, built from `notes` (indexed by file id) if it is not built yet.
    pub(super) fn get_or_build(&self, notes: &[Option<Note>]) -> &LinkShards {
        self.table.get_or_init(|| {
            let started = std::time::Instant::now();
            let table = LinkShards::build(notes);
            tracing::debug!(
                "link table of {} notes built in {:?}",
                notes.len(),
                started.elapsed()
            );
            table
        })
    }

    /// Whether the table is built (and so is to be kept up to date).
    pub(super) fn is_built(&self) -> bool {
        self.table.get().is_some()
    }

    /// The table, if it is built (to keep it up to date).
    pub(super) fn built_mut(&mut self) -> Option<&mut LinkShards> {
        self.table.get_mut()
    }

    /// Drops the table, to be built again from the notes when next asked for (after many
    /// notes were added at once, where one build costs less than updating it note by note).
    pub(super) fn forget(&mut self) {
        self.table.take();
    }
}

/// How many [`KeyTable`]s the link keys are spread over, by hash: each is built on a thread
/// of its own.
pub(super) const LINK_SHARDS: usize = 4;

/// The link keys ([`Role::Link`]) spread by hash over [`LINK_SHARDS`] key tables, so that the
/// build inserts on every core at once; a key lives in exactly one of them.
pub(super) struct LinkShards {
    shards: Vec<KeyTable>,
}

fn shard_of(hash: u32) -> usize {
    // The top bits: the tables probe with the low ones.
    (hash >> 24) as usize % LINK_SHARDS
}

impl LinkShards {
    /// Reads the notes a block at a time: the block's link keys are worked out on every core,
    /// then each shard takes its keys in, all shards at once, in file-id order (the order an
    /// insertion note by note gives).
    fn build(notes: &[Option<Note>]) -> LinkShards {
        use rayon::prelude::*;
        let mut shards: Vec<KeyTable> = (0..LINK_SHARDS).map(|_| KeyTable::default()).collect();
        for shard in &mut shards {
            shard.begin_bulk_insertion();
        }
        for (index, block) in notes.chunks(LINK_BUILD_BLOCK).enumerate() {
            let first = index * LINK_BUILD_BLOCK;
            let keys: Vec<(FileId, NoteLinkKeys)> = block
                .par_iter()
                .enumerate()
                .filter_map(|(i, note)| {
                    let note = note.as_ref()?;
                    Some((FileId((first + i) as u32), NoteLinkKeys::of(note)))
                })
                .collect();
            shards
                .par_iter_mut()
                .enumerate()
                .for_each(|(shard, table)| {
                    for (file, note_keys) in &keys {
                        for (key, hash) in note_keys.iter() {
                            if shard_of(hash) == shard {
                                table.add(Role::Link, key, hash, *file);
                            }
                        }
                    }
                });
        }
        shards.par_iter_mut().for_each(KeyTable::sort_links);
        LinkShards { shards }
    }

    /// The notes that link with `key` (whose hash is `hash`).
    pub(super) fn files_hashed(&self, key: &str, hash: u32) -> &[FileId] {
        self.shards[shard_of(hash)].files_hashed(Role::Link, key, hash)
    }

    /// The notes that link with `key`.
    pub(super) fn files(&self, key: &str) -> &[FileId] {
        self.files_hashed(key, hash_key(key))
    }

    /// Adds `file` under `key` (whose hash is `hash`).
    pub(super) fn add(&mut self, key: &str, hash: u32, file: FileId) {
        self.shards[shard_of(hash)].add(Role::Link, key, hash, file);
    }

    /// Removes `file` from under `key`.
    pub(super) fn remove(&mut self, key: &str, file: FileId) {
        self.shards[shard_of(hash_key(key))].remove(Role::Link, key, file);
    }

    /// See [`KeyTable::defer_link_order`].
    pub(super) fn defer_link_order(&mut self) {
        self.shards.iter_mut().for_each(KeyTable::defer_link_order);
    }

    /// See [`KeyTable::restore_link_order`].
    pub(super) fn restore_link_order(&mut self) {
        self.shards
            .iter_mut()
            .for_each(KeyTable::restore_link_order);
    }

    /// The link keys that start with `prefix`, in sorted order, from the first key not below
    /// `from`, with the notes using them: the shards' sorted keys merged.
    pub(super) fn links_from<'a>(
        &'a self,
        from: &str,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a [FileId])> + use<'a> {
        let mut runs: Vec<_> = self
            .shards
            .iter()
            .map(|shard| shard.links_from(from, prefix).peekable())
            .collect();
        std::iter::from_fn(move || {
            let next = runs
                .iter_mut()
                .enumerate()
                .filter_map(|(i, run)| Some((run.peek()?.0, i)))
                .min()?
                .1;
            runs[next].next()
        })
    }

    /// The key buffers' length, dead bytes included.
    #[cfg(test)]
    pub(super) fn text_len(&self) -> usize {
        self.shards.iter().map(KeyTable::text_len).sum()
    }

    /// How many key slots the tables hold, unused ones included.
    #[cfg(test)]
    pub(super) fn key_count(&self) -> usize {
        self.shards.iter().map(KeyTable::key_count).sum()
    }
}

/// Which lookup a key serves in a [`KeyTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// A folded note id.
    Id = 0,
    /// A folded file stem.
    Stem = 1,
    /// A folded title or alias.
    Name = 2,
    /// A folded link key (see [`crate::keys::note_link_keys`]): the notes that link or refer with it.
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
pub(super) struct KeyTable {
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
    /// Set while one big note's keys change (see [`KeyTable::defer_link_order`]): link keys
    /// that leave or join [`Role::Link`] are collected here and `sorted_links` is updated once
    /// at the end, so a note with many links costs one pass, not one shift of the list each.
    deferred: Option<DeferredLinks>,
}

/// Link keys that left or joined [`Role::Link`] while the sorted order was deferred.
#[derive(Default)]
struct DeferredLinks {
    removed: Vec<u32>,
    added: Vec<u32>,
}

/// Above this many link keys changing at once, the sorted order is updated in one pass.
pub(super) const DEFER_LINK_ORDER_ABOVE: usize = 64;

fn key_text<'a>(text: &'a str, keys: &[Key], id: u32) -> &'a str {
    let key = &keys[id as usize];
    &text[key.start as usize..(key.start + key.len) as usize]
}

impl KeyTable {
    /// Starts a bulk insertion: `sorted_links` is left stale until [`KeyTable::sort_links`].
    pub(super) fn begin_bulk_insertion(&mut self) {
        self.sort_pending = true;
    }

    /// The link keys that start with `prefix`, in sorted order, from the first key not below
    /// `from`, with the notes using them.
    pub(super) fn links_from<'a>(
        &'a self,
        from: &str,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a [FileId])> + use<'a> {
        debug_assert!(!self.sort_pending);
        let from = from.max(prefix);
        let start = self
            .sorted_links
            .partition_point(|&id| self.key_text(id) < from);
        self.sorted_links[start..]
            .iter()
            .map(|&id| (self.key_text(id), self.files_of(Role::Link, id)))
            .take_while(move |(key, _)| key.starts_with(prefix))
    }

    /// The key buffer's length, dead bytes included.
    #[cfg(test)]
    pub(super) fn text_len(&self) -> usize {
        self.text.len()
    }

    /// How many key slots the table holds, unused ones included.
    #[cfg(test)]
    pub(super) fn key_count(&self) -> usize {
        self.keys.len()
    }

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
    pub(super) fn files(&self, role: Role, key: &str) -> &[FileId] {
        self.files_hashed(role, key, hash_key(key))
    }

    /// [`KeyTable::files`] with the key's hash already computed.
    pub(super) fn files_hashed(&self, role: Role, key: &str, hash: u32) -> &[FileId] {
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
    pub(super) fn add(&mut self, role: Role, key: &str, hash: u32, file: FileId) {
        debug_assert!(file.0 & LIST_BIT == 0, "file ids stay below 2^31");
        let id = self.intern(key, hash);
        let files = match Files::unpack(self.keys[id as usize].files[role as usize]) {
            None => {
                if role == Role::Link
                    && let Some(deferred) = &mut self.deferred
                {
                    deferred.added.push(id);
                } else if role == Role::Link && !self.sort_pending {
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
    pub(super) fn remove(&mut self, role: Role, key: &str, file: FileId) {
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
        if role == Role::Link
            && let Some(deferred) = &mut self.deferred
        {
            deferred.removed.push(id);
        } else if role == Role::Link && !self.sort_pending {
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

    /// Defers keeping `sorted_links` in order until [`KeyTable::restore_link_order`]: for the
    /// update of one note whose link keys are many (a pasted list of thousands of links),
    /// where inserting or removing each in the sorted list would shift it once per key.
    pub(super) fn defer_link_order(&mut self) {
        if !self.sort_pending {
            self.deferred = Some(DeferredLinks::default());
        }
    }

    /// Brings `sorted_links` up to date after [`KeyTable::defer_link_order`]: drops the keys
    /// that left [`Role::Link`] (by id: a forgotten key's text is gone, and its id may already
    /// name a new key), then merges the sorted new ones in, in one pass over the list.
    pub(super) fn restore_link_order(&mut self) {
        let Some(DeferredLinks { removed, added }) = self.deferred.take() else {
            return;
        };
        if !removed.is_empty() {
            let removed: rustc_hash::FxHashSet<u32> = removed.into_iter().collect();
            self.sorted_links.retain(|id| !removed.contains(id));
        }
        let (text, keys) = (&self.text, &self.keys);
        let mut added: Vec<u32> = added
            .into_iter()
            .filter(|&id| keys[id as usize].files[Role::Link as usize] != NO_FILES)
            .collect();
        if added.is_empty() {
            return;
        }
        added.sort_unstable_by(|&a, &b| key_text(text, keys, a).cmp(key_text(text, keys, b)));
        added.dedup();
        let old = std::mem::take(&mut self.sorted_links);
        let mut merged = Vec::with_capacity(old.len() + added.len());
        let mut rest = &old[..];
        for id in added {
            let key = key_text(text, keys, id);
            let at = rest.partition_point(|&other| key_text(text, keys, other) < key);
            merged.extend_from_slice(&rest[..at]);
            merged.push(id);
            rest = &rest[at..];
        }
        merged.extend_from_slice(rest);
        self.sorted_links = merged;
    }

    /// Rebuilds `sorted_links` after a bulk insertion.
    pub(super) fn sort_links(&mut self) {
        let (text, keys) = (&self.text, &self.keys);
        // Sorted by the first 8 bytes as a number first: most comparisons need no string.
        let mut by_head: Vec<(u64, u32)> = (0..keys.len() as u32)
            .filter(|&id| keys[id as usize].files[Role::Link as usize] != NO_FILES)
            .map(|id| (text_head(key_text(text, keys, id)), id))
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
