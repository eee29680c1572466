//! The inside of one wiki-link, `kb:target#Heading^block|display`, split into parts with ranges.
//!
//! Rules, in order: the display text starts at the first `|` (a `\|`, as written inside tables,
//! also counts, and the backslash belongs to neither side); a `kb:` prefix is the text before the
//! first `:` when it is a bare word (letters, digits, `_`, `-`, `.`) and no space follows the
//! colon, so `[[Note: subtitle]]` stays a title; then `#` starts a heading, `#^` or `^` a block id. Every part is trimmed of
//! surrounding white space and its range covers exactly the trimmed text.

use super::Part;
use crate::text::TextRange;

/// The parts of a link's inside; `target` is always present (possibly empty).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LinkParts<'a> {
    pub kb: Option<Part<'a>>,
    pub target: Part<'a>,
    pub heading: Option<Part<'a>>,
    pub block: Option<Part<'a>>,
    pub display: Option<Part<'a>>,
}

/// Splits `inner` (the text between `[[` and `]]`), which starts at byte `inner_start` of the note.
pub fn parse_link_inner(inner: &str, inner_start: usize) -> LinkParts<'_> {
    let part = |start: usize, end: usize| trimmed_part(inner, inner_start, start, end);

    let (reference_end, display) = match inner.find('|') {
        Some(bar) => {
            let reference_end = if inner[..bar].ends_with('\\') {
                bar - 1
            } else {
                bar
            };
            (reference_end, Some(part(bar + 1, inner.len())))
        }
        None => (inner.len(), None),
    };
    let reference = &inner[..reference_end];

    let mut target_start = 0;
    let mut kb = None;
    if let Some(colon) = reference.find(':') {
        let prefix = reference[..colon].trim();
        let after = reference[colon + 1..].chars().next();
        let spaced = after.is_some_and(char::is_whitespace);
        if !prefix.is_empty() && !spaced && prefix.bytes().all(is_kb_name_byte) {
            kb = Some(part(0, colon));
            target_start = colon + 1;
        }
    }

    let rest = &reference[target_start..];
    let hash = rest.find('#').map(|i| i + target_start);
    let caret = rest.find('^').map(|i| i + target_start);
    let mut heading = None;
    let mut block = None;
    let target_end = match (hash, caret) {
        (Some(h), _) if reference[h + 1..].trim_start().starts_with('^') => {
            let caret = h + 1 + reference[h + 1..].find('^').unwrap_or(0);
            block = Some(part(caret + 1, reference_end));
            h
        }
        (Some(h), Some(c)) if c < h => {
            block = Some(part(c + 1, reference_end));
            c
        }
        (Some(h), _) => {
            let heading_end = caret.filter(|&c| c > h).unwrap_or(reference_end);
            heading = Some(part(h + 1, heading_end));
            if heading_end < reference_end {
                block = Some(part(heading_end + 1, reference_end));
            }
            h
        }
        (None, Some(c)) => {
            block = Some(part(c + 1, reference_end));
            c
        }
        (None, None) => reference_end,
    };
    LinkParts {
        kb,
        target: part(target_start, target_end),
        heading,
        block,
        display,
    }
}

/// Whether `byte` may appear in a KB name used as a link prefix.
pub fn is_kb_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.')
}

fn trimmed_part(inner: &str, inner_start: usize, start: usize, end: usize) -> Part<'_> {
    let slice = &inner[start..end];
    let leading = slice.len() - slice.trim_start().len();
    let trimmed = slice.trim();
    let abs = inner_start + start + leading;
    Part {
        text: trimmed,
        range: TextRange::new(abs, abs + trimmed.len()),
    }
}
