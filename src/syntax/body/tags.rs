//! Inline tags in the body, as Obsidian writes them: `#tag`, `#nested/tag`, `#été`.
//!
//! A `#` starts a tag when it begins the body or a line, or follows white space, and is followed
//! by tag characters (letters and digits of any script, `_`, `-`, `/`) of which at least one is
//! not a digit (`#123` and `#2024` are numbers, not tags). A trailing `/` is not part of the
//! tag. Nothing inside code (spans, fenced or indented blocks), HTML comments or a link is a
//! tag, and neither is a heading's `#` marker (a marker is followed by a space, never by a
//! tag character), an escaped `\#`, or a `#` inside a word or a URL (`a#b`, `x.md#part`,
//! `https://x.org/#top`): those are never preceded by white space.

use std::ops::Range;

use super::in_excluded;
use crate::syntax::StoredLink;
use crate::text::TextRange;

/// Most inline tags read from one note, like `MAX_LINKS` for links.
pub const MAX_TAGS: usize = 100_000;

/// Pushes onto `tags` (empty) the ranges of the inline tags of `body` (each from its `#` to its
/// last character), outside the `excluded` regions and the `links`, in order.
pub(super) fn find_tags(
    body: &str,
    excluded: &[Range<usize>],
    links: &[StoredLink],
    tags: &mut Vec<TextRange>,
) {
    let bytes = body.as_bytes();
    for hash in memchr::memchr_iter(b'#', bytes) {
        let starts_word = body[..hash]
            .chars()
            .next_back()
            .is_none_or(char::is_whitespace);
        if !starts_word {
            continue;
        }
        let len = tag_len(&body[hash + 1..]);
        if len == 0 {
            continue;
        }
        let range = hash..hash + 1 + len;
        if in_excluded(excluded, range.clone()) || in_link(links, range.clone()) {
            continue;
        }
        if tags.len() == MAX_TAGS {
            break;
        }
        tags.push(TextRange::new(range.start, range.end));
    }
}

/// The length of the tag name at the start of `rest` (just after a `#`), 0 when there is none.
pub fn tag_len(rest: &str) -> usize {
    let run: usize = rest
        .chars()
        .take_while(|&c| is_tag_char(c))
        .map(char::len_utf8)
        .sum();
    let name = rest[..run].trim_end_matches('/');
    if name.chars().all(|c| c.is_numeric()) {
        return 0;
    }
    name.len()
}

/// Whether `c` may appear in a tag name.
pub fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '/')
}

/// The name of the tag being typed at `cursor` (an offset in `body`): from just after its `#`
/// to the end of the name, when the cursor is after a `#` that starts a tag there (even with no
/// name yet) outside code, comments and links.
pub(super) fn typed_tag(
    body: &str,
    cursor: usize,
    excluded: &[Range<usize>],
    links: &[StoredLink],
) -> Option<Range<usize>> {
    let before = &body[..cursor];
    let name_start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_tag_char(c))
        .last()
        .map_or(cursor, |(i, _)| i);
    let hash = name_start.checked_sub(1)?;
    if body.as_bytes()[hash] != b'#' {
        return None;
    }
    if !body[..hash]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace)
    {
        return None;
    }
    let name_end = cursor
        + body[cursor..]
            .chars()
            .take_while(|&c| is_tag_char(c))
            .map(char::len_utf8)
            .sum::<usize>();
    let range = hash..name_end.max(hash + 1);
    if in_excluded(excluded, range.clone()) || in_link(links, range) {
        return None;
    }
    Some(name_start..name_end)
}

/// Whether `range` overlaps a link (links are sorted and do not overlap).
fn in_link(links: &[StoredLink], range: Range<usize>) -> bool {
    let index = links.partition_point(|l| (l.range.end as usize) <= range.start);
    links
        .get(index)
        .is_some_and(|l| (l.range.start as usize) < range.end)
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use crate::syntax::parse_note;

    /// The inline tags of `text`, one per line: range, source slice and name.
    #[track_caller]
    fn check(text: &str, expect: Expect) {
        let note = parse_note(text);
        let mut out = String::new();
        for tag in note.inline_tags() {
            out += &format!(
                "{:?} {:?} {}\n",
                tag.range,
                &text[tag.range.as_usize()],
                tag.name
            );
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn tags_as_obsidian_writes_them() {
        check(
            "#start of a line, mid #word, #nested/tag/ and #été, #y1984 #a_b-c.\n",
            expect![[r##"
                0..6 "#start" start
                22..27 "#word" word
                29..40 "#nested/tag" nested/tag
                46..52 "#été" été
                54..60 "#y1984" y1984
                61..67 "#a_b-c" a_b-c
            "##]],
        );
    }

    #[test]
    fn not_tags() {
        check(
            concat!(
                "# Heading\n## Sub #real\n",
                "#123 #2024 a#b \\#esc x.md#part https://x.org/#top # alone\n",
                "`#code` [[note#Heading]] [[#Local]] ![[x #y]]\n",
                "<!-- #hidden -->\n",
                "```\n#fenced\n```\n",
                "    #indented code\n",
            ),
            expect![[r##"
                17..22 "#real" real
            "##]],
        );
    }

    #[test]
    fn tags_after_a_frontmatter_and_on_crlf_lines() {
        check(
            "---\ntags: [fm]\n---\r\n#one\r\n#two\r\n",
            expect![[r##"
                20..24 "#one" one
                26..30 "#two" two
            "##]],
        );
    }
}
