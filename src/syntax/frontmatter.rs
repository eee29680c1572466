//! YAML frontmatter: finding it, and reading its fields with byte ranges.
//!
//! The frontmatter is the YAML between a first line `---` (after an optional BOM) and the next
//! line that is `---` or `...`. It is read with `saphyr-parser`'s event stream, which gives a
//! span for every scalar; aliases are resolved one level (to a scalar or a list of scalars that
//! was anchored earlier), never expanded recursively, so an alias bomb costs nothing. Containers
//! nested deeper than the fields we read are skipped without recursion, so deep nesting is safe.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span};

use super::{StoredLink, SyntaxError};
use crate::text::TextRange;

mod flat;
mod lenient;

/// Most YAML events read from one frontmatter; past this the rest is ignored with an error.
const MAX_EVENTS: usize = 200_000;
/// Most values kept for one field (and for `tags`, `aliases`).
const MAX_VALUES_PER_FIELD: usize = 10_000;
/// Most values that aliases may copy in one frontmatter: each alias of an anchored list copies
/// its items, so a fan of aliases to a long list would otherwise cost billions of copies.
const MAX_ALIAS_VALUES: usize = 100_000;

pub(super) enum Split {
    None,
    Unclosed {
        range: TextRange,
    },
    Found {
        /// The whole frontmatter, delimiters included.
        range: TextRange,
        /// The YAML between the delimiter lines.
        yaml_range: TextRange,
        body_start: usize,
    },
}

/// Finds the frontmatter block at the start of `text`.
pub(super) fn split(text: &str) -> Split {
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let mut lines = LineIter { text, pos: start };
    let Some((first_start, first_end, after_first)) = lines.next() else {
        return Split::None;
    };
    if text[first_start..first_end].trim_end() != "---" {
        return Split::None;
    }
    for (line_start, line_end, next) in lines {
        let line = text[line_start..line_end].trim_end();
        if line == "---" || line == "..." {
            return Split::Found {
                range: TextRange::new(first_start, line_end),
                yaml_range: TextRange::new(after_first, line_start),
                body_start: next,
            };
        }
    }
    Split::Unclosed {
        range: TextRange::new(first_start, first_end),
    }
}

/// Iterates lines as `(start, end before the break, start of the next line)`.
struct LineIter<'a> {
    text: &'a str,
    pos: usize,
}

impl Iterator for LineIter<'_> {
    type Item = (usize, usize, usize);
    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.text.len() {
            return None;
        }
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let end = memchr::memchr2(b'\n', b'\r', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let next = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
        self.pos = next;
        Some((start, end, next))
    }
}

/// One value (a scalar, or one item of a list) as read; `parse_note` moves its texts into the
/// note's arena.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RawValue {
    pub text: Box<str>,
    pub range: TextRange,
    pub kb: Option<Box<str>>,
}

/// A top-level field other than the well-known ones, as read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct RawField {
    pub name: Box<str>,
    pub values: Vec<RawValue>,
}

/// The frontmatter as read (see [`super::Frontmatter`] for what each part is).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct RawFrontmatter {
    pub range: TextRange,
    pub id: Option<RawValue>,
    pub title: Option<RawValue>,
    pub note_type: Option<RawValue>,
    pub tags: Vec<RawValue>,
    pub aliases: Vec<RawValue>,
    pub summary: Option<Box<str>>,
    pub fields: Vec<RawField>,
    /// The `relation:` of each Pyrite typed link (`links: [{target: x, relation: r}]`).
    pub relations: Vec<RawValue>,
    /// The top-level keys written with nothing for a value (`""`, `[]`, null).
    pub empty_keys: Vec<Box<str>>,
    /// The `"[[target]]"` values of every field, in the order read.
    pub links: Vec<StoredLink>,
}

pub(super) struct Parsed {
    pub frontmatter: RawFrontmatter,
    pub links: Vec<StoredLink>,
    pub errors: Vec<SyntaxError>,
}

/// A value read from the YAML: only what the index can use is kept.
#[derive(Clone)]
enum Node {
    Scalar(RawValue),
    List(Vec<RawValue>, Vec<Vec<(Box<str>, RawValue)>>),
    Map(Vec<(Box<str>, Node)>),
    Other,
}

pub(super) fn parse(text: &str, range: TextRange, yaml_range: TextRange) -> Parsed {
    let mut frontmatter = RawFrontmatter {
        range,
        ..RawFrontmatter::default()
    };
    let mut errors = Vec::new();
    match flat::read(text, yaml_range) {
        Some(fields) => {
            for (key, node) in fields {
                read_field(text, &mut frontmatter, key, node);
            }
        }
        None => read_with_saphyr(text, range, yaml_range, &mut frontmatter, &mut errors),
    }
    finish(frontmatter, errors)
}

/// [`parse`] without the fast path: the oracle of the differential tests.
#[cfg(test)]
pub(super) fn parse_with_saphyr(text: &str, range: TextRange, yaml_range: TextRange) -> Parsed {
    let mut frontmatter = RawFrontmatter {
        range,
        ..RawFrontmatter::default()
    };
    let mut errors = Vec::new();
    read_with_saphyr(text, range, yaml_range, &mut frontmatter, &mut errors);
    finish(frontmatter, errors)
}

/// Reads any YAML with saphyr-parser's events; what only Pyrite's reader accepts (see
/// [`lenient`]) is read as Pyrite reads it, with a hint.
fn read_with_saphyr(
    text: &str,
    range: TextRange,
    yaml_range: TextRange,
    frontmatter: &mut RawFrontmatter,
    errors: &mut Vec<SyntaxError>,
) {
    let yaml = &text[yaml_range.as_usize()];
    let base = yaml_range.start as usize;
    let strict = read_events(yaml);
    let repaired = match strict.error {
        Some(_) => lenient::repair(yaml),
        None => None,
    };
    let lenient_read = repaired
        .as_ref()
        .map(|repaired| (repaired, read_events(&repaired.text)))
        .filter(|(_, read)| read.error.is_none());
    let (read, offsets) = match lenient_read {
        Some((repaired, read)) => {
            for &(start, end) in &repaired.lines {
                errors.push(SyntaxError {
                    range: TextRange::new(base + start, base + end),
                    message: "this quoted value goes on at the start of a line: Pyrite reads it, \
                              strict YAML tools do not; indent the lines after the first"
                        .to_owned(),
                    lenient: true,
                });
            }
            let offsets = CharOffsets::from_origins(base, repaired.origins.clone());
            (read, offsets)
        }
        None => {
            let offsets = CharOffsets::new(yaml, base);
            if let Some((index, info)) = &strict.error {
                errors.push(SyntaxError {
                    range: line_range_at(text, offsets.byte(*index)),
                    message: format!("invalid YAML in frontmatter: {info}"),
                    lenient: false,
                });
            }
            (strict, offsets)
        }
    };
    if read.capped {
        errors.push(SyntaxError {
            range: TextRange::new(range.start as usize, range.start as usize + 3),
            message: format!(
                "frontmatter is too large: only its first {MAX_EVENTS} YAML events were read"
            ),
            lenient: false,
        });
    }
    let events = read.events;
    let mut reader = Reader {
        text,
        events: &events,
        pos: 0,
        offsets: &offsets,
        anchors: HashMap::new(),
        alias_budget: MAX_ALIAS_VALUES,
        aliases_capped: false,
    };
    reader.skip_to_document_content();
    match reader.peek() {
        Some(Event::MappingStart(..)) => {
            reader.pos += 1;
            read_top_level(text, &mut reader, frontmatter);
        }
        None | Some(Event::StreamEnd | Event::DocumentEnd) => {}
        Some(_) if errors.is_empty() => errors.push(SyntaxError {
            range: TextRange::new(range.start as usize, range.start as usize + 3),
            message: "frontmatter must be a mapping of `field: value` lines".to_owned(),
            lenient: false,
        }),
        Some(_) => {}
    }
    if reader.aliases_capped {
        errors.push(SyntaxError {
            range: TextRange::new(range.start as usize, range.start as usize + 3),
            message: format!(
                "frontmatter aliases copy more than {MAX_ALIAS_VALUES} values: later aliases were ignored"
            ), lenient: false, });
    }
}

/// The events of some YAML, up to its first error (char index and message) or
/// [`MAX_EVENTS`].
struct EventRead<'y> {
    events: Vec<(Event<'y>, Span)>,
    error: Option<(usize, String)>,
    capped: bool,
}

fn read_events(yaml: &str) -> EventRead<'_> {
    let mut read = EventRead {
        events: Vec::new(),
        error: None,
        capped: false,
    };
    for item in Parser::new_from_str(yaml) {
        match item {
            Ok(event) => read.events.push(event),
            Err(error) => {
                read.error = Some((error.marker().index(), error.info().to_owned()));
                break;
            }
        }
        if read.events.len() > MAX_EVENTS {
            read.capped = true;
            break;
        }
    }
    read
}

/// The frontmatter and its links (taken out of the fields as they were read).
fn finish(mut frontmatter: RawFrontmatter, errors: Vec<SyntaxError>) -> Parsed {
    let links = std::mem::take(&mut frontmatter.links);
    Parsed {
        frontmatter,
        links,
        errors,
    }
}

fn read_top_level(text: &str, reader: &mut Reader<'_>, frontmatter: &mut RawFrontmatter) {
    loop {
        let key = match reader.next() {
            Some(Event::Scalar(key, ..)) => key,
            Some(Event::MappingEnd) | None => return,
            Some(_) => {
                // A complex key: skip the key and its value.
                reader.pos -= 1;
                reader.skip_node();
                reader.skip_node();
                continue;
            }
        };
        let node = reader.read_node(1);
        read_field(text, frontmatter, key, node);
    }
}

/// Takes in one top-level field, in source order (both readers end here). Values written as
/// `"[[target]]"` are links, in every field (`type`, `tags`, `aliases` and the other reserved
/// ones included, as in Obsidian's properties); they are not also plain values, and a field
/// whose values were all links stays, without values: it is present and not empty.
fn read_field(text: &str, frontmatter: &mut RawFrontmatter, key: &str, node: Node) {
    if !has_content(&node) && frontmatter.empty_keys.len() < MAX_VALUES_PER_FIELD {
        frontmatter.empty_keys.push(key.into());
    }
    let present = has_content(&node);
    let node = take_links(text, node, &mut frontmatter.links);
    match key {
        "id" if frontmatter.id.is_none() => frontmatter.id = first_value(node),
        "title" if frontmatter.title.is_none() => frontmatter.title = first_value(node),
        "type" if frontmatter.note_type.is_none() => frontmatter.note_type = first_value(node),
        "tags" => {
            frontmatter
                .tags
                .extend(split_words(into_values(node), true));
            frontmatter.tags.truncate(MAX_VALUES_PER_FIELD);
        }
        "aliases" | "alias" => {
            frontmatter.aliases.extend(into_values(node));
            frontmatter.aliases.truncate(MAX_VALUES_PER_FIELD);
        }
        "summary" | "description" if frontmatter.summary.is_none() => {
            frontmatter.summary = first_value(node).map(|value| collapse_space(&value.text).into());
            if frontmatter.summary.as_ref().is_some_and(|s| !s.is_empty()) {
                push_field(frontmatter, key, Vec::new(), true);
            }
        }
        "links" => {
            // Pyrite typed links: a list of mappings with `target` and optionally `kb`.
            let mut targets = Vec::new();
            if let Node::List(scalars, maps) = node {
                targets.extend(scalars);
                for map in maps {
                    let kb = map
                        .iter()
                        .find(|(k, _)| &**k == "kb")
                        .map(|(_, v)| v.text.clone());
                    if let Some((_, target)) = map.iter().find(|(k, _)| &**k == "target") {
                        targets.push(RawValue {
                            kb,
                            ..target.clone()
                        });
                    }
                    if let Some((_, relation)) = map.iter().find(|(k, _)| &**k == "relation")
                        && frontmatter.relations.len() < MAX_VALUES_PER_FIELD
                    {
                        frontmatter.relations.push(relation.clone());
                    }
                }
            }
            push_field(frontmatter, key, targets, true);
        }
        _ => push_field(frontmatter, key, into_values(node), present),
    }
}

/// Whether a value is more than nothing (`""`, `[]`, `{}`): a field with a mapping for a
/// value, say, is present even though no scalar of it is kept.
fn has_content(node: &Node) -> bool {
    match node {
        Node::Scalar(value) => !value.text.is_empty(),
        Node::List(scalars, maps) => {
            scalars.iter().any(|value| !value.text.is_empty()) || !maps.is_empty()
        }
        Node::Map(pairs) => !pairs.is_empty(),
        Node::Other => true,
    }
}

/// `node` without its `"[[target]]"` values, which go to `links` (scalars of a list of
/// mappings, such as Pyrite's typed links, stay).
fn take_links(text: &str, node: Node, links: &mut Vec<StoredLink>) -> Node {
    match node {
        Node::Scalar(value) => match link_in_value(text, &value) {
            Some(link) => {
                links.push(link);
                Node::Other
            }
            None => Node::Scalar(value),
        },
        Node::List(mut values, maps) => {
            values.retain(|value| match link_in_value(text, value) {
                Some(link) => {
                    links.push(link);
                    false
                }
                None => true,
            });
            Node::List(values, maps)
        }
        other => other,
    }
}

/// A field's values: the scalar, or the scalars of a list.
fn into_values(node: Node) -> Vec<RawValue> {
    match node {
        Node::Scalar(value) => vec![value],
        Node::List(values, _) => values,
        _ => Vec::new(),
    }
}

fn first_value(node: Node) -> Option<RawValue> {
    match node {
        Node::Scalar(value) => Some(value),
        Node::List(values, _) => values.into_iter().next(),
        _ => None,
    }
}

/// Keeps field `name` with its non-empty values; a field without any is kept (valueless) only
/// when it is `present` (its value is more than nothing, see [`has_content`]).
fn push_field(
    frontmatter: &mut RawFrontmatter,
    name: &str,
    mut values: Vec<RawValue>,
    present: bool,
) {
    values.retain(|value| !value.text.is_empty());
    values.truncate(MAX_VALUES_PER_FIELD);
    if !values.is_empty() || present {
        frontmatter.fields.push(RawField {
            name: name.into(),
            values,
        });
    }
}

struct Reader<'a> {
    text: &'a str,
    events: &'a [(Event<'a>, Span)],
    pos: usize,
    offsets: &'a CharOffsets,
    anchors: HashMap<usize, Node>,
    /// Values aliases may still copy; once spent, aliases read as nothing.
    alias_budget: usize,
    aliases_capped: bool,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<&'a Event<'a>> {
        self.events.get(self.pos).map(|(event, _)| event)
    }

    fn next(&mut self) -> Option<&'a Event<'a>> {
        let event = self.peek();
        self.pos += 1;
        event
    }

    fn skip_to_document_content(&mut self) {
        while let Some(Event::StreamStart | Event::DocumentStart(_) | Event::Nothing) = self.peek()
        {
            self.pos += 1;
        }
    }

    /// Reads one node; containers deeper than `depth` 2 are skipped.
    fn read_node(&mut self, depth: usize) -> Node {
        let Some((event, span)) = self.events.get(self.pos) else {
            return Node::Other;
        };
        self.pos += 1;
        match event {
            Event::Scalar(value, style, anchor, _) => {
                let node = Node::Scalar(self.value(value, *style, *span));
                self.remember(*anchor, &node);
                node
            }
            Event::Alias(anchor) => {
                let Some(node) = self.anchors.get(anchor) else {
                    return Node::Other;
                };
                let cost = match node {
                    Node::List(scalars, maps) => {
                        scalars.len() + maps.iter().map(|m| m.len().max(1)).sum::<usize>()
                    }
                    _ => 1,
                };
                if cost > self.alias_budget {
                    self.aliases_capped = true;
                    return Node::Other;
                }
                self.alias_budget -= cost;
                node.clone()
            }
            Event::SequenceStart(anchor, _) if depth <= 2 => {
                let mut scalars = Vec::new();
                let mut maps = Vec::new();
                loop {
                    match self.peek() {
                        Some(Event::SequenceEnd) => {
                            self.pos += 1;
                            break;
                        }
                        None => break,
                        Some(_) => match self.read_node(depth + 1) {
                            Node::Scalar(value) if scalars.len() < MAX_VALUES_PER_FIELD => {
                                scalars.push(value)
                            }
                            Node::Map(pairs) => maps.push(
                                pairs
                                    .into_iter()
                                    .filter_map(|(k, v)| match v {
                                        Node::Scalar(value) => Some((k, value)),
                                        _ => None,
                                    })
                                    .collect(),
                            ),
                            _ => {}
                        },
                    }
                }
                let node = Node::List(scalars, maps);
                self.remember(*anchor, &node);
                node
            }
            Event::MappingStart(anchor, _) if depth <= 2 => {
                let mut pairs = Vec::new();
                loop {
                    match self.peek() {
                        Some(Event::MappingEnd) => {
                            self.pos += 1;
                            break;
                        }
                        None => break,
                        Some(Event::Scalar(key, ..)) => {
                            self.pos += 1;
                            let value = self.read_node(depth + 1);
                            pairs.push((Box::from(key.as_ref()), value));
                        }
                        Some(_) => {
                            self.skip_node();
                            self.skip_node();
                        }
                    }
                }
                let node = Node::Map(pairs);
                self.remember(*anchor, &node);
                node
            }
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                self.pos -= 1;
                self.skip_node();
                Node::Other
            }
            _ => Node::Other,
        }
    }

    /// Skips one node, however deeply nested, without recursion.
    fn skip_node(&mut self) {
        let mut depth = 0usize;
        while let Some(event) = self.next() {
            match event {
                Event::SequenceStart(..) | Event::MappingStart(..) => depth += 1,
                Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
                _ => {}
            }
            if depth == 0 {
                return;
            }
        }
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor != 0 && !matches!(node, Node::Map(_)) {
            self.anchors.insert(anchor, node.clone());
        }
    }

    /// A scalar's value, with the range of its content (inside the quotes, when quoted).
    fn value(&self, value: &str, style: ScalarStyle, span: Span) -> RawValue {
        scalar_value(self.text, self.offsets, value, style, span)
    }
}

/// A scalar's value, with the range of its content in `text` (inside the quotes, when quoted).
pub(super) fn scalar_value(
    text: &str,
    offsets: &CharOffsets,
    value: &str,
    style: ScalarStyle,
    span: Span,
) -> RawValue {
    let start = offsets.byte(span.start.index());
    let end = offsets.byte(span.end.index()).max(start);
    let source = &text[start..end];
    let range = match style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
            if source.len() >= 2
                && (source.starts_with(['"', '\'']) && source.ends_with(['"', '\''])) =>
        {
            TextRange::new(start + 1, end - 1)
        }
        _ => {
            let trimmed = source.trim_end();
            TextRange::new(start, start + trimmed.len())
        }
    };
    RawValue {
        text: value.into(),
        range,
        kb: None,
    }
}

/// Char index (as the YAML parser counts) to byte offset in the note.
pub(super) struct CharOffsets {
    base: usize,
    /// Byte offset of each char, only when the YAML is not ASCII.
    bytes: Option<Vec<u32>>,
}

impl CharOffsets {
    pub(super) fn new(yaml: &str, base: usize) -> CharOffsets {
        let bytes = (!yaml.is_ascii()).then(|| {
            let mut offsets: Vec<u32> = yaml.char_indices().map(|(i, _)| i as u32).collect();
            offsets.push(yaml.len() as u32);
            offsets
        });
        CharOffsets { base, bytes }
    }

    /// Offsets for a copy of the YAML at `base`: `origins` holds, for each character of the
    /// copy (and one past its end), the byte offset in the original it stands for.
    fn from_origins(base: usize, origins: Vec<u32>) -> CharOffsets {
        CharOffsets {
            base,
            bytes: Some(origins),
        }
    }

    pub(super) fn byte(&self, char_index: usize) -> usize {
        let within = match &self.bytes {
            None => char_index,
            Some(offsets) => offsets[char_index.min(offsets.len() - 1)] as usize,
        };
        self.base + within
    }
}

/// `"[[target]]"` as a whole value becomes a link, when the value is written verbatim in the
/// source (so the link's ranges are exact).
fn link_in_value(text: &str, value: &RawValue) -> Option<StoredLink> {
    let inner = value.text.strip_prefix("[[")?.strip_suffix("]]")?;
    if inner.contains("[[") || inner.contains("]]") || inner.trim().is_empty() {
        return None;
    }
    if text.get(value.range.as_usize()) != Some(&*value.text) {
        return None;
    }
    Some(StoredLink::new(value.range, false, true))
}

/// Tags written as one string (`tags: a, b c`) are split on commas and white space; a leading
/// `#` is dropped.
fn split_words(values: Vec<RawValue>, strip_hash: bool) -> Vec<RawValue> {
    let mut out = Vec::new();
    for value in values {
        let base = value.range.start as usize;
        let verbatim = value.range.len() as usize == value.text.len();
        let mut offset = 0;
        for word in value.text.split([',', ' ', '\t', '\n']) {
            if out.len() >= MAX_VALUES_PER_FIELD {
                return out;
            }
            let word_start = offset;
            offset += word.len() + 1;
            let (word, skip) = match word.strip_prefix('#').filter(|_| strip_hash) {
                Some(rest) => (rest, 1),
                None => (word, 0),
            };
            if word.is_empty() {
                continue;
            }
            let range = if verbatim {
                TextRange::new(
                    base + word_start + skip,
                    base + word_start + skip + word.len(),
                )
            } else {
                value.range
            };
            out.push(RawValue {
                text: word.into(),
                range,
                kb: None,
            });
        }
    }
    out
}

fn collapse_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The rest of the line at `offset`, for pointing at a YAML error.
fn line_range_at(text: &str, offset: usize) -> TextRange {
    let offset = offset.min(text.len());
    let end = memchr::memchr2(b'\n', b'\r', &text.as_bytes()[offset..])
        .map_or(text.len(), |i| offset + i);
    if end > offset {
        TextRange::new(offset, end)
    } else {
        // At the end of a line: point at the whole line instead of nothing.
        let start = text[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1);
        TextRange::new(start, offset)
    }
}

#[cfg(test)]
mod tests;
