//! The fast block scanner against pulldown-cmark: on any markdown, whenever the scanner answers,
//! it finds the same code regions, headings, paragraphs, lists and markdown links as
//! pulldown-cmark, and so the same links and inline tags.

use proptest::prelude::*;

use super::{Structure, blocks, find_links, scan_structure, tags};

#[track_caller]
fn check_same(body: &str) -> bool {
    match blocks::structure(body) {
        Some(fast) => {
            let slow = scan_structure(body);
            assert_eq!(fast, slow, "structure of {body:?}");
            assert_eq!(
                inline_tags(body, &fast),
                inline_tags(body, &slow),
                "tags of {body:?}"
            );
            true
        }
        None => false,
    }
}

/// The inline tags of `body` found with the code regions of `structure`.
fn inline_tags(body: &str, structure: &Structure) -> Vec<crate::text::TextRange> {
    let (links, _) = find_links(body, &structure.excluded);
    tags::find_tags(body, &structure.excluded, &links)
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
        "- a\n\n- b\n",
        "- a\n  continued\n",
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

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 10_000,
        // Failures found here are kept as examples in the tests above instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_block_scanner_agrees_with_pulldown(
        lines in prop::collection::vec(line(), 0..10),
        newline in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
        last_newline in any::<bool>(),
    ) {
        let mut body = lines.join(newline);
        if last_newline {
            body += newline;
        }
        check_same(&body);
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
