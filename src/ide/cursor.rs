//! What is under the cursor in a note: a link, a frontmatter reference, the note's own id or
//! title, a tag (in `tags:` or inline), or a heading. Shared by definition, hover, references
//! and rename so that every feature agrees on what the user pointed at.

use crate::syntax::Link;
use crate::text::TextRange;
use crate::workspace::Note;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CursorItem {
    /// The note's `links[index]` (body or frontmatter link).
    Link(usize),
    /// A plain frontmatter value: `fields[field].values[value]`.
    Reference { field: usize, value: usize },
    /// The note's own `id:` value.
    OwnId,
    /// The note's own `title:` value.
    OwnTitle,
    /// One of the note's headings.
    Heading(usize),
    /// A value of the frontmatter `tags:`: `tags()[index]`.
    FrontmatterTag(usize),
    /// An inline `#tag` of the body: `inline_tags()[index]`.
    InlineTag(usize),
}

/// A tag under the cursor: its name as written (without `#`) and that name's range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagAt<'a> {
    pub name: &'a str,
    pub range: TextRange,
}

/// The tag an item is, if it is one.
pub fn tag_of(note: &Note, item: CursorItem) -> Option<TagAt<'_>> {
    match item {
        CursorItem::FrontmatterTag(index) => {
            let value = note.parsed.frontmatter()?.tags().get(index)?;
            Some(frontmatter_tag(value.text, value.range))
        }
        CursorItem::InlineTag(index) => {
            let tag = note.parsed.inline_tags().get(index)?;
            Some(TagAt {
                name: tag.name,
                range: tag.name_range(),
            })
        }
        _ => None,
    }
}

/// A `tags:` value as a tag: a leading `#` (`"#rose"`) is not part of the name.
pub fn frontmatter_tag(text: &str, range: TextRange) -> TagAt<'_> {
    let name = text.trim_start_matches('#');
    let skipped = (text.len() - name.len()) as u32;
    TagAt {
        name,
        range: TextRange {
            start: (range.start + skipped).min(range.end),
            end: range.end,
        },
    }
}

/// Finds the item at `offset` (a cursor touching an item's end still counts).
pub fn item_at(note: &Note, offset: u32) -> Option<CursorItem> {
    let parsed = &note.parsed;
    if let Some(index) = parsed
        .link_ranges()
        .position(|range| range.contains_inclusive(offset))
    {
        return Some(CursorItem::Link(index));
    }
    if let Some(fm) = parsed.frontmatter() {
        if fm
            .id()
            .is_some_and(|id| id.range.contains_inclusive(offset))
        {
            return Some(CursorItem::OwnId);
        }
        if fm
            .title()
            .is_some_and(|t| t.range.contains_inclusive(offset))
        {
            return Some(CursorItem::OwnTitle);
        }
        if let Some(index) = fm
            .tags()
            .iter()
            .position(|t| t.range.contains_inclusive(offset) && !t.range.is_empty())
        {
            return Some(CursorItem::FrontmatterTag(index));
        }
        for (field_index, field) in fm.fields().enumerate() {
            if let Some(value_index) = field
                .values
                .iter()
                .position(|v| v.range.contains_inclusive(offset) && !v.range.is_empty())
            {
                return Some(CursorItem::Reference {
                    field: field_index,
                    value: value_index,
                });
            }
        }
    }
    if let Some(index) = parsed
        .inline_tags()
        .iter()
        .position(|tag| tag.range.contains_inclusive(offset))
    {
        return Some(CursorItem::InlineTag(index));
    }
    parsed
        .headings()
        .iter()
        .position(|h| h.range.contains_inclusive(offset))
        .map(CursorItem::Heading)
}

/// Whether `offset` in `link` means the heading rather than the note: the cursor is on the
/// heading part of `[[x#Heading]]` (or its `#`), or anywhere on a same-note `[[#Heading]]`.
/// References and rename then work on the heading.
pub fn on_heading_part(link: Link, offset: u32) -> bool {
    let Some(heading) = &link.heading else {
        return false;
    };
    let same_note = link.kb.is_none() && link.target.text.is_empty();
    let with_hash = TextRange {
        start: heading.range.start.saturating_sub(1),
        end: heading.range.end,
    };
    same_note || with_hash.contains_inclusive(offset)
}
