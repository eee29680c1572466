//! The documents whose diagnostics the editor shows, kept as one buffer of URIs
//! ([`UriSet`]): the server's memory of what it published, read and written by `publish.rs`.

use hashbrown::HashTable;

/// A set of URIs (the documents whose diagnostics the editor shows) in one buffer: one
/// allocation for all of them, not one for each. After indexing a vault of 100k notes with
/// workspace diagnostics, tens of thousands of URIs are kept; as `Url`s made on the threads
/// that computed the diagnostics they took about 18 MB of resident memory (their own bytes,
/// and the freed memory around them in those threads' malloc arenas that they kept from
/// being returned), as one buffer about 6 MB.
#[derive(Default)]
pub(super) struct UriSet {
    /// The URIs one after the other; a removed one's bytes stay until the next compaction.
    text: String,
    /// Each URI's start and length in `text`.
    table: HashTable<(u32, u32)>,
    /// How many bytes of `text` removed URIs hold.
    dead_bytes: usize,
}

impl UriSet {
    pub(super) fn contains(&self, uri: &str) -> bool {
        self.table
            .find(uri_hash(uri), |&range| self.text_of(range) == uri)
            .is_some()
    }

    /// Adds `uri`; whether it was not in the set.
    pub(super) fn insert(&mut self, uri: &str) -> bool {
        if self.contains(uri) {
            return false;
        }
        let range = (to_u32(self.text.len()), to_u32(uri.len()));
        self.text.push_str(uri);
        let text = &self.text;
        self.table.insert_unique(uri_hash(uri), range, |&range| {
            uri_hash(text_of(text, range))
        });
        true
    }

    /// Takes `uri` out; whether it was in the set.
    pub(super) fn remove(&mut self, uri: &str) -> bool {
        let text = &self.text;
        let Ok(entry) = self
            .table
            .find_entry(uri_hash(uri), |&range| text_of(text, range) == uri)
        else {
            return false;
        };
        entry.remove();
        self.dead_bytes += uri.len();
        if self.dead_bytes > 1 << 16 && self.dead_bytes > self.text.len() / 2 {
            self.compact();
        }
        true
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &str> {
        self.table.iter().map(|&range| self.text_of(range))
    }

    fn text_of(&self, range: (u32, u32)) -> &str {
        text_of(&self.text, range)
    }

    /// Copies the URIs still in the set into a new buffer, without the removed ones' bytes.
    fn compact(&mut self) {
        let mut text = String::with_capacity(self.text.len() - self.dead_bytes);
        for range in self.table.iter_mut() {
            let uri = text_of(&self.text, *range);
            *range = (to_u32(text.len()), range.1);
            text.push_str(uri);
        }
        self.text = text;
        self.dead_bytes = 0;
    }
}

fn text_of(text: &str, (start, len): (u32, u32)) -> &str {
    &text[start as usize..(start + len) as usize]
}

fn uri_hash(uri: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(uri)
}

fn to_u32(len: usize) -> u32 {
    u32::try_from(len).expect("the URIs fit in 4 GiB")
}

#[cfg(test)]
mod tests {
    use super::UriSet;

    #[test]
    fn uri_set_keeps_what_was_inserted_and_not_removed() {
        let mut set = UriSet::default();
        let uri = |i: usize| format!("file:///vault/notes/note-{i}.md");
        for i in 0..20_000 {
            assert!(set.insert(&uri(i)));
        }
        assert!(!set.insert(&uri(7)));
        // Enough removals to compact the buffer on the way.
        for i in (0..20_000).filter(|i| i % 4 != 0) {
            assert!(set.remove(&uri(i)));
        }
        assert!(!set.remove(&uri(1)));
        assert!(set.dead_bytes < set.text.len());
        for i in 0..20_000 {
            assert_eq!(set.contains(&uri(i)), i % 4 == 0, "{i}");
        }
        let mut kept: Vec<&str> = set.iter().collect();
        kept.sort_unstable();
        let mut expected: Vec<String> = (0..20_000).step_by(4).map(uri).collect();
        expected.sort_unstable();
        assert_eq!(kept, expected);
        assert!(set.insert(&uri(1)));
        assert!(set.contains(&uri(1)));
    }
}
