//! The inside of one wiki-link, `kb:target#Heading^block|display`, split into parts with ranges;
//! and the destination of a markdown link (see [`markdown_destination`]).
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

    // The first `|`, and before it the first `:`, `#` and `^`, in one pass. A `kb:` prefix
    // holds neither `#` nor `^`, so the first of those in the reference are the first after
    // the prefix too.
    let (mut bar, mut colon, mut first_hash, mut first_caret) = (None, None, None, None);
    for (at, &byte) in inner.as_bytes().iter().enumerate() {
        match byte {
            b'|' => {
                bar = Some(at);
                break;
            }
            b':' if colon.is_none() => colon = Some(at),
            b'#' if first_hash.is_none() => first_hash = Some(at),
            b'^' if first_caret.is_none() => first_caret = Some(at),
            _ => {}
        }
    }
    let (reference_end, display) = match bar {
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
    if let Some(colon) = colon {
        let prefix = reference[..colon].trim();
        let after = reference[colon + 1..].chars().next();
        let spaced = after.is_some_and(char::is_whitespace);
        if !prefix.is_empty() && !spaced && prefix.bytes().all(is_kb_name_byte) {
            kb = Some(part(0, colon));
            target_start = colon + 1;
        }
    }

    let (hash, caret) = (first_hash, first_caret);
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

/// Splits a markdown link `raw` (`[text](destination "title")` or `![alt](...)`, starting at
/// byte `start` of the note, its destination's `(` at `paren`) into parts: the link text is the
/// display part; the destination (inside `<...>` when written so) is split at its first `#`
/// into the target (a path) and a heading, or a block when the fragment starts with `^`. Parts
/// are the text as written (percent-encoded); an empty fragment is none.
pub fn markdown_destination(raw: &str, start: usize, paren: usize) -> LinkParts<'_> {
    let part = |from: usize, to: usize| trimmed_part(raw, start, from, to);
    let open = if raw.starts_with('!') { 2 } else { 1 };
    let paren = paren.clamp(open, raw.len());
    let text_end = paren.saturating_sub(1).max(open);
    let display = Some(part(open, text_end)).filter(|p| !p.text.is_empty());
    let bytes = raw.as_bytes();
    let inside_end = if raw.ends_with(')') {
        raw.len() - 1
    } else {
        raw.len()
    }
    .max(paren);
    let mut dest_start = (paren + 1).min(inside_end);
    while dest_start < inside_end && bytes[dest_start].is_ascii_whitespace() {
        dest_start += 1;
    }
    let dest_end = if bytes.get(dest_start) == Some(&b'<') {
        dest_start += 1;
        let mut end = dest_start;
        while end < inside_end && bytes[end] != b'>' {
            let escaped = bytes[end] == b'\\' && bytes.get(end + 1).is_some_and(u8::is_ascii);
            end += if escaped { 2 } else { 1 };
        }
        end.min(inside_end)
    } else {
        let mut end = dest_start;
        let mut depth = 0usize;
        while end < inside_end {
            match bytes[end] {
                // The escaped byte is skipped; a multi-byte character's other bytes match
                // nothing here, so the end is always a character boundary.
                b'\\' => end += 1,
                b'(' => depth += 1,
                b')' if depth == 0 => break,
                b')' => depth -= 1,
                byte if byte.is_ascii_whitespace() => break,
                _ => {}
            }
            end += 1;
        }
        end.min(inside_end)
    };
    let destination = &raw[dest_start..dest_end];
    let (target, heading, block) = match destination.find('#') {
        None => (part(dest_start, dest_end), None, None),
        Some(hash) => {
            let hash = dest_start + hash;
            let fragment = part(hash + 1, dest_end);
            let target = part(dest_start, hash);
            match fragment.text.strip_prefix('^') {
                _ if fragment.text.is_empty() => (target, None, None),
                Some(_) => (target, None, Some(part(hash + 2, dest_end))),
                None => (target, Some(fragment), None),
            }
        }
    };
    LinkParts {
        kb: None,
        target,
        heading,
        block,
        display,
    }
}

/// Whether a markdown link's destination starts with a URL scheme (`https:`, `mailto:`,
/// `obsidian:`, `file:`, a Windows drive `C:`): such a link leads outside the workspace's
/// notes and is not checked.
pub fn has_url_scheme(destination: &str) -> bool {
    let Some((scheme, _)) = destination.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
}

/// Whether `byte` may appear in a KB name used as a link prefix.
pub fn is_kb_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.')
}

fn trimmed_part(inner: &str, inner_start: usize, start: usize, end: usize) -> Part<'_> {
    let slice = &inner[start..end];
    let trimmed_start = slice.trim_start();
    let leading = slice.len() - trimmed_start.len();
    let trimmed = trimmed_start.trim_end();
    let abs = inner_start + start + leading;
    Part {
        text: trimmed,
        range: TextRange::new(abs, abs + trimmed.len()),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// [`parse_link_inner`] as it was written first, one search per separator: the oracle.
    fn by_find(inner: &str, inner_start: usize) -> LinkParts<'_> {
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

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn one_pass_split_agrees_with_searches(
            inner in "([a-z]{1,3}|[ :#^|\\\\.\\-_é\u{a0}]){0,12}",
            start in 0usize..100,
        ) {
            prop_assert_eq!(parse_link_inner(&inner, start), by_find(&inner, start));
        }
    }
}
