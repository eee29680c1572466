//! Fuzzy ranking of notes by id, title and aliases, shared by completion and workspace symbols
//! so that both order notes the same way.
//!
//! Tiers, best first: the query is a note's whole id or title (ignoring case); it starts one;
//! then nucleo's fuzzy score over the id, the title and every alias. Scoring allocates nothing
//! per note: the matcher's buffers are reused, and case-insensitive comparisons of ASCII names
//! work on bytes (only a non-ASCII name is folded into a temporary string).
//!
//! [`TopK`] keeps the best hits of a scan (completion's notes, workspace symbols' notes and
//! headings) without sorting more than the answer. [`scan_name_chunks`] splits the scan of the
//! name table between the cores, and [`keep_best`] joins a note's scores across its names.

mod subsequence;

use std::cmp::Ordering;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::keys;
use crate::text::FileId;
use crate::workspace::{NameFacts, NameKey, NameList, Note, char_mask};
use subsequence::Found;

/// Entries of a name list in one chunk of [`scan_name_chunks`] (tiny in tests, so that
/// notes straddle chunks there).
const NAME_CHUNK: usize = if cfg!(test) { 7 } else { 32_768 };

/// How many leading bytes a [`NameKey`] holds.
const KEY_LEN: usize = 8;

/// Score added for a whole id or title match, above any fuzzy score.
const EXACT_TIER: u32 = 3_000_000;
/// Score added when an id or title starts with the query.
const PREFIX_TIER: u32 = 2_000_000;

/// Scores notes (and other names) against one query; build one per query and reuse it.
pub struct NoteRanker {
    folded: String,
    /// The query's words, lowercased, when they are plain ASCII: a cheap subsequence test over
    /// ASCII names rejects most non-matches before the fuzzy matcher runs.
    ascii_words: Option<Vec<Vec<u8>>>,
    /// [`char_mask`] of those words (0 when there are none): a note whose names lack one of
    /// their characters is skipped without reading its names.
    mask: u64,
    pattern: Pattern,
    matcher: Matcher,
    buffer: Vec<char>,
    /// The folded query as a [`NameKey`] head would hold it (little-endian) and a mask of its
    /// bytes, when it fits in one (at most [`KEY_LEN`] bytes): a key starts with the query
    /// when its head, masked, equals it.
    key_prefix: Option<(u64, u64)>,
    /// For a plain ASCII query: the fuzzy score of the query itself, which is the best score
    /// any text can get and the score of every name that starts with the query (see
    /// [`NoteRanker::tiered_score`]).
    prefix_score: Option<u32>,
}

impl NoteRanker {
    pub fn new(query: &str) -> NoteRanker {
        let plain = query.is_ascii() && !query.contains('\\');
        let ascii_words = plain.then(|| {
            query
                .split_ascii_whitespace()
                .map(|word| word.to_ascii_lowercase().into_bytes())
                .collect()
        });
        let words: &[Vec<u8>] = ascii_words.as_deref().unwrap_or_default();
        let mask = words.iter().fold(0, |mask, word| {
            mask | char_mask(std::str::from_utf8(word).unwrap_or_default())
        });
        let folded = keys::fold(query);
        let key_prefix = (folded.len() <= KEY_LEN).then(|| {
            let mut head = [0u8; KEY_LEN];
            head[..folded.len()].copy_from_slice(folded.as_bytes());
            let mask = u64::MAX
                .checked_shl(8 * folded.len() as u32)
                .map_or(u64::MAX, |high| !high);
            (u64::from_le_bytes(head), mask)
        });
        let mut ranker = NoteRanker {
            key_prefix,
            folded,
            ascii_words,
            mask,
            pattern: Pattern::new(
                query,
                CaseMatching::Ignore,
                Normalization::Smart,
                AtomKind::Fuzzy,
            ),
            matcher: Matcher::new(Config::DEFAULT),
            buffer: Vec::new(),
            prefix_score: None,
        };
        if plain && !ranker.folded.is_empty() {
            let folded = ranker.folded.clone();
            ranker.prefix_score = Some(ranker.score_text(&folded).unwrap_or(0));
        }
        ranker
    }

    /// [`NoteRanker::score_note`] of a note whose tier is `tier` > 0, without reading its
    /// names, when the query is plain ASCII: such a note has a name that starts with the
    /// query, and the fuzzy score of that name is the query's own score, which no text
    /// exceeds (the query matched at the start of a text, without gaps, takes the highest
    /// bonus at every character). `None` for other queries.
    pub fn tiered_score(&self, tier: u32) -> Option<u32> {
        let best = self.prefix_score.filter(|_| tier > 0)?;
        Some(tier + best * 2)
    }

    /// [`NoteRanker::score_note`] of a note whose tier is `tier` (> 0): from the tier alone
    /// when [`NoteRanker::tiered_score`] can, else by scoring the names of `note()`.
    pub fn score_tiered<'n>(
        &mut self,
        tier: u32,
        note: impl FnOnce() -> Option<&'n Note>,
    ) -> Option<u32> {
        match self.tiered_score(tier) {
            Some(score) => Some(score),
            None => note().and_then(|note| self.score_note(note)),
        }
    }

    /// A [`char_mask`] that every matching note's [`Note::name_mask`] holds (0 when the
    /// query cannot be screened this way): see [`Workspace::notes_with_name_mask`].
    ///
    /// [`Workspace::notes_with_name_mask`]: crate::workspace::Workspace::notes_with_name_mask
    pub fn mask(&self) -> u64 {
        self.mask
    }

    /// Whether every fuzzy score, doubled as [`NoteRanker::score_note`] does, stays below
    /// [`PREFIX_TIER`]: then a note whose id or title starts with the query outranks every
    /// note that only matches fuzzily and every heading. Each word of the query scores at
    /// most `u16::MAX`, so this holds for any query of up to 15 words.
    pub fn fuzzy_below_tiers(&self) -> bool {
        let most = u64::from(u16::MAX) * self.pattern.atoms.len() as u64;
        most * 2 + 1 < u64::from(PREFIX_TIER)
    }

    /// Whether the query is empty (every note then scores 0).
    pub fn is_empty(&self) -> bool {
        self.folded.is_empty()
    }

    /// The note's score, higher is better; `None` when it does not match. An empty query
    /// matches every note with score 0.
    pub fn score_note(&mut self, note: &Note) -> Option<u32> {
        if self.is_empty() {
            return Some(0);
        }
        let tier = self.tier(note)?;
        let title = note.title();
        let mut best = 0u32;
        for name in [note.id(), title].into_iter().chain(note.aliases()) {
            if let Some(score) = self.score_text(name) {
                best = best.max(score);
            }
        }
        (tier > 0 || best > 0).then_some(tier + best * 2)
    }

    /// The tier alone, without fuzzy matching: `None` when the note's names lack one of the
    /// query's characters (so [`NoteRanker::score_note`] is `None` too), else the bonus for a
    /// whole-name or prefix match, 0 for neither. Cheap enough to run over every note first.
    pub fn tier(&self, note: &Note) -> Option<u32> {
        self.tier_from_facts(&NameFacts::of(note), || Some(note))
    }

    /// [`NoteRanker::tier`] from a note's [`NameFacts`]; `note` is called only when the
    /// facts cannot decide (a long query, a non-ASCII name).
    pub fn tier_from_facts<'n>(
        &self,
        facts: &NameFacts,
        note: impl Fn() -> Option<&'n Note>,
    ) -> Option<u32> {
        if facts.mask & self.mask != self.mask {
            return None;
        }
        // (whole name, prefix) for the id and the title; from the note's name keys when the
        // query is short enough, which spares reading the names.
        let query_len = self.folded.len();
        let from_key = |key: Option<NameKey>| {
            let (head, mask) = self.key_prefix?;
            let key = key?;
            let len = key.len as usize;
            let prefix = len >= query_len && u64::from_le_bytes(key.head) & mask == head;
            Some((prefix && len == query_len, prefix))
        };
        let test = |name: &str| {
            (
                eq_folded(name, &self.folded),
                starts_with_folded(name, &self.folded),
            )
        };
        let id = match from_key(facts.id_key) {
            Some(tested) => tested,
            None => test(note()?.id()),
        };
        let title = match from_key(facts.title_key) {
            Some(tested) => tested,
            None => test(note()?.title()),
        };
        Some(if id.0 || title.0 {
            EXACT_TIER
        } else if id.1 || title.1 {
            PREFIX_TIER
        } else {
            0
        })
    }

    /// The plain fuzzy score of any text (a heading, say); `None` when it does not match.
    pub fn score_text(&mut self, text: &str) -> Option<u32> {
        // An ASCII text that lacks a word of the query does not match; another text is left
        // to the matcher, which knows how it folds.
        if let Some(words) = &self.ascii_words
            && words
                .iter()
                .any(|word| subsequence::find_in_order(word, text.as_bytes()) == Found::Missing)
        {
            return None;
        }
        self.pattern
            .score(Utf32Str::new(text, &mut self.buffer), &mut self.matcher)
            .filter(|&score| score > 0)
    }
}

/// `str::trim`, skipped when the ends are visible ASCII (most names).
fn trimmed(name: &str) -> &str {
    let bytes = name.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => name,
        _ => name.trim(),
    }
}

/// `keys::fold(name) == folded`, without allocating for ASCII names.
fn eq_folded(name: &str, folded: &str) -> bool {
    let name = trimmed(name);
    if name.is_ascii() {
        name.eq_ignore_ascii_case(folded)
    } else {
        keys::fold(name) == folded
    }
}

/// `keys::fold(name).starts_with(folded)`, without allocating for ASCII names.
fn starts_with_folded(name: &str, folded: &str) -> bool {
    let name = trimmed(name);
    if name.is_ascii() {
        name.len() >= folded.len()
            && name.as_bytes()[..folded.len()].eq_ignore_ascii_case(folded.as_bytes())
    } else {
        keys::fold(name).starts_with(folded)
    }
}

/// `scan` of each chunk of the name lists' entries (`scan(which list, range)`), on all cores
/// in one go, the answers in the lists' order: on a large vault reading the name table is
/// most of a completion's or a workspace symbol query's time. A note's entries may straddle
/// two chunks (see [`keep_best`]).
pub fn scan_name_chunks<T: Send>(
    lists: &[&NameList],
    scan: impl Fn(usize, std::ops::Range<usize>) -> T + Sync,
) -> Vec<T> {
    use rayon::prelude::*;
    let chunks: Vec<(usize, std::ops::Range<usize>)> = lists
        .iter()
        .enumerate()
        .flat_map(|(list, names)| {
            (0..names.len().div_ceil(NAME_CHUNK)).map(move |i| {
                (
                    list,
                    i * NAME_CHUNK..((i + 1) * NAME_CHUNK).min(names.len()),
                )
            })
        })
        .collect();
    chunks
        .into_par_iter()
        .map(|(list, range)| scan(list, range))
        .collect()
}

/// Adds `score` for `file` to `bests`, notes in the name table's order: a note's names come
/// one after the other (and again at the start of the next chunk when they straddle two), so
/// a repeat of the last note keeps its best score.
pub fn keep_best(bests: &mut Vec<(FileId, u32)>, file: FileId, score: u32) {
    match bests.last_mut() {
        Some((last, best)) if *last == file => *best = (*best).max(score),
        _ => bests.push((file, score)),
    }
}

/// The best `limit` items offered, under `order` (`Less` means better), kept in order: most
/// items lose to the worst kept one in one comparison, and only the answer is ever sorted.
/// For a total order the answer does not depend on the order in which items are offered.
pub struct TopK<T, F> {
    limit: usize,
    order: F,
    best: Vec<T>,
}

impl<T, F: Fn(&T, &T) -> Ordering> TopK<T, F> {
    pub fn new(limit: usize, order: F) -> TopK<T, F> {
        TopK {
            limit,
            order,
            best: Vec::new(),
        }
    }

    /// Keeps `item` if it is better than the worst kept one, or while fewer than `limit` are.
    pub fn offer(&mut self, item: T) {
        let order = &self.order;
        if self.best.len() == self.limit
            && self
                .best
                .last()
                .is_some_and(|worst| order(&item, worst).is_ge())
        {
            return;
        }
        let at = self.best.partition_point(|kept| order(kept, &item).is_lt());
        self.best.insert(at, item);
        self.best.truncate(self.limit);
    }

    /// The items kept, best first.
    pub fn into_sorted(self) -> Vec<T> {
        self.best
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::NoteRanker;

    /// Flips the case of the letters of `text` where `flips` has a set bit.
    fn recase(text: &str, flips: u64) -> String {
        text.chars()
            .enumerate()
            .map(|(i, c)| {
                if flips >> (i % 64) & 1 == 1 {
                    c.to_ascii_uppercase()
                } else {
                    c
                }
            })
            .collect()
    }

    proptest! {
        /// What [`NoteRanker::tiered_score`] relies on: for a plain ASCII query, a name that
        /// starts with the query (in any case, after any leading space) scores exactly the
        /// query's own score, and no text scores more.
        #[test]
        fn the_query_itself_scores_best_and_prefixed_names_score_the_same(
            query in "[a-zA-Z0-9 ._/!^$'#|-]{1,12}",
            lead in "[ ]{0,2}",
            before in "[a-zA-Z0-9 ._/-]{0,12}",
            after in "[a-zA-Z0-9 ._/-]{0,16}",
            others in prop::collection::vec("[a-zA-Z0-9 ._/-]{0,24}", 0..8),
            flips in any::<u64>(),
        ) {
            let mut ranker = NoteRanker::new(&query);
            prop_assume!(!ranker.is_empty());
            let best = ranker.prefix_score.expect("a plain ASCII query has a prefix score");
            let prefixed = format!("{lead}{}{after}", recase(query.trim(), flips));
            prop_assert_eq!(ranker.score_text(&prefixed).unwrap_or(0), best, "{:?}", prefixed);
            let inside = format!("{before}{}{after}", recase(&query, flips));
            prop_assert!(ranker.score_text(&inside).unwrap_or(0) <= best, "{:?}", inside);
            for other in &others {
                prop_assert!(ranker.score_text(other).unwrap_or(0) <= best, "{:?}", other);
            }
        }
    }
}
