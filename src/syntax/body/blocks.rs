//! The fast path for the body's structure: a line scanner for the markdown most notes are made
//! of (paragraphs, ATX headings, fenced code, code spans, tight lists whose items are one line).
//!
//! It finds exactly what pulldown-cmark would report for such text, and gives up (`None`, the
//! caller then runs pulldown-cmark) on anything whose CommonMark meaning needs more care: block
//! quotes, HTML, tables, setext headings, thematic breaks, indented code, loose lists or list
//! items longer than their line, link reference definitions, tabs in indentation, headings or
//! code spans near escapes, emphasis, links or HTML, and any markdown link other than the plain
//! `[text](destination)` (text without brackets, a destination without spaces, parentheses,
//! quotes or escapes, no title). The differential tests in `body/tests.rs` compare both on
//! generated markdown.

use std::ops::Range;

use super::{ScannedHeading, ScannedMarkdownLink, Structure, heading_text_range, trim_end_offset};
use crate::text::TextRange;

/// The structure of `body`, or `None` when it holds something only pulldown-cmark reads right.
pub(super) fn structure(body: &str) -> Option<Structure> {
    let bytes = body.as_bytes();
    // NUL becomes U+FFFD in pulldown-cmark's text, and a lone `\r` line break is read
    // differently in places (a fence line ending in `\r` opens no fence).
    if memchr::memchr(0, bytes).is_some()
        || memchr::memchr_iter(b'\r', bytes).any(|at| bytes.get(at + 1) != Some(&b'\n'))
    {
        return None;
    }
    let mut scanner = Scanner {
        body,
        excluded: Vec::new(),
        headings: Vec::new(),
        first_paragraph: None,
        open_section: None,
        paragraph: None,
        list: Vec::new(),
        list_blank: false,
        markdown_links: Vec::new(),
        paragraphs: Vec::new(),
        code_blocks: Vec::new(),
        lists: Vec::new(),
        list_start: None,
        list_end: 0,
    };
    let mut pos = 0;
    while pos < bytes.len() {
        let start = pos;
        let end = memchr::memchr2(b'\n', b'\r', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let next = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
        pos = next;
        if let Some(fence_end) = scanner.line(start, end, next)? {
            pos = fence_end;
        }
    }
    scanner.close_paragraph()?;
    scanner.close_list();
    Some(Structure {
        excluded: scanner.excluded,
        headings: scanner.headings,
        first_paragraph: scanner.first_paragraph,
        markdown_links: scanner.markdown_links,
        paragraphs: scanner.paragraphs,
        code_blocks: scanner.code_blocks,
        lists: scanner.lists,
    })
}

/// One open item of a tight list.
struct Item {
    content_indent: usize,
    /// `-`, `*` or `+` for bullets, `.` or `)` for ordered items.
    kind: u8,
}

struct Scanner<'a> {
    body: &'a str,
    excluded: Vec<Range<usize>>,
    headings: Vec<ScannedHeading>,
    first_paragraph: Option<Range<usize>>,
    /// Index of the heading whose section has not yet had its first paragraph.
    open_section: Option<usize>,
    /// The open paragraph: from its first character to the end of its last line so far.
    paragraph: Option<Range<usize>>,
    /// The open items of the current list, outermost first; empty outside lists.
    list: Vec<Item>,
    /// A blank line was seen since the last list item.
    list_blank: bool,
    markdown_links: Vec<ScannedMarkdownLink>,
    paragraphs: Vec<Range<usize>>,
    code_blocks: Vec<Range<usize>>,
    lists: Vec<Range<usize>>,
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

impl Scanner<'_> {
    /// Reads one line; returns where scanning goes on when the line opened a fenced code block.
    fn line(&mut self, start: usize, end: usize, next: usize) -> Option<Option<usize>> {
        let line = &self.body[start..end];
        let indent = line.bytes().take_while(|&b| b == b' ').count();
        let rest = &line[indent..];
        if rest.bytes().all(|b| b == b' ' || b == b'\t') {
            self.close_paragraph()?;
            if !self.list.is_empty() {
                self.list_blank = true;
            }
            return Some(None);
        }
        if rest.starts_with('\t') {
            return None;
        }
        if is_table_delimiter(rest) {
            return None;
        }
        if indent >= 4 {
            // Indented code, or a paragraph's continuation line.
            if self.list.is_empty() && self.paragraph.is_some() {
                self.extend_paragraph(end);
                return Some(None);
            }
            return None;
        }
        let kind = classify(rest)?;
        if !self.list.is_empty() {
            match kind {
                LineKind::ListItem {
                    kind,
                    number,
                    content,
                } if !self.list_blank => {
                    self.list_item(start, indent, content, kind, number)?;
                    self.list_end = trim_end_offset(self.body, end);
                    self.inline(start + indent + content, end)?;
                    return Some(None);
                }
                LineKind::Heading { .. } | LineKind::Fence { .. }
                    if indent < self.list[0].content_indent =>
                {
                    self.close_list();
                }
                LineKind::Text if self.list_blank && indent < self.list[0].content_indent => {
                    self.close_list();
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
                self.list.push(Item {
                    content_indent: indent + content,
                    kind,
                });
                self.list_start = Some(start);
                self.list_end = trim_end_offset(self.body, end);
                self.list_blank = false;
                self.inline(start + indent + content, end)?;
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

    fn extend_paragraph(&mut self, end: usize) {
        if let Some(paragraph) = &mut self.paragraph {
            paragraph.end = end;
        }
    }

    /// A list item line starting at `line_start`, its marker at `indent` (its content `content`
    /// bytes further), while a list is open.
    fn list_item(
        &mut self,
        line_start: usize,
        indent: usize,
        content: usize,
        kind: u8,
        number: Option<u32>,
    ) -> Option<()> {
        let mut previous = None;
        while let Some(top) = self.list.last() {
            if indent >= top.content_indent {
                break;
            }
            previous = self.list.pop();
        }
        let parent_indent = self.list.last().map_or(0, |item| item.content_indent);
        if indent - parent_indent > 3 {
            return None;
        }
        // An ordered list that does not start at 1 cannot interrupt the item before it.
        let same_list = previous.is_some_and(|item| item.kind == kind);
        if !same_list && number.is_some_and(|n| n != 1) {
            return None;
        }
        if self.list.is_empty() && !same_list {
            // Another kind of marker at the top level starts another list.
            self.close_list();
            self.list_start = Some(line_start);
        }
        self.list.push(Item {
            content_indent: indent + content,
            kind,
        });
        Some(())
    }

    fn close_list(&mut self) {
        self.list.clear();
        self.list_blank = false;
        if let Some(start) = self.list_start.take() {
            self.lists.push(start..self.list_end.max(start));
        }
    }

    fn heading(&mut self, start: usize, end: usize, next: usize, level: u8) -> Option<()> {
        // Unicode white space (U+2028, U+00A0...) is not CommonMark's: where it ends a heading,
        // the closing `#`s and the trimmed text are pulldown-cmark's to decide.
        let line = &self.body[start..end];
        if !line.is_ascii() && line.chars().any(|c| c.is_whitespace() && !c.is_ascii()) {
            return None;
        }
        let text_range = heading_text_range(self.body, start..end);
        let text = &self.body[text_range.as_usize()];
        if text.contains(['`', '\\', '*', '_', '[', ']', '<', '&', '~']) {
            return None;
        }
        self.headings.push(ScannedHeading {
            level,
            text: text.into(),
            range: TextRange::new(start, next),
            text_range,
            first_paragraph: None,
        });
        self.open_section = Some(self.headings.len() - 1);
        Some(())
    }

    /// A fenced code block opening at `start` (its first marker); returns where it ends.
    fn fence(&mut self, start: usize, after_opening: usize, marker: u8, len: usize) -> usize {
        let bytes = self.body.as_bytes();
        let mut pos = after_opening;
        while pos < bytes.len() {
            let line_start = pos;
            let line_end =
                memchr::memchr2(b'\n', b'\r', &bytes[pos..]).map_or(bytes.len(), |i| pos + i);
            pos = match bytes.get(line_end) {
                Some(b'\r') if bytes.get(line_end + 1) == Some(&b'\n') => line_end + 2,
                Some(_) => line_end + 1,
                None => line_end,
            };
            let line = &self.body[line_start..line_end];
            let indent = line.bytes().take_while(|&b| b == b' ').count();
            if indent > 3 {
                continue;
            }
            let rest = &line[indent..];
            let run = rest.bytes().take_while(|&b| b == marker).count();
            if run >= len && rest[run..].bytes().all(|b| b == b' ' || b == b'\t') {
                self.excluded.push(start..line_end);
                self.code_blocks.push(start..line_end);
                return pos;
            }
        }
        self.excluded.push(start..bytes.len());
        self.code_blocks.push(start..bytes.len());
        bytes.len()
    }

    fn close_paragraph(&mut self) -> Option<()> {
        let Some(paragraph) = self.paragraph.take() else {
            return Some(());
        };
        self.inline(paragraph.start, paragraph.end)?;
        let range = paragraph.start..trim_end_offset(self.body, paragraph.end).max(paragraph.start);
        if self.first_paragraph.is_none() {
            self.first_paragraph = Some(range.clone());
        }
        if let Some(index) = self.open_section.take() {
            self.headings[index].first_paragraph = Some(TextRange::new(range.start, range.end));
        }
        self.paragraphs.push(range);
        Some(())
    }

    /// The code spans and markdown links of the inline text `body[start..end]` (a paragraph or
    /// a list item).
    fn inline(&mut self, start: usize, end: usize) -> Option<()> {
        let text = &self.body[start..end];
        let bytes = text.as_bytes();
        let has_backtick = memchr::memchr(b'`', bytes).is_some();
        if memchr::memchr(b'<', bytes).is_some() && (has_backtick || text.contains("<!--")) {
            return None;
        }
        if memchr::memmem::find(bytes, b"](").is_some() {
            if has_backtick || text.contains(['<', '\\']) {
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
                self.excluded.push(start + open..start + close);
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
        for close in memchr::memmem::find_iter(bytes, b"](") {
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
            self.markdown_links.push(ScannedMarkdownLink {
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
    rest.contains('|')
        && rest.contains('-')
        && rest
            .bytes()
            .all(|b| matches!(b, b'|' | b'-' | b':' | b' ' | b'\t'))
}
