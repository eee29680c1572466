//! The link table: the notes by link key (who links or refers with each folded target), built
//! from the notes the first time a question needs it rather than while they load, then kept
//! current note by note. Its keys are spread by hash over [`LINK_SHARDS`] [`KeyTable`]s so
//! that the build fills them on every core at once; each shard's lists of notes are laid out
//! exactly, from a count of every key's notes, not grown note by note.

use std::path::PathBuf;
use std::sync::OnceLock;

use super::hash::hash_key;
use super::key_table::{KeyTable, LINK_SLOTS, LinkBuilder, Role};
use super::note::Note;
use super::note_links::with_note_links;
use crate::keys::{self, KeyOrigin};
use crate::syntax::{Links, ParsedNote};
use crate::text::FileId;

/// A note's link keys (see [`keys::note_link_keys`]) with their [`hash_key`]s.
pub(super) struct NoteLinkKeys {
    links: keys::KeyList,
    hashes: Vec<u32>,
    /// The keys summed up, to be kept for the note.
    sum: KeySum,
    /// The hashes of its keys of [`KeyOrigin::PlainLinks`], with how many links each.
    plain_counts: Vec<(u32, u32)>,
}

impl NoteLinkKeys {
    /// The link keys of `parsed`, whose links (with their texts) are `links`.
    pub(super) fn of(parsed: &ParsedNote, links: Links<'_>) -> NoteLinkKeys {
        let links = keys::note_link_keys(parsed, links);
        let hashes: Vec<u32> = links.iter().map(hash_key).collect();
        let mut plain_counts = Vec::new();
        let sum = key_facts(&links, &hashes, &mut plain_counts);
        NoteLinkKeys {
            links,
            hashes,
            sum,
            plain_counts,
        }
    }

    /// Each link key with its hash.
    pub(super) fn iter(&self) -> impl Iterator<Item = (&str, u32)> {
        self.links.iter().zip(self.hashes.iter().copied())
    }
}

/// What the table keeps of a note's `keys` (whose hashes are `hashes`) besides its lists:
/// their sum, with their origins; and, into `plain_counts` (emptied first), how many links it
/// has under each key of [`KeyOrigin::PlainLinks`] whose hash no other of its keys has.
fn key_facts(keys: &keys::KeyList, hashes: &[u32], plain_counts: &mut Vec<(u32, u32)>) -> KeySum {
    let mut sum = KeySum::default();
    plain_counts.clear();
    for ((_, origin, count), &hash) in keys.iter_with_origins().zip(hashes) {
        sum.add(hash);
        sum.mixed.add_origin(origin, hash);
        if origin == KeyOrigin::PlainLinks {
            plain_counts.push((hash, count));
        }
    }
    // A count under a hash two keys have would be either key's.
    plain_counts.retain(|&(hash, _)| hashes.iter().filter(|&&h| h == hash).count() == 1);
    sum
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

/// How many notes of a block one thread works out the keys of into one [`RunKeys`].
const LINK_BUILD_RUN: usize = 64;

/// The link keys of a run of notes in one buffer (a few allocations for the run, not a few
/// for each note): the build's working set.
struct RunKeys {
    keys: keys::KeyList,
    hashes: Vec<u32>,
    /// Each note with the end of its keys' places in `keys`, and its keys summed up.
    notes: Vec<(FileId, u32, KeySum)>,
    /// The notes' plain link counts (see [`PlainCounts`]), by [`PlainCounts::at`].
    plain_counts: Vec<(u64, u32)>,
}

impl RunKeys {
    /// The keys of `notes`, the first of which has file id `first`, their links read (inside
    /// `roots`) when they do not keep them.
    fn of(notes: &[Option<Note>], first: usize, roots: &[PathBuf]) -> RunKeys {
        thread_local! {
            static KEYS: std::cell::RefCell<keys::KeyList> =
                std::cell::RefCell::new(keys::KeyList::default());
        }
        let mut run = RunKeys {
            keys: keys::KeyList::default(),
            hashes: Vec::new(),
            notes: Vec::with_capacity(notes.len()),
            plain_counts: Vec::new(),
        };
        let mut plain_counts = Vec::new();
        KEYS.with_borrow_mut(|keys| {
            for (i, note) in notes.iter().enumerate() {
                let Some(note) = note else {
                    continue;
                };
                with_note_links(roots, &note.path, &note.parsed, |links| {
                    keys::note_link_keys_into(&note.parsed, links, keys);
                });
                let file = FileId((first + i) as u32);
                let first_hash = run.hashes.len();
                run.keys.append(keys);
                run.hashes.extend(keys.iter().map(hash_key));
                let sum = key_facts(keys, &run.hashes[first_hash..], &mut plain_counts);
                let counts = plain_counts.iter();
                let counts = counts.map(|&(hash, count)| (PlainCounts::at(file, hash), count));
                run.plain_counts.extend(counts);
                run.notes.push((file, run.hashes.len() as u32, sum));
            }
        });
        run
    }

    /// Each note's keys summed up.
    fn sums(&self) -> impl Iterator<Item = (FileId, KeySum)> + '_ {
        self.notes.iter().map(|&(file, _, sum)| (file, sum))
    }

    /// Each note with its keys and their hashes.
    fn notes(&self) -> impl Iterator<Item = (FileId, impl Iterator<Item = (&str, u32)>)> {
        let mut first = 0;
        self.notes.iter().map(move |&(file, end, _)| {
            let places = first as usize..end as usize;
            first = end;
            let hashes = self.hashes[places.clone()].iter().copied();
            (file, self.keys.range(places).zip(hashes))
        })
    }
}

impl LinkTable {
    /// The table, built from `notes` (indexed by file id; the closed ones' links read from
    /// their files inside `roots`) if it is not built yet.
    pub(super) fn get_or_build(&self, notes: &[Option<Note>], roots: &[PathBuf]) -> &LinkShards {
        self.table.get_or_init(|| {
            let started = std::time::Instant::now();
            let table = LinkShards::build(notes, roots);
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
    shards: Vec<KeyTable<LINK_SLOTS>>,
    /// Each note's link keys summed up, by file id (see [`LinkShards::replace_unread_keys`]).
    key_sums: Vec<KeySum>,
    /// How many links a note has under each of its keys of [`KeyOrigin::PlainLinks`].
    plain_counts: PlainCounts,
    /// The note whose keys are to be replaced though its old ones cannot be read (see
    /// [`LinkShards::old_keys_unread`]).
    unread: Option<FileId>,
}

/// How many link keys a note has and their hashes added up (wrapping), from which the keys a
/// note's new version no longer has are found when its old ones cannot be read (its file
/// changed before they were taken out); and which of them are [`KeyOrigin::Mixed`]. 16 bytes
/// a note.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct KeySum {
    count: u32,
    hashes: u32,
    mixed: MixedKeys,
}

impl KeySum {
    fn add(&mut self, hash: u32) {
        self.count += 1;
        self.hashes = self.hashes.wrapping_add(hash);
    }
}

/// The hashes of a note's keys of origin [`KeyOrigin::Mixed`] or [`KeyOrigin::LastSegment`],
/// as a 64-bit Bloom filter (two bits a key, and two more for a last segment): 8 bytes a
/// note, from which the keys whose origin is plain, and those no link with a folder ends
/// with, are known without reading the note (see [`LinkShards::is_listed_plainly`] and
/// [`LinkShards::may_link_by_last_segment`]). A key whose bits other keys happen to cover is
/// taken for mixed: that costs a read, never a wrong answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct MixedKeys(u64);

impl MixedKeys {
    fn bits(hash: u32) -> u64 {
        (1 << (hash & 63)) | (1 << ((hash >> 6) & 63))
    }

    fn last_segment_bits(hash: u32) -> u64 {
        (1 << ((hash >> 12) & 63)) | (1 << ((hash >> 18) & 63))
    }

    /// Notes the key whose hash is `hash`, of origin `origin`.
    fn add_origin(&mut self, origin: KeyOrigin, hash: u32) {
        self.0 |= match origin {
            KeyOrigin::OnePlainLink | KeyOrigin::Values => 0,
            KeyOrigin::Mixed | KeyOrigin::PlainLinks => MixedKeys::bits(hash),
            KeyOrigin::LastSegment => MixedKeys::bits(hash) | MixedKeys::last_segment_bits(hash),
        };
    }

    fn may_hold(self, hash: u32) -> bool {
        let bits = MixedKeys::bits(hash);
        self.0 & bits == bits
    }

    fn may_hold_last_segment(self, hash: u32) -> bool {
        let bits = MixedKeys::bits(hash) | MixedKeys::last_segment_bits(hash);
        self.0 & bits == bits
    }
}

/// How many links each note has under each of its keys of [`KeyOrigin::PlainLinks`] (about
/// one key in two notes), by note and key hash (a note's keys with one hash left out): sorted
/// note-and-hash words, and the counts beside them, 12 bytes a key.
#[derive(Default)]
struct PlainCounts {
    at: Vec<u64>,
    counts: Vec<u32>,
}

impl PlainCounts {
    /// The word a count is sorted by: the note's file id, then the key's hash.
    fn at(file: FileId, hash: u32) -> u64 {
        u64::from(file.0) << 32 | u64::from(hash)
    }

    fn from_unsorted(mut entries: Vec<(u64, u32)>) -> PlainCounts {
        entries.sort_unstable();
        PlainCounts {
            at: entries.iter().map(|&(at, _)| at).collect(),
            counts: entries.iter().map(|&(_, count)| count).collect(),
        }
    }

    fn get(&self, file: FileId, hash: u32) -> Option<u32> {
        let index = self.at.binary_search(&PlainCounts::at(file, hash)).ok()?;
        Some(self.counts[index])
    }

    /// Puts note `file`'s counts (`(key hash, count)`s) in place of those it had: in place
    /// when it has as many as before (an edit that keeps its links' shapes).
    fn set_note(&mut self, file: FileId, counts: &[(u32, u32)]) {
        let first = self.at.partition_point(|&at| at < PlainCounts::at(file, 0));
        let end = first + self.at[first..].partition_point(|&at| at >> 32 == u64::from(file.0));
        let mut sorted = counts.to_vec();
        sorted.sort_unstable();
        let at = sorted.iter().map(|&(hash, _)| PlainCounts::at(file, hash));
        self.at.splice(first..end, at);
        let counts = sorted.iter().map(|&(_, count)| count);
        self.counts.splice(first..end, counts);
    }
}

fn shard_of(hash: u32) -> usize {
    // The top bits: the tables probe with the low ones.
    (hash >> 24) as usize % LINK_SHARDS
}

impl LinkShards {
    /// Reads the notes a block at a time: the block's link keys are worked out on every core,
    /// a run of notes into one [`RunKeys`] each, then each shard takes its keys in, all
    /// shards at once, in file-id order (see [`LinkBuilder`]).
    fn build(notes: &[Option<Note>], roots: &[PathBuf]) -> LinkShards {
        use rayon::prelude::*;
        let mut shards: Vec<LinkBuilder> = (0..LINK_SHARDS).map(|_| LinkBuilder::new()).collect();
        let mut key_sums = vec![KeySum::default(); notes.len()];
        let mut plain_counts = Vec::new();
        for (index, block) in notes.chunks(LINK_BUILD_BLOCK).enumerate() {
            let first = index * LINK_BUILD_BLOCK;
            let runs: Vec<RunKeys> = block
                .par_chunks(LINK_BUILD_RUN)
                .enumerate()
                .map(|(run, notes)| {
                    let first = first + run * LINK_BUILD_RUN;
                    RunKeys::of(notes, first, roots)
                })
                .collect();
            for (file, sum) in runs.iter().flat_map(RunKeys::sums) {
                key_sums[file.0 as usize] = sum;
            }
            plain_counts.extend(runs.iter().flat_map(|run| run.plain_counts.iter().copied()));
            shards
                .par_iter_mut()
                .enumerate()
                .for_each(|(shard, builder)| {
                    for run in &runs {
                        for (file, keys) in run.notes() {
                            let in_shard = keys.filter(|&(_, hash)| shard_of(hash) == shard);
                            builder.add_note(file, in_shard);
                        }
                    }
                    builder.end_block();
                });
        }
        // One shard after the other: each lays out its lists while the notes' keys noted for
        // the others wait, and frees its own before the next starts (the lists of two shards
        // at once kept 3.5 MB more at 100k notes, for no time gained).
        let shards = shards.into_iter().map(LinkBuilder::finish).collect();
        LinkShards {
            shards,
            key_sums,
            plain_counts: PlainCounts::from_unsorted(plain_counts),
            unread: None,
        }
    }

    /// The notes that link with `key` (whose hash is `hash`).
    pub(super) fn files_hashed(&self, key: &str, hash: u32) -> &[FileId] {
        self.shards[shard_of(hash)].files_hashed(Role::Link, key, hash)
    }

    /// The notes that link with `key`.
    pub(super) fn files(&self, key: &str) -> &[FileId] {
        self.files_hashed(key, hash_key(key))
    }

    /// Whether note `file`, listed under the key whose hash is `hash`, is there through exactly
    /// one plain link or through frontmatter values only (see [`KeyOrigin`]): false when it may
    /// be there otherwise, or when its keys are not known.
    pub(super) fn is_listed_plainly(&self, file: FileId, hash: u32) -> bool {
        self.key_sums
            .get(file.0 as usize)
            .is_some_and(|sum| sum.count > 0 && !sum.mixed.may_hold(hash))
    }

    /// Whether note `file`, listed under the key whose hash is `hash`, may be there through a
    /// link with a folder that ends with the key (see [`KeyOrigin::LastSegment`]): true when
    /// its keys are not known.
    pub(super) fn may_link_by_last_segment(&self, file: FileId, hash: u32) -> bool {
        self.key_sums
            .get(file.0 as usize)
            .is_none_or(|sum| sum.count == 0 || sum.mixed.may_hold_last_segment(hash))
    }

    /// How many links note `file` has under the key whose hash is `hash`, when that key's
    /// origin is [`KeyOrigin::PlainLinks`]: `None` otherwise.
    pub(super) fn plain_link_count(&self, file: FileId, hash: u32) -> Option<u32> {
        self.plain_counts.get(file, hash)
    }

    /// Adds note `file` under each of its link `keys`.
    pub(super) fn add_note(&mut self, file: FileId, keys: &NoteLinkKeys) {
        for (key, hash) in keys.iter() {
            self.shards[shard_of(hash)].add(Role::Link, key, hash, file);
        }
        self.set_facts(file, keys);
    }

    /// Removes note `file` from under each of its link `keys`.
    pub(super) fn remove_note(&mut self, file: FileId, keys: &NoteLinkKeys) {
        for (key, hash) in keys.iter() {
            self.shards[shard_of(hash)].remove(Role::Link, key, hash, file);
        }
        self.forget_facts(file);
    }

    /// Keeps what the table knows of note `file`'s keys besides its lists: their sum (with
    /// their origins) and its plain link counts.
    fn set_facts(&mut self, file: FileId, keys: &NoteLinkKeys) {
        *self.key_sum(file) = keys.sum;
        self.plain_counts.set_note(file, &keys.plain_counts);
    }

    /// Forgets what the table knows of note `file`'s keys besides its lists.
    fn forget_facts(&mut self, file: FileId) {
        *self.key_sum(file) = KeySum::default();
        self.plain_counts.set_note(file, &[]);
    }

    fn key_sum(&mut self, file: FileId) -> &mut KeySum {
        let index = file.0 as usize;
        if index >= self.key_sums.len() {
            self.key_sums.resize(index + 1, KeySum::default());
        }
        &mut self.key_sums[index]
    }

    /// Notes that `file`'s keys are to be replaced though its old ones cannot be read (its
    /// file changed, or went, before they were taken out): they stay until
    /// [`LinkShards::replace_unread_keys`] or [`LinkShards::remove_unread_keys`] takes them out.
    pub(super) fn old_keys_unread(&mut self, file: FileId) {
        self.unread = Some(file);
    }

    /// Whether `file`'s old keys could not be read (see [`LinkShards::old_keys_unread`]);
    /// forgets it.
    pub(super) fn take_unread(&mut self, file: FileId) -> bool {
        self.unread.take_if(|unread| *unread == file).is_some()
    }

    /// Puts note `file` under its new link `keys` in place of the old ones it is still under,
    /// which could not be read. The new keys it is already under are kept; the old ones it is
    /// not to be under any more are found from its [`KeySum`]: none when the count and hashes
    /// of the kept ones are the old ones', the one whose hash is the difference when one is
    /// missing (a link taken out, the usual edit), else by a search of every key. Returns the
    /// keys it left.
    pub(super) fn replace_unread_keys(&mut self, file: FileId, keys: &NoteLinkKeys) -> Vec<String> {
        let old = *self.key_sum(file);
        let mut kept = KeySum::default();
        for (key, hash) in keys.iter() {
            if self.shards[shard_of(hash)].contains(Role::Link, key, hash, file) {
                kept.add(hash);
            }
        }
        let missing = old.hashes.wrapping_sub(kept.hashes);
        let left = match old.count.checked_sub(kept.count) {
            Some(0) if missing == 0 => Vec::new(),
            Some(1) => {
                let left = self.shards[shard_of(missing)].remove_hashed(Role::Link, missing, file);
                match left.len() {
                    1 => left,
                    // Not the one key expected (hashes that collide): search them all.
                    _ => {
                        let mut all = left;
                        all.extend(self.remove_file(file));
                        all
                    }
                }
            }
            _ => self.remove_file(file),
        };
        for (key, hash) in keys.iter() {
            let shard = &mut self.shards[shard_of(hash)];
            if !shard.contains(Role::Link, key, hash, file) {
                shard.add(Role::Link, key, hash, file);
            }
        }
        self.set_facts(file, keys);
        left
    }

    /// Takes note `file` out from under the old keys that could not be read (it is removed);
    /// returns them.
    pub(super) fn remove_unread_keys(&mut self, file: FileId) -> Vec<String> {
        let left = self.remove_file(file);
        self.forget_facts(file);
        left
    }

    /// Removes `file` from under every key: for a note whose file changed (or went) before its
    /// old keys were taken out, so that they cannot be read again. Reads every key's notes
    /// (a few milliseconds at 100,000 notes). Returns the keys it was under.
    fn remove_file(&mut self, file: FileId) -> Vec<String> {
        let mut keys = Vec::new();
        for shard in &mut self.shards {
            keys.extend(shard.remove_everywhere(Role::Link, file));
        }
        keys
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
