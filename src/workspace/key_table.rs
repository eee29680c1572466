//! The key table: a lookup table from folded keys to notes, one [`KeyTable`] type for the
//! workspace's name table (folded id, stem, title or alias: [`NAME_SLOTS`] roles) and for each
//! shard of the link table ([`super::link_table`]: [`LINK_SLOTS`], the link role alone). Each
//! distinct key is interned once in one buffer and named by a `u32`; a key's notes in each
//! [`Role`] sit inline when there is one, else in a list, and all the lists share one buffer
//! ([`FileLists`]). [`NoteKeys`] are one note's name entries, built (and hashed) where the note
//! is parsed. [`LinkBuilder`] fills a link table's shard in one go, its lists laid out exactly.

use hashbrown::HashTable;
use rayon::slice::ParallelSliceMut;

use super::hash::{hash_key, table_hash, text_head};
use super::note::Note;
use crate::keys;
use crate::text::{FileId, to_u32};

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

/// Which lookup a key serves in a [`KeyTable`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    /// A folded note id.
    Id,
    /// A folded file stem.
    Stem,
    /// A folded title or alias.
    Name,
    /// A folded link key (see [`crate::keys::note_link_keys`]): the notes that link or refer with it.
    Link,
}

/// How many roles the name table keeps for each key: [`Role::Id`], [`Role::Stem`],
/// [`Role::Name`].
pub(super) const NAME_SLOTS: usize = 3;

/// How many roles a link table's shard keeps for each key: [`Role::Link`] alone.
pub(super) const LINK_SLOTS: usize = 1;

impl Role {
    /// The role's slot in a [`Key`] of a table with `slots` roles: the name roles in the name
    /// table, the link role (alone) in a link table's shard.
    fn slot(self, slots: usize) -> usize {
        let slot = match self {
            Role::Id | Role::Link => 0,
            Role::Stem => 1,
            Role::Name => 2,
        };
        debug_assert_eq!(
            self == Role::Link,
            slots == LINK_SLOTS,
            "a link key in the name table, or a name in a link table"
        );
        slot
    }
}

/// The notes under one key in one role: the usual single note inline, more in a list.
/// Stored packed in a [`Key`] slot (see [`Files::pack`]).
#[derive(Clone, Copy, Debug)]
enum Files {
    One(FileId),
    /// A list of [`FileLists`] (which holds two notes or more).
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

/// An interned key: its text in [`KeyTable::text`] and its notes in each of the table's
/// `SLOTS` roles, packed (see [`Role::slot`]).
#[derive(Clone, Copy, Debug)]
struct Key<const SLOTS: usize> {
    start: u32,
    len: u32,
    files: [FileId; SLOTS],
}

impl<const SLOTS: usize> Key<SLOTS> {
    fn is_unused(&self) -> bool {
        self.files.iter().all(|&slot| slot == NO_FILES)
    }
}

/// A lookup table from folded keys to notes, with `SLOTS` roles for each key (the name table's
/// [`NAME_SLOTS`], a link shard's [`LINK_SLOTS`]): each distinct key is stored once, in one
/// buffer, and named by a `u32` id; a hash table of ids, hashed and compared through that
/// buffer, finds a key by its text. A key's notes in each role are inline when there is one
/// (the usual case), else in a list of [`FileLists`]. Within a role, notes keep the order in
/// which they were added (a removal moves the last one into its place).
pub(super) struct KeyTable<const SLOTS: usize> {
    text: String,
    keys: Vec<Key<SLOTS>>,
    /// Key ids with their [`hash_key`].
    lookup: HashTable<(u32, u32)>,
    /// Ids of unused keys, to reuse; their old text is dead bytes in `text`.
    free_keys: Vec<u32>,
    dead_bytes: usize,
    lists: FileLists,
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

fn key_text<'a, const SLOTS: usize>(text: &'a str, keys: &[Key<SLOTS>], id: u32) -> &'a str {
    let key = &keys[id as usize];
    &text[key.start as usize..(key.start + key.len) as usize]
}

impl<const SLOTS: usize> Default for KeyTable<SLOTS> {
    fn default() -> Self {
        KeyTable {
            text: String::new(),
            keys: Vec::new(),
            lookup: HashTable::new(),
            free_keys: Vec::new(),
            dead_bytes: 0,
            lists: FileLists::default(),
            sorted_links: Vec::new(),
            sort_pending: false,
            deferred: None,
        }
    }
}

impl<const SLOTS: usize> KeyTable<SLOTS> {
    /// The link keys that start with `prefix`, in sorted order, from the first key not below
    /// `from`, with the notes using them.
    pub(super) fn links_from<'a>(
        &'a self,
        from: &str,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a [FileId])> + use<'a, SLOTS> {
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
        let slot = &self.keys[id as usize].files[role.slot(SLOTS)];
        match Files::unpack(*slot) {
            None => &[],
            Some(Files::One(_)) => std::slice::from_ref(slot),
            Some(Files::Many(list)) => self.lists.get(list),
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
            files: [NO_FILES; SLOTS],
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
        let first_in_role = self.add_to_slot(id, role.slot(SLOTS), file);
        if first_in_role && role == Role::Link {
            if let Some(deferred) = &mut self.deferred {
                deferred.added.push(id);
            } else if !self.sort_pending {
                let text = key_text(&self.text, &self.keys, id);
                let at = self
                    .sorted_links
                    .partition_point(|&other| key_text(&self.text, &self.keys, other) < text);
                self.sorted_links.insert(at, id);
            }
        }
    }

    /// Adds `file` to key `id`'s notes in `slot`: inline when it is the first, else in a list;
    /// whether it is the first.
    fn add_to_slot(&mut self, id: u32, slot: usize, file: FileId) -> bool {
        let (files, first) = match Files::unpack(self.keys[id as usize].files[slot]) {
            None => (Files::One(file), true),
            Some(Files::One(first)) => (Files::Many(self.lists.new_list(&[first, file])), false),
            Some(Files::Many(list)) => {
                self.lists.push(list, file);
                (Files::Many(list), false)
            }
        };
        self.keys[id as usize].files[slot] = Files::pack(Some(files));
        first
    }

    /// Removes `file` from under `key` (whose [`hash_key`] is `hash`) in `role`; forgets the key
    /// once no role uses it.
    pub(super) fn remove(&mut self, role: Role, key: &str, hash: u32, file: FileId) {
        let Some(id) = self.find(key, hash) else {
            return;
        };
        let slot = &mut self.keys[id as usize].files[role.slot(SLOTS)];
        match Files::unpack(*slot) {
            None => return,
            Some(Files::One(only)) if only == file => *slot = NO_FILES,
            Some(Files::One(_)) => return,
            Some(Files::Many(list)) => {
                if let Some(only) = self.lists.remove(list, file) {
                    *slot = only;
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

    /// Whether `file` is under `key` (whose hash is `hash`) in `role`.
    pub(super) fn contains(&self, role: Role, key: &str, hash: u32, file: FileId) -> bool {
        self.files_hashed(role, key, hash).contains(&file)
    }

    /// Removes `file` from under the keys hashing to `hash` in `role` that hold it; returns
    /// those keys.
    pub(super) fn remove_hashed(&mut self, role: Role, hash: u32, file: FileId) -> Vec<String> {
        let holding: Vec<String> = self
            .lookup
            .iter_hash(table_hash(hash))
            .filter(|&&(id, other)| other == hash && self.files_of(role, id).contains(&file))
            .map(|&(id, _)| self.key_text(id).to_owned())
            .collect();
        for key in &holding {
            self.remove(role, key, hash, file);
        }
        holding
    }

    /// Removes `file` from under every key in `role`, found by reading every key's notes (for a
    /// note whose keys cannot be worked out any more: see `LinkShards::remove_file`); returns
    /// those keys.
    pub(super) fn remove_everywhere(&mut self, role: Role, file: FileId) -> Vec<String> {
        let slot = role.slot(SLOTS);
        let holding: Vec<String> = (0..self.keys.len())
            .filter(|&id| match Files::unpack(self.keys[id].files[slot]) {
                None => false,
                Some(Files::One(only)) => only == file,
                Some(Files::Many(list)) => self.lists.get(list).contains(&file),
            })
            .map(|id| self.key_text(id as u32).to_owned())
            .collect();
        let defer = holding.len() > DEFER_LINK_ORDER_ABOVE;
        if defer {
            self.defer_link_order();
        }
        for key in &holding {
            self.remove(role, key, hash_key(key), file);
        }
        if defer {
            self.restore_link_order();
        }
        holding
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
            .filter(|&id| keys[id as usize].files[Role::Link.slot(SLOTS)] != NO_FILES)
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

    /// Gives back the room the table's buffers grew into beyond what they hold, but for some
    /// headroom ([`with_headroom`]): with none, the first edits after a build doubled every buffer at once.
    fn shrink_to_headroom(&mut self) {
        self.text.shrink_to(with_headroom(self.text.len()));
        self.keys.shrink_to(with_headroom(self.keys.len()));
        let hasher = |&(_, hash): &(u32, u32)| table_hash(hash);
        self.lookup
            .shrink_to(with_headroom(self.lookup.len()), hasher);
        self.lists.shrink_to_headroom();
        self.sorted_links
            .shrink_to(with_headroom(self.sorted_links.len()));
    }

    /// Rebuilds `sorted_links` after a bulk insertion.
    fn sort_links(&mut self) {
        let (text, keys) = (&self.text, &self.keys);
        // Sorted by the first 8 bytes as a number first: most comparisons need no string.
        let mut by_head: Vec<(u64, u32)> = (0..keys.len() as u32)
            .filter(|&id| keys[id as usize].files[Role::Link.slot(SLOTS)] != NO_FILES)
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

/// The room a buffer of `len` items keeps after a bulk build: a sixteenth more, so that the
/// edits that follow (a moved list, a new key) fit for a long while before it grows, when it
/// doubles.
fn with_headroom(len: usize) -> usize {
    len + len / 16 + 64
}

/// Fills one shard of the link table in one go, its lists of notes laid out exactly: the
/// notes' keys are interned as they come and noted, a block of notes at a time, as each note's
/// file id then its key ids; at the end every key's notes are counted, each list gets exactly
/// its room, and the notes are read again to fill them, in file-id order (the order an
/// insertion note by note gives). Lists grown one note at a time took about twice their size.
/// (Working the keys out a second time instead of noting them kept less while building, but
/// took 70 % longer.)
pub(super) struct LinkBuilder {
    table: KeyTable<LINK_SLOTS>,
    /// Each block's notes with keys in the shard: the file id with [`LIST_BIT`] set, then its
    /// key ids; one exact allocation a block (a growing buffer kept up to half again unused).
    blocks: Vec<Box<[u32]>>,
    /// The block being noted.
    block: Vec<u32>,
}

impl LinkBuilder {
    pub(super) fn new() -> LinkBuilder {
        LinkBuilder {
            table: KeyTable {
                sort_pending: true,
                ..KeyTable::default()
            },
            blocks: Vec::new(),
            block: Vec::new(),
        }
    }

    /// Adds `file` under each of `keys` (distinct, with their hashes).
    pub(super) fn add_note<'a>(
        &mut self,
        file: FileId,
        keys: impl Iterator<Item = (&'a str, u32)>,
    ) {
        debug_assert!(file.0 & LIST_BIT == 0, "file ids stay below 2^31");
        let marker = self.block.len();
        self.block.push(LIST_BIT | file.0);
        for (key, hash) in keys {
            let id = self.table.intern(key, hash);
            self.block.push(id);
        }
        if self.block.len() == marker + 1 {
            self.block.pop();
        }
    }

    /// Ends a block of notes.
    pub(super) fn end_block(&mut self) {
        self.blocks.push(self.block.as_slice().into());
        self.block.clear();
    }

    /// The shard: each key's notes inline or in a list of exactly their number, the sorted
    /// link keys, every buffer shrunk to what it holds and a little room (see
    /// [`with_headroom`]).
    pub(super) fn finish(mut self) -> KeyTable<LINK_SLOTS> {
        self.end_block();
        let LinkBuilder {
            mut table, blocks, ..
        } = self;
        let slot = Role::Link.slot(LINK_SLOTS);
        let words = || blocks.iter().flat_map(|block| block.iter().copied());
        let mut counts = vec![0u32; table.keys.len()];
        for word in words().filter(|word| word & LIST_BIT == 0) {
            counts[word as usize] += 1;
        }
        let (lists, listed) = counts
            .iter()
            .filter(|&&count| count > 1)
            .fold((0, 0), |(lists, listed), &count| {
                (lists + 1, listed + count as usize)
            });
        table
            .lists
            .reserve_exact(with_headroom(lists), with_headroom(listed));
        for (key, &count) in table.keys.iter_mut().zip(&counts) {
            if count > 1 {
                let list = table.lists.empty_list(count as usize);
                key.files[slot] = Files::pack(Some(Files::Many(list)));
            }
        }
        drop(counts);
        let mut file = NO_FILES;
        for word in words() {
            if word & LIST_BIT != 0 {
                file = FileId(word & !LIST_BIT);
            } else {
                // Into the list laid out above, in place (or inline for a key counted once).
                table.add_to_slot(word, slot, file);
            }
        }
        drop(blocks);
        table.sort_links();
        table.shrink_to_headroom();
        table
    }
}

/// The lists of notes of the keys with two or more in a role, all in one buffer: each list is
/// a span of it, with room to grow in place; a full list moves to the end with twice the room,
/// and the buffer is compacted when most of it is dead. A `Vec` for each list took its header,
/// its allocation's overhead and its unused room on top of its notes: at 100,000 notes, about
/// twice the notes' own size.
#[derive(Default)]
struct FileLists {
    files: Vec<FileId>,
    /// Each list's span of `files`; a freed one has no room.
    spans: Vec<Span>,
    /// Freed lists, to reuse.
    free_spans: Vec<u32>,
    /// How many slots of `files` no list holds (left by lists that moved or were freed).
    dead: usize,
}

/// Where a list sits in [`FileLists::files`]: `len` notes, room for `cap`.
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: u32,
    len: u32,
    cap: u32,
}

impl FileLists {
    /// The notes of `list`.
    fn get(&self, list: u32) -> &[FileId] {
        let span = self.spans[list as usize];
        &self.files[span.start as usize..(span.start + span.len) as usize]
    }

    /// Room for `lists` more lists holding `files` notes in all, and no more.
    fn reserve_exact(&mut self, lists: usize, files: usize) {
        self.spans.reserve_exact(lists);
        self.files.reserve_exact(files);
    }

    /// A new list holding `files`, with room for as many more.
    fn new_list(&mut self, files: &[FileId]) -> u32 {
        let list = self.empty_list(2 * files.len());
        for &file in files {
            self.push(list, file);
        }
        list
    }

    /// A new, empty list with room for `cap` notes.
    fn empty_list(&mut self, cap: usize) -> u32 {
        let span = Span {
            start: to_u32(self.files.len()),
            len: 0,
            cap: to_u32(cap),
        };
        self.files.resize(self.files.len() + cap, NO_FILES);
        match self.free_spans.pop() {
            Some(list) => {
                self.spans[list as usize] = span;
                list
            }
            None => {
                self.spans.push(span);
                to_u32(self.spans.len() - 1)
            }
        }
    }

    /// Adds `file` at the end of `list`, which moves to the end of the buffer with twice the
    /// room when it has none left.
    fn push(&mut self, list: u32, file: FileId) {
        let span = self.spans[list as usize];
        if span.len == span.cap {
            if self.is_mostly_dead() {
                self.compact();
            }
            let span = self.spans[list as usize];
            let start = self.files.len();
            let cap = (span.cap * 2).max(4);
            self.files
                .extend_from_within(span.start as usize..(span.start + span.len) as usize);
            self.files.resize(start + cap as usize, NO_FILES);
            self.dead += span.cap as usize;
            self.spans[list as usize] = Span {
                start: to_u32(start),
                len: span.len,
                cap,
            };
        }
        let span = &mut self.spans[list as usize];
        self.files[(span.start + span.len) as usize] = file;
        span.len += 1;
    }

    /// Takes `file` out of `list` (the last note moves into its place). When one note is left,
    /// frees the list and returns that note, to keep inline.
    fn remove(&mut self, list: u32, file: FileId) -> Option<FileId> {
        let span = self.spans[list as usize];
        let (start, end) = (span.start as usize, (span.start + span.len) as usize);
        if let Some(at) = self.files[start..end].iter().position(|&f| f == file) {
            self.files.swap(start + at, end - 1);
            self.files[end - 1] = NO_FILES;
            self.spans[list as usize].len -= 1;
        }
        let span = self.spans[list as usize];
        if span.len != 1 {
            return None;
        }
        let only = self.files[span.start as usize];
        self.spans[list as usize] = Span::default();
        self.free_spans.push(list);
        self.dead += span.cap as usize;
        if self.is_mostly_dead() {
            self.compact();
        }
        Some(only)
    }

    fn is_mostly_dead(&self) -> bool {
        self.dead > 1 << 16 && self.dead > self.files.len() / 2
    }

    /// Copies the lists into a new buffer, each with room for its notes only.
    fn compact(&mut self) {
        let mut files = Vec::with_capacity(self.files.len() - self.dead);
        for span in &mut self.spans {
            if span.cap == 0 {
                continue;
            }
            let start = files.len();
            files.extend_from_slice(
                &self.files[span.start as usize..(span.start + span.len) as usize],
            );
            *span = Span {
                start: to_u32(start),
                len: span.len,
                cap: span.len,
            };
        }
        self.files = files;
        self.dead = 0;
    }

    fn shrink_to_headroom(&mut self) {
        self.files.shrink_to(with_headroom(self.files.len()));
        self.spans.shrink_to(with_headroom(self.spans.len()));
        self.free_spans.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lists pushed to, emptied and freed at random, across moves and compactions, hold what a
    /// `Vec` for each holds, in the same order; the buffer stays within four times what they
    /// hold (or 64 Ki slots, below which it is never compacted, four times).
    #[test]
    fn file_lists_hold_what_a_vec_for_each_holds() {
        let mut lists = FileLists::default();
        let mut model: Vec<(u32, Vec<FileId>)> = Vec::new();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut random = |below: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % below as u64) as usize
        };
        let mut compacted = false;
        for round in 0..200_000 {
            let file = FileId(random(1 << 20) as u32);
            match random(10) {
                0 | 1 if model.len() < 5_000 => {
                    let first = FileId(random(1 << 20) as u32);
                    model.push((lists.new_list(&[first, file]), vec![first, file]));
                }
                2..=5 if !model.is_empty() => {
                    let at = random(model.len());
                    lists.push(model[at].0, file);
                    model[at].1.push(file);
                }
                _ if !model.is_empty() => {
                    let at = random(model.len());
                    let (list, files) = &mut model[at];
                    let gone = files[random(files.len())];
                    let i = files.iter().position(|&f| f == gone).unwrap_or_default();
                    files.swap_remove(i);
                    let left = lists.remove(*list, gone);
                    if let [only] = files[..] {
                        assert_eq!(left, Some(only), "round {round}");
                        model.swap_remove(at);
                    } else {
                        assert_eq!(left, None, "round {round}");
                    }
                }
                _ => {}
            }
            compacted |= lists.dead == 0 && round > 1000;
            if round % 997 == 0 {
                for (list, files) in &model {
                    assert_eq!(lists.get(*list), &files[..], "round {round}");
                }
            }
        }
        assert!(compacted, "the rounds never compacted the buffer");
        let held: usize = model.iter().map(|(_, files)| files.len()).sum();
        assert!(
            lists.files.len() <= 4 * held.max(1 << 16),
            "{} for {held}",
            lists.files.len()
        );
    }
}
