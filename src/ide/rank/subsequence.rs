//! The cheap test that runs before the fuzzy matcher: whether a query word's characters
//! appear in a name in order, ignoring ASCII case. A fuzzy match needs at least that, and on a
//! large vault most names that hold the query's characters fail it, so it runs on every name
//! that passes the character masks: it reads the name eight bytes at a time and finds each
//! wanted character in a word with a few bit operations, without a branch per byte.

/// Eight copies of a byte.
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

const LOW7: u64 = splat(0x7f);
const HIGH: u64 = splat(0x80);

/// What [`find_in_order`] learnt of a text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Found {
    /// Every character of the word, in order.
    All,
    /// Not all of them, and the text is ASCII: no fuzzy match.
    Missing,
    /// Not all of them, but the text is not ASCII, so a character may still match after
    /// normalisation (the fuzzy matcher decides).
    NotAscii,
}

/// Whether the lowercase ASCII `word` appears in `text` in order, each of its letters
/// matching either case of the letter and every other byte only itself (what
/// `u8::to_ascii_lowercase` on the text's bytes compares). Reports [`Found::NotAscii`] for a
/// text that is not ASCII and lacks the word, since only the fuzzy matcher knows how such a
/// text folds.
pub fn find_in_order(word: &[u8], text: &[u8]) -> Found {
    // Every byte of `text` ORed together, to tell an ASCII text on failure (then every chunk
    // has been read).
    let mut seen = 0u64;
    // The chunk being read (from `at`), and how many of its bytes are already used.
    let mut at = 0usize;
    let mut used = 0u32;
    let mut chunk = load(text, 0);
    seen |= chunk.0;
    'word: for &wanted in word {
        let fold = if wanted.is_ascii_lowercase() { 0x20 } else { 0 };
        let (fold, pattern) = (splat(fold), splat(wanted));
        loop {
            let (bytes, valid) = chunk;
            // One 0x80 per byte of the chunk equal to `wanted` (ignoring case), exactly
            // (no carry between bytes), among the valid bytes not yet used.
            let x = (bytes | fold) ^ pattern;
            let equal = !(((x & LOW7) + LOW7) | x | LOW7);
            let unused = if used < 8 { HIGH << (8 * used) } else { 0 };
            let hits = equal & valid & unused;
            if hits != 0 {
                used = hits.trailing_zeros() / 8 + 1;
                continue 'word;
            }
            at += 8;
            if at >= text.len() {
                return if seen & HIGH == 0 {
                    Found::Missing
                } else {
                    Found::NotAscii
                };
            }
            chunk = load(text, at);
            seen |= chunk.0;
            used = 0;
        }
    }
    Found::All
}

/// The eight bytes of `text` from `at` (little-endian, zero-padded past its end) and a mask
/// with 0x80 in each byte that is the text's.
fn load(text: &[u8], at: usize) -> (u64, u64) {
    match text.get(at..at + 8) {
        Some(bytes) => (
            u64::from_le_bytes(bytes.try_into().unwrap_or_default()),
            HIGH,
        ),
        None => {
            let rest = text.get(at..).unwrap_or_default();
            let mut bytes = [0u8; 8];
            bytes[..rest.len()].copy_from_slice(rest);
            let valid = if rest.is_empty() {
                0
            } else {
                HIGH >> (8 * (8 - rest.len()))
            };
            (u64::from_le_bytes(bytes), valid)
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::{Found, find_in_order};

    /// The plain byte-by-byte test it must agree with.
    fn plain(word: &[u8], text: &[u8]) -> Found {
        let mut rest = word;
        for &byte in text {
            if let [first, tail @ ..] = rest
                && byte.to_ascii_lowercase() == *first
            {
                rest = tail;
            }
        }
        match (rest.is_empty(), text.is_ascii()) {
            (true, _) => Found::All,
            (false, true) => Found::Missing,
            (false, false) => Found::NotAscii,
        }
    }

    proptest! {
        #[test]
        fn agrees_with_the_plain_test(
            word in "[a-e0-9 ._\\x00-]{0,6}",
            text in "[a-eA-E0-9 ._\\x00\\x01!é-]{0,40}",
        ) {
            let word = word.to_ascii_lowercase();
            prop_assert_eq!(
                find_in_order(word.as_bytes(), text.as_bytes()),
                plain(word.as_bytes(), text.as_bytes()),
                "{:?} in {:?}", word, text
            );
        }
    }

    #[test]
    fn edges() {
        let cases = [
            ("", ""),
            ("a", ""),
            ("", "abc"),
            ("abc", "ABC"),
            ("abc", "xxxxxxxabc"),
            ("aa", "xxxxxxxa"),
            ("aa", "xxxxxxxaa"),
            ("aa", "xxxxxxxaxxxxxxxa"),
            ("ab", "xxxxxxxbxxxxxxxa"),
            ("a", "A\u{e9}"),
            ("q", "A\u{e9}"),
            ("[", "{"),
            ("@", "`"),
            ("1", "!"),
        ];
        for (word, text) in cases {
            assert_eq!(
                find_in_order(word.as_bytes(), text.as_bytes()),
                plain(word.as_bytes(), text.as_bytes()),
                "{word:?} in {text:?}"
            );
        }
    }
}
