//! The fast block scanner against pulldown-cmark: on any markdown, whenever the scanner answers,
//! it finds the same code regions, headings, paragraphs, lists and markdown links as
//! pulldown-cmark, and so the same links and inline tags.

use proptest::prelude::*;

use super::{Structure, blocks, find_link_end, find_links, scan_structure, tags};

#[track_caller]
fn check_same(body: &str) -> bool {
    let mut fast = Structure::default();
    if !blocks::structure(body, &mut fast, &mut blocks::Buffers::default()) {
        return false;
    }
    let mut slow = Structure::default();
    scan_structure(body, &mut slow);
    assert_eq!(fast, slow, "structure of {body:?}");
    assert_eq!(
        inline_tags(body, &fast),
        inline_tags(body, &slow),
        "tags of {body:?}"
    );
    true
}

/// The inline tags of `body` found with the code regions of `structure`.
fn inline_tags(body: &str, structure: &Structure) -> Vec<crate::text::TextRange> {
    let mut links = Vec::new();
    find_links(body, &structure.excluded, &mut links);
    let mut tags = Vec::new();
    tags::find_tags(body, &structure.excluded, &links, &mut tags);
    tags
}

#[test]
fn typical_notes_take_the_fast_path() {
    let notes = [
        "## Criticism\n\nText [[a|b]] with `[[code]]` and ``x ` y``.\nMore text.\n\n```python\n[[no]]\n```\n\n### References\n\n[[a#B]] text.\n",
        "Intro paragraph:\n- item one `c`\n- item [[two]]\n  - nested **bold**\n1. ordered\n2. second\n\n## Heading ##\r\nafter\r\n",
        "~~~\nunclosed [[x]]\n",
        "See [Other](Other%20note.md), ![chart](img/chart.png) and [web](https://e.com/a#b).\n- see [item](a.md#^blk) x\n",
        "[[a](b)]] and [](empty.md) and [[x]] [y](z.md)\n",
        "  para with indent\n      continuation\n# H\n",
        "",
        "- a #tag\n- b\n  - c\n1. d\n\ntext #x\n",
        "#start\n* one\n- two\n",
        // Items continued on lines indented to their text, nested, with a code span across
        // lines, and far indented.
        "- A also teacher line.\n  Port the mind its house.\n- b\n",
        "- a `x\n  y` z\n  - b\n    c [l](u.md)\n- d\n",
        "1. one\n       two\n",
        "- **Online:**\n  - Archive.org:\n    - https://archive.org/details/x\n  - Scan: https://a.b/c\n",
        // Loose lists: their items are paragraphs.
        "## H\n\n1. **Bold**: a\n\n2. **Next**: b\n   more\n\nafter\n",
        "- a\n\n- b\n",
        // Tables: not paragraphs; cells split at every `|` (a row's cells past the header's are
        // dropped); a heading ends them.
        "Intro\n| Note | Kind | Summary |\n| --- | --- | --- |\n| [t](u.md) | `c` | [[a|b]] |\n| x |\n\n## Next\n",
        "# H\n\n| a | b\n|:-:|---:\n| `c|d` | e\n# h\n\nfirst\n",
        // Headings with links and code spans.
        "## Relationship to [[modern-agile]]\n\ntext\n",
        "## The `code` and `` ` `` ##\n### See [t](u.md) ![i](p.png)\n",
        "### Ohno TV Interview (~1988) snake_case\n",
    ];
    for note in notes {
        assert!(check_same(note), "fast path not taken for {note:?}");
    }
}

#[test]
fn unusual_markdown_falls_back() {
    let notes = [
        "> quote\n",
        "<div>\n[[x]]\n</div>\n",
        "a | b\n--- | ---\n",
        "Title\n=====\n",
        "para\n---\n",
        "    indented code\n",
        "[ref]: /url\n",
        "# *emphasis*\n",
        "text `code` <b>\n",
        "\tindented\n",
        "para\n2. not a list\n",
        "[titled](t.md \"A title\")\n",
        "[angle](<My Note.md>)\n",
        "[nested [brackets]](n.md)\n",
        "[parens](a(b).md)\n",
        "[x][y](z.md)\n",
        "[code `x`](c.md)\n",
        // Unicode white space before closing `#`s (found by the property test below).
        "   # # \u{2028}",
        "a | b\n# \u{2028} # \u{2028}\n",
        // Lazy continuation lines, and items of more than one paragraph.
        "- a\nlazy\n",
        "- a\n  - b\n  lazy\n",
        "- a\n\n  more\n",
        // Loose lists with nested lists, or another marker after the blank line.
        "- a\n  - b\n\n- c\n",
        "- a\n\n- b\n  - c\n",
        "- a\n\n* b\n",
        // Tables with an escaped pipe, markup in a cell past the header's, a line after them
        // that becomes a row or a list, not at the margin, inside a list, or of unequal widths.
        "| a |\n| --- |\n| b \\| c |\n",
        "| a |\n| --- |\n| b | `c` |\n",
        "| a |\n| --- |\ntext\n",
        "| a |\n| --- |\n- x\n",
        " | a |\n | --- |\n",
        "- a\n| b |\n| --- |\n",
        "| a | b |\n| --- |\n",
        // Headings with emphasis, a link around brackets or an entity.
        "# a ~b~\n",
        "## [[a]](b)\n",
        "## a &amp; b\n",
    ];
    for note in notes {
        assert!(!check_same(note), "fast path taken for {note:?}");
    }
}

/// Markdown lines: mostly what notes are made of, with the constructs that need care mixed in.
fn line() -> impl Strategy<Value = String> {
    let indent = prop_oneof![
        4 => Just(""),
        1 => Just(" "),
        1 => Just("  "),
        1 => Just("   "),
        1 => Just("    "),
        1 => Just("     "),
        1 => Just("      "),
        1 => Just("\t"),
    ];
    let word = prop_oneof![
        6 => "[a-z]{1,6}",
        1 => Just("[[a|b]]".to_owned()),
        1 => Just("[[x#H]]".to_owned()),
        1 => Just("`".to_owned()),
        1 => Just("``".to_owned()),
        1 => Just("`c`".to_owned()),
        1 => Just("*".to_owned()),
        1 => Just("**b**".to_owned()),
        1 => Just("_".to_owned()),
        1 => Just("#".to_owned()),
        1 => Just("<".to_owned()),
        1 => Just("<!--".to_owned()),
        1 => Just("-->".to_owned()),
        1 => Just("\\".to_owned()),
        1 => Just("[l](u)".to_owned()),
        1 => Just("![i](p.png)".to_owned()),
        1 => Just("[t](a%20b.md#H)".to_owned()),
        1 => Just("[t](<a b.md>)".to_owned()),
        1 => Just("[t](u \"t\")".to_owned()),
        1 => Just("[t](https://e.com)".to_owned()),
        1 => Just("[](x)".to_owned()),
        1 => Just("](".to_owned()),
        1 => Just("(".to_owned()),
        1 => Just(")".to_owned()),
        1 => Just("[".to_owned()),
        1 => Just("]".to_owned()),
        1 => Just("[x]".to_owned()),
        1 => Just("é](y)".to_owned()),
        1 => Just("[a\u{a0}](b\u{a0}c)".to_owned()),
        1 => Just("&amp;".to_owned()),
        1 => Just("|".to_owned()),
        1 => Just("^id".to_owned()),
        1 => Just("é".to_owned()),
        1 => Just("\u{2028}".to_owned()),
        1 => Just("~~".to_owned()),
        2 => Just("#tag".to_owned()),
        1 => Just("#a/b".to_owned()),
        1 => Just("#12".to_owned()),
        1 => Just("#été".to_owned()),
        1 => Just("x#y".to_owned()),
        1 => Just("\\#t".to_owned()),
        1 => Just("[[n #t]]".to_owned()),
        1 => Just("<https://a.b/#c>".to_owned()),
        1 => Just("~".to_owned()),
        1 => Just("a_b".to_owned()),
        1 => Just("`c|d`".to_owned()),
        1 => Just("`` ` ``".to_owned()),
        1 => Just("` c `".to_owned()),
    ];
    let words = prop::collection::vec(word, 0..6).prop_map(|w| w.join(" "));
    let prefix = prop_oneof![
        8 => Just(""),
        2 => Just("# "),
        1 => Just("## "),
        1 => Just("####### "),
        1 => Just("#"),
        3 => Just("- "),
        1 => Just("* "),
        1 => Just("+ "),
        2 => Just("1. "),
        1 => Just("2. "),
        1 => Just("3) "),
        1 => Just("> "),
        1 => Just("```"),
        1 => Just("~~~"),
        1 => Just("````"),
        1 => Just("---"),
        1 => Just("==="),
        1 => Just("***"),
        1 => Just("- - "),
        1 => Just("[x]: "),
        1 => Just("| "),
        1 => Just("<div>"),
        1 => Just("-"),
    ];
    prop_oneof![
        8 => (indent, prefix, words).prop_map(|(i, p, w)| format!("{i}{p}{w}")),
        2 => Just(String::new()),
        1 => Just("  ".to_owned()),
        1 => Just("| --- | --- |".to_owned()),
        1 => Just("a | b".to_owned()),
        1 => Just("--- | ---".to_owned()),
    ]
}

/// Words the fast path mostly reads: plain words, links of both kinds, code spans, tags, and
/// now and then something it gives up on.
fn tame_word() -> impl Strategy<Value = String> {
    prop_oneof![
        24 => "[a-z]{1,6}",
        4 => Just("[[a|b]]".to_owned()),
        1 => Just("[[x]]".to_owned()),
        1 => Just("`c`".to_owned()),
        1 => Just("`c|d`".to_owned()),
        1 => Just("`".to_owned()),
        1 => Just("[l](u.md)".to_owned()),
        1 => Just("![i](p.png)".to_owned()),
        1 => Just("[l](a|b)".to_owned()),
        1 => Just("**b**".to_owned()),
        1 => Just("#tag".to_owned()),
        1 => Just("-".to_owned()),
        1 => Just("~".to_owned()),
        1 => Just("_".to_owned()),
        1 => Just("\\|".to_owned()),
        1 => Just("<!-- c -->".to_owned()),
    ]
}

fn tame_words(count: std::ops::Range<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(tame_word(), count).prop_map(|w| w.join(" "))
}

/// A table row of `cells` cells of tame words (of plain words mostly, for a header row),
/// mostly between pipes.
fn row(cells: usize, header: bool) -> impl Strategy<Value = String> {
    let open = prop_oneof![16 => Just("|"), 2 => Just("| "), 1 => Just(""), 1 => Just(" |")];
    let close = prop_oneof![6 => Just("|"), 1 => Just(""), 1 => Just(" | "), 1 => Just("||")];
    let cell = if header {
        prop_oneof![6 => "[a-z]{1,6}", 1 => tame_words(0..3)].boxed()
    } else {
        tame_words(0..3).boxed()
    };
    (open, prop::collection::vec(cell, cells), close).prop_map(|(open, cells, close)| {
        let inner = cells.join(" | ");
        format!("{open}{inner}{close}")
    })
}

/// A table's delimiter row of `columns` columns, with an occasional flaw.
fn delimiter_row(columns: usize) -> impl Strategy<Value = String> {
    let column = prop_oneof![
        24 => Just(" --- "),
        6 => Just("---"),
        1 => Just(":-:"),
        1 => Just(" ---: "),
        1 => Just(":--"),
        1 => Just(" - - "),
        1 => Just(""),
        1 => Just(" : "),
    ];
    let edge = || prop_oneof![16 => Just("|"), 1 => Just(""), 1 => Just(" |"), 1 => Just("|:")];
    (edge(), prop::collection::vec(column, columns), edge())
        .prop_map(|(open, columns, close)| format!("{open}{}{close}", columns.join("|")))
}

/// A table: a header row, a delimiter row (mostly as wide), rows of up to two cells more and
/// mostly a blank line.
fn table() -> impl Strategy<Value = Vec<String>> {
    let skew = prop_oneof![6 => Just(0isize), 1 => Just(-1), 1 => Just(1)];
    (1..5usize, skew, prop::bool::weighted(0.75))
        .prop_flat_map(|(width, skew, blank_after)| {
            let columns = (width as isize + skew).max(1) as usize;
            let rows = prop::collection::vec((0..width + 3).prop_flat_map(|n| row(n, false)), 0..4);
            (
                row(width, true),
                delimiter_row(columns),
                rows,
                Just(blank_after),
            )
        })
        .prop_map(|(header, delimiter, rows, blank_after)| {
            let mut lines = vec![header, delimiter];
            lines.extend(rows);
            if blank_after {
                lines.push(String::new());
            }
            lines
        })
}

/// A list item followed by lines indented around its text (continuation lines, nested items,
/// blank lines) and half the time by a blank line.
fn list_item() -> impl Strategy<Value = Vec<String>> {
    let marker =
        || prop_oneof![3 => Just("- "), 1 => Just("* "), 2 => Just("1. "), 1 => Just("2) ")];
    let indent = || {
        prop_oneof![
            1 => Just(""),
            1 => Just(" "),
            3 => Just("  "),
            3 => Just("   "),
            2 => Just("    "),
            1 => Just("     "),
            1 => Just("       "),
        ]
    };
    let follower = prop_oneof![
        6 => (indent(), tame_words(1..5)).prop_map(|(i, w)| format!("{i}{w}")),
        1 => (indent(), line()).prop_map(|(i, l)| format!("{i}{l}")),
        2 => Just(String::new()),
        3 => (indent(), marker(), tame_words(1..4)).prop_map(|(i, m, w)| format!("{i}{m}{w}")),
    ];
    let rest = prop::collection::vec(follower, 0..4);
    (marker(), tame_words(1..5), rest, prop::bool::weighted(0.5)).prop_map(
        |(m, first, rest, blank_after)| {
            let mut lines = vec![format!("{m}{first}")];
            lines.extend(rest);
            if blank_after {
                lines.push(String::new());
            }
            lines
        },
    )
}

/// A run of markdown lines: a paragraph or heading line of tame words, a blank line, a table
/// or a list item with what follows it.
fn tame_block() -> impl Strategy<Value = Vec<String>> {
    let prefix = prop_oneof![4 => Just(""), 2 => Just("## "), 1 => Just("# ")];
    prop_oneof![
        3 => (prefix, tame_words(0..6)).prop_map(|(p, w)| vec![format!("{p}{w}")]),
        2 => Just(vec![String::new()]),
        2 => table(),
        3 => list_item(),
    ]
}

/// A run of markdown lines: any line, or a tame block.
fn block() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![
        1 => line().prop_map(|l| vec![l]),
        1 => tame_block(),
    ]
}

/// Cases for the differential tests: 10,000, or more when `PROPTEST_CASES` asks for more.
fn differential_cases() -> u32 {
    ProptestConfig::default().cases.max(10_000)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: differential_cases(),
        // Failures found here are kept as examples in the tests above instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_block_scanner_agrees_with_pulldown(
        blocks in prop::collection::vec(block(), 0..8),
        newline in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        last_newline in any::<bool>(),
    ) {
        let mut body = blocks.concat().join(newline);
        if last_newline {
            body += newline;
        }
        check_same(&body);
    }

    /// Tables, list items with continuation lines, loose lists and headings with links, on
    /// the fast path more often than in the test above.
    #[test]
    fn the_block_scanner_agrees_on_tables_and_lists(
        blocks in prop::collection::vec(tame_block(), 0..6),
        newline in prop_oneof![Just("\n"), Just("\r\n")],
    ) {
        check_same(&(blocks.concat().join(newline) + newline));
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// The summary's ASCII fast path writes what the character-by-character steps write.
    #[test]
    fn plain_text_runs_match_character_steps(
        pieces in prop::collection::vec("[a-z!*` \t\n\r\u{b}\u{a0}é\\[\\]^.,-]{0,80}", 1..8),
    ) {
        let mut fast = super::Plain::default();
        let mut slow = super::Plain::default();
        for piece in &pieces {
            let fast_done = fast.push(piece);
            let slow_done = piece.chars().any(|c| slow.push_char(c));
            prop_assert_eq!(fast_done, slow_done);
            prop_assert_eq!(&fast.text, &slow.text);
            if fast_done {
                break;
            }
        }
        prop_assert_eq!(fast.finish(), slow.finish());
    }
}

/// [`find_link_end`] one byte at a time, as it was first written: the oracle of its word-wise
/// skipping.
fn link_end_by_bytes(rest: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 1 < rest.len() {
        match rest[i] {
            b'\n' | b'\r' => return None,
            b']' if rest[i + 1] == b']' => return Some(i),
            b'[' if rest[i + 1] == b'[' => return None,
            _ => i += 1,
        }
    }
    None
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 20_000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn link_ends_found_by_words_and_by_bytes_agree(
        rest in "([a-z]{1,9}|[\\[\\]\r\n é\u{5b5d}\u{5d5b}]){0,12}",
    ) {
        prop_assert_eq!(find_link_end(rest.as_bytes()), link_end_by_bytes(rest.as_bytes()));
    }
}
