//! Markdown note -> facts: frontmatter fields, wiki-links, headings, block ids and a summary,
//! each with exact byte ranges. Parsing never fails: a broken file is data, and problems found
//! while reading it (invalid YAML) are returned as [`SyntaxError`]s next to whatever could be read.

mod body;
mod cross_kb_links;
mod frontmatter;
mod kb_config;
mod link;

use crate::line_index::LineIndex;
use crate::text::TextRange;
use std::borrow::Cow;

pub use body::{MAX_LINKS, MAX_TAGS, is_tag_char, plain_text, tag_len};
pub use cross_kb_links::parse_cross_kb_links;
pub use kb_config::{KbConfig, KbType, parse_kb_config};
pub use link::{LinkParts, is_kb_name_byte, markdown_destination, parse_link_inner};

/// The file name of a KB's list of links into other KBs (see `cross_kb_links`).
pub const CROSS_KB_LINKS: &str = "cross-kb-links.yaml";

/// A piece of source text with its byte range in the note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part<'a> {
    pub text: &'a str,
    pub range: TextRange,
}

/// One frontmatter value (a scalar, or one item of a list), unquoted, with its range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Value<'a> {
    pub text: &'a str,
    pub range: TextRange,
    /// For Pyrite typed links (`links: [{target: x, kb: other}]`), the KB named beside the target.
    pub kb: Option<&'a str>,
}

/// A top-level frontmatter field other than the well-known ones, whose values are strings.
#[derive(Clone, Copy, Debug)]
pub struct Field<'a> {
    pub name: &'a str,
    pub values: Records<'a, StoredValue>,
}

/// A note's frontmatter, read through its [`ParsedNote`].
#[derive(Clone, Copy, Debug)]
pub struct Frontmatter<'a> {
    stored: &'a StoredFrontmatter,
    note: &'a ParsedNote,
}

impl<'a> Frontmatter<'a> {
    /// From the opening `---` to the end of the closing line.
    pub fn range(self) -> TextRange {
        self.stored.range
    }

    /// The `id:` value (possibly empty).
    pub fn id(self) -> Option<Value<'a>> {
        self.value(self.stored.id)
    }

    /// The `title:` value.
    pub fn title(self) -> Option<Value<'a>> {
        self.value(self.stored.title)
    }

    /// The `type:` value.
    pub fn note_type(self) -> Option<Value<'a>> {
        self.value(self.stored.note_type)
    }

    /// The tags, one value per word (see `tags: a, b c`).
    pub fn tags(self) -> Records<'a, StoredValue> {
        self.values(self.stored.tags)
    }

    /// The `aliases:` (or `alias:`) values.
    pub fn aliases(self) -> Records<'a, StoredValue> {
        self.values(self.stored.aliases)
    }

    /// The `relation:` of each Pyrite typed link in `links:`, in the order written.
    pub fn relations(self) -> Records<'a, StoredValue> {
        self.values(self.stored.relations)
    }

    /// The top-level keys written with nothing for a value (`""`, `[]`, null), by name.
    pub fn empty_keys(self) -> impl Iterator<Item = &'a str> {
        self.values(self.stored.empty_keys)
            .iter()
            .map(|key| key.text)
    }

    /// The other fields, in the order written. A field whose value is more than nothing but
    /// holds no plain value (a mapping, links only, a description) is here without values.
    pub fn fields(self) -> impl DoubleEndedIterator<Item = Field<'a>> + ExactSizeIterator {
        self.note
            .section::<StoredField>(Section::Fields)
            .iter()
            .map(move |field| self.field_view(field))
    }

    /// The field at `index` of [`Frontmatter::fields`].
    pub fn field(self, index: usize) -> Option<Field<'a>> {
        let field = self
            .note
            .section::<StoredField>(Section::Fields)
            .get(index)?;
        Some(self.field_view(field))
    }

    fn field_view(self, field: StoredField) -> Field<'a> {
        Field {
            name: field.name.resolve(&self.note.arena),
            values: self.values(field.values),
        }
    }

    fn value(self, index: u32) -> Option<Value<'a>> {
        self.note
            .section::<StoredValue>(Section::Values)
            .get(index as usize)
    }

    fn values(self, (start, end): (u32, u32)) -> Records<'a, StoredValue> {
        let values = self.note.section::<StoredValue>(Section::Values);
        let (start, end) = (start as usize, end as usize);
        let words = StoredValue::WORDS;
        // With the word read after the last (the next value's first, or the closing word).
        let end_word = match end > start {
            true => end * words + StoredValue::TRAILING,
            false => start * words,
        };
        Records {
            words: &values.words[start * words..end_word],
            ..values
        }
    }
}

/// How a link is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkSyntax {
    /// `[[target]]`, `![[target]]` (and `"[[target]]"` in frontmatter).
    Wiki,
    /// `[text](destination)` or `![alt](destination)` to a local file: the parts are the
    /// destination's, as written (percent-encoded; see `keys::link_text` for their meaning).
    Markdown,
}

/// A wiki-link or embed, in the body or written as `"[[...]]"` in a frontmatter value; or a
/// markdown link or image to a local file, in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link<'a> {
    /// The whole link, from `[[` (or `![[`) to `]]`, or from `[` (or `![`) to `)`.
    pub range: TextRange,
    pub syntax: LinkSyntax,
    pub is_embed: bool,
    pub in_frontmatter: bool,
    /// Never set on markdown links.
    pub kb: Option<Part<'a>>,
    /// The note part; empty text (with an empty range) for same-note links like `[[#Heading]]`
    /// or `[text](#Heading)`.
    pub target: Part<'a>,
    pub heading: Option<Part<'a>>,
    pub block: Option<Part<'a>>,
    /// After `|` in a wiki-link; a markdown link's text, when it has one.
    pub display: Option<Part<'a>>,
}

impl<'a> Link<'a> {
    pub fn is_markdown(&self) -> bool {
        self.syntax == LinkSyntax::Markdown
    }

    /// The text the reader sees: the display part, else the raw inside of the brackets.
    pub fn visible_text(&self, source_inner: &'a str) -> &'a str {
        self.display.map_or(source_inner, |d| d.text)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Heading<'a> {
    pub level: u8,
    pub text: &'a str,
    /// The whole heading, markers included (two lines for setext headings).
    pub range: TextRange,
    /// Just the heading's words, without `#` markers or surrounding space.
    pub text_range: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockId<'a> {
    pub id: &'a str,
    /// The `^id` marker itself.
    pub range: TextRange,
    /// The line the marker ends.
    pub line_range: TextRange,
}

/// An inline `#tag` in the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InlineTag<'a> {
    /// The name as written, without the `#` (`nested/tag`).
    pub name: &'a str,
    /// From the `#` to the end of the name.
    pub range: TextRange,
}

impl InlineTag<'_> {
    /// The range of the name alone, without the `#`.
    pub fn name_range(&self) -> TextRange {
        TextRange {
            start: self.range.start + 1,
            end: self.range.end,
        }
    }
}

/// A multi-line block of the body that an outline can fold: a code block or a list that is
/// not inside another list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    pub kind: RegionKind,
    /// From the block's first character (a list: its first item's line) to the end of its text.
    pub range: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegionKind {
    /// A fenced or indented code block.
    Code,
    List,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: TextRange,
    pub message: String,
    /// Read anyway, as Pyrite's YAML reader reads it, though strict YAML rejects it: a hint
    /// to fix, not an error.
    pub lenient: bool,
}

/// Everything the index keeps about one note.
///
/// The facts are compact `Copy` records ([`StoredLink`], [`StoredHeading`], …) written as `u32`
/// words one kind after the other in one buffer, whose texts live in one string per note (the
/// arena): a note costs two allocations (the words and the arena; an open note's line index a
/// third), not one per kind of fact or per string. At 100k notes, one buffer instead of one
/// per kind saved about 14 MB. The texts of links, headings and frontmatter values are one after the other in
/// the arena, each kind in its records' order, so their records need not say where a text
/// ends: the next record does, or the closing word after the last ([`Record::TRAILING`]). Read them through views ([`Link`], [`Heading`], [`Value`], …) that borrow the
/// texts: [`ParsedNote::links`], [`ParsedNote::headings`], [`ParsedNote::frontmatter`], ….
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedNote {
    /// Every stored text of the note: link sources, heading texts, frontmatter values and field
    /// names, block ids and the summary.
    arena: Box<str>,
    /// Every record, in the order of [`Section`]: the frontmatter values (the frontmatter's lists
    /// and fields are ranges of them), the fields, links, headings, block ids, inline tags and
    /// regions, each kind taking [`Record::WORDS`] words a record.
    words: Box<[u32]>,
    /// Where each [`Section`] ends in `words`.
    section_ends: [u32; SECTIONS],
    frontmatter: Option<StoredFrontmatter>,
    /// Frontmatter `summary`/`description` (empty when it has none).
    frontmatter_summary: StrRef,
    pub errors: Box<[SyntaxError]>,
    /// Where the note's lines start, when it was parsed with them ([`Retention::Full`]: an
    /// open buffer's text) or was given them since ([`ParsedNote::keep_line_index`]). A note
    /// read from disk starts with none: at 100,000 notes they took 12 MB and 80 ms of the
    /// load, and only the notes an answer names need one, made from the file the first time
    /// (see `lsp/line_indexes.rs`).
    line_index: std::sync::OnceLock<Box<LineIndex>>,
    /// The length of the text parsed, in bytes.
    text_len: u32,
    /// Where the body starts (after the frontmatter).
    pub body_start: u32,
    /// How the links are written: [`NarrowLink`]s, [`WideLink`]s or [`FileLink`]s.
    link_layout: LinkLayout,
}

/// What a parse keeps of the text besides the facts every lookup reads: the note's
/// [`LineIndex`] (see [`ParsedNote::line_index`]) and its links' texts (see
/// [`ParsedNote::links_in`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Retention {
    /// Keep both: the text is an open buffer's, whose positions and links are asked for all
    /// the time, or `check`'s, which reports positions and reads the links of every note.
    #[default]
    Full,
    /// Keep neither: the text was read from disk, and is not kept either. The links keep their
    /// places in the text, and an answer that needs their texts reads the file again (at
    /// 100,000 notes their texts took 45 MB, and an answer names a few closed notes).
    Compact,
}

/// How a note's links are written in its words (see [`ParsedNote::links`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum LinkLayout {
    /// [`NarrowLink`]s, their insides in the arena.
    #[default]
    Narrow,
    /// [`WideLink`]s, their insides in the arena.
    Wide,
    /// [`FileLink`]s, their insides read in the note's text.
    InText,
}

impl ParsedNote {
    /// Where the parsed text's lines start, when the note was parsed with
    /// [`Retention::Full`].
    pub fn line_index(&self) -> Option<&LineIndex> {
        self.line_index.get().map(|index| &**index)
    }

    /// Keeps `index` as the line index of a note parsed without one (made from its text by
    /// whoever needs it) and returns the note's line index: `index`, or the one it had.
    pub fn keep_line_index(&self, index: LineIndex) -> &LineIndex {
        self.line_index.get_or_init(|| Box::new(index))
    }

    /// The length of the parsed text, in bytes.
    pub fn text_len(&self) -> u32 {
        self.text_len
    }

    /// Records how long the parsed `text` was, and keeps its lines' starts if `retention`
    /// says so.
    fn set_text(&mut self, text: &str, retention: Retention) {
        self.text_len = crate::text::to_u32(text.len());
        self.line_index = match retention {
            Retention::Full => Box::new(LineIndex::new(text)).into(),
            Retention::Compact => std::sync::OnceLock::new(),
        };
    }

    /// The frontmatter, when the note has one (even an empty or broken one).
    pub fn frontmatter(&self) -> Option<Frontmatter<'_>> {
        self.frontmatter
            .as_ref()
            .map(|stored| Frontmatter { stored, note: self })
    }

    /// The links, body and frontmatter ones, in the order found, when the note keeps their
    /// texts ([`ParsedNote::keeps_link_texts`]); for a note that does not, none (a debug build
    /// panics): read them with [`ParsedNote::links_in`] its text.
    pub fn links(&self) -> Links<'_> {
        match self.link_layout {
            LinkLayout::Narrow => Links(LinkRecords::Narrow(self.section(Section::Links))),
            LinkLayout::Wide => Links(LinkRecords::Wide(self.section(Section::Links))),
            LinkLayout::InText => {
                debug_assert!(false, "the links of a note that keeps no link texts");
                Links::EMPTY
            }
        }
    }

    /// Whether the note keeps its links' texts, so that [`ParsedNote::links`] reads them:
    /// parsed with [`Retention::Full`], or with [`Retention::Compact`] but without links or
    /// with too long a link to leave in the text.
    pub fn keeps_link_texts(&self) -> bool {
        self.link_layout != LinkLayout::InText
    }

    /// The links with their texts read in `text`, which must be the text the note was parsed
    /// from; `None` when it is not (the file changed since: a different length, a link's
    /// brackets or separator not where the note has them, or other link texts). A note that
    /// keeps its link texts reads them from its own and ignores `text`.
    pub fn links_in<'a>(&'a self, text: &'a str) -> Option<Links<'a>> {
        if self.keeps_link_texts() {
            return Some(self.links());
        }
        if text.len() != self.text_len as usize {
            return None;
        }
        let records = Records::<FileLink> {
            arena: text,
            ..self.section(Section::Links)
        };
        // The closing word after the records is the hash of the insides as parsed.
        let Some(&parsed_hash) = records.words.last() else {
            return Some(Links(LinkRecords::InText(records)));
        };
        let links = || records.stored().map(|link| link.0);
        let same = links().all(|link| link.is_written_in(text))
            && link_texts_hash(links().map(|link| &text[link.inner_range().as_usize()]))
                == parsed_hash;
        same.then_some(Links(LinkRecords::InText(records)))
    }

    /// The ranges of the links, in order (read whether the note keeps their texts or not).
    pub fn link_ranges(&self) -> impl Iterator<Item = TextRange> + '_ {
        let layout = self.link_layout;
        let narrow = (layout == LinkLayout::Narrow)
            .then(|| self.section::<NarrowLink>(Section::Links).stored())
            .into_iter()
            .flatten()
            .map(|link| link.0.range);
        let wide = (layout == LinkLayout::Wide)
            .then(|| self.section::<WideLink>(Section::Links).stored())
            .into_iter()
            .flatten()
            .map(|link| link.0.range);
        let in_text = (layout == LinkLayout::InText)
            .then(|| self.section::<FileLink>(Section::Links).stored())
            .into_iter()
            .flatten()
            .map(|link| link.0.range);
        narrow.chain(wide).chain(in_text)
    }

    /// How many links the note has (what [`ParsedNote::links`] would read, whether the note
    /// keeps their texts or not).
    pub fn link_count(&self) -> usize {
        match self.link_layout {
            LinkLayout::Narrow => self.section::<NarrowLink>(Section::Links).len(),
            LinkLayout::Wide => self.section::<WideLink>(Section::Links).len(),
            LinkLayout::InText => self.section::<FileLink>(Section::Links).len(),
        }
    }

    /// The headings, in order.
    pub fn headings(&self) -> Records<'_, StoredHeading> {
        self.section(Section::Headings)
    }

    /// The section that heading `index` opens: from its end to the next heading's start (to
    /// the end of the text after the last).
    pub fn heading_section(&self, index: usize) -> TextRange {
        let headings = self.headings();
        TextRange {
            start: headings.at(index).range.end,
            end: headings
                .get(index + 1)
                .map_or(u32::MAX, |next| next.range.start),
        }
    }

    /// The block ids (`^id` at the end of a line), in order.
    pub fn block_ids(&self) -> Records<'_, StoredBlockId> {
        self.section(Section::BlockIds)
    }

    /// The inline `#tag`s of the body, in order.
    pub fn inline_tags(&self) -> Records<'_, StoredTag> {
        self.section(Section::Tags)
    }

    /// The code blocks and top-level lists of the body, in order of their start.
    pub fn regions(&self) -> Records<'_, Region> {
        self.section(Section::Regions)
    }

    /// The records of `section`, whose kind is `R`.
    fn section<R: Record>(&self, section: Section) -> Records<'_, R> {
        let index = section as usize;
        let start = index.checked_sub(1).map_or(0, |i| self.section_ends[i]);
        Records {
            words: &self.words[start as usize..self.section_ends[index] as usize],
            arena: &self.arena,
            record: std::marker::PhantomData,
        }
    }

    /// Frontmatter `summary`/`description`, else the body's first paragraph as plain text,
    /// found in the note's text, which `text` gives only when it is needed (the paragraph is
    /// not kept in the index); empty when there is neither.
    pub fn summary(&self, text: impl FnOnce() -> Option<String>) -> Cow<'_, str> {
        let frontmatter_summary = self.frontmatter_summary.resolve(&self.arena);
        if !frontmatter_summary.is_empty() {
            return Cow::Borrowed(frontmatter_summary);
        }
        let Some(text) = text() else {
            return Cow::Borrowed("");
        };
        match first_paragraph(&text, TextRange::new(0, text.len())) {
            Some(paragraph) => Cow::Owned(body::plain_text(&text[paragraph.as_usize()])),
            None => Cow::Borrowed(""),
        }
    }
}

/// A fact stored compactly in a [`ParsedNote`], as [`Record::WORDS`] `u32` words, read as a
/// view borrowing the note's texts.
pub trait Record: Copy {
    /// How many words the record takes in the note's buffer.
    const WORDS: usize;
    /// How many words after its own a record is read with: the next record's first, or the
    /// list's closing word after the last record (a link's: see `NarrowLink`); most records
    /// need none.
    const TRAILING: usize = 0;
    /// The borrowed, readable form ([`Link`] for [`StoredLink`], …).
    type View<'a>;
    /// The view of this record, with its texts taken from `arena`.
    fn view(self, arena: &str) -> Self::View<'_>;
    /// The record written as `words` (exactly [`Record::WORDS`] of them, then
    /// [`Record::TRAILING`] more).
    fn read(words: &[u32]) -> Self;
    /// Appends the record's [`Record::WORDS`] words to `out`.
    fn write(self, out: &mut Vec<u32>);
}

/// The kinds of records of a [`ParsedNote`], in the order they sit in its buffer.
#[derive(Clone, Copy)]
enum Section {
    Values,
    Fields,
    Links,
    Headings,
    BlockIds,
    Tags,
    Regions,
}

/// How many [`Section`]s a note's buffer holds.
const SECTIONS: usize = 7;

/// A list of stored facts of one note, read as views (see [`Record`]).
#[derive(Clone, Copy, Debug)]
pub struct Records<'a, R> {
    words: &'a [u32],
    arena: &'a str,
    record: std::marker::PhantomData<R>,
}

impl<'a, R: Record> Records<'a, R> {
    /// How many items the list holds.
    pub fn len(self) -> usize {
        self.words.len().saturating_sub(R::TRAILING) / R::WORDS
    }

    /// Whether the list is empty.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The item at `index`, if any.
    pub fn get(self, index: usize) -> Option<R::View<'a>> {
        let words = self
            .words
            .get(index * R::WORDS..(index + 1) * R::WORDS + R::TRAILING)?;
        Some(R::read(words).view(self.arena))
    }

    /// The item at `index`; panics when out of range, as indexing a slice does.
    pub fn at(self, index: usize) -> R::View<'a> {
        let words = &self.words[index * R::WORDS..(index + 1) * R::WORDS + R::TRAILING];
        R::read(words).view(self.arena)
    }

    /// The first item, if any.
    pub fn first(self) -> Option<R::View<'a>> {
        self.get(0)
    }

    /// The records themselves, in order (what needs no text of theirs).
    fn stored(self) -> impl Iterator<Item = R> + 'a {
        let words = self.words;
        (0..self.len())
            .map(move |index| R::read(&words[index * R::WORDS..][..R::WORDS + R::TRAILING]))
    }

    /// The items, in order.
    pub fn iter(self) -> RecordIter<'a, R> {
        let len = self.len();
        RecordIter {
            words: &self.words[..len * R::WORDS + if len > 0 { R::TRAILING } else { 0 }],
            arena: self.arena,
            len,
            record: std::marker::PhantomData,
        }
    }
}

impl<'a, R: Record> IntoIterator for Records<'a, R> {
    type Item = R::View<'a>;
    type IntoIter = RecordIter<'a, R>;

    fn into_iter(self) -> RecordIter<'a, R> {
        self.iter()
    }
}

/// The views of a [`Records`] list, in order.
#[derive(Clone, Debug)]
pub struct RecordIter<'a, R> {
    /// The words of the records not read yet (and the trailing ones after the last).
    words: &'a [u32],
    arena: &'a str,
    /// How many records are not read yet.
    len: usize,
    record: std::marker::PhantomData<R>,
}

impl<'a, R: Record> Iterator for RecordIter<'a, R> {
    type Item = R::View<'a>;

    #[inline]
    fn next(&mut self) -> Option<R::View<'a>> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        let record = R::read(&self.words[..R::WORDS + R::TRAILING]);
        self.words = &self.words[R::WORDS..];
        Some(record.view(self.arena))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len, Some(self.len))
    }
}

impl<R: Record> DoubleEndedIterator for RecordIter<'_, R> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        let start = self.len * R::WORDS;
        let record = R::read(&self.words[start..start + R::WORDS + R::TRAILING]);
        Some(record.view(self.arena))
    }
}

impl<R: Record> ExactSizeIterator for RecordIter<'_, R> {}

/// The words of a record, `N` of them: panics when `words` holds another number.
fn words<const N: usize>(words: &[u32]) -> [u32; N] {
    words.try_into().expect("a record's words")
}

/// A string in a note's arena: byte offset and length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct StrRef {
    start: u32,
    len: u32,
}

impl StrRef {
    /// Marks an absent string (`Option<StrRef>` would take 12 bytes).
    const NONE: StrRef = StrRef {
        start: u32::MAX,
        len: 0,
    };

    fn resolve(self, arena: &str) -> &str {
        &arena[self.start as usize..(self.start + self.len) as usize]
    }

    fn resolve_option(self, arena: &str) -> Option<&str> {
        (self != StrRef::NONE).then(|| self.resolve(arena))
    }
}

/// A stored [`Link`]: its range and where its inside (between the brackets) is in the arena.
///
/// The parts are not stored: [`parse_link_inner`] is a pure function of the inside and its
/// offset. The common shapes (`[[a]]`, `[[kb:a]]`, `[[a#b]]`, `[[a|b]]`, and `[[kb:a|b]]`,
/// `[[kb:a#b]]`, `[[a#b|c]]` whose second separator is found again) are rebuilt from one
/// separator position, which the note's assembly checks against a real split; any other
/// link is split again when read. A markdown link keeps its whole source in the arena and the
/// offset of the `(` that opens its destination; [`markdown_destination`] splits it again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredLink {
    range: TextRange,
    /// Where the inside starts in the arena (set when the note is assembled).
    source: u32,
    /// [`EMBED`], [`IN_FRONTMATTER`].
    flags: u8,
    shape: LinkShape,
    /// For the shapes with a separator, its byte offset in the inside; for
    /// [`LinkShape::Markdown`], the offset of the destination's `(` from the link's start.
    separator: u16,
}

/// [`StoredLink::flags`]: the link is an embed (`![[...]]`, `![alt](...)`).
const EMBED: u8 = 1;
/// [`StoredLink::flags`]: the link is a `"[[...]]"` frontmatter value.
const IN_FRONTMATTER: u8 = 2;

/// How to rebuild a [`StoredLink`]'s parts (see there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LinkShape {
    /// Split the inside again with [`parse_link_inner`].
    Split,
    /// The whole inside is the target.
    Target,
    /// `kb:target`.
    KbTarget,
    /// `target#heading`.
    TargetHeading,
    /// `target|display`.
    TargetDisplay,
    /// `kb:target|display` (the `|` found again when read).
    KbTargetDisplay,
    /// `kb:target#heading` (the `#` found again when read).
    KbTargetHeading,
    /// `target#heading|display` (the `|` found again when read).
    TargetHeadingDisplay,
    /// A markdown link: split again with [`markdown_destination`].
    Markdown,
}

impl LinkShape {
    /// Every shape, each at the index of its discriminant (how a stored link's words name it).
    const ALL: [LinkShape; 9] = [
        LinkShape::Split,
        LinkShape::Target,
        LinkShape::KbTarget,
        LinkShape::TargetHeading,
        LinkShape::TargetDisplay,
        LinkShape::KbTargetDisplay,
        LinkShape::KbTargetHeading,
        LinkShape::TargetHeadingDisplay,
        LinkShape::Markdown,
    ];
}

impl StoredLink {
    /// A link of `range`, from `[[` (or `![[`) to `]]`.
    pub(super) fn new(range: TextRange, is_embed: bool, in_frontmatter: bool) -> StoredLink {
        StoredLink {
            range,
            source: 0,
            flags: if is_embed { EMBED } else { 0 }
                | if in_frontmatter { IN_FRONTMATTER } else { 0 },
            shape: LinkShape::Split,
            separator: 0,
        }
    }

    /// A markdown link of `range`, from `[` (or `![`) to `)`, whose destination's `(` is
    /// `paren` bytes after its start.
    pub(super) fn markdown(range: TextRange, paren: u16, is_image: bool) -> StoredLink {
        StoredLink {
            range,
            source: 0,
            flags: if is_image { EMBED } else { 0 },
            shape: LinkShape::Markdown,
            separator: paren,
        }
    }

    fn is_embed(self) -> bool {
        self.flags & EMBED != 0
    }

    /// Picks the cheapest [`LinkShape`] that gives the same parts as [`parse_link_inner`].
    fn set_shape(&mut self, inner: &str) {
        if self.shape == LinkShape::Markdown {
            return;
        }
        let bytes = inner.as_bytes();
        let separator = memchr::memchr3(b':', b'#', b'|', bytes);
        if separator.is_none()
            && memchr::memchr(b'^', bytes).is_none()
            && inner.trim().len() == inner.len()
        {
            // No separator and nothing to trim: the whole inside is the target, as
            // `parse_link_inner` would say (the commonest link, `[[target]]`).
            self.shape = LinkShape::Target;
            self.separator = 0;
            return;
        }
        if let Some(bar) = separator.filter(|&at| bytes[at] == b'|')
            && Self::is_plain_target_display(inner, bar)
            && let Ok(separator) = u16::try_from(bar)
        {
            // `[[target|display]]` with nothing to trim or unescape: the second commonest link,
            // taken without splitting it again to compare.
            self.shape = LinkShape::TargetDisplay;
            self.separator = separator;
            return;
        }
        let start = self.inner_range().start as usize;
        let parts = parse_link_inner(inner, start);
        let shape = match separator.map(|at| (at, bytes[at])) {
            None => LinkShape::Target,
            Some((at, b':')) => match memchr::memchr2(b'#', b'|', &bytes[at + 1..]) {
                None => LinkShape::KbTarget,
                Some(next) if bytes[at + 1 + next] == b'|' => LinkShape::KbTargetDisplay,
                Some(_) => LinkShape::KbTargetHeading,
            },
            Some((at, b'#')) => match memchr::memchr(b'|', &bytes[at + 1..]) {
                None => LinkShape::TargetHeading,
                Some(_) => LinkShape::TargetHeadingDisplay,
            },
            _ => LinkShape::TargetDisplay,
        };
        let Ok(separator) = u16::try_from(separator.unwrap_or(0)) else {
            return;
        };
        let candidate = StoredLink {
            shape,
            separator,
            ..*self
        };
        if candidate.parts(inner) == parts {
            *self = candidate;
        }
    }

    /// Whether `inner`, whose first `:`, `#` or `|` is the `|` at `bar`, splits as
    /// [`LinkShape::TargetDisplay`] gives it: no `^` and no `\` right before the bar (a
    /// block reference, an escaped bar), and neither side empty or with white space at an end
    /// ([`parse_link_inner`] trims both).
    fn is_plain_target_display(inner: &str, bar: usize) -> bool {
        let (target, display) = (&inner[..bar], &inner[bar + 1..]);
        let untrimmed = |part: &str| {
            part.chars().next().is_some_and(|c| !c.is_whitespace())
                && part.chars().next_back().is_some_and(|c| !c.is_whitespace())
        };
        untrimmed(target)
            && untrimmed(display)
            && !target.ends_with('\\')
            && memchr::memchr(b'^', target.as_bytes()).is_none()
    }

    /// The parts of the link whose inside is `inner`.
    fn parts(self, inner: &str) -> LinkParts<'_> {
        let start = self.inner_range().start as usize;
        let part = |from: usize, to: usize| Part {
            text: &inner[from..to],
            range: TextRange::new(start + from, start + to),
        };
        let at = self.separator as usize;
        // The second separator of the two-separator shapes: the first `byte` after `at`.
        let next = |byte: u8| {
            memchr::memchr(byte, &inner.as_bytes()[at + 1..]).map_or(inner.len(), |i| at + 1 + i)
        };
        let (kb, target, heading, display) = match self.shape {
            LinkShape::Split => return parse_link_inner(inner, start),
            LinkShape::Markdown => return markdown_destination(inner, start, at),
            LinkShape::Target => (None, part(0, inner.len()), None, None),
            LinkShape::KbTarget => (Some(part(0, at)), part(at + 1, inner.len()), None, None),
            LinkShape::TargetHeading => (None, part(0, at), Some(part(at + 1, inner.len())), None),
            LinkShape::TargetDisplay => (None, part(0, at), None, Some(part(at + 1, inner.len()))),
            LinkShape::KbTargetDisplay => {
                let bar = next(b'|');
                let display = part((bar + 1).min(inner.len()), inner.len());
                (Some(part(0, at)), part(at + 1, bar), None, Some(display))
            }
            LinkShape::KbTargetHeading => {
                let hash = next(b'#');
                let heading = part((hash + 1).min(inner.len()), inner.len());
                (Some(part(0, at)), part(at + 1, hash), Some(heading), None)
            }
            LinkShape::TargetHeadingDisplay => {
                let bar = next(b'|');
                let display = part((bar + 1).min(inner.len()), inner.len());
                (None, part(0, at), Some(part(at + 1, bar)), Some(display))
            }
        };
        LinkParts {
            kb,
            target,
            heading,
            block: None,
            display,
        }
    }

    /// Moves the link `delta` bytes later.
    pub(super) fn shift(&mut self, delta: usize) {
        self.range = self.range.shifted(delta);
    }

    /// The start of the link.
    pub(super) fn start(self) -> u32 {
        self.range.start
    }

    /// The end of the link.
    pub(super) fn end(self) -> u32 {
        self.range.end
    }

    /// Whether `text` (a note's text read again) still holds the link where it was: inside
    /// the text, its brackets and separator where they were. Then its parts read safely (on
    /// character boundaries), as the text now writes them.
    fn is_written_in(self, text: &str) -> bool {
        let bytes = text.as_bytes();
        let (start, end) = (self.range.start as usize, self.range.end as usize);
        if start > end || end > bytes.len() {
            return false;
        }
        let link = &bytes[start..end];
        let at = |offset: usize, byte: u8| link.get(offset) == Some(&byte);
        match self.shape {
            LinkShape::Markdown => {
                let open = usize::from(self.is_embed());
                at(open, b'[')
                    && link.ends_with(b")")
                    && at(self.separator as usize, b'(')
                    && (self.separator as usize)
                        .checked_sub(1)
                        .is_some_and(|bracket| at(bracket, b']'))
            }
            shape => {
                let open = if self.is_embed() { &b"![["[..] } else { b"[[" };
                let separator = match shape {
                    LinkShape::KbTarget
                    | LinkShape::KbTargetDisplay
                    | LinkShape::KbTargetHeading => Some(b':'),
                    LinkShape::TargetHeading | LinkShape::TargetHeadingDisplay => Some(b'#'),
                    LinkShape::TargetDisplay => Some(b'|'),
                    _ => None,
                };
                link.starts_with(open)
                    && link.len() >= open.len() + 2
                    && link.ends_with(b"]]")
                    && separator.is_none_or(|byte| at(open.len() + self.separator as usize, byte))
            }
        }
    }

    /// The range of the inside, between `[[` (or `![[`) and `]]`; a markdown link's whole
    /// source.
    fn inner_range(self) -> TextRange {
        if self.shape == LinkShape::Markdown {
            return self.range;
        }
        let open = 2 + u32::from(self.is_embed());
        TextRange {
            start: self.range.start + open,
            end: self.range.end - 2,
        }
    }
}

impl StoredLink {
    /// The link whose inside ends at `next_source` in the arena (where the next link's starts,
    /// or the list's closing word), from its stored parts.
    fn from_parts(
        source: u32,
        start: u32,
        next_source: u32,
        flags: u8,
        shape: u8,
        separator: u16,
    ) -> StoredLink {
        let shape = LinkShape::ALL[shape as usize];
        let inner_len = next_source - source;
        let brackets = match shape {
            LinkShape::Markdown => 0,
            // `[[` (or `![[`) and `]]`.
            _ => 4 + u32::from(flags & EMBED != 0),
        };
        StoredLink {
            range: TextRange {
                start,
                end: start + inner_len + brackets,
            },
            source,
            flags,
            shape,
            separator,
        }
    }

    /// The link as read, its parts split from its inside in `arena`.
    fn view(self, arena: &str) -> Link<'_> {
        let inner = self.inner_range();
        let text = &arena[self.source as usize..][..inner.len() as usize];
        let parts = self.parts(text);
        let syntax = match self.shape {
            LinkShape::Markdown => LinkSyntax::Markdown,
            _ => LinkSyntax::Wiki,
        };
        Link {
            range: self.range,
            syntax,
            is_embed: self.is_embed(),
            in_frontmatter: self.flags & IN_FRONTMATTER != 0,
            kb: parts.kb,
            target: parts.target,
            heading: parts.heading,
            block: parts.block,
            display: parts.display,
        }
    }
}

/// The largest separator a [`NarrowLink`] writes (ten bits): a link with a later one is split
/// again when read ([`LinkShape::Split`]), a markdown link with a later `(` makes its note's
/// links [`WideLink`]s.
const NARROW_SEPARATOR_MAX: u16 = (1 << 10) - 1;

/// A [`StoredLink`] of a note whose link insides all end in the first 64 KiB of its arena
/// (nearly every note): two words, where its inside starts in the arena (16 bits) with its
/// flags (2), shape (4) and separator (10), then where the link starts. The insides of a
/// note's links are one after the other in the arena, so a link's inside ends where the next
/// one's starts (the list's closing word, after the last link, is where the last inside
/// ends): its length, and so the link's end, is not written. At 100k notes, two words instead
/// of three kept 8 MB less.
#[derive(Clone, Copy, Debug)]
struct NarrowLink(StoredLink);

impl Record for NarrowLink {
    const WORDS: usize = 2;
    const TRAILING: usize = 1;
    type View<'a> = Link<'a>;

    fn read(words: &[u32]) -> NarrowLink {
        let [packed, start, next] = self::words(words);
        let (source, flags, shape, separator) = unpack_link(packed);
        NarrowLink(StoredLink::from_parts(
            source,
            start,
            next & 0xFFFF,
            flags,
            shape,
            separator,
        ))
    }

    fn write(self, out: &mut Vec<u32>) {
        let link = self.0;
        out.extend([pack_link(link.source, link), link.range.start]);
    }

    fn view(self, arena: &str) -> Link<'_> {
        self.0.view(arena)
    }
}

/// A [`StoredLink`] of a note with more link text (or a markdown link whose `(` is further
/// in) than a [`NarrowLink`] writes: three words, where the inside starts in the arena, where
/// the link starts, and the flags, shape and separator; the closing word as for a
/// [`NarrowLink`].
#[derive(Clone, Copy, Debug)]
struct WideLink(StoredLink);

impl Record for WideLink {
    const WORDS: usize = 3;
    const TRAILING: usize = 1;
    type View<'a> = Link<'a>;

    fn read(words: &[u32]) -> WideLink {
        let [source, start, packed, next_source] = self::words(words);
        WideLink(StoredLink::from_parts(
            source,
            start,
            next_source,
            packed as u8,
            (packed >> 8) as u8,
            (packed >> 16) as u16,
        ))
    }

    fn write(self, out: &mut Vec<u32>) {
        let link = self.0;
        let packed =
            u32::from(link.flags) | (link.shape as u32) << 8 | u32::from(link.separator) << 16;
        out.extend([link.source, link.range.start, packed]);
    }

    fn view(self, arena: &str) -> Link<'_> {
        self.0.view(arena)
    }
}

/// A [`StoredLink`] of a note that keeps no link texts ([`Retention::Compact`]): two words,
/// the inside's length (16 bits) with its flags (2), shape (4) and separator (10), then where
/// the link starts. Its inside is read in the note's text, at its place there, which
/// [`ParsedNote::links_in`] is given. The list's closing word, after the last link, is a hash
/// of the insides as parsed (see [`link_texts_hash`]).
#[derive(Clone, Copy, Debug)]
struct FileLink(StoredLink);

impl StoredLink {
    /// The link a [`FileLink`] wrote as `packed` and `start`.
    fn in_text(packed: u32, start: u32) -> StoredLink {
        let (inner_len, flags, shape, separator) = unpack_link(packed);
        // Where the inside starts in the text: after the brackets (a markdown link's inside
        // is its whole source).
        let open = match LinkShape::ALL[shape as usize] {
            LinkShape::Markdown => 0,
            _ => 2 + u32::from(flags & EMBED != 0),
        };
        let source = start + open;
        StoredLink::from_parts(source, start, source + inner_len, flags, shape, separator)
    }
}

/// The first word of a [`NarrowLink`] or a [`FileLink`]: `low` (16 bits: where the inside
/// starts in the arena, or its length) with `link`'s flags (2), shape (4) and separator (10).
fn pack_link(low: u32, link: StoredLink) -> u32 {
    debug_assert!(low <= 0xFFFF && link.separator <= NARROW_SEPARATOR_MAX);
    low | u32::from(link.flags) << 16 | (link.shape as u32) << 18 | u32::from(link.separator) << 22
}

/// What [`pack_link`] packed: the low 16 bits, the flags, the shape and the separator.
fn unpack_link(packed: u32) -> (u32, u8, u8, u16) {
    let (flags, shape) = ((packed >> 16) as u8 & 0b11, (packed >> 18) as u8 & 0b1111);
    (packed & 0xFFFF, flags, shape, (packed >> 22) as u16)
}

impl Record for FileLink {
    const WORDS: usize = 2;
    const TRAILING: usize = 1;
    type View<'a> = Link<'a>;

    fn read(words: &[u32]) -> FileLink {
        let [packed, start, _] = self::words(words);
        FileLink(StoredLink::in_text(packed, start))
    }

    fn write(self, out: &mut Vec<u32>) {
        let link = self.0;
        out.extend([pack_link(link.inner_range().len(), link), link.range.start]);
    }

    fn view(self, text: &str) -> Link<'_> {
        self.0.view(text)
    }
}

/// A note's links (see [`ParsedNote::links`]), read from `NarrowLink`s, `WideLink`s or
/// `FileLink`s.
#[derive(Clone, Copy, Debug)]
pub struct Links<'a>(LinkRecords<'a>);

#[derive(Clone, Copy, Debug)]
enum LinkRecords<'a> {
    Narrow(Records<'a, NarrowLink>),
    Wide(Records<'a, WideLink>),
    InText(Records<'a, FileLink>),
}

impl<'a> Links<'a> {
    /// No links.
    pub const EMPTY: Links<'static> = Links(LinkRecords::InText(Records {
        words: &[],
        arena: "",
        record: std::marker::PhantomData,
    }));

    /// How many links the note has.
    pub fn len(self) -> usize {
        match self.0 {
            LinkRecords::Narrow(records) => records.len(),
            LinkRecords::Wide(records) => records.len(),
            LinkRecords::InText(records) => records.len(),
        }
    }

    /// Whether the note has no link.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The link at `index`, if any.
    pub fn get(self, index: usize) -> Option<Link<'a>> {
        match self.0 {
            LinkRecords::Narrow(records) => records.get(index),
            LinkRecords::Wide(records) => records.get(index),
            LinkRecords::InText(records) => records.get(index),
        }
    }

    /// The link at `index`; panics when out of range, as indexing a slice does.
    pub fn at(self, index: usize) -> Link<'a> {
        match self.0 {
            LinkRecords::Narrow(records) => records.at(index),
            LinkRecords::Wide(records) => records.at(index),
            LinkRecords::InText(records) => records.at(index),
        }
    }

    /// The first link, if any.
    pub fn first(self) -> Option<Link<'a>> {
        self.get(0)
    }

    /// The links, in order.
    pub fn iter(self) -> LinkIter<'a> {
        LinkIter(match self.0 {
            LinkRecords::Narrow(records) => LinkRecordIter::Narrow(records.iter()),
            LinkRecords::Wide(records) => LinkRecordIter::Wide(records.iter()),
            LinkRecords::InText(records) => LinkRecordIter::InText(records.iter()),
        })
    }
}

impl<'a> IntoIterator for Links<'a> {
    type Item = Link<'a>;
    type IntoIter = LinkIter<'a>;

    fn into_iter(self) -> LinkIter<'a> {
        self.iter()
    }
}

/// The links of a [`Links`] list, in order.
#[derive(Clone, Debug)]
pub struct LinkIter<'a>(LinkRecordIter<'a>);

#[derive(Clone, Debug)]
enum LinkRecordIter<'a> {
    Narrow(RecordIter<'a, NarrowLink>),
    Wide(RecordIter<'a, WideLink>),
    InText(RecordIter<'a, FileLink>),
}

impl<'a> Iterator for LinkIter<'a> {
    type Item = Link<'a>;

    #[inline]
    fn next(&mut self) -> Option<Link<'a>> {
        match &mut self.0 {
            LinkRecordIter::Narrow(iter) => iter.next(),
            LinkRecordIter::Wide(iter) => iter.next(),
            LinkRecordIter::InText(iter) => iter.next(),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.0 {
            LinkRecordIter::Narrow(iter) => iter.size_hint(),
            LinkRecordIter::Wide(iter) => iter.size_hint(),
            LinkRecordIter::InText(iter) => iter.size_hint(),
        }
    }
}

impl DoubleEndedIterator for LinkIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match &mut self.0 {
            LinkRecordIter::Narrow(iter) => iter.next_back(),
            LinkRecordIter::Wide(iter) => iter.next_back(),
            LinkRecordIter::InText(iter) => iter.next_back(),
        }
    }
}

impl ExactSizeIterator for LinkIter<'_> {}

/// A stored [`Heading`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredHeading {
    text: StrRef,
    range: TextRange,
    text_range: TextRange,
    level: u8,
}

/// Six words: where the text starts in the arena, the range, the text's range and the level
/// (not the first paragraph of its section, found in the text when a hover shows it: see
/// [`first_paragraph`]). The headings' texts are one after the other in the arena,
/// so a heading's text ends where the next one's starts (the list's closing word, after the
/// last heading, is where the last text ends).
impl Record for StoredHeading {
    const WORDS: usize = 6;
    const TRAILING: usize = 1;
    type View<'a> = Heading<'a>;

    fn read(words: &[u32]) -> StoredHeading {
        let [
            text_start,
            start,
            end,
            text_range_start,
            text_range_end,
            level,
            next_text_start,
        ] = self::words(words);
        StoredHeading {
            text: StrRef {
                start: text_start,
                len: next_text_start - text_start,
            },
            range: TextRange { start, end },
            text_range: TextRange {
                start: text_range_start,
                end: text_range_end,
            },
            level: level as u8,
        }
    }

    fn write(self, out: &mut Vec<u32>) {
        out.extend([
            self.text.start,
            self.range.start,
            self.range.end,
            self.text_range.start,
            self.text_range.end,
            u32::from(self.level),
        ]);
    }

    fn view(self, arena: &str) -> Heading<'_> {
        Heading {
            level: self.level,
            text: self.text.resolve(arena),
            range: self.range,
            text_range: self.text_range,
        }
    }
}

/// A stored [`BlockId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredBlockId {
    id: StrRef,
    range: TextRange,
    line_range: TextRange,
}

impl Record for StoredBlockId {
    const WORDS: usize = 6;
    type View<'a> = BlockId<'a>;

    fn read(words: &[u32]) -> StoredBlockId {
        let [id_start, id_len, start, end, line_start, line_end] = self::words(words);
        StoredBlockId {
            id: StrRef {
                start: id_start,
                len: id_len,
            },
            range: TextRange { start, end },
            line_range: TextRange {
                start: line_start,
                end: line_end,
            },
        }
    }

    fn write(self, out: &mut Vec<u32>) {
        out.extend([
            self.id.start,
            self.id.len,
            self.range.start,
            self.range.end,
            self.line_range.start,
            self.line_range.end,
        ]);
    }

    fn view(self, arena: &str) -> BlockId<'_> {
        BlockId {
            id: self.id.resolve(arena),
            range: self.range,
            line_range: self.line_range,
        }
    }
}

/// A stored [`InlineTag`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredTag {
    name: StrRef,
    range: TextRange,
}

impl Record for StoredTag {
    const WORDS: usize = 4;
    type View<'a> = InlineTag<'a>;

    fn read(words: &[u32]) -> StoredTag {
        let [name_start, name_len, start, end] = self::words(words);
        StoredTag {
            name: StrRef {
                start: name_start,
                len: name_len,
            },
            range: TextRange { start, end },
        }
    }

    fn write(self, out: &mut Vec<u32>) {
        out.extend([
            self.name.start,
            self.name.len,
            self.range.start,
            self.range.end,
        ]);
    }

    fn view(self, arena: &str) -> InlineTag<'_> {
        InlineTag {
            name: self.name.resolve(arena),
            range: self.range,
        }
    }
}

/// A stored [`Value`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredValue {
    text: StrRef,
    range: TextRange,
    /// [`StrRef::NONE`] when no KB is named.
    kb: StrRef,
}

/// Four words: where the text starts in the arena, the range, and the length of the KB's text
/// ([`u32::MAX`] for none), which follows the value's own in the arena (see
/// `Arena::push_value`). The values' texts (each with its KB's) are one after the other in the
/// arena, so a value's text ends where the next one's starts, less its KB's (the list's closing
/// word, after the last value, is where the last one ends).
impl Record for StoredValue {
    const WORDS: usize = 4;
    const TRAILING: usize = 1;
    type View<'a> = Value<'a>;

    fn read(words: &[u32]) -> StoredValue {
        let [text_start, start, end, kb_len, next_text_start] = self::words(words);
        let texts_len = next_text_start - text_start;
        let (text_len, kb) = match kb_len {
            u32::MAX => (texts_len, StrRef::NONE),
            kb_len => (
                texts_len - kb_len,
                StrRef {
                    start: next_text_start - kb_len,
                    len: kb_len,
                },
            ),
        };
        StoredValue {
            text: StrRef {
                start: text_start,
                len: text_len,
            },
            range: TextRange { start, end },
            kb,
        }
    }

    fn write(self, out: &mut Vec<u32>) {
        let kb_len = if self.kb == StrRef::NONE {
            u32::MAX
        } else {
            debug_assert_eq!(self.kb.start, self.text.start + self.text.len);
            self.kb.len
        };
        out.extend([self.text.start, self.range.start, self.range.end, kb_len]);
    }

    fn view(self, arena: &str) -> Value<'_> {
        Value {
            text: self.text.resolve(arena),
            range: self.range,
            kb: self.kb.resolve_option(arena),
        }
    }
}

/// A stored [`Field`]: its name, and its values as a range of the note's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoredField {
    name: StrRef,
    values: (u32, u32),
}

/// Read as it is: [`Frontmatter::fields`] makes the [`Field`] views.
impl Record for StoredField {
    const WORDS: usize = 4;
    type View<'a> = StoredField;

    fn view(self, _: &str) -> StoredField {
        self
    }

    fn read(words: &[u32]) -> StoredField {
        let [name_start, name_len, start, end] = self::words(words);
        StoredField {
            name: StrRef {
                start: name_start,
                len: name_len,
            },
            values: (start, end),
        }
    }

    fn write(self, out: &mut Vec<u32>) {
        out.extend([self.name.start, self.name.len, self.values.0, self.values.1]);
    }
}

/// Read as it is (it holds no text).
impl Record for Region {
    const WORDS: usize = 3;
    type View<'a> = Region;

    fn view(self, _: &str) -> Region {
        self
    }

    fn read(words: &[u32]) -> Region {
        let [kind, start, end] = self::words(words);
        let kind = if kind == 0 {
            RegionKind::Code
        } else {
            RegionKind::List
        };
        Region {
            kind,
            range: TextRange { start, end },
        }
    }

    fn write(self, out: &mut Vec<u32>) {
        let kind = match self.kind {
            RegionKind::Code => 0,
            RegionKind::List => 1,
        };
        out.extend([kind, self.range.start, self.range.end]);
    }
}

/// A stored [`Frontmatter`]: indexes and ranges of `ParsedNote::values`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StoredFrontmatter {
    range: TextRange,
    /// [`NO_VALUE`] when absent, as `title` and `note_type`.
    id: u32,
    title: u32,
    note_type: u32,
    tags: (u32, u32),
    aliases: (u32, u32),
    relations: (u32, u32),
    /// Names only (no ranges): see [`Frontmatter::empty_keys`].
    empty_keys: (u32, u32),
}

/// Marks an absent frontmatter value.
const NO_VALUE: u32 = u32::MAX;

/// The longest summary kept, in characters.
pub const SUMMARY_MAX_CHARS: usize = 300;

/// Parses the indexed file at `path`: a KB's [`CROSS_KB_LINKS`] file, else a note; keeps what
/// `retention` says.
pub fn parse_file(path: &std::path::Path, text: &str, retention: Retention) -> ParsedNote {
    if path.file_name().is_some_and(|name| name == CROSS_KB_LINKS) {
        parse_cross_kb_links(text, retention)
    } else {
        parse_note_keeping(text, retention)
    }
}

/// Parses a note, keeping its line index and link texts. Never fails and never panics on any
/// input.
pub fn parse_note(text: &str) -> ParsedNote {
    parse_note_keeping(text, Retention::Full)
}

/// [`parse_note`], keeping what `retention` says.
fn parse_note_keeping(text: &str, retention: Retention) -> ParsedNote {
    thread_local! {
        /// The body parse's buffers, kept from one note to the next on each thread.
        static BODY: std::cell::RefCell<body::Body> = std::cell::RefCell::default();
    }
    BODY.with_borrow_mut(|body| parse_note_with(text, body, retention))
}

/// [`parse_note`], with `body` for the body parse's buffers.
fn parse_note_with(text: &str, body: &mut body::Body, retention: Retention) -> ParsedNote {
    let mut errors = Vec::new();
    let mut links = Vec::new();
    let mut frontmatter = None;
    let body_start = match frontmatter::split(text) {
        frontmatter::Split::None => 0,
        frontmatter::Split::Unclosed { range } => {
            errors.push(SyntaxError {
                range,
                message: "frontmatter is not closed: add a line `---` after the last field"
                    .to_owned(),
                lenient: false,
            });
            0
        }
        frontmatter::Split::Found {
            range,
            yaml_range,
            body_start,
        } => {
            let parsed = frontmatter::parse(text, range, yaml_range);
            errors.extend(parsed.errors);
            links.extend(parsed.links);
            frontmatter = Some(parsed.frontmatter);
            body_start
        }
    };
    body::parse(text, body_start, body);
    if let Some(at) = body.links_capped_at {
        errors.push(SyntaxError {
            range: TextRange::new(at, at + 2),
            message: format!(
                "too many links: only the first {} are read",
                body::MAX_LINKS
            ),
            lenient: false,
        });
    }
    let summary = match frontmatter.as_ref().and_then(|fm| fm.summary.as_deref()) {
        Some(summary) => truncate_chars(summary, SUMMARY_MAX_CHARS),
        None => String::new(),
    };
    let mut note = assemble(text, frontmatter, &links, body, &summary, retention);
    note.errors = errors.into_boxed_slice();
    note.set_text(text, retention);
    note.body_start = crate::text::to_u32(body_start);
    note
}

/// Copies the parsed facts into compact records, their texts into one arena string: the
/// frontmatter's links come before the body's.
fn assemble(
    text: &str,
    frontmatter: Option<frontmatter::RawFrontmatter>,
    frontmatter_links: &[StoredLink],
    body: &body::Body,
    summary: &str,
    retention: Retention,
) -> ParsedNote {
    let link_source = |link: &StoredLink| &text[link.inner_range().as_usize()];
    let block_id = |block: &body::ScannedBlockId| {
        &text[block.range.start as usize + 1..block.range.end as usize]
    };
    let links = || frontmatter_links.iter().chain(&body.links);
    let (headings, block_ids, tags) = (body.headings(), &body.block_ids, &body.tags);
    let far_markdown =
        || links().any(|l| l.shape == LinkShape::Markdown && l.separator > NARROW_SEPARATOR_MAX);
    // A note that keeps no link texts reads them in its text again (unless a link is too long
    // to write where it is there).
    // (A note without links has no texts to leave out: it reads as one that keeps them.)
    let links_in_text = retention == Retention::Compact
        && links().next().is_some()
        && !far_markdown()
        && links().all(|l| l.inner_range().len() <= 0xFFFF);
    let link_texts_len: usize = match links_in_text {
        true => 0,
        false => links().map(|l| link_source(l).len()).sum(),
    };
    let mut arena_len = summary.len()
        + link_texts_len
        + headings.iter().map(|h| h.text.len()).sum::<usize>()
        + block_ids.iter().map(|b| block_id(b).len()).sum::<usize>()
        + tags.iter().map(|t| t.len() as usize - 1).sum::<usize>();
    if let Some(fm) = &frontmatter {
        let value_len =
            |v: &frontmatter::RawValue| v.text.len() + v.kb.as_ref().map_or(0, |kb| kb.len());
        arena_len += [&fm.id, &fm.title, &fm.note_type]
            .into_iter()
            .flatten()
            .chain(&fm.tags)
            .chain(&fm.aliases)
            .chain(&fm.relations)
            .map(value_len)
            .sum::<usize>();
        arena_len += fm.empty_keys.iter().map(|key| key.len()).sum::<usize>();
        arena_len += fm
            .fields
            .iter()
            .map(|f| f.name.len() + f.values.iter().map(value_len).sum::<usize>())
            .sum::<usize>();
    }
    let mut arena = Arena {
        text: String::with_capacity(arena_len),
    };
    // The frontmatter's values and fields first: their sections come first in the words.
    let mut values = Vec::new();
    let mut fields = Vec::new();
    let frontmatter = frontmatter.map(|fm| arena.push_frontmatter(fm, &mut values, &mut fields));
    // Two words a link when every inside ends in the arena's first 64 KiB and no markdown
    // link's `(` is too far in to write (nearly every note), else three; two, and no text in
    // the arena, when the links are read in the note's text.
    let links_end = arena.text.len() + link_texts_len;
    let link_layout = if links_in_text {
        LinkLayout::InText
    } else if links_end > 0xFFFF || far_markdown() {
        LinkLayout::Wide
    } else {
        LinkLayout::Narrow
    };
    let link_count = frontmatter_links.len() + body.links.len();
    let regions = &body.regions;
    let mut words = Vec::with_capacity(
        trailed_words::<StoredValue>(values.len())
            + fields.len() * StoredField::WORDS
            + match link_layout {
                LinkLayout::Narrow => trailed_words::<NarrowLink>(link_count),
                LinkLayout::Wide => trailed_words::<WideLink>(link_count),
                LinkLayout::InText => trailed_words::<FileLink>(link_count),
            }
            + trailed_words::<StoredHeading>(headings.len())
            + block_ids.len() * StoredBlockId::WORDS
            + tags.len() * StoredTag::WORDS
            + regions.len() * Region::WORDS,
    );
    let mut section_ends = [0; SECTIONS];
    let mut end_section = |section: Section, words: &Vec<u32>| {
        section_ends[section as usize] = crate::text::to_u32(words.len());
    };
    values.iter().for_each(|value| value.write(&mut words));
    if let Some(last) = values.last() {
        // The closing word: where the last value's text (and its KB's) ends.
        let kb_len = if last.kb == StrRef::NONE {
            0
        } else {
            last.kb.len
        };
        words.push(last.text.start + last.text.len + kb_len);
    }
    end_section(Section::Values, &words);
    fields.iter().for_each(|field| field.write(&mut words));
    end_section(Section::Fields, &words);
    for &link in links() {
        let mut link = link;
        link.set_shape(link_source(&link));
        if link_layout == LinkLayout::InText {
            link.source = link.inner_range().start;
        } else {
            link.source = arena.push(link_source(&link)).start;
        }
        if link_layout == LinkLayout::Wide {
            WideLink(link).write(&mut words);
            continue;
        }
        if link.separator > NARROW_SEPARATOR_MAX {
            // Only a wiki-link's (see `link_layout`): split again when read.
            link.shape = LinkShape::Split;
            link.separator = 0;
        }
        match link_layout {
            LinkLayout::InText => FileLink(link).write(&mut words),
            _ => NarrowLink(link).write(&mut words),
        }
    }
    if link_layout == LinkLayout::InText && links().next().is_some() {
        // The closing word: the hash of the insides, which tells the note's text read again
        // from one whose links changed (see `ParsedNote::links_in`).
        words.push(link_texts_hash(links().map(link_source)));
    } else if links().next().is_some() {
        // The closing word: where the last link's inside ends (see `NarrowLink`'s words).
        words.push(crate::text::to_u32(arena.text.len()));
    }
    end_section(Section::Links, &words);
    for heading in headings {
        StoredHeading {
            text: arena.push(body.heading_text(heading)),
            range: heading.range,
            text_range: heading.text_range,
            level: heading.level,
        }
        .write(&mut words);
    }
    if !headings.is_empty() {
        // The closing word: where the last heading's text ends.
        words.push(crate::text::to_u32(arena.text.len()));
    }
    end_section(Section::Headings, &words);
    for block in block_ids {
        StoredBlockId {
            id: arena.push(block_id(block)),
            range: block.range,
            line_range: block.line_range,
        }
        .write(&mut words);
    }
    end_section(Section::BlockIds, &words);
    for &range in tags {
        StoredTag {
            name: arena.push(&text[range.start as usize + 1..range.end as usize]),
            range,
        }
        .write(&mut words);
    }
    end_section(Section::Tags, &words);
    regions.iter().for_each(|region| region.write(&mut words));
    end_section(Section::Regions, &words);
    let summary = arena.push(summary);
    debug_assert_eq!(arena.text.len(), arena_len);
    debug_assert_eq!(words.len(), words.capacity());
    ParsedNote {
        arena: arena.text.into_boxed_str(),
        words: words.into_boxed_slice(),
        section_ends,
        frontmatter,
        frontmatter_summary: summary,
        link_layout,
        ..ParsedNote::default()
    }
}

/// A hash of a note's link insides, in order: what tells a closed note's file read again
/// from one whose links changed since at the same places (`[[cat]]` written `[[dog]]`).
fn link_texts_hash<'a>(insides: impl Iterator<Item = &'a str>) -> u32 {
    use std::hash::Hasher;
    let mut hasher = rustc_hash::FxHasher::default();
    for inside in insides {
        hasher.write(inside.as_bytes());
        hasher.write_u8(0xFF);
    }
    hasher.finish() as u32
}

/// How many words `count` records take: [`Record::WORDS`] each, and the closing words when
/// there is any.
fn trailed_words<R: Record>(count: usize) -> usize {
    match count {
        0 => 0,
        count => count * R::WORDS + R::TRAILING,
    }
}

/// The arena of a note being assembled.
struct Arena {
    text: String,
}

impl Arena {
    fn push(&mut self, text: &str) -> StrRef {
        let start = crate::text::to_u32(self.text.len());
        self.text.push_str(text);
        StrRef {
            start,
            len: crate::text::to_u32(text.len()),
        }
    }

    /// The value's text, then its KB's right after it (as [`StoredValue`]'s words expect).
    fn push_value(&mut self, value: &frontmatter::RawValue) -> StoredValue {
        StoredValue {
            text: self.push(&value.text),
            range: value.range,
            kb: value.kb.as_deref().map_or(StrRef::NONE, |kb| self.push(kb)),
        }
    }

    /// Moves `fm`'s texts into the arena, its values into `values` and its fields into `fields`.
    fn push_frontmatter(
        &mut self,
        fm: frontmatter::RawFrontmatter,
        values: &mut Vec<StoredValue>,
        fields: &mut Vec<StoredField>,
    ) -> StoredFrontmatter {
        let singles = [&fm.id, &fm.title, &fm.note_type];
        values.reserve_exact(
            singles.iter().filter(|v| v.is_some()).count()
                + fm.tags.len()
                + fm.aliases.len()
                + fm.relations.len()
                + fm.empty_keys.len()
                + fm.fields.iter().map(|f| f.values.len()).sum::<usize>(),
        );
        let mut push_single = |arena: &mut Arena, value: &Option<frontmatter::RawValue>| match value
        {
            Some(value) => {
                values.push(arena.push_value(value));
                (values.len() - 1) as u32
            }
            None => NO_VALUE,
        };
        let id = push_single(self, &fm.id);
        let title = push_single(self, &fm.title);
        let note_type = push_single(self, &fm.note_type);
        let push_list =
            |arena: &mut Arena, values: &mut Vec<StoredValue>, list: &[frontmatter::RawValue]| {
                let start = values.len() as u32;
                values.extend(list.iter().map(|value| arena.push_value(value)));
                (start, values.len() as u32)
            };
        let tags = push_list(self, values, &fm.tags);
        let aliases = push_list(self, values, &fm.aliases);
        let relations = push_list(self, values, &fm.relations);
        let start = values.len() as u32;
        for key in &fm.empty_keys {
            let text = self.push(key);
            values.push(StoredValue {
                text,
                range: TextRange::default(),
                kb: StrRef::NONE,
            });
        }
        let empty_keys = (start, values.len() as u32);
        fields.reserve_exact(fm.fields.len());
        for field in &fm.fields {
            fields.push(StoredField {
                name: StrRef::NONE,
                values: push_list(self, values, &field.values),
            });
        }
        // The names after every value, whose texts stay one after the other (as
        // `StoredValue`'s words expect).
        for (stored, field) in fields.iter_mut().zip(&fm.fields) {
            stored.name = self.push(&field.name);
        }
        StoredFrontmatter {
            range: fm.range,
            id,
            title,
            note_type,
            tags,
            aliases,
            relations,
            empty_keys,
        }
    }
}

/// The name of the inline tag being typed at `cursor` in `text` (a note's whole text): from
/// just after its `#` to the end of the name (empty right after a lone `#`). `None` when the
/// cursor is not in such a tag, or is in the frontmatter, code, a comment or a link.
pub fn typed_tag(text: &str, cursor: usize) -> Option<TextRange> {
    let body_start = match frontmatter::split(text) {
        frontmatter::Split::Found { body_start, .. } => body_start,
        _ => 0,
    };
    if !text.is_char_boundary(cursor) || cursor > text.len() {
        return None;
    }
    body::typed_tag(text, body_start, cursor)
}

/// The paragraphs of a note's body, each from its first character to the end of its text, in
/// order (the places a block id `^id` can be given to; read on demand, not kept in the index).
pub fn paragraphs(text: &str) -> Vec<TextRange> {
    let body_start = match frontmatter::split(text) {
        frontmatter::Split::Found { body_start, .. } => body_start,
        _ => 0,
    };
    body::paragraphs(text, body_start)
}

/// The first paragraph of `text`'s body that starts inside `within` (for a heading's section:
/// from the heading's end to the next heading's start), found on demand: the index keeps
/// no paragraph.
pub fn first_paragraph(text: &str, within: TextRange) -> Option<TextRange> {
    paragraphs(text)
        .into_iter()
        .find(|p| p.start >= within.start && p.start < within.end)
}

/// Cuts `text` to at most `max` characters, ending with `…` when something was cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.len() <= max {
        // No more characters than bytes.
        return text.to_owned();
    }
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
    }
}

#[cfg(test)]
mod tests;
