//! The fast path for the body's structure: a line scanner for the markdown most notes are made
//! of, which finds exactly what pulldown-cmark would report for it, or gives up (`None`, and the
//! caller runs pulldown-cmark) on anything whose CommonMark meaning needs more care.
//!
//! It reads paragraphs; ATX headings, with wiki-links, code spans and plain markdown links in
//! them (and at most one `*`, `_` or `~` each); fenced code; code spans; lists, tight or loose,
//! whose items are a paragraph each, continued on lines indented at least to the item's text
//! (nested lists only in tight lists); and GFM tables whose lines start with `|` at the margin,
//! with cells split at every `|` (so `[[a|b]]` spans two cells, as in pulldown-cmark, and a row
//! may have more cells than the header: pulldown-cmark drops them), ended by a blank line, a
//! heading or a fence.
//!
//! It gives up on math (any `$`), block quotes, HTML, setext headings, thematic breaks, indented code, lazy
//! continuation lines, list items holding more than one paragraph, loose lists with nested
//! lists, tables not at the margin or with a backslash, markup in a cell past the header's, or
//! a following line that would become a row or start a list, link reference definitions, tabs
//! in indentation, headings or code spans near escapes, emphasis, entities or HTML, and any
//! markdown link other than the plain `[text](destination)` (text without brackets, a
//! destination without spaces, parentheses, quotes or escapes, no title). The differential
//! tests in `body/tests.rs` compare both on generated markdown.

use std::ops::Range;

use super::{ScannedHeading, ScannedMarkdownLink, Structure, heading_text_range, trim_end_offset};
use crate::text::TextRange;

/// Reads the structure of `body` into `out` (cleared first), with `buffers` for the scan's own
/// lists; `false` when it holds something only pulldown-cmark reads right (what `out` then
/// holds is to be cleared).
pub(super) fn structure(body: &str, out: &mut Structure, buffers: &mut Buffers) -> bool {
    out.clear();
    let mut scanner = Scanner {
        body,
        out,
        paragraph: None,
        list: std::mem::take(&mut buffers.list),
        list_blank: false,
        list_loose: false,
        list_nested: false,
        item_paragraph: None,
        item_paragraphs: std::mem::take(&mut buffers.item_paragraphs),
        list_start: None,
        list_end: 0,
    };
    let read = scanner.scan().is_some();
    buffers.list = scanner.list;
    buffers.item_paragraphs = scanner.item_paragraphs;
    super::clear_vec(&mut buffers.list);
    super::clear_vec(&mut buffers.item_paragraphs);
    read
}

/// The block scanner's own lists, kept with the body's buffers from one note to the next.
#[derive(Debug, Default)]
pub(super) struct Buffers {
    list: Vec<Item>,
    item_paragraphs: Vec<Range<usize>>,
}

/// The end of the line starting at `start` (before its line break), and the start of the next.
/// Only for bodies whose every `\r` comes right before a `\n` (the scanner reads no others):
/// every line ends at a `\n`, or at the end of the body.
fn line_end(bytes: &[u8], start: usize) -> (usize, usize) {
    match memchr::memchr(b'\n', &bytes[start..]) {
        None => (bytes.len(), bytes.len()),
        Some(at) => {
            let newline = start + at;
            let crlf = newline > start && bytes[newline - 1] == b'\r';
            (newline - usize::from(crlf), newline + 1)
        }
    }
}

/// One open item of a list.
#[derive(Debug)]
struct Item {
    content_indent: usize,
    /// `-`, `*` or `+` for bullets, `.` or `)` for ordered items.
    kind: u8,
}

struct Scanner<'a> {
    body: &'a str,
    /// What is found: code regions, headings, paragraphs, lists, markdown links.
    out: &'a mut Structure,
    /// The open paragraph: from its first character to the end of its last line so far.
    paragraph: Option<Range<usize>>,
    /// The open items of the current list, outermost first; empty outside lists.
    list: Vec<Item>,
    /// A blank line was seen since the last list item.
    list_blank: bool,
    /// The open list has a blank line between two of its items: its items' text is made of
    /// paragraphs (a tight list's is not).
    list_loose: bool,
    /// The open list has had a nested list.
    list_nested: bool,
    /// The paragraph of the open list item: from its first character to the end of its last
    /// line so far.
    item_paragraph: Option<Range<usize>>,
    /// The paragraphs of the open list's items, trimmed at their end: the list's paragraphs if
    /// it turns out loose.
    item_paragraphs: Vec<Range<usize>>,
    /// Where the open top-level list started (its first item's line).
    list_start: Option<usize>,
    /// The end of the open list's last item text.
    list_end: usize,
}

/// What a line starts, after its indentation.
enum LineKind {
    Heading {
        level: u8,
    },
    Fence {
        marker: u8,
        len: usize,
    },
    ListItem {
        kind: u8,
        number: Option<u32>,
        content: usize,
    },
    Text,
}

/// A list item line: where it starts, where its marker is and what the marker is.
struct ItemLine {
    start: usize,
    end: usize,
    indent: usize,
    /// From the marker to the item's text.
    content: usize,
    kind: u8,
    number: Option<u32>,
}

impl Scanner<'_> {
    /// Reads the body, line by line.
    fn scan(&mut self) -> Option<()> {
        let bytes = self.body.as_bytes();
        // NUL becomes U+FFFD in pulldown-cmark's text, and a lone `\r` line break is read
        // differently in places (a fence line ending in `\r` opens no fence). One pass finds
        // both.
        if memchr::memchr2_iter(0, b'\r', bytes)
            .any(|at| bytes[at] == 0 || bytes.get(at + 1) != Some(&b'\n'))
        {
            return None;
        }
        let mut pos = 0;
        while pos < bytes.len() {
            let start = pos;
            let (end, next) = line_end(bytes, start);
            pos = next;
            if let Some(block_end) = self.line(start, end, next)? {
                pos = block_end;
            }
        }
        self.close_item_paragraph()?;
        self.close_paragraph()?;
        self.close_list()
    }

    /// Reads one line; returns where scanning goes on when the line opened a fenced code block
    /// or a table.
    fn line(&mut self, start: usize, end: usize, next: usize) -> Option<Option<usize>> {
        let line = &self.body[start..end];
        let indent = line.bytes().take_while(|&b| b == b' ').count();
        let rest = &line[indent..];
        if rest.bytes().all(|b| b == b' ' || b == b'\t') {
            self.close_item_paragraph()?;
            self.close_paragraph()?;
            if !self.list.is_empty() {
                self.list_blank = true;
            }
            return Some(None);
        }
        if rest.starts_with('\t') || is_table_delimiter(rest) {
            return None;
        }
        if self.continues_item(indent, rest) {
            if let Some(paragraph) = &mut self.item_paragraph {
                paragraph.end = end;
            }
            self.list_end = trim_end_offset(self.body, end);
            return Some(None);
        }
        self.close_item_paragraph()?;
        if indent == 0 && rest.starts_with('|') && (self.list.is_empty() || self.list_blank) {
            return self.table(start, end, next).map(Some);
        }
        if self.list.is_empty() {
            if indent >= 4 {
                // A paragraph's continuation line, or indented code.
                if self.paragraph.is_some() {
                    self.extend_paragraph(end);
                    return Some(None);
                }
                return None;
            }
        } else {
            // Indented code in the item whose text the line reaches.
            let parent_indent = self
                .list
                .iter()
                .rev()
                .find(|item| item.content_indent <= indent)
                .map_or(0, |item| item.content_indent);
            if indent >= parent_indent + 4 {
                return None;
            }
        }
        let kind = classify(rest)?;
        if !self.list.is_empty() {
            match kind {
                LineKind::ListItem {
                    kind,
                    number,
                    content,
                } => {
                    if self.list_blank {
                        // Only a sibling of a top-level item without nested lists: a loose list.
                        if self.list.len() > 1
                            || self.list_nested
                            || indent >= self.list[0].content_indent
                            || kind != self.list[0].kind
                        {
                            return None;
                        }
                        self.list_loose = true;
                        self.list_blank = false;
                    }
                    let item = ItemLine {
                        start,
                        end,
                        indent,
                        content,
                        kind,
                        number,
                    };
                    self.list_item(&item)?;
                    return Some(None);
                }
                LineKind::Heading { .. } | LineKind::Fence { .. }
                    if indent < self.list[0].content_indent =>
                {
                    self.close_list()?;
                }
                LineKind::Text if self.list_blank && indent < self.list[0].content_indent => {
                    self.close_list()?;
                }
                _ => return None,
            }
        }
        match kind {
            LineKind::Heading { level } => {
                self.close_paragraph()?;
                self.heading(start + indent, end, next, level)?;
                Some(None)
            }
            LineKind::Fence { marker, len } => {
                self.close_paragraph()?;
                let info = &rest[len..];
                if marker == b'`' && info.contains('`') {
                    return None;
                }
                Some(Some(self.fence(start + indent, next, marker, len)))
            }
            LineKind::ListItem {
                kind,
                number,
                content,
            } => {
                if self.paragraph.is_some() && number.is_some_and(|n| n != 1) {
                    // Paragraph continuation, not a list.
                    return None;
                }
                self.close_paragraph()?;
                let item = ItemLine {
                    start,
                    end,
                    indent,
                    content,
                    kind,
                    number,
                };
                self.list_item(&item)?;
                Some(None)
            }
            LineKind::Text => {
                match &mut self.paragraph {
                    Some(_) => self.extend_paragraph(end),
                    None => {
                        if rest.starts_with('[') && !rest.starts_with("[[") {
                            // Maybe a link reference definition.
                            return None;
                        }
                        self.paragraph = Some(start + indent..end);
                    }
                }
                Some(None)
            }
        }
    }

    /// Whether a line indented by `indent` with text `rest` continues the open list item's
    /// paragraph: it reaches the innermost item's text and starts no block that could
    /// interrupt a paragraph there (from four columns further on, nothing can).
    fn continues_item(&self, indent: usize, rest: &str) -> bool {
        let (Some(_), Some(innermost)) = (&self.item_paragraph, self.list.last()) else {
            return false;
        };
        indent >= innermost.content_indent
            && (indent >= innermost.content_indent + 4
                || matches!(classify(rest), Some(LineKind::Text)))
    }

    fn extend_paragraph(&mut self, end: usize) {
        if let Some(paragraph) = &mut self.paragraph {
            paragraph.end = end;
        }
    }

    /// A list item line: the item is a sibling of the open item its marker is indented like,
    /// or the first item of a list nested in the item its marker reaches into, or of a new
    /// top-level list.
    fn list_item(&mut self, line: &ItemLine) -> Option<()> {
        let was_open = !self.list.is_empty();
        let mut previous = None;
        while let Some(top) = self.list.last() {
            if line.indent >= top.content_indent {
                break;
            }
            previous = self.list.pop();
        }
        let parent_indent = self.list.last().map_or(0, |item| item.content_indent);
        if line.indent - parent_indent > 3 {
            return None;
        }
        // An ordered list that does not start at 1 cannot interrupt the item before it.
        let same_list = previous.is_some_and(|item| item.kind == line.kind);
        if was_open && !same_list && line.number.is_some_and(|n| n != 1) {
            return None;
        }
        if self.list.is_empty() && !same_list {
            if was_open {
                // Another kind of marker at the top level starts another list.
                self.close_list()?;
            }
            self.list_start = Some(line.start);
        }
        if !self.list.is_empty() {
            if self.list_loose {
                return None;
            }
            self.list_nested = true;
        }
        self.list.push(Item {
            content_indent: line.indent + line.content,
            kind: line.kind,
        });
        self.list_blank = false;
        self.list_end = trim_end_offset(self.body, line.end);
        self.item_paragraph = Some(line.start + line.indent + line.content..line.end);
        Some(())
    }

    /// Ends the open list item's paragraph: reads its code spans and links.
    fn close_item_paragraph(&mut self) -> Option<()> {
        let Some(paragraph) = self.item_paragraph.take() else {
            return Some(());
        };
        self.inline(paragraph.start, paragraph.end)?;
        let end = trim_end_offset(self.body, paragraph.end).max(paragraph.start);
        self.item_paragraphs.push(paragraph.start..end);
        Some(())
    }

    fn close_list(&mut self) -> Option<()> {
        self.close_item_paragraph()?;
        self.list.clear();
        self.list_blank = false;
        if std::mem::take(&mut self.list_loose) {
            self.out.paragraphs.append(&mut self.item_paragraphs);
        }
        self.item_paragraphs.clear();
        self.list_nested = false;
        if let Some(start) = self.list_start.take() {
            self.out.lists.push(start..self.list_end.max(start));
        }
        Some(())
    }

    fn heading(&mut self, start: usize, end: usize, next: usize, level: u8) -> Option<()> {
        // Unicode white space (U+2028, U+00A0...) is not CommonMark's: where it ends a heading,
        // the closing `#`s and the trimmed text are pulldown-cmark's to decide.
        let line = &self.body[start..end];
        if !line.is_ascii() && line.chars().any(|c| c.is_whitespace() && !c.is_ascii()) {
            return None;
        }
        let text_range = heading_text_range(self.body, start..end);
        let source = &self.body[text_range.as_usize()];
        // One `*`, `_` or `~` emphasises nothing; two might.
        let mut markers = [0usize; 3];
        for byte in source.bytes() {
            match byte {
                b'\\' | b'<' | b'&' => return None,
                b'*' => markers[0] += 1,
                b'_' => markers[1] += 1,
                b'~' => markers[2] += 1,
                _ => {}
            }
        }
        if markers.iter().any(|&count| count > 1) {
            return None;
        }
        let (excluded_before, links_before) =
            (self.out.excluded.len(), self.out.markdown_links.len());
        let range = text_range.as_usize();
        self.inline(range.start, range.end)?;
        let out = &mut *self.out;
        let text_start = out.heading_texts.len();
        push_heading_text(
            self.body,
            range,
            &out.excluded[excluded_before..],
            &out.markdown_links[links_before..],
            &mut out.heading_texts,
        );
        let text = super::trim_pushed(&mut out.heading_texts, text_start);
        out.headings.push(ScannedHeading {
            level,
            text,
            range: TextRange::new(start, next),
            text_range,
        });
        Some(())
    }

    /// A fenced code block opening at `start` (its first marker); returns where it ends.
    fn fence(&mut self, start: usize, after_opening: usize, marker: u8, len: usize) -> usize {
        let bytes = self.body.as_bytes();
        let mut pos = after_opening;
        while pos < bytes.len() {
            let line_start = pos;
            let (line_end, next) = line_end(bytes, pos);
            pos = next;
            let line = &self.body[line_start..line_end];
            let indent = line.bytes().take_while(|&b| b == b' ').count();
            if indent > 3 {
                continue;
            }
            let rest = &line[indent..];
            let run = rest.bytes().take_while(|&b| b == marker).count();
            if run >= len && rest[run..].bytes().all(|b| b == b' ' || b == b'\t') {
                self.out.excluded.push(start..line_end);
                self.out.code_blocks.push(start..line_end);
                return pos;
            }
        }
        self.out.excluded.push(start..bytes.len());
        self.out.code_blocks.push(start..bytes.len());
        bytes.len()
    }

    /// A table whose header row is the line `start..end` (a `|` at the margin); returns where
    /// the line after the table starts. `None` when the next line is no delimiter row of as
    /// many cells, or for any row the fast path does not read.
    fn table(&mut self, start: usize, end: usize, next: usize) -> Option<usize> {
        let bytes = self.body.as_bytes();
        let header = &self.body[start..end];
        if next >= bytes.len() || header.contains('\\') {
            return None;
        }
        let (delimiter_end, after_delimiter) = line_end(bytes, next);
        let columns = delimiter_columns(&self.body[next..delimiter_end])?;
        let cells = table_cells(header);
        if cells.len() != columns {
            return None;
        }
        // The header row ends a paragraph before it.
        self.close_paragraph()?;
        self.close_list()?;
        for cell in cells {
            self.inline(start + cell.start, start + cell.end)?;
        }
        let mut pos = after_delimiter;
        while pos < bytes.len() {
            let (end, next) = line_end(bytes, pos);
            let line = &self.body[pos..end];
            if line.bytes().all(|b| b == b' ' || b == b'\t') {
                return Some(pos);
            }
            if !line.starts_with('|') {
                // A heading or a fence ends the table; any other line would be a row.
                return match classify(line)? {
                    LineKind::Heading { .. } | LineKind::Fence { .. } => Some(pos),
                    _ => None,
                };
            }
            let cells = table_cells(line);
            if line.contains('\\') || cells.is_empty() {
                return None;
            }
            for (index, cell) in cells.into_iter().enumerate() {
                let (start, end) = (pos + cell.start, pos + cell.end);
                if index < columns {
                    self.inline(start, end)?;
                } else if has_inline_markup(&self.body[start..end]) {
                    // Cells past the header's are dropped, code spans and links and all.
                    return None;
                }
            }
            pos = next;
        }
        Some(pos)
    }

    fn close_paragraph(&mut self) -> Option<()> {
        let Some(paragraph) = self.paragraph.take() else {
            return Some(());
        };
        self.inline(paragraph.start, paragraph.end)?;
        let range = paragraph.start..trim_end_offset(self.body, paragraph.end).max(paragraph.start);
        self.out.paragraphs.push(range);
        Some(())
    }

    /// The code spans and markdown links of the inline text `body[start..end]` (a paragraph,
    /// a list item's paragraph, a heading or a table cell).
    fn inline(&mut self, start: usize, end: usize) -> Option<()> {
        let text = &self.body[start..end];
        let bytes = text.as_bytes();
        // `$` may open math (`$x$`, `$$x$$`), in which `[[` and `#` mean nothing: its rules
        // (which `$` opens, which closes) are pulldown-cmark's.
        if memchr::memchr(b'$', bytes).is_some() {
            return None;
        }
        // One pass for the three bytes that may start something: a code span, HTML, or a
        // markdown link (its `](`, found through its `]`).
        let (mut has_backtick, mut has_angle, mut has_link) = (false, false, false);
        for at in memchr::memchr3_iter(b'`', b'<', b']', bytes) {
            match bytes[at] {
                b'`' => has_backtick = true,
                b'<' => has_angle = true,
                _ => has_link = has_link || bytes.get(at + 1) == Some(&b'('),
            }
        }
        if has_angle && (has_backtick || text.contains("<!--")) {
            return None;
        }
        if has_link {
            if has_backtick || has_angle || text.contains('\\') {
                return None;
            }
            self.markdown_links(start, end)?;
        }
        if !has_backtick {
            return Some(());
        }
        if text.contains('\\') {
            return None;
        }
        let mut pos = 0;
        while let Some(found) = memchr::memchr(b'`', &bytes[pos..]) {
            let open = pos + found;
            let len = bytes[open..].iter().take_while(|&&b| b == b'`').count();
            pos = open + len;
            // The closing run: the next run of exactly `len` backticks.
            let mut search = pos;
            let mut close = None;
            while let Some(found) = memchr::memchr(b'`', &bytes[search..]) {
                let run_start = search + found;
                let run_len = bytes[run_start..]
                    .iter()
                    .take_while(|&&b| b == b'`')
                    .count();
                if run_len == len {
                    close = Some(run_start + run_len);
                    break;
                }
                search = run_start + run_len;
            }
            if let Some(close) = close {
                self.out.excluded.push(start + open..start + close);
                pos = close;
            }
        }
        Some(())
    }
}
impl Scanner<'_> {
    /// The plain markdown links of `body[start..end]` (inline text without code spans, HTML or
    /// escapes): `[text](destination)` with no bracket in the text and a destination of at
    /// least one byte, none of them space, control, parenthesis, angle bracket, bracket, quote
    /// or Unicode white space, ending at the `)`. `None` (leave it to pulldown-cmark) for any
    /// other `](`, and for a `[` right after a `]` (a reference link, were it defined).
    fn markdown_links(&mut self, start: usize, end: usize) -> Option<()> {
        let text = &self.body[start..end];
        let bytes = text.as_bytes();
        static CLOSE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"]("));
        for close in CLOSE.find_iter(bytes) {
            let Some(open) = bytes[..close].iter().rposition(|&b| b == b'[' || b == b']') else {
                continue; // No `[` before: plain text.
            };
            if bytes[open] == b']' || (open > 0 && bytes[open - 1] == b']') {
                return None;
            }
            let destination = &text[close + 2..];
            let length = destination
                .char_indices()
                .find(|&(_, c)| !is_plain_destination_char(c))
                .map_or(destination.len(), |(at, _)| at);
            if length == 0 || destination.as_bytes().get(length) != Some(&b')') {
                return None;
            }
            let is_image = open > 0 && bytes[open - 1] == b'!';
            let link_start = start + open - usize::from(is_image);
            self.out.markdown_links.push(ScannedMarkdownLink {
                range: link_start..start + close + 2 + length + 1,
                paren: start + close + 1 - link_start,
                is_image,
            });
        }
        Some(())
    }
}

/// A character the fast path allows in a markdown link's destination.
fn is_plain_destination_char(c: char) -> bool {
    !(c.is_ascii_control()
        || c.is_whitespace()
        || matches!(
            c,
            '(' | ')' | '<' | '>' | '[' | ']' | '"' | '\'' | '\\' | '`'
        ))
}

/// What the non-blank `rest` of a line (after at most 3 spaces) starts; `None` for block
/// starts the fast path does not handle.
fn classify(rest: &str) -> Option<LineKind> {
    let bytes = rest.as_bytes();
    let first = bytes[0];
    match first {
        b'>' | b'<' | b'|' => return None,
        b'-' | b'*' | b'_' | b'='
            if rest.bytes().all(|b| b == first || b == b' ' || b == b'\t') =>
        {
            // A thematic break or a setext underline (or an empty list item).
            return None;
        }
        b'#' => {
            let level = bytes.iter().take_while(|&&b| b == b'#').count();
            if level <= 6 && matches!(bytes.get(level), None | Some(b' ' | b'\t')) {
                return Some(LineKind::Heading { level: level as u8 });
            }
        }
        b'`' | b'~' => {
            let len = bytes.iter().take_while(|&&b| b == first).count();
            if len >= 3 {
                return Some(LineKind::Fence { marker: first, len });
            }
        }
        b'-' | b'*' | b'+' => {
            match bytes.get(1) {
                Some(b' ') => {
                    return list_content(rest, 2).map(|content| LineKind::ListItem {
                        kind: first,
                        number: None,
                        content,
                    });
                }
                // An empty item, or a tab after the marker.
                None | Some(b'\t') => return None,
                _ => {}
            }
        }
        b'0'..=b'9' => {
            let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
            if let Some(&delimiter @ (b'.' | b')')) = bytes.get(digits) {
                match bytes.get(digits + 1) {
                    Some(b' ') if digits <= 9 => {
                        let number = rest[..digits].parse().ok()?;
                        return list_content(rest, digits + 2).map(|content| LineKind::ListItem {
                            kind: delimiter,
                            number: Some(number),
                            content,
                        });
                    }
                    None | Some(b' ' | b'\t') => return None,
                    _ => {}
                }
            }
        }
        _ => {}
    }
    Some(LineKind::Text)
}

/// Where a list item's content starts, when it is plain text on the marker's line.
fn list_content(rest: &str, content: usize) -> Option<usize> {
    let text = &rest[content..];
    let first = *text.as_bytes().first()?;
    if first == b' ' || first == b'\t' || (first == b'[' && !text.starts_with("[[")) {
        return None;
    }
    match classify(text)? {
        LineKind::Text if !is_table_delimiter(text) => Some(content),
        _ => None,
    }
}

/// A GFM table's delimiter row (`| --- | :-: |`), or something close enough to leave to
/// pulldown-cmark.
fn is_table_delimiter(rest: &str) -> bool {
    // The byte test first: it stops at the first letter of nearly every line.
    rest.bytes()
        .all(|b| matches!(b, b'|' | b'-' | b':' | b' ' | b'\t'))
        && rest.contains('|')
        && rest.contains('-')
}

/// Whether inline `text` may hold a code span, an HTML comment or a markdown link.
fn has_inline_markup(text: &str) -> bool {
    text.contains(['`', '<']) || text.contains("](")
}

/// Pushes onto `out` a heading's text as pulldown-cmark's events spell it, before trimming: the
/// source of `range` with each code span (among `code_spans`) replaced by its content and each
/// markdown link (among `links`) by its text.
fn push_heading_text(
    body: &str,
    range: Range<usize>,
    code_spans: &[Range<usize>],
    links: &[ScannedMarkdownLink],
    out: &mut String,
) {
    // A heading with code spans has no markdown links (`inline` gives up on both), so each
    // kind comes in order on its own.
    let mut pos = range.start;
    for span in code_spans {
        out.push_str(&body[pos..span.start]);
        out.push_str(code_span_content(&body[span.clone()]));
        pos = span.end;
    }
    for link in links {
        let text_start = link.range.start + if link.is_image { 2 } else { 1 };
        out.push_str(&body[pos..link.range.start]);
        out.push_str(&body[text_start..link.range.start + link.paren - 1]);
        pos = link.range.end;
    }
    out.push_str(&body[pos..range.end]);
}

/// The content of a code span on one line (its source with the backticks): one space is
/// stripped from each side when both sides have one and it is not all spaces.
fn code_span_content(span: &str) -> &str {
    let ticks = span.bytes().take_while(|&b| b == b'`').count();
    let inner = &span[ticks..span.len() - ticks];
    let all_spaces = inner.bytes().all(|b| b == b' ');
    if !all_spaces && inner.starts_with(' ') && inner.ends_with(' ') {
        &inner[1..inner.len() - 1]
    } else {
        inner
    }
}

/// The cells of a table row (a line), as ranges in the line from each cell's first
/// non-blank byte to the next `|` or the line's end: the line is split at every `|`, one at
/// the start and blank text after the last are no cells.
fn table_cells(line: &str) -> Vec<Range<usize>> {
    let bytes = line.as_bytes();
    let mut cells = Vec::new();
    let mut pos = 0;
    loop {
        if bytes.get(pos) == Some(&b'|') {
            pos += 1;
        }
        pos += bytes[pos..]
            .iter()
            .take_while(|&&b| matches!(b, b' ' | b'\t' | 0x0b | 0x0c))
            .count();
        if pos == bytes.len() {
            return cells;
        }
        let end = memchr::memchr(b'|', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
        cells.push(pos..end);
        pos = end;
    }
}

/// The number of columns of a table's delimiter row at the margin (`| --- | :-: |`): each
/// column between `|`s holds a `-` among spaces and `:`s. `None` for anything else.
fn delimiter_columns(line: &str) -> Option<usize> {
    if line.starts_with(' ')
        || !line.contains('|')
        || !line.bytes().all(|b| matches!(b, b'|' | b'-' | b':' | b' '))
    {
        return None;
    }
    let inner = line.strip_prefix('|').unwrap_or(line);
    let mut columns: Vec<&str> = inner.split('|').collect();
    if columns.len() > 1 && columns.last().is_some_and(|c| c.trim().is_empty()) {
        columns.pop();
    }
    columns
        .iter()
        .all(|column| column.contains('-'))
        .then_some(columns.len())
}
