//! Keys: how ids, titles, headings and link targets are normalised before they are compared or
//! looked up. Folding, heading keys and slugs, target cleaning, a note's link keys and the split
//! of a frontmatter reference into KB and id live here, below both the workspace (which indexes
//! notes under these keys) and the resolver in [`crate::slug`] (which decides what a link means
//! with them). Plain functions of text and parsed notes: this module knows no workspace.

use std::borrow::Cow;
use std::path::Component;

use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfc_quick};

use crate::syntax::{Link, Links, ParsedNote, Value, is_kb_name_byte};

/// Case folding used for every case-insensitive comparison of ids, titles and aliases: trimmed,
/// lowercased, and in Unicode NFC (so `é` written as `e` + U+0301 is `é`).
pub fn fold(text: &str) -> String {
    let mut folded = String::new();
    fold_into(text, &mut folded);
    folded
}

/// `text.trim()`, deciding the usual case (no white space at either end) from the first and the
/// last byte: `str::trim` reads every character's class, and keys and targets are trimmed
/// millions of times in a load.
pub fn trim(text: &str) -> &str {
    let plain = |byte: Option<&u8>| byte.is_some_and(|b| b.is_ascii_graphic());
    let bytes = text.as_bytes();
    if plain(bytes.first()) && plain(bytes.last()) {
        text
    } else {
        text.trim()
    }
}

/// [`fold`]`(text)`, borrowed when `text` is folded already (the usual id or link target:
/// trimmed lowercase ASCII), so that a lookup need not allocate.
pub fn fold_cow(text: &str) -> Cow<'_, str> {
    let folded_already = text
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
        && trim(text).len() == text.len();
    if folded_already {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(fold(text))
    }
}

/// Appends [`fold`]`(text)` to `out`.
pub fn fold_into(text: &str, out: &mut String) {
    let trimmed = trim(text);
    if trimmed.is_ascii() {
        let start = out.len();
        out.push_str(trimmed);
        // In place: ASCII stays ASCII.
        out[start..].make_ascii_lowercase();
    } else {
        // In NFC, as Obsidian indexes names: a file named on macOS (`e` + U+0301, NFD) is the
        // note a link typed elsewhere (`é`, NFC) names.
        let lower = trimmed.to_lowercase();
        match is_nfc_quick(lower.chars()) {
            IsNormalized::Yes => out.push_str(&lower),
            _ => out.extend(lower.nfc()),
        }
    }
}

/// The key a heading is matched by: letters and digits only, lowercased, so `My Heading!`,
/// `my-heading` and `myheading` are the same heading.
pub fn heading_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Whether two heading texts have the same [`heading_key`], without building either key.
pub fn same_heading(a: &str, b: &str) -> bool {
    fn ascii_key(text: &str) -> impl Iterator<Item = u8> + '_ {
        text.bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
    }
    fn key(text: &str) -> impl Iterator<Item = char> + '_ {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
    }
    if a.is_ascii() && b.is_ascii() {
        return ascii_key(a).eq(ascii_key(b));
    }
    key(a).eq(key(b))
}

/// The slug a heading gets in URLs and in the `[[id#slug]]` form: lowercase words joined by `-`.
pub fn heading_slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if (c.is_whitespace() || c == '-') && !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// The key a tag is matched by: without a leading `#`, trimmed, folded (`#Rose` and `rose` in
/// `tags:` are one tag, as in Obsidian).
pub fn tag_key(tag: &str) -> String {
    fold(tag.trim().trim_start_matches('#'))
}

/// A link target as written, cleaned: trimmed, without a `.md` extension, `./` or leading `/`.
/// Returns `None` for a target that climbs out with `..` (it can never name a note). Borrowed
/// from `target` unless it has folders to normalise.
pub fn clean_target(target: &str) -> Option<Cow<'_, str>> {
    let mut target = trim(target);
    for ext in [".md", ".markdown"] {
        // `get`: the last bytes may fall inside a multi-byte character (`[[a😀]]`).
        let cut = target.len().saturating_sub(ext.len());
        let tail = target.get(cut..).unwrap_or("");
        if cut > 0 && tail.eq_ignore_ascii_case(ext) {
            target = &target[..cut];
        }
    }
    // `strip_prefix` in a loop rather than `trim_start_matches("./")`, whose string searcher
    // costs more to set up than the whole rest of this function.
    while let Some(rest) = target.strip_prefix("./") {
        target = rest;
    }
    let target = target.trim_start_matches('/');
    if !target.contains('/') {
        return Some(Cow::Borrowed(target));
    }
    let mut parts = Vec::new();
    for component in std::path::Path::new(target).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(Cow::Owned(parts.join("/")))
}

/// What a part of `link` (its target, heading or block, as written) means: the text itself
/// for a wiki-link; for a markdown link, the text with `%XX` escapes and backslash escapes
/// decoded (`Other%20note.md` is `Other note.md`). A text whose escapes do not decode to UTF-8
/// is taken as written.
pub fn link_text<'a>(link: Link<'_>, text: &'a str) -> Cow<'a, str> {
    if link.is_markdown() {
        decode_destination(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// A markdown destination with `%XX` and backslash escapes decoded (see [`link_text`]).
pub fn decode_destination(text: &str) -> Cow<'_, str> {
    if !text.contains(['%', '\\']) {
        return Cow::Borrowed(text);
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
        match bytes[i] {
            b'%' if hex(i + 1).is_some() && hex(i + 2).is_some() => {
                let value = hex(i + 1).unwrap_or(0) * 16 + hex(i + 2).unwrap_or(0);
                out.push(value as u8);
                i += 3;
            }
            b'\\' if bytes.get(i + 1).is_some_and(u8::is_ascii_punctuation) => {
                out.push(bytes[i + 1]);
                i += 2;
            }
            byte => {
                out.push(byte);
                i += 1;
            }
        }
    }
    match String::from_utf8(out) {
        Ok(decoded) => Cow::Owned(decoded),
        Err(_) => Cow::Borrowed(text),
    }
}

/// A markdown destination written the way `original` was: `name` percent-encoded where a
/// destination needs it (spaces, `%`, parentheses, angle brackets, `#`, `^`, `|`, brackets,
/// backslashes, control characters), and non-ASCII characters too when `original` encoded
/// some; inside `<...>` only what would end it (`<`, `>`, a line break). So a rename keeps a
/// link in its writer's style: `Other%20note.md` stays encoded, `<My note.md>` stays plain.
pub fn encode_destination(name: &str, original: &str, angle_brackets: bool) -> String {
    let encoded_non_ascii = {
        let bytes = original.as_bytes();
        bytes.windows(3).any(|w| {
            w[0] == b'%'
                && (w[1] as char).to_digit(16).is_some_and(|d| d >= 8)
                && (w[2] as char).is_ascii_hexdigit()
        })
    };
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        let encode = if angle_brackets {
            matches!(c, '<' | '>' | '\n' | '\r')
        } else {
            c.is_ascii_control()
                || matches!(
                    c,
                    ' ' | '%' | '(' | ')' | '<' | '>' | '#' | '^' | '|' | '[' | ']' | '\\' | '`'
                )
                || (!c.is_ascii() && (encoded_non_ascii || c.is_whitespace()))
        };
        if encode {
            let mut buffer = [0u8; 4];
            for byte in c.encode_utf8(&mut buffer).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The whole key of a link written with a KB prefix, `kb:target` folded (one of its keys in
/// [`note_link_keys`]): who links to a note of KB `kb` with that prefix.
pub fn kb_link_key(kb: &str, target: &str) -> String {
    fold(&format!("{kb}:{target}"))
}

/// All link keys of one parsed note (body links, frontmatter links and plain frontmatter values;
/// its links, with their texts, are `links`),
/// sorted and without repeats: each link's keys (see `KeyList::push_link_keys`), plus
/// `kb:target` whole for a link with a KB prefix, and each frontmatter value's folded id (see
/// [`value_key`]); with each key, why the note has it (see [`KeyOrigin`]).
pub fn note_link_keys(parsed: &ParsedNote, links: Links<'_>) -> KeyList {
    let mut keys = KeyList::default();
    note_link_keys_into(parsed, links, &mut keys);
    keys
}

/// [`note_link_keys`] written into `keys` (emptied first), whose room is kept from one note
/// to the next: the link table's build works out every note's keys this way.
pub fn note_link_keys_into(parsed: &ParsedNote, links: Links<'_>, keys: &mut KeyList) {
    keys.clear();
    // Room for the usual keys at once, not grown key by key.
    let link_count = links.len();
    keys.text.reserve(link_count * 32);
    keys.ends.reserve(link_count + link_count / 2);
    keys.origins.reserve(link_count + link_count / 2);
    for link in links {
        if link.target.text.is_empty() {
            continue;
        }
        let plain = link.kb.is_none();
        keys.push_link_keys(&link_text(link, link.target.text), plain);
        if let Some(kb) = &link.kb {
            // `[[Note: x]]`-like text that is not a KB prefix is looked up whole.
            keys.push_folded_pair(kb.text, link.target.text);
        }
    }
    if let Some(fm) = parsed.frontmatter() {
        for field in fm.fields() {
            for value in field.values {
                keys.push_folded(value_key_text(value), KeyOrigin::Values);
            }
        }
    }
    keys.sort();
}

/// Why a note has one of its link keys (see [`note_link_keys`]): what the link table can tell
/// about the note's links under that key without reading them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    /// Exactly one link, written plainly (no KB prefix, no folder): the key is its whole
    /// target, folded and without `.md` or `.markdown`. No frontmatter value has the key.
    OnePlainLink = 0,
    /// Frontmatter values only: no link has the key.
    Values = 1,
    /// Anything else but [`KeyOrigin::LastSegment`]: several links, a link with a KB prefix
    /// or a folder, or a link and a value both.
    Mixed = 2,
    /// The last segment of a link with a folder (or relative: `./x`), among others perhaps:
    /// such a link may mean a note of another KB whose path ends with it, even from a KB with
    /// a note of that name.
    LastSegment = 3,
    /// Several links, each written plainly as for [`KeyOrigin::OnePlainLink`], and no value
    /// (how many: [`KeyList::iter_with_origins`]).
    PlainLinks = 4,
}

impl KeyOrigin {
    /// The origin of a key that two entries have.
    fn and(self, other: KeyOrigin) -> KeyOrigin {
        use KeyOrigin::{LastSegment, Mixed, OnePlainLink, PlainLinks, Values};
        match (self, other) {
            (LastSegment, _) | (_, LastSegment) => LastSegment,
            (Values, Values) => Values,
            (OnePlainLink | PlainLinks, OnePlainLink | PlainLinks) => PlainLinks,
            _ => Mixed,
        }
    }
}

/// The key of a frontmatter value in [`note_link_keys`]: its id, folded.
pub fn value_key(value: Value<'_>) -> Cow<'_, str> {
    fold_cow(value_key_text(value))
}

/// The text of a frontmatter value that [`value_key`] folds: its id, without a KB part.
fn value_key_text(value: Value<'_>) -> &str {
    split_reference(value).1
}

/// Keys in one buffer (one allocation for a note's keys, not one for each), each with its
/// [`KeyOrigin`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyList {
    text: String,
    /// Each key's end in `text`; a key starts where the one before it ends.
    ends: Vec<u32>,
    /// Each key's origin.
    origins: Vec<KeyOrigin>,
    /// How many times each key was found (for [`KeyOrigin::PlainLinks`], how many links).
    counts: Vec<u32>,
}

impl KeyList {
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.range(0..self.len())
    }

    /// The keys whose places in the list are `places`.
    pub fn range(&self, places: std::ops::Range<usize>) -> impl Iterator<Item = &str> {
        let first = places.start.checked_sub(1);
        let mut start = first.map_or(0, |before| self.ends[before] as usize);
        self.ends[places].iter().map(move |&end| {
            let key = &self.text[start..end as usize];
            start = end as usize;
            key
        })
    }

    /// Appends `other`'s keys, as they are (their order, origins and counts).
    pub fn append(&mut self, other: &KeyList) {
        let shift = self.text.len() as u32;
        self.text.push_str(&other.text);
        self.ends.extend(other.ends.iter().map(|&end| shift + end));
        self.origins.extend_from_slice(&other.origins);
        self.counts.extend_from_slice(&other.counts);
    }

    /// Each key with its origin and how many times it was found (links, values or segments).
    pub fn iter_with_origins(&self) -> impl Iterator<Item = (&str, KeyOrigin, u32)> {
        let origins = self.origins.iter().copied();
        self.iter()
            .zip(origins)
            .zip(self.counts.iter().copied())
            .map(|((key, origin), count)| (key, origin, count))
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Appends [`fold`]`(text)`.
    fn push_folded(&mut self, text: &str, origin: KeyOrigin) {
        fold_into(text, &mut self.text);
        self.ends.push(self.text.len() as u32);
        self.origins.push(origin);
    }

    /// Appends [`kb_link_key`]`(kb, target)` without the extensions [`clean_target`] takes
    /// off (`[[kb:x.md]]` is found under `kb:x`), without building strings when both are
    /// ASCII and the joined text needs no trimming (nearly always).
    fn push_folded_pair(&mut self, kb: &str, target: &str) {
        let start = self.text.len();
        let mut pushed = false;
        if kb.is_ascii() && target.is_ascii() {
            self.text.push_str(kb);
            self.text.push(':');
            self.text.push_str(target);
            let joined = &self.text[start..];
            if trim(joined).len() == joined.len() {
                self.text[start..].make_ascii_lowercase();
                self.ends.push(self.text.len() as u32);
                self.origins.push(KeyOrigin::Mixed);
                pushed = true;
            } else {
                self.text.truncate(start);
            }
        }
        if !pushed {
            self.text.push_str(&kb_link_key(kb, target));
            self.ends.push(self.text.len() as u32);
            self.origins.push(KeyOrigin::Mixed);
        }
        self.strip_extensions(start);
    }

    /// Takes the extensions [`clean_target`] takes off, in its order, off the last key (which
    /// starts at `start`): `[[x.markdown]]` means `x`.
    fn strip_extensions(&mut self, start: usize) {
        for extension in [".md", ".markdown"] {
            let key = &self.text[start..];
            if key.len() > extension.len() && key.ends_with(extension) {
                self.text.truncate(self.text.len() - extension.len());
                if let Some(end) = self.ends.last_mut() {
                    *end -= extension.len() as u32;
                }
            }
        }
    }

    /// Appends the keys under which a link to `target` is indexed, so that "who links to X"
    /// only resolves links that could mean X: the folded target without `.md` or `.markdown`,
    /// then its last path segment when it has a folder. `plain`: the link has no KB prefix.
    fn push_link_keys(&mut self, target: &str, plain: bool) {
        let start = self.text.len();
        self.push_folded(target, KeyOrigin::OnePlainLink);
        self.strip_extensions(start);
        // `memchr::memrchr`: `str::rfind` searches a byte at a time.
        let slash = memchr::memrchr(b'/', &self.text.as_bytes()[start..]);
        if (!plain || slash.is_some())
            && let Some(origin) = self.origins.last_mut()
        {
            *origin = KeyOrigin::Mixed;
        }
        if let Some(slash) = slash {
            // The last segment as a key of its own (empty after a final `/`).
            let last = self.text[start + slash + 1..].to_owned();
            self.text.push_str(&last);
            self.ends.push(self.text.len() as u32);
            self.origins.push(KeyOrigin::LastSegment);
        }
    }

    /// Empties the list, keeping its room.
    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.origins.clear();
        self.counts.clear();
    }

    /// Sorts the keys and keeps each once: written into a text each thread keeps, which then
    /// changes places with this list's (so neither is allocated again), ordered through a
    /// buffer each thread keeps.
    fn sort(&mut self) {
        thread_local! {
            static ORDER: std::cell::RefCell<Vec<(u64, u32, u32)>> =
                const { std::cell::RefCell::new(Vec::new()) };
            static SORTED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        // An entry is `(head, start, end | origin << ORIGIN_SHIFT)`: 16 bytes to sort, not 24.
        const ORIGIN_SHIFT: u32 = 29;
        const END: u32 = (1 << ORIGIN_SHIFT) - 1;
        let origin_bits = |origin: KeyOrigin| (origin as u32) << ORIGIN_SHIFT;
        let origin_of = |bits: u32| match bits >> ORIGIN_SHIFT {
            0 => KeyOrigin::OnePlainLink,
            1 => KeyOrigin::Values,
            2 => KeyOrigin::Mixed,
            3 => KeyOrigin::LastSegment,
            _ => KeyOrigin::PlainLinks,
        };
        let KeyList {
            text,
            ends,
            origins,
            counts,
        } = self;
        if text.len() > END as usize {
            // Never in a note, but exact all the same: every key is then `LastSegment`, what
            // tells the least.
            origins.fill(KeyOrigin::LastSegment);
        }
        let mut sorted = SORTED.take();
        ORDER.with_borrow_mut(|order| {
            order.clear();
            let mut start = 0;
            for (&end, &origin) in ends.iter().zip(origins.iter()) {
                let head = text_head(&text[start as usize..end as usize]);
                order.push((head, start, end.min(END) | origin_bits(origin)));
                start = end;
            }
            let key =
                |&(_, start, end): &(u64, u32, u32)| &text[start as usize..(end & END) as usize];
            // Compared by their first eight bytes as a number first: most pairs differ there.
            order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| key(a).cmp(key(b))));
            sorted.clear();
            ends.clear();
            origins.clear();
            counts.clear();
            for run in order.chunk_by(|a, b| key(a) == key(b)) {
                sorted.push_str(key(&run[0]));
                ends.push(sorted.len() as u32);
                let origin = run.iter().map(|entry| origin_of(entry.2));
                origins.push(origin.reduce(KeyOrigin::and).unwrap_or(KeyOrigin::Mixed));
                counts.push(run.len() as u32);
            }
        });
        std::mem::swap(text, &mut sorted);
        SORTED.set(sorted);
    }
}

/// The first 8 bytes of `text` as a big-endian number (zero-padded): texts in this order are
/// in string order, except that texts with the same head (sharing 8 leading bytes, or equal)
/// need a string comparison. Orders link keys and note ids without reading most of them.
pub fn text_head(text: &str) -> u64 {
    let mut head = [0u8; 8];
    for (slot, byte) in head.iter_mut().zip(text.bytes()) {
        *slot = byte;
    }
    u64::from_be_bytes(head)
}

/// Splits a frontmatter value into its KB (from `kb:id` or a typed link's `kb:`) and its id.
pub fn split_reference<'a>(value: Value<'a>) -> (Option<&'a str>, &'a str) {
    if let Some(kb) = value.kb {
        return (Some(kb), trim(value.text));
    }
    match value.text.split_once(':') {
        Some((kb, id))
            if !kb.is_empty() && !id.starts_with(' ') && kb.bytes().all(is_kb_name_byte) =>
        {
            (Some(kb), trim(id))
        }
        _ => (None, trim(value.text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts that reach the folding and heading functions: ids, titles, headings with case,
    /// punctuation, spaces at the ends and non-ASCII letters whose lowercase differs.
    fn any_name() -> impl proptest::strategy::Strategy<Value = String> {
        "[ a-zA-Z0-9#!./\\-_ÄäİßΣσ😀]{0,12}"
    }

    proptest::proptest! {
        #[test]
        fn same_heading_agrees_with_heading_keys(a in any_name(), b in any_name()) {
            proptest::prop_assert_eq!(same_heading(&a, &b), heading_key(&a) == heading_key(&b));
            let upper = a.to_uppercase();
            proptest::prop_assert_eq!(
                same_heading(&a, &upper),
                heading_key(&a) == heading_key(&upper)
            );
        }

        #[test]
        fn trim_is_str_trim(text in "[ \t\u{a0}\u{3000}a-z😀]{0,6}") {
            proptest::prop_assert_eq!(trim(&text), text.trim());
        }

        #[test]
        fn fold_cow_is_fold(text in any_name()) {
            proptest::prop_assert_eq!(fold_cow(&text).into_owned(), fold(&text));
        }
    }

    #[test]
    fn clean_target_borrows_unless_it_normalises_folders() {
        for (written, cleaned, borrowed) in [
            ("note", Some("note"), true),
            (" ./././note.md ", Some("note"), true),
            ("/note.MARKDOWN", Some("note"), true),
            ("a/./b/c.md", Some("a/b/c"), false),
            ("a//b", Some("a/b"), false),
            ("../x", None, false),
        ] {
            let got = clean_target(written);
            assert_eq!(got.as_deref(), cleaned, "{written:?}");
            let is_borrowed = matches!(got, Some(Cow::Borrowed(_)));
            assert_eq!(is_borrowed, borrowed, "{written:?}");
        }
    }
}
