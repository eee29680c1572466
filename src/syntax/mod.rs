//! Markdown note -> facts: frontmatter fields, wiki-links, headings, block ids and a summary,
//! each with exact byte ranges. Parsing never fails: a broken file is data, and problems found
//! while reading it (invalid YAML) are returned as [`SyntaxError`]s next to whatever could be read.

mod body;
mod frontmatter;
mod kb_config;
mod link;

use crate::line_index::LineIndex;
use crate::text::TextRange;

pub use body::{MAX_LINKS, plain_text};
pub use kb_config::{KbConfig, KbType, parse_kb_config};
pub use link::{is_kb_name_byte, parse_link_inner};

/// A piece of source text with its byte range in the note.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    pub text: Box<str>,
    pub range: TextRange,
}

/// One frontmatter value (a scalar, or one item of a list), unquoted, with its range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Value {
    pub text: Box<str>,
    pub range: TextRange,
    /// For Pyrite typed links (`links: [{target: x, kb: other}]`), the KB named beside the target.
    pub kb: Option<Box<str>>,
}

/// A top-level frontmatter field other than the well-known ones, whose values are strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    pub name: Box<str>,
    pub values: Vec<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Frontmatter {
    /// From the opening `---` to the end of the closing line.
    pub range: TextRange,
    pub id: Option<Value>,
    pub title: Option<Value>,
    pub note_type: Option<Value>,
    pub tags: Vec<Value>,
    pub aliases: Vec<Value>,
    pub summary: Option<Box<str>>,
    pub fields: Vec<Field>,
}

/// A wiki-link or embed, in the body or written as `"[[...]]"` in a frontmatter value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The whole link, from `[[` (or `![[`) to `]]`.
    pub range: TextRange,
    pub is_embed: bool,
    pub in_frontmatter: bool,
    pub kb: Option<Part>,
    /// The note part; empty text (with an empty range) for same-note links like `[[#Heading]]`.
    pub target: Part,
    pub heading: Option<Part>,
    pub block: Option<Part>,
    pub display: Option<Part>,
}

impl Link {
    /// The text the reader sees: the display part, else the raw inside of the brackets.
    pub fn visible_text<'a>(&'a self, source_inner: &'a str) -> &'a str {
        self.display.as_ref().map_or(source_inner, |d| &d.text)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    pub level: u8,
    pub text: Box<str>,
    /// The whole heading, markers included (two lines for setext headings).
    pub range: TextRange,
    /// Just the heading's words, without `#` markers or surrounding space.
    pub text_range: TextRange,
    /// The first paragraph of the section this heading opens, if any.
    pub first_paragraph: Option<TextRange>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockId {
    pub id: Box<str>,
    /// The `^id` marker itself.
    pub range: TextRange,
    /// The line the marker ends.
    pub line_range: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub range: TextRange,
    pub message: String,
}

/// Everything the index keeps about one note.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ParsedNote {
    pub frontmatter: Option<Frontmatter>,
    pub links: Vec<Link>,
    pub headings: Vec<Heading>,
    pub block_ids: Vec<BlockId>,
    /// Frontmatter `summary`/`description`, else the first body paragraph as plain text.
    pub summary: Box<str>,
    pub errors: Vec<SyntaxError>,
    pub line_index: LineIndex,
    /// Where the body starts (after the frontmatter).
    pub body_start: u32,
}

/// The longest summary kept, in characters.
pub const SUMMARY_MAX_CHARS: usize = 300;

/// Parses a note. Never fails and never panics on any input.
pub fn parse_note(text: &str) -> ParsedNote {
    let mut note = ParsedNote {
        line_index: LineIndex::new(text),
        ..ParsedNote::default()
    };
    let body_start = match frontmatter::split(text) {
        frontmatter::Split::None => 0,
        frontmatter::Split::Unclosed { range } => {
            note.errors.push(SyntaxError {
                range,
                message: "frontmatter is not closed: add a line `---` after the last field"
                    .to_owned(),
            });
            0
        }
        frontmatter::Split::Found {
            range,
            yaml_range,
            body_start,
        } => {
            let parsed = frontmatter::parse(text, range, yaml_range);
            note.errors.extend(parsed.errors);
            note.links.extend(parsed.links);
            note.frontmatter = Some(parsed.frontmatter);
            body_start
        }
    };
    note.body_start = crate::text::to_u32(body_start);
    // The body's first paragraph is only needed when the frontmatter has no summary.
    let wants_summary = note
        .frontmatter
        .as_ref()
        .is_none_or(|fm| fm.summary.is_none());
    let body = body::parse(text, body_start, wants_summary);
    if note.links.is_empty() {
        note.links = body.links;
    } else {
        note.links.extend(body.links);
    }
    if let Some(at) = body.links_capped_at {
        note.errors.push(SyntaxError {
            range: TextRange::new(at, at + 2),
            message: format!(
                "too many links: only the first {} are read",
                body::MAX_LINKS
            ),
        });
    }
    note.headings = body.headings;
    note.block_ids = body.block_ids;
    note.summary = match note.frontmatter.as_ref().and_then(|fm| fm.summary.clone()) {
        Some(summary) => truncate_chars(&summary, SUMMARY_MAX_CHARS).into(),
        None => body.summary.into(),
    };
    // The index keeps every note's facts: no spare capacity.
    note.links.shrink_to_fit();
    note.headings.shrink_to_fit();
    note.block_ids.shrink_to_fit();
    note
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
