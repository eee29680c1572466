//! Fuzzy ranking of notes by id, title and aliases, shared by completion and workspace symbols
//! so that both order notes the same way.
//!
//! Tiers, best first: the query is a note's whole id or title (ignoring case); it starts one;
//! then nucleo's fuzzy score over the id, the title and every alias. Scoring allocates nothing
//! per note: the matcher's buffers are reused, and case-insensitive comparisons of ASCII names
//! work on bytes (only a non-ASCII name is folded into a temporary string).

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use crate::slug;
use crate::workspace::{NameKey, Note, char_mask};

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
        NoteRanker {
            folded: slug::fold(query),
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
        for name in [&*note.id, title].into_iter().chain(note.aliases()) {
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
        if note.name_mask & self.mask != self.mask {
            return None;
        }
        // (whole name, prefix) for the id and the title; from the note's name keys when the
        // query is short enough, which spares reading the names.
        let query = self.folded.as_bytes();
        let from_key = |key: Option<NameKey>| {
            let key = key.filter(|_| query.len() <= KEY_LEN)?;
            let len = key.len as usize;
            let prefix = len >= query.len() && key.head[..query.len()] == *query;
            Some((prefix && len == query.len(), prefix))
        };
        let test = |name: &str| {
            (
                eq_folded(name, &self.folded),
                starts_with_folded(name, &self.folded),
            )
        };
        let id = from_key(note.id_key).unwrap_or_else(|| test(&note.id));
        let title = from_key(note.title_key).unwrap_or_else(|| test(note.title()));
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
        if let Some(words) = &self.ascii_words
            && text.is_ascii()
            && !words
                .iter()
                .all(|word| is_subsequence(word, text.as_bytes()))
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

/// `slug::fold(name) == folded`, without allocating for ASCII names.
fn eq_folded(name: &str, folded: &str) -> bool {
    let name = trimmed(name);
    if name.is_ascii() {
        name.eq_ignore_ascii_case(folded)
    } else {
        slug::fold(name) == folded
    }
}

/// `slug::fold(name).starts_with(folded)`, without allocating for ASCII names.
fn starts_with_folded(name: &str, folded: &str) -> bool {
    let name = trimmed(name);
    if name.is_ascii() {
        name.len() >= folded.len()
            && name.as_bytes()[..folded.len()].eq_ignore_ascii_case(folded.as_bytes())
    } else {
        slug::fold(name).starts_with(folded)
    }
}

/// Whether the lowercase ASCII `word` appears in `text` in order, ignoring case (what a fuzzy
/// match needs at the least).
fn is_subsequence(word: &[u8], text: &[u8]) -> bool {
    let mut wanted = word.iter().peekable();
    for &byte in text {
        match wanted.peek() {
            Some(&&next) if byte.to_ascii_lowercase() == next => {
                wanted.next();
            }
            Some(_) => {}
            None => return true,
        }
    }
    wanted.peek().is_none()
}
