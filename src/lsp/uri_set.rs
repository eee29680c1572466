//! The documents whose diagnostics the editor shows, kept as one buffer of URIs
//! ([`UriSet`]): the server's memory of what it published, read and written by `publish.rs`.

use hashbrown::HashTable;

/// A set of URIs (the documents whose diagnostics the editor shows) in one buffer: one
/// allocation for all of them, not one for each. After indexing a vault of 100k notes with
/// workspace diagnostics, tens of thousands of URIs are kept; as `Url`s made on the threads
/// that computed the diagnostics they took about 18 MB of resident memory (their own bytes,
/// and the freed memory around them in those threads' malloc arenas that they kept from
/// being returned), as one buffer about 6 MB. A URI under the workspace's first root (see
/// [`UriSet::set_prefix`]) is kept without the root's part, which they all share: 4 MB.
#[derive(Default)]
pub(super) struct UriSet {
    /// The URIs one after the other (without the prefix when they start with it); a removed
    /// one's bytes stay until the next compaction.
    text: String,
    /// Each URI's start and length in `text`, with [`AFTER_PREFIX`] set in the length when
    /// the URI is the prefix and then that text.
    table: HashTable<(u32, u32)>,
    /// How many bytes of `text` removed URIs hold.
    dead_bytes: usize,
    /// What most URIs start with: the first root's URI.
    prefix: String,
}

/// Marks an entry of [`UriSet::table`] stored without the set's prefix.
const AFTER_PREFIX: u32 = 1 << 31;

impl UriSet {
    /// Keeps the URIs that start with `prefix` without it, from now on; only while the set is
    /// empty (the URIs kept would need another prefix).
    pub(super) fn set_prefix(&mut self, prefix: &str) {
        if self.table.is_empty() {
            *self = UriSet {
                prefix: prefix.to_owned(),
                ..UriSet::default()
            };
        }
    }

    pub(super) fn contains(&self, uri: &str) -> bool {
        let (after_prefix, text) = self.split(uri);
        self.table
            .find(uri_hash(text), |&entry| self.is(entry, after_prefix, text))
            .is_some()
    }

    /// Adds `uri`; whether it was not in the set.
    pub(super) fn insert(&mut self, uri: &str) -> bool {
        if self.contains(uri) {
            return false;
        }
        let (after_prefix, text) = self.split(uri);
        let flag = if after_prefix { AFTER_PREFIX } else { 0 };
        let entry = (to_u32(self.text.len()), to_u32(text.len()) | flag);
        self.text.push_str(text);
        let buffer = &self.text;
        self.table.insert_unique(uri_hash(text), entry, |&entry| {
            uri_hash(text_of(buffer, entry))
        });
        true
    }

    /// Takes `uri` out; whether it was in the set.
    pub(super) fn remove(&mut self, uri: &str) -> bool {
        let (after_prefix, text) = self.split(uri);
        let buffer = &self.text;
        let Ok(entry) = self.table.find_entry(uri_hash(text), |&entry| {
            is_entry(buffer, entry, after_prefix, text)
        }) else {
            return false;
        };
        entry.remove();
        self.dead_bytes += text.len();
        if self.dead_bytes > 1 << 16 && self.dead_bytes > self.text.len() / 2 {
            self.compact();
        }
        true
    }

    /// The URIs, each made whole again.
    pub(super) fn iter(&self) -> impl Iterator<Item = String> {
        self.table.iter().map(|&entry| {
            let text = text_of(&self.text, entry);
            match entry.1 & AFTER_PREFIX != 0 {
                true => format!("{}{text}", self.prefix),
                false => text.to_owned(),
            }
        })
    }

    /// Whether `uri` starts with the prefix (and is kept without it), and the text kept.
    fn split<'a>(&self, uri: &'a str) -> (bool, &'a str) {
        match uri.strip_prefix(self.prefix.as_str()) {
            Some(rest) if !self.prefix.is_empty() => (true, rest),
            _ => (false, uri),
        }
    }

    fn is(&self, entry: (u32, u32), after_prefix: bool, text: &str) -> bool {
        is_entry(&self.text, entry, after_prefix, text)
    }

    /// Copies the URIs still in the set into a new buffer, without the removed ones' bytes.
    fn compact(&mut self) {
        let mut text = String::with_capacity(self.text.len() - self.dead_bytes);
        for entry in self.table.iter_mut() {
            let kept = text_of(&self.text, *entry);
            *entry = (to_u32(text.len()), entry.1);
            text.push_str(kept);
        }
        self.text = text;
        self.dead_bytes = 0;
    }
}

/// Whether `entry` is the URI whose kept text is `text`, kept after the prefix or not.
fn is_entry(buffer: &str, entry: (u32, u32), after_prefix: bool, text: &str) -> bool {
    (entry.1 & AFTER_PREFIX != 0) == after_prefix && text_of(buffer, entry) == text
}

fn text_of(text: &str, (start, len): (u32, u32)) -> &str {
    let len = len & !AFTER_PREFIX;
    &text[start as usize..(start + len) as usize]
}

fn uri_hash(uri: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(uri)
}

fn to_u32(len: usize) -> u32 {
    let len = u32::try_from(len).expect("the URIs fit in 2 GiB");
    assert!(len & AFTER_PREFIX == 0, "the URIs fit in 2 GiB");
    len
}

#[cfg(test)]
mod tests {
    use super::UriSet;

    #[test]
    fn uri_set_keeps_what_was_inserted_and_not_removed() {
        let mut plain = UriSet::default();
        check(&mut plain);
        let mut with_prefix = UriSet::default();
        with_prefix.set_prefix("file:///vault/");
        check(&mut with_prefix);
        assert!(with_prefix.text.len() < plain.text.len());
        // A URI only as long as the prefix, or not under it.
        for uri in [
            "file:///vault/",
            "file:///elsewhere/note.md",
            "file:///vault",
        ] {
            assert!(with_prefix.insert(uri), "{uri}");
            assert!(with_prefix.contains(uri), "{uri}");
            assert!(with_prefix.iter().any(|kept| kept == uri), "{uri}");
        }
        // Set only while empty.
        with_prefix.set_prefix("file:///other/");
        assert!(with_prefix.contains("file:///vault/notes/note-0.md"));
    }

    fn check(set: &mut UriSet) {
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
        let mut kept: Vec<String> = set.iter().collect();
        kept.sort_unstable();
        let mut expected: Vec<String> = (0..20_000).step_by(4).map(uri).collect();
        expected.sort_unstable();
        assert_eq!(kept, expected);
        assert!(set.insert(&uri(1)));
        assert!(set.contains(&uri(1)));
    }
}
