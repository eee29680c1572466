//! The note body: wiki-links, markdown links, headings, block ids and the summary paragraph.
//!
//! Block structure comes from pulldown-cmark's offset iterator, which knows CommonMark's rules for
//! fenced and indented code, code spans of any backtick count, HTML and math (`$x$`, `$$x$$`,
//! as Obsidian writes it). From it we take the regions where `[[` means nothing (code, HTML
//! comments, math that does not start inside a wiki-link), the headings, the paragraphs and the
//! inline markdown links and images (`[text](destination)`); the wiki-links themselves are found
//! by a byte scan for `[[` outside those regions, since CommonMark has no wiki-links and would
//! split them across events. A markdown link counts when its destination is a local file or a
//! `#fragment` of the note (not a URL with a scheme) and it does not overlap a wiki-link.

use std::ops::Range;

use pulldown_cmark::{Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd};

use super::link::{has_url_scheme, markdown_destination, parse_link_inner};
use super::{Region, RegionKind, SUMMARY_MAX_CHARS, StoredLink};
use crate::text::TextRange;

mod blocks;
mod tags;
#[cfg(test)]
mod tests;

pub use tags::{MAX_TAGS, is_tag_char, tag_len};

/// What one body parse finds, in buffers kept from one note to the next (see `parse_note`):
/// a note costs no allocation for these lists, only for what its record keeps.
#[derive(Debug, Default)]
pub(super) struct Body {
    pub links: Vec<StoredLink>,
    /// Where link scanning stopped at [`MAX_LINKS`], if it did (in the body).
    pub links_capped_at: Option<usize>,
    pub block_ids: Vec<ScannedBlockId>,
    /// Inline `#tag`s, each from its `#` to its end.
    pub tags: Vec<TextRange>,
    /// Code blocks and top-level lists, in order of their start.
    pub regions: Vec<Region>,
    /// The headings (through [`Body::headings`]) and the code regions.
    structure: Structure,
    /// The local markdown links, before they join `links`.
    markdown: Vec<StoredLink>,
    /// The ends of `links`, in order.
    link_ends: Vec<usize>,
    /// The block scanner's own lists.
    scan: blocks::Buffers,
}

impl Body {
    /// The headings, in order; each one's text is [`Body::heading_text`].
    pub fn headings(&self) -> &[ScannedHeading] {
        &self.structure.headings
    }

    pub fn heading_text(&self, heading: &ScannedHeading) -> &str {
        &self.structure.heading_texts[heading.text.clone()]
    }

    /// Empties every list, keeping the buffers unless one grew past [`KEPT_CAPACITY`] (a
    /// pathological note's buffers are not kept for the rest of the thread's life).
    fn clear(&mut self) {
        self.structure.clear();
        clear_vec(&mut self.links);
        clear_vec(&mut self.block_ids);
        clear_vec(&mut self.tags);
        clear_vec(&mut self.regions);
        clear_vec(&mut self.markdown);
        clear_vec(&mut self.link_ends);
        self.links_capped_at = None;
    }
}

/// Items of a kept buffer past which it is given back.
const KEPT_CAPACITY: usize = 16 * 1024;

fn clear_vec<T>(items: &mut Vec<T>) {
    items.clear();
    items.shrink_to(KEPT_CAPACITY);
}

/// Trims the text pushed onto `buffer` from `start` on, in place; returns its range there.
fn trim_pushed(buffer: &mut String, start: usize) -> Range<usize> {
    let pushed = &buffer[start..];
    let end = start + pushed.trim_end().len();
    buffer.truncate(end);
    let leading = buffer[start..].len() - buffer[start..].trim_start().len();
    buffer.drain(start..start + leading);
    start..buffer.len()
}

/// A heading as the body scan finds it; `parse_note` copies its text into the note's arena.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ScannedHeading {
    pub level: u8,
    /// Where the heading's text is in its structure's `heading_texts`.
    pub text: Range<usize>,
    pub range: TextRange,
    pub text_range: TextRange,
}

/// A block id as the body scan finds it (the id is the source after the `^`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ScannedBlockId {
    /// The `^id` marker itself.
    pub range: TextRange,
    /// The line the marker ends.
    pub line_range: TextRange,
}

/// A markdown link or image as the body's structure finds it (offsets in the body).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct ScannedMarkdownLink {
    /// From `[` (or `![`) to `)`.
    pub range: Range<usize>,
    /// Where the destination's `(` is, from the link's start.
    pub paren: usize,
    pub is_image: bool,
}

/// Parses `text[body_start..]` into `out` (emptied first); all ranges it holds then are
/// offsets into `text`.
pub(super) fn parse(text: &str, body_start: usize, out: &mut Body) {
    out.clear();
    let body = &text[body_start..];
    read_structure(body, &mut out.structure, &mut out.scan);
    let structure = &mut out.structure;
    let links = &mut out.links;
    let mut links_capped_at = find_links(body, &structure.excluded, links);
    local_markdown_links(body, &structure.markdown_links, links, &mut out.markdown);
    let markdown = &out.markdown;
    if !markdown.is_empty() {
        let room = MAX_LINKS.saturating_sub(links.len());
        if markdown.len() > room && links_capped_at.is_none() {
            links_capped_at = Some(markdown[room].start() as usize);
        }
        links.extend(markdown.iter().take(room));
        links.sort_by_key(|link| link.start());
    }
    tags::find_tags(body, &structure.excluded, links, &mut out.tags);
    for tag in &mut out.tags {
        *tag = tag.shifted(body_start);
    }
    structure.regions(body_start, &mut out.regions);
    out.link_ends
        .extend(links.iter().map(|link| link.end() as usize));
    find_block_ids(
        body,
        &structure.excluded,
        &out.link_ends,
        &mut out.block_ids,
    );
    for link in links.iter_mut() {
        link.shift(body_start);
    }
    for block in &mut out.block_ids {
        block.range = block.range.shifted(body_start);
        block.line_range = block.line_range.shifted(body_start);
    }
    for heading in &mut structure.headings {
        heading.range = heading.range.shifted(body_start);
        heading.text_range = heading.text_range.shifted(body_start);
    }
    out.links_capped_at = links_capped_at.map(|at| at + body_start);
}

/// Reads the structure of `body` into `out`: the block scanner's, or pulldown-cmark's when
/// the scanner gives up.
fn read_structure(body: &str, out: &mut Structure, buffers: &mut blocks::Buffers) {
    if !blocks::structure(body, out, buffers) {
        out.clear();
        scan_structure(body, out);
    }
}

/// The structure of `body`, in buffers of its own.
fn structure_of(body: &str) -> Structure {
    let mut structure = Structure::default();
    read_structure(body, &mut structure, &mut blocks::Buffers::default());
    structure
}

/// The name of the tag being typed at `cursor` (see `tags::typed_tag`), in `text`'s offsets.
pub(super) fn typed_tag(text: &str, body_start: usize, cursor: usize) -> Option<TextRange> {
    let body = &text[body_start..];
    let cursor = cursor.checked_sub(body_start)?;
    let structure = structure_of(body);
    let mut links = Vec::new();
    find_links(body, &structure.excluded, &mut links);
    let name = tags::typed_tag(body, cursor, &structure.excluded, &links)?;
    Some(TextRange::new(
        name.start + body_start,
        name.end + body_start,
    ))
}

/// The paragraphs of a note's body (outside lists, quotes and tables as CommonMark sees them),
/// each from its first character to the end of its last line's text, in order.
pub(super) fn paragraphs(text: &str, body_start: usize) -> Vec<TextRange> {
    let body = &text[body_start..];
    structure_of(body)
        .paragraphs
        .into_iter()
        .map(|p| TextRange::new(p.start + body_start, p.end + body_start))
        .collect()
}

#[derive(Debug, Default, PartialEq)]
struct Structure {
    /// Sorted, non-overlapping byte ranges (in the body) where links are not recognised.
    excluded: Vec<Range<usize>>,
    headings: Vec<ScannedHeading>,
    /// The headings' texts, one after the other.
    heading_texts: String,
    /// Inline markdown links and images, by start (any destination, URLs included).
    markdown_links: Vec<ScannedMarkdownLink>,
    /// Every paragraph, trimmed at its end, in order.
    paragraphs: Vec<Range<usize>>,
    /// Fenced and indented code blocks (as in `excluded`), in order.
    code_blocks: Vec<Range<usize>>,
    /// Lists that are not inside another list: from the start of the first item's line to the
    /// end of the last item's text.
    lists: Vec<Range<usize>>,
}

impl Structure {
    /// Empties every list (see [`Body::clear`]).
    fn clear(&mut self) {
        clear_vec(&mut self.excluded);
        clear_vec(&mut self.headings);
        self.heading_texts.clear();
        self.heading_texts.shrink_to(KEPT_CAPACITY);
        clear_vec(&mut self.markdown_links);
        clear_vec(&mut self.paragraphs);
        clear_vec(&mut self.code_blocks);
        clear_vec(&mut self.lists);
    }

    /// Pushes the code blocks and lists onto `regions` as [`Region`]s of the note, in order of
    /// their start.
    fn regions(&self, body_start: usize, regions: &mut Vec<Region>) {
        let code = self.code_blocks.iter().map(|r| (RegionKind::Code, r));
        let lists = self.lists.iter().map(|r| (RegionKind::List, r));
        regions.extend(code.chain(lists).map(|(kind, r)| Region {
            kind,
            range: TextRange::new(r.start + body_start, r.end + body_start),
        }));
        regions.sort_by_key(|r| (r.range.start, r.range.end));
    }
}

/// The markdown links of `scanned` that lead to a local file or a place in the note, as links:
/// not a URL with a scheme, not an empty destination, not overlapping a wiki-link of `wiki`
/// (`[[a](b)]]` is a wiki-link). Pushed onto `out`, sorted by start.
fn local_markdown_links(
    body: &str,
    scanned: &[ScannedMarkdownLink],
    wiki: &[StoredLink],
    out: &mut Vec<StoredLink>,
) {
    for link in scanned {
        let Ok(paren) = u16::try_from(link.paren) else {
            continue;
        };
        let parts = markdown_destination(&body[link.range.clone()], 0, link.paren);
        let local = !has_url_scheme(parts.target.text)
            && (!parts.target.text.is_empty() || parts.heading.is_some() || parts.block.is_some());
        let start = link.range.start as u32;
        let end = link.range.end as u32;
        let index = wiki.partition_point(|w| w.end() <= start);
        let overlaps_wiki = wiki.get(index).is_some_and(|w| w.start() < end);
        if local && !overlaps_wiki {
            out.push(StoredLink::markdown(
                TextRange::new(link.range.start, link.range.end),
                paren,
                link.is_image,
            ));
        }
    }
}

/// Reads the structure of `body` with pulldown-cmark into `out` (empty).
fn scan_structure(body: &str, out: &mut Structure) {
    let Structure {
        excluded,
        headings,
        heading_texts,
        markdown_links,
        paragraphs,
        code_blocks,
        lists,
    } = out;
    let mut heading: Option<(HeadingLevel, Range<usize>, String)> = None;
    let mut paragraph_start = None;
    let mut html_block: Option<usize> = None;
    let mut code_block: Option<usize> = None;
    // The links and images being read, innermost last: (start, is image, inline, end of the
    // last event inside so far).
    let mut open_links: Vec<(usize, bool, bool, usize)> = Vec::new();
    // Lists open around the current event, and where the outermost one started.
    let mut list_depth = 0usize;
    let mut list_start = 0usize;
    let options = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_MATH;
    let parser = Parser::new_ext(body, options);
    for (event, range) in parser.into_offset_iter() {
        match &event {
            Event::Start(Tag::Link { link_type, .. }) => {
                let inline = *link_type == LinkType::Inline;
                open_links.push((range.start, false, inline, range.start + 1));
                continue;
            }
            Event::Start(Tag::Image { link_type, .. }) => {
                let inline = *link_type == LinkType::Inline;
                open_links.push((range.start, true, inline, range.start + 2));
                continue;
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                if let Some((start, is_image, inline, inner_end)) = open_links.pop()
                    && inline
                    && let Some(paren) = destination_paren(body, inner_end, range.end)
                {
                    markdown_links.push(ScannedMarkdownLink {
                        range: start..range.end,
                        paren: paren - start,
                        is_image,
                    });
                }
            }
            _ => {}
        }
        for open in &mut open_links {
            open.3 = open.3.max(range.end);
        }
        match event {
            Event::Start(Tag::List(_)) => {
                if list_depth == 0 {
                    list_start = range.start;
                }
                list_depth += 1;
            }
            Event::End(TagEnd::List(_)) => {
                list_depth = list_depth.saturating_sub(1);
                if list_depth == 0 {
                    lists.push(list_start..trim_end_offset(body, range.end).max(list_start));
                }
            }
            Event::Start(Tag::CodeBlock(_)) => code_block = Some(range.start),
            Event::End(TagEnd::CodeBlock) => {
                let block = code_block.take().unwrap_or(range.start)..range.end;
                code_blocks.push(block.clone());
                excluded.push(block);
            }
            Event::Code(code) => {
                if let Some((_, _, text)) = heading.as_mut() {
                    text.push_str(&code);
                }
                excluded.push(range);
            }
            Event::InlineMath(_) | Event::DisplayMath(_) => {
                // A heading's text is as written, math and all (`## Euler $e^{i\pi}$`).
                if let Some((_, _, text)) = heading.as_mut() {
                    text.push_str(&body[range.clone()]);
                }
                if !inside_wiki_link(body, range.start) {
                    excluded.push(range);
                }
            }
            Event::InlineHtml(html) if html.starts_with("<!--") => excluded.push(range),
            Event::Start(Tag::HtmlBlock) => html_block = Some(range.start),
            Event::End(TagEnd::HtmlBlock) => {
                let start = html_block.take().unwrap_or(range.start);
                excluded.extend(html_comments(body, start..range.end));
            }
            Event::Start(Tag::Heading { level, .. }) => {
                heading = Some((level, range, String::new()));
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, range, text)) = heading.take() {
                    let text_range = heading_text_range(body, range.clone());
                    let text_start = heading_texts.len();
                    heading_texts.push_str(&text);
                    headings.push(ScannedHeading {
                        level: level as u8,
                        text: trim_pushed(heading_texts, text_start),
                        range: TextRange::new(range.start, range.end),
                        text_range,
                    });
                }
            }
            Event::Text(t) if heading.is_some() => {
                if let Some((_, _, text)) = heading.as_mut() {
                    text.push_str(&t);
                }
            }
            Event::Start(Tag::Paragraph) => paragraph_start = Some(range.start),
            Event::End(TagEnd::Paragraph) => {
                let start = paragraph_start.take().unwrap_or(range.start);
                // `max`: a paragraph of only white space (U+2028) trims to nothing.
                let paragraph = start..trim_end_offset(body, range.end).max(start);
                paragraphs.push(paragraph);
            }
            _ => {}
        }
    }
    // Html comments of a block are found after the block's code spans; keep the list sorted.
    excluded.sort_by_key(|r| r.start);
    markdown_links.sort_by_key(|link| link.range.start);
}

/// The `(` of an inline link's destination: the `](` that follows the link's text, which ends
/// at or after `inner_end` (the end of the last event inside the link), before `end`.
fn destination_paren(body: &str, inner_end: usize, end: usize) -> Option<usize> {
    let from = inner_end.min(end);
    memchr::memmem::find(&body.as_bytes()[from..end], b"](").map(|at| from + at + 1)
}

fn trim_end_offset(body: &str, end: usize) -> usize {
    body[..end].trim_end().len()
}

/// The words of a heading, without `#` markers, closing `#`s or a setext underline.
fn heading_text_range(body: &str, range: Range<usize>) -> TextRange {
    let source = &body[range.clone()];
    let first_line_len = source.find(['\n', '\r']).unwrap_or(source.len());
    let line = &source[..first_line_len];
    let trimmed_start = line.len() - line.trim_start().len();
    let mut start = trimmed_start;
    let mut end = line.trim_end().len();
    if line[start..].starts_with('#') {
        start += line[start..].bytes().take_while(|&b| b == b'#').count();
        start += line[start..].len() - line[start..].trim_start().len();
        // A closing sequence of `#`s preceded by a space is not part of the text.
        let content = &line[start..end.max(start)];
        let without_closing = content.trim_end_matches('#');
        if without_closing.len() < content.len()
            && (without_closing.is_empty() || without_closing.ends_with([' ', '\t']))
        {
            end = start + without_closing.trim_end().len();
        }
    }
    let end = end.max(start);
    TextRange::new(range.start + start, range.start + end)
}

fn html_comments(body: &str, block: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut pos = block.start;
    while let Some(open) = body[pos..block.end].find("<!--") {
        let start = pos + open;
        let end = body[start + 4..block.end]
            .find("-->")
            .map_or(block.end, |close| start + 4 + close + 3);
        out.push(start..end);
        pos = end;
    }
    out
}

/// Whether `at` is inside the brackets of a wiki-link on its line (the `$` of `[[a|$x$]]`): math
/// that starts inside a link is the link's text, as in Obsidian, while a link inside math
/// (`$K[[X]]$`, formal power series) is no link.
fn inside_wiki_link(body: &str, at: usize) -> bool {
    let bytes = body.as_bytes();
    let line_start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
    let Some(open) = memchr::memmem::rfind(&bytes[line_start..at], b"[[") else {
        return false;
    };
    let inner_start = line_start + open + 2;
    find_link_end(&bytes[inner_start..]).is_some_and(|len| inner_start + len > at)
}

fn in_excluded(excluded: &[Range<usize>], range: Range<usize>) -> bool {
    // The first excluded region that ends after `range.start` is the only one that can overlap.
    let index = excluded.partition_point(|r| r.end <= range.start);
    excluded.get(index).is_some_and(|r| r.start < range.end)
}

/// Most links read from one note: a pathological note stays cheap to parse on every keystroke.
pub const MAX_LINKS: usize = 100_000;

/// Pushes the links of the body onto `links` (empty); returns where scanning stopped if it
/// reached [`MAX_LINKS`].
fn find_links(body: &str, excluded: &[Range<usize>], links: &mut Vec<StoredLink>) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut pos = 0;
    // Built once for all notes: `memmem::find` would build a searcher for every link.
    static OPENER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"[["));
    let opener = &*OPENER;
    while let Some(found) = opener.find(&bytes[pos..]) {
        let open = pos + found;
        pos = open + 2;
        // `\[[` is an escaped bracket, not a link.
        let backslashes = bytes[..open]
            .iter()
            .rev()
            .take_while(|&&b| b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            continue;
        }
        let inner_start = open + 2;
        let Some(inner_len) = find_link_end(&bytes[inner_start..]) else {
            continue;
        };
        let inner_end = inner_start + inner_len;
        let close_end = inner_end + 2;
        let inner = &body[inner_start..inner_end];
        if inner.trim().is_empty() {
            pos = close_end;
            continue;
        }
        let is_embed = open > 0 && bytes[open - 1] == b'!' && !escaped(bytes, open - 1);
        let start = if is_embed { open - 1 } else { open };
        if in_excluded(excluded, start..close_end) {
            continue;
        }
        if links.len() == MAX_LINKS {
            return Some(start);
        }
        links.push(StoredLink::new(
            TextRange::new(start, close_end),
            is_embed,
            false,
        ));
        pos = close_end;
    }
    None
}

fn escaped(bytes: &[u8], at: usize) -> bool {
    bytes[..at]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count()
        % 2
        == 1
}

/// Length of a link's inside: up to the first `]]` on the same line, unless another `[[` comes
/// first (then this `[[` opens nothing).
fn find_link_end(rest: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 1 < rest.len() {
        i += plain_prefix(&rest[i..]);
        if i + 1 >= rest.len() {
            return None;
        }
        match rest[i] {
            b'\n' | b'\r' => return None,
            b']' if rest[i + 1] == b']' => return Some(i),
            b'[' if rest[i + 1] == b'[' => return None,
            _ => i += 1,
        }
    }
    None
}

/// How many bytes at the start of `bytes` are none of `[`, `]`, `\n` and `\r`: eight bytes
/// are tested at a time, as one word.
fn plain_prefix(bytes: &[u8]) -> usize {
    /// The high bit of each byte of `word` that equals `byte`, and maybe of later bytes: the
    /// lowest bit set marks the first such byte.
    fn find_byte(word: u64, byte: u8) -> u64 {
        const ONES: u64 = 0x0101_0101_0101_0101;
        let diff = word ^ (ONES * u64::from(byte));
        diff.wrapping_sub(ONES) & !diff & (ONES << 7)
    }
    let mut plain = 0;
    for chunk in bytes.chunks_exact(8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let found = find_byte(word, b'[')
            | find_byte(word, b']')
            | find_byte(word, b'\n')
            | find_byte(word, b'\r');
        if found != 0 {
            return plain + (found.trailing_zeros() / 8) as usize;
        }
        plain += 8;
    }
    plain
        + bytes[plain..]
            .iter()
            .take_while(|&&b| !matches!(b, b'[' | b']' | b'\n' | b'\r'))
            .count()
}

/// Block ids: `^id` at the end of a line, after a space, alone on its line, or right after a
/// link or embed (`![[chart.png]]^sales-chart`, as Obsidian reads it). `link_ends` are the
/// ends of the body's links, sorted. Pushed onto `ids`.
fn find_block_ids(
    body: &str,
    excluded: &[Range<usize>],
    link_ends: &[usize],
    ids: &mut Vec<ScannedBlockId>,
) {
    let bytes = body.as_bytes();
    for caret in memchr::memchr_iter(b'^', bytes) {
        let after_space = caret == 0 || matches!(bytes[caret - 1], b' ' | b'\t' | b'\n' | b'\r');
        if !after_space && link_ends.binary_search(&caret).is_err() {
            continue;
        }
        let id_len = bytes[caret + 1..]
            .iter()
            .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            .count();
        if id_len == 0 {
            continue;
        }
        let id_end = caret + 1 + id_len;
        let line_end =
            memchr::memchr2(b'\n', b'\r', &bytes[id_end..]).map_or(bytes.len(), |i| id_end + i);
        if !body[id_end..line_end].trim().is_empty() || in_excluded(excluded, caret..id_end) {
            continue;
        }
        let line_start = body[..caret].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        ids.push(ScannedBlockId {
            range: TextRange::new(caret, id_end),
            line_range: TextRange::new(line_start, line_end),
        });
    }
}

/// A paragraph's source as plain text: wiki-links shown as their display text, markdown
/// emphasis markers dropped, white space collapsed, at most [`SUMMARY_MAX_CHARS`] characters.
///
/// One pass over the text, which stops as soon as the first [`SUMMARY_MAX_CHARS`] characters
/// are certain (a long paragraph is not cleaned to its end just to be cut).
pub fn plain_text(source: &str) -> String {
    let mut out = Plain {
        text: String::with_capacity(source.len().min(SUMMARY_MAX_CHARS + 64)),
        ..Plain::default()
    };
    // Bytes of text after link expansion; past this, the rest is taken as it is.
    let mut expanded_len = 0usize;
    let mut rest = source;
    while let Some(open) = memchr::memmem::find(rest.as_bytes(), b"[[") {
        if out.push(&rest[..open]) {
            return out.cut();
        }
        expanded_len += open;
        let after = &rest[open + 2..];
        match memchr::memmem::find(after.as_bytes(), b"]]") {
            Some(close) => {
                let parts = parse_link_inner(&after[..close], 0);
                let shown = match &parts.display {
                    Some(display) => display.text.to_string(),
                    None => match &parts.heading {
                        Some(heading) => format!("{} > {}", parts.target.text, heading.text),
                        None => parts.target.text.to_string(),
                    },
                };
                if out.push(&shown) {
                    return out.cut();
                }
                expanded_len += shown.len();
                rest = &after[close + 2..];
            }
            None => {
                if out.push("[[") {
                    return out.cut();
                }
                expanded_len += 2;
                rest = after;
            }
        }
        if expanded_len > SUMMARY_MAX_CHARS * 4 {
            break;
        }
    }
    if out.push(rest) {
        return out.cut();
    }
    out.finish()
}

/// A printable ASCII byte that [`Plain`] writes as it is.
fn is_word_byte(byte: u8) -> bool {
    byte.is_ascii_graphic() && !matches!(byte, b'*' | b'`' | b'!')
}

/// The cleaning steps of [`plain_text`], applied character by character: drop `*` and `` ` ``,
/// turn `![` into `[`, collapse white space.
#[derive(Default)]
struct Plain {
    text: String,
    chars: usize,
    /// A `!` that becomes nothing if a `[` follows.
    bang: bool,
    /// White space seen since the last character written.
    space: bool,
}

impl Plain {
    /// Adds `piece`; true when the first [`SUMMARY_MAX_CHARS`] characters of the result are
    /// settled and more text follows them after a space (see [`Plain::cut`]).
    fn push(&mut self, piece: &str) -> bool {
        let bytes = piece.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let byte = bytes[i];
            if !self.bang && !self.space && is_word_byte(byte) {
                // The common case, a run of ASCII word characters, is copied as it is.
                let run = bytes[i..].iter().take_while(|&&b| is_word_byte(b)).count();
                self.text.push_str(&piece[i..i + run]);
                self.chars += run;
                i += run;
                continue;
            }
            let c = if byte.is_ascii() {
                byte as char
            } else {
                piece[i..]
                    .chars()
                    .next()
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            };
            i += c.len_utf8();
            if self.push_char(c) {
                return true;
            }
        }
        false
    }

    fn push_char(&mut self, c: char) -> bool {
        if c == '*' || c == '`' {
            return false;
        }
        if self.bang {
            self.bang = false;
            if c != '[' && self.write('!', true) {
                return true;
            }
        }
        if c == '!' {
            self.bang = true;
            false
        } else {
            self.write(c, true)
        }
    }

    /// Writes `c`; with `may_stop`, returns true instead when the result is settled.
    fn write(&mut self, c: char, may_stop: bool) -> bool {
        if c.is_whitespace() {
            self.space = !self.text.is_empty();
            return false;
        }
        if self.space {
            if may_stop && self.chars > SUMMARY_MAX_CHARS {
                return true;
            }
            self.text.push(' ');
            self.chars += 1;
            self.space = false;
        }
        self.text.push(c);
        self.chars += 1;
        false
    }

    /// The result when a word follows the text after a space, past the cut: a trailing block
    /// id could only be removed from beyond that space, so the first characters stand.
    fn cut(self) -> String {
        super::truncate_chars(&self.text, SUMMARY_MAX_CHARS)
    }

    fn finish(mut self) -> String {
        if self.bang {
            self.bang = false;
            self.write('!', false);
        }
        let collapsed = self.text;
        // A trailing block id is not part of the prose.
        let collapsed = match collapsed.rsplit_once(" ^") {
            Some((before, id)) if !id.contains(' ') => before.to_owned(),
            _ => collapsed,
        };
        super::truncate_chars(&collapsed, SUMMARY_MAX_CHARS)
    }
}
