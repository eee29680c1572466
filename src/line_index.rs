//! Byte offsets to line/column positions and back, in UTF-8 or UTF-16 columns.
//!
//! The line-ending rule is the LSP one: a line ends at `\n`, `\r\n` or a lone `\r`, and nothing
//! else (no U+2028, no form feed). The index keeps line starts plus where the non-ASCII
//! characters sit (one sorted list, empty for ASCII text), so conversions never need the text.
//! Out-of-range input is clamped: a line past the end maps to the end of the text, a column past
//! the end of a line maps to the end of that line, and a column inside a character (a UTF-16
//! position between the two halves of a surrogate pair) snaps to the character's start.

/// How columns are counted at the edge.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PositionEncoding {
    Utf8,
    Utf16,
}

/// A zero-based line and column, with the column counted in some [`PositionEncoding`].
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub col: u32,
}

/// A non-ASCII character: its line, byte column and UTF-8 length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct WideChar {
    line: u32,
    byte_col: u32,
    len_utf8: u32,
}

impl WideChar {
    fn len_utf16(self) -> u32 {
        if self.len_utf8 == 4 { 2 } else { 1 }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LineIndex {
    /// Byte offset where each line starts; the first is always 0.
    line_starts: LineStarts,
    /// The lines whose break is the two bytes `\r\n` (sorted; all other breaks are one byte),
    /// then every non-ASCII character as three words (line, byte column, UTF-8 length), sorted
    /// by line and column: one allocation for both, none for ASCII text with `\n` breaks
    /// (notes keep their index: two boxed slices took 16 bytes more a note).
    crlf_lines_and_wide_chars: Box<[u32]>,
    /// How many words of `crlf_lines_and_wide_chars` are CRLF lines.
    crlf_count: u32,
    text_len: u32,
}

/// Where each line starts, as `u16`s when the text is shorter than 64 KiB (nearly every note):
/// open notes and those an answer named keep their index, and this halves the biggest part of it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum LineStarts {
    Narrow(Box<[u16]>),
    Wide(Box<[u32]>),
}

impl Default for LineStarts {
    fn default() -> LineStarts {
        LineStarts::Narrow(Box::default())
    }
}

impl LineStarts {
    fn len(&self) -> usize {
        match self {
            LineStarts::Narrow(starts) => starts.len(),
            LineStarts::Wide(starts) => starts.len(),
        }
    }

    fn get(&self, line: usize) -> Option<u32> {
        match self {
            LineStarts::Narrow(starts) => starts.get(line).map(|&start| u32::from(start)),
            LineStarts::Wide(starts) => starts.get(line).copied(),
        }
    }

    /// The start of `line`; panics past the last line, as indexing does.
    fn at(&self, line: usize) -> u32 {
        match self {
            LineStarts::Narrow(starts) => u32::from(starts[line]),
            LineStarts::Wide(starts) => starts[line],
        }
    }

    /// How many lines start at or before `offset`.
    fn count_at_or_before(&self, offset: u32) -> usize {
        match self {
            LineStarts::Narrow(starts) => {
                starts.partition_point(|&start| u32::from(start) <= offset)
            }
            LineStarts::Wide(starts) => starts.partition_point(|&start| start <= offset),
        }
    }
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut crlf_lines = Vec::new();
        // Built in their final width at once, with room for lines of about 40 bytes.
        let line_starts = if bytes.len() <= usize::from(u16::MAX) {
            let mut starts = Vec::with_capacity(bytes.len() / 40 + 1);
            starts.push(0);
            for_each_line_start(bytes, &mut crlf_lines, |start| starts.push(start as u16));
            LineStarts::Narrow(starts.into_boxed_slice())
        } else {
            let mut starts = Vec::with_capacity(bytes.len() / 40 + 1);
            starts.push(0);
            for_each_line_start(bytes, &mut crlf_lines, |start| starts.push(start as u32));
            LineStarts::Wide(starts.into_boxed_slice())
        };
        let wide_chars = if bytes.is_ascii() {
            Vec::new()
        } else {
            wide_chars(bytes, &line_starts)
        };
        LineIndex::from_parts(line_starts, crlf_lines, bytes.len(), &wide_chars)
    }

    /// The index of a text `text_len` bytes long, from its lines' starts, CRLF lines and
    /// non-ASCII characters.
    fn from_parts(
        line_starts: LineStarts,
        crlf_lines: Vec<u32>,
        text_len: usize,
        wide_chars: &[WideChar],
    ) -> LineIndex {
        let crlf_count = crate::text::to_u32(crlf_lines.len());
        let mut words = crlf_lines;
        // Boxed: no spare capacity, and a smaller index (notes keep theirs).
        words.reserve_exact(wide_chars.len() * 3);
        for c in wide_chars {
            words.extend([c.line, c.byte_col, c.len_utf8]);
        }
        LineIndex {
            line_starts,
            crlf_lines_and_wide_chars: words.into_boxed_slice(),
            crlf_count,
            text_len: crate::text::to_u32(text_len),
        }
    }

    /// The lines whose break is `\r\n`, sorted.
    fn crlf_lines(&self) -> &[u32] {
        &self.crlf_lines_and_wide_chars[..self.crlf_count as usize]
    }

    /// The non-ASCII characters, three words each (see [`LineIndex::chars_of`]).
    fn wide_chars(&self) -> &[u32] {
        &self.crlf_lines_and_wide_chars[self.crlf_count as usize..]
    }

    pub fn line_count(&self) -> u32 {
        self.line_starts.len() as u32
    }

    pub fn text_len(&self) -> u32 {
        self.text_len
    }

    /// The byte offset where `line` starts (clamped to the last line).
    pub fn line_start(&self, line: u32) -> u32 {
        let line = (line as usize).min(self.line_starts.len() - 1);
        self.line_starts.at(line)
    }

    /// The byte offset where `line`'s content ends, before its line break (clamped).
    pub fn line_end(&self, line: u32) -> u32 {
        let line = line.min(self.line_count() - 1);
        match self.line_starts.get(line as usize + 1) {
            Some(next) if self.crlf_lines().binary_search(&line).is_ok() => next - 2,
            Some(next) => next - 1,
            None => self.text_len,
        }
    }

    /// The zero-based line that contains `offset` (clamped to the text).
    pub fn line_of(&self, offset: u32) -> u32 {
        let offset = offset.min(self.text_len);
        (self.line_starts.count_at_or_before(offset) - 1) as u32
    }

    /// Converts a byte offset to a line and column in `encoding`. An offset inside a line break
    /// maps to the end of that line's content.
    pub fn line_col(&self, offset: u32, encoding: PositionEncoding) -> LineCol {
        let offset = offset.min(self.text_len);
        let line = self.line_of(offset);
        let byte_col = offset.min(self.line_end(line)) - self.line_start(line);
        let col = match encoding {
            PositionEncoding::Utf8 => byte_col,
            PositionEncoding::Utf16 => self.byte_col_to_utf16(line, byte_col),
        };
        LineCol { line, col }
    }

    /// Converts a line and column in `encoding` to a byte offset, clamping out-of-range input.
    pub fn offset(&self, pos: LineCol, encoding: PositionEncoding) -> u32 {
        if pos.line >= self.line_count() {
            return self.text_len;
        }
        let start = self.line_start(pos.line);
        let max_col = self.line_end(pos.line) - start;
        let byte_col = match encoding {
            PositionEncoding::Utf8 => self.snap_to_char_start(pos.line, pos.col.min(max_col)),
            PositionEncoding::Utf16 => self.utf16_col_to_byte(pos.line, pos.col).min(max_col),
        };
        start + byte_col
    }

    /// The non-ASCII characters of `line`, in order.
    fn chars_of(&self, line: u32) -> impl Iterator<Item = WideChar> + '_ {
        let words = self.wide_chars();
        let count = words.len() / 3;
        let start = partition_point(count, |i| words[i * 3] < line);
        let end = partition_point(count, |i| words[i * 3] <= line);
        words[start * 3..end * 3]
            .chunks_exact(3)
            .map(|word| WideChar {
                line: word[0],
                byte_col: word[1],
                len_utf8: word[2],
            })
    }

    fn byte_col_to_utf16(&self, line: u32, byte_col: u32) -> u32 {
        let mut col = byte_col;
        for c in self.chars_of(line) {
            if c.byte_col >= byte_col {
                break;
            }
            col = col - c.len_utf8 + c.len_utf16();
        }
        col
    }

    fn utf16_col_to_byte(&self, line: u32, utf16_col: u32) -> u32 {
        // Walk the wide characters in order, keeping both coordinates of the character start.
        let mut shift = 0; // Bytes minus UTF-16 units so far.
        for c in self.chars_of(line) {
            let c_utf16 = c.byte_col - shift;
            if utf16_col <= c_utf16 {
                break;
            }
            if utf16_col < c_utf16 + c.len_utf16() {
                // Inside a surrogate pair: snap to the character's start.
                return c.byte_col;
            }
            shift += c.len_utf8 - c.len_utf16();
        }
        utf16_col + shift
    }

    fn snap_to_char_start(&self, line: u32, byte_col: u32) -> u32 {
        for c in self.chars_of(line) {
            if byte_col > c.byte_col && byte_col < c.byte_col + c.len_utf8 {
                return c.byte_col;
            }
        }
        byte_col
    }
}

/// The first of `0..len` for which `before` is false, `before` being true up to some index and
/// false from there (as `slice::partition_point`, over indexes).
fn partition_point(len: usize, before: impl Fn(usize) -> bool) -> usize {
    let (mut low, mut high) = (0, len);
    while low < high {
        let middle = low + (high - low) / 2;
        if before(middle) {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    low
}

/// Calls `push` with the start of every line after the first, in order, and records in
/// `crlf_lines` the lines whose break is `\r\n`: one pass over the text for its line breaks.
fn for_each_line_start(bytes: &[u8], crlf_lines: &mut Vec<u32>, mut push: impl FnMut(usize)) {
    if memchr::memchr(b'\r', bytes).is_none() {
        // Only `\n` breaks, as in most notes: a search for one byte is quicker than for two.
        memchr::memchr_iter(b'\n', bytes).for_each(|at| push(at + 1));
        return;
    }
    let mut line = 0u32;
    let mut breaks = memchr::memchr2_iter(b'\n', b'\r', bytes);
    while let Some(at) = breaks.next() {
        let next = if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
            crlf_lines.push(line);
            // The `\n` of the pair is the next break found: it ends nothing more.
            breaks.next();
            at + 2
        } else {
            at + 1
        };
        push(next);
        line += 1;
    }
}

/// Every non-ASCII character of `bytes` (valid UTF-8), by line and byte column: runs of ASCII
/// are skipped 16 bytes at a time.
fn wide_chars(bytes: &[u8], line_starts: &LineStarts) -> Vec<WideChar> {
    let mut wide_chars = Vec::new();
    let mut line = 0usize;
    let mut i = 0usize;
    while let Some(found) = first_non_ascii(&bytes[i..]) {
        i += found;
        while line + 1 < line_starts.len() && line_starts.at(line + 1) as usize <= i {
            line += 1;
        }
        let len = utf8_len(bytes[i]);
        wide_chars.push(WideChar {
            line: line as u32,
            byte_col: (i - line_starts.at(line) as usize) as u32,
            len_utf8: len as u32,
        });
        i += len;
    }
    wide_chars
}

/// The offset of the first byte of `bytes` that is not ASCII.
fn first_non_ascii(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(16);
    let mut skipped = 0;
    for chunk in chunks.by_ref() {
        if !chunk.is_ascii() {
            break;
        }
        skipped += 16;
    }
    bytes[skipped..]
        .iter()
        .position(|&b| !b.is_ascii())
        .map(|at| skipped + at)
}

fn utf8_len(first_byte: u8) -> usize {
    match first_byte {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PositionEncoding::{Utf8, Utf16};

    /// Renders every character boundary of `text` as `offset=line:col8/col16`.
    fn table(text: &str) -> String {
        let index = LineIndex::new(text);
        let mut out = Vec::new();
        let mut offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        offsets.push(text.len());
        for offset in offsets {
            let offset = offset as u32;
            let p8 = index.line_col(offset, Utf8);
            let p16 = index.line_col(offset, Utf16);
            out.push(format!("{offset}={}:{}/{}", p8.line, p8.col, p16.col));
            // Round trips where the offset is not inside a line break.
            if offset <= index.line_end(p8.line) {
                assert_eq!(
                    index.offset(p8, Utf8),
                    offset,
                    "utf8 round trip at {offset}"
                );
                assert_eq!(
                    index.offset(p16, Utf16),
                    offset,
                    "utf16 round trip at {offset}"
                );
            }
        }
        out.join(" ")
    }

    #[test]
    fn ascii_and_line_breaks() {
        expect_test::expect![
            "0=0:0/0 1=0:1/1 2=1:0/0 3=1:1/1 4=1:1/1 5=2:0/0 6=2:1/1 7=3:0/0 8=3:1/1"
        ]
        .assert_eq(&table("a\nb\r\nc\rd"));
    }

    #[test]
    fn wide_characters() {
        expect_test::expect!["0=0:0/0 1=0:1/1 3=0:3/2 6=0:6/3 10=0:10/5 11=0:11/6 12=1:0/0 13=1:1/1 14=1:2/2 15=1:3/3"]
            .assert_eq(&table("aé中😀b\n[[\u{0}"));
    }

    #[test]
    fn emoji_link_column() {
        let text = "a😀 [[b]]";
        let index = LineIndex::new(text);
        let link = text.find("[[").unwrap() as u32;
        assert_eq!(index.line_col(link, Utf16), LineCol { line: 0, col: 4 });
        assert_eq!(index.line_col(link, Utf8), LineCol { line: 0, col: 6 });
    }

    #[test]
    fn clamping() {
        let text = "ab😀\r\ncd";
        let index = LineIndex::new(text);
        // Column past the end of a CRLF line stops before the `\r`.
        assert_eq!(index.offset(LineCol { line: 0, col: 99 }, Utf16), 6);
        // Line past the end clamps to the end of the text.
        assert_eq!(index.offset(LineCol { line: 9, col: 0 }, Utf8), 10);
        // Inside a surrogate pair or a UTF-8 sequence snaps to the character start.
        assert_eq!(index.offset(LineCol { line: 0, col: 3 }, Utf16), 2);
        assert_eq!(index.offset(LineCol { line: 0, col: 4 }, Utf8), 2);
        // An empty last line exists.
        let index = LineIndex::new("a\n");
        assert_eq!(index.line_count(), 2);
        assert_eq!(index.offset(LineCol { line: 1, col: 5 }, Utf8), 2);
    }

    #[test]
    fn texts_past_64_kib() {
        // Line starts are stored narrow up to 64 KiB and wide past it: both answer alike.
        for len in [65_535, 65_536, 70_000] {
            let text = format!("{}\r\nb😀\n", "a".repeat(len - 8));
            assert_eq!(text.len(), len);
            let index = LineIndex::new(&text);
            let b = (len - 6) as u32;
            assert_eq!(index.line_col(b, Utf16), LineCol { line: 1, col: 0 });
            assert_eq!(index.offset(LineCol { line: 1, col: 3 }, Utf16), b + 5);
            assert_eq!(index.line_end(0), b - 2);
            assert_eq!(index.line_start(2), len as u32);
            assert_eq!(index.line_of(len as u32), 2);
        }
    }

    /// The index built line by line, as it was before the one-pass construction: the oracle of
    /// the property test below.
    fn by_lines(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut line_starts = vec![0u32];
        let mut crlf_lines = Vec::new();
        let mut wide_chars = Vec::new();
        let mut line_start = 0usize;
        loop {
            let line_end = memchr::memchr2(b'\n', b'\r', &bytes[line_start..])
                .map_or(bytes.len(), |i| line_start + i);
            let line = (line_starts.len() - 1) as u32;
            let mut i = line_start;
            while i < line_end {
                let len = utf8_len(bytes[i]);
                if bytes[i] >= 0x80 {
                    wide_chars.push(WideChar {
                        line,
                        byte_col: (i - line_start) as u32,
                        len_utf8: len as u32,
                    });
                }
                i += len;
            }
            if line_end == bytes.len() {
                break;
            }
            let next = if bytes[line_end] == b'\r' && bytes.get(line_end + 1) == Some(&b'\n') {
                crlf_lines.push(line);
                line_end + 2
            } else {
                line_end + 1
            };
            line_starts.push(next as u32);
            line_start = next;
        }
        let line_starts = if bytes.len() <= usize::from(u16::MAX) {
            LineStarts::Narrow(line_starts.iter().map(|&start| start as u16).collect())
        } else {
            LineStarts::Wide(line_starts.into_boxed_slice())
        };
        LineIndex::from_parts(line_starts, crlf_lines, bytes.len(), &wide_chars)
    }

    proptest::proptest! {
        #[test]
        fn one_pass_construction_agrees_with_lines(
            pieces in proptest::collection::vec(
                "(a|bc|\r|\n|\r\n|é|中|😀|\u{2028}|[a-z ]{1,40}){0,40}",
                0..4,
            ),
            long in proptest::bool::weighted(0.1),
        ) {
            let mut text = pieces.concat();
            if long {
                // Past 64 KiB: line starts are stored wide.
                text = format!("{}{text}", "a\n".repeat(33_000));
            }
            proptest::prop_assert_eq!(LineIndex::new(&text), by_lines(&text));
        }
    }
}
