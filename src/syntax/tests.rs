//! Parser tests: a note in, its facts rendered as compact text out.

use expect_test::{Expect, expect};

use super::*;

/// Renders every fact with its range and the source slice it covers.
fn render(text: &str) -> String {
    let note = parse_note(text);
    let slice = |r: TextRange| text.get(r.as_usize()).unwrap_or("<bad range>").to_owned();
    let mut out = String::new();
    if let Some(fm) = note.frontmatter() {
        for (name, value) in [
            ("id", fm.id()),
            ("title", fm.title()),
            ("type", fm.note_type()),
        ] {
            if let Some(v) = value {
                out += &format!("{name} {:?} {:?}\n", v.range, slice(v.range));
            }
        }
        for v in fm.tags() {
            out += &format!("tag {:?} {:?}\n", v.range, slice(v.range));
        }
        for v in fm.aliases() {
            out += &format!("alias {:?} {:?}\n", v.range, slice(v.range));
        }
        for key in fm.empty_keys() {
            out += &format!("empty {key}\n");
        }
        for v in fm.relations() {
            out += &format!("relation {:?} {:?}\n", v.range, slice(v.range));
        }
        for field in fm.fields() {
            if field.values.is_empty() {
                out += &format!("field {} (no plain value)\n", field.name);
            }
            for v in field.values {
                let kb = v.kb.map(|kb| format!(" kb={kb}")).unwrap_or_default();
                out += &format!(
                    "field {} {:?} {:?}{kb}\n",
                    field.name,
                    v.range,
                    slice(v.range)
                );
            }
        }
    }
    for link in note.links() {
        out += &format!("link {:?} {:?}", link.range, slice(link.range));
        if link.is_markdown() {
            out += " markdown";
        }
        if link.is_embed {
            out += " embed";
        }
        if link.in_frontmatter {
            out += " frontmatter";
        }
        let parts = [
            ("kb", link.kb),
            ("target", Some(link.target)),
            ("heading", link.heading),
            ("block", link.block),
            ("display", link.display),
        ];
        for (name, part) in parts {
            if let Some(part) = part {
                assert_eq!(slice(part.range), part.text, "{name} range of {link:?}");
                out += &format!(" {name}={:?}", part.text);
            }
        }
        out += "\n";
    }
    for (index, h) in note.headings().iter().enumerate() {
        out += &format!(
            "heading{} {:?} {:?}",
            h.level,
            h.text_range,
            slice(h.text_range)
        );
        if let Some(p) = super::first_paragraph(text, note.heading_section(index)) {
            out += &format!(" para={:?}", slice(p));
        }
        out += "\n";
    }
    for b in note.block_ids() {
        out += &format!("block {:?} {:?}\n", b.range, slice(b.range));
    }
    let summary = note.summary(|| Some(text.to_owned()));
    if !summary.is_empty() {
        out += &format!("summary {summary:?}\n");
    }
    for e in &note.errors {
        let kind = if e.lenient { "hint" } else { "error" };
        out += &format!("{kind} {:?} {:?}: {}\n", e.range, slice(e.range), e.message);
    }
    out
}

fn check(text: &str, expect: Expect) {
    expect.assert_eq(&render(text));
}

#[test]
fn link_syntaxes() {
    check(
        "See [[alpha]], [[kb2:beta]], [[gamma#Some Heading]], [[delta^blk-1]], [[eps#^blk-2]],\n\
         [[zeta|the *display*: text]], ![[kb2:eta#H|shown]], [[#Local]], [[folder/name]], [[ spaced | x ]].\n",
        expect![[r#"
            link 4..13 "[[alpha]]" target="alpha"
            link 15..27 "[[kb2:beta]]" kb="kb2" target="beta"
            link 29..51 "[[gamma#Some Heading]]" target="gamma" heading="Some Heading"
            link 53..68 "[[delta^blk-1]]" target="delta" block="blk-1"
            link 70..84 "[[eps#^blk-2]]" target="eps" block="blk-2"
            link 86..114 "[[zeta|the *display*: text]]" target="zeta" display="the *display*: text"
            link 116..136 "![[kb2:eta#H|shown]]" embed kb="kb2" target="eta" heading="H" display="shown"
            link 138..148 "[[#Local]]" target="" heading="Local"
            link 150..165 "[[folder/name]]" target="folder/name"
            link 167..183 "[[ spaced | x ]]" target="spaced" display="x"
            summary "See alpha, beta, gamma > Some Heading, delta, eps, the display: text, !shown, > Local, folder/name, x."
        "#]],
    );
}

#[test]
fn titles_with_colons_are_not_kb_prefixes() {
    check(
        "[[Note: a subtitle]] [[a b:c]] [[x:]]\n",
        expect![[r#"
            link 0..20 "[[Note: a subtitle]]" target="Note: a subtitle"
            link 21..30 "[[a b:c]]" target="a b:c"
            link 31..37 "[[x:]]" kb="x" target=""
            summary "Note: a subtitle a b:c"
        "#]],
    );
}

#[test]
fn code_and_comments_are_not_links() {
    check(
        "Real [[one]] and `[[code]]` and ``a `[[x]]` b`` and `[[` then `]]`.\n\
         \n\
         ```md\n[[fenced]]\n```\n\
         \n\
         ~~~~ info\n[[tilde]]\n~~~\n[[still-fenced]]\n~~~~\n\
         \n    [[indented]]\n\
         \n<!-- [[commented]] -->\n\
         \nInline <!-- [[c2]] --> and \\[[escaped]] and \\\\[[not-escaped]].\n\
         \n   ```\n   [[three-space-fence]]\n   ```\n",
        expect![[r#"
            link 5..12 "[[one]]" target="one"
            link 226..241 "[[not-escaped]]" target="not-escaped"
            summary "Real one and code and a x b and then ."
        "#]],
    );
}

#[test]
fn math_is_not_links_or_tags() {
    // Formal power series and integer intervals are written with `[[`; money is not math.
    check(
        "# Euler $e^{i\\pi}$ and [[h]]\n\
         \n\
         The ring $K[[X]]$ and $x \\in [[1, n]]$ hold no link, nor $a #b$ a tag.\n\
         \n\
         $$\n[[display]]\n$$\n\
         \n\
         It cost $5 and [[real]] and $10.\n\
         \n\
         [[shown|$x$ in a link]] is a link.\n",
        expect![[r#"
            link 23..28 "[[h]]" target="h"
            link 136..144 "[[real]]" target="real"
            link 155..178 "[[shown|$x$ in a link]]" target="shown" display="$x$ in a link"
            heading1 2..28 "Euler $e^{i\\pi}$ and [[h]]" para="The ring $K[[X]]$ and $x \\in [[1, n]]$ hold no link, nor $a #b$ a tag."
            summary "The ring $KX$ and $x \\in 1, n$ hold no link, nor $a #b$ a tag."
        "#]],
    );
    let note = parse_note("A #real tag, and $a #b$ none.\n");
    let tags: Vec<&str> = note.inline_tags().iter().map(|tag| tag.name).collect();
    assert_eq!(tags, ["real"]);
}

#[test]
fn frontmatter_fields_and_links() {
    check(
        "---\nid: alpha\ntitle: \"Alpha Note\"\ntype: concept\ntags: [one, two]\naliases:\n  - The A\n  - 'A''s'\nrelated: [beta, gamma]\nsource: \"[[kb2:beta#Intro]]\"\nlinks:\n- target: delta\n  kb: other\n  relation: cites\ndescription: A short one\nblank:\nnone: []\nnested: {deep: [[x]]}\n---\nBody [[beta]].\n",
        expect![[r#"
            id 8..13 "alpha"
            title 22..32 "Alpha Note"
            type 40..47 "concept"
            tag 55..58 "one"
            tag 60..63 "two"
            alias 78..83 "The A"
            alias 89..93 "A''s"
            empty blank
            empty none
            relation 194..199 "cites"
            field related 105..109 "beta"
            field related 111..116 "gamma"
            field source (no plain value)
            field links 164..169 "delta" kb=other
            field description (no plain value)
            field nested (no plain value)
            link 127..145 "[[kb2:beta#Intro]]" frontmatter kb="kb2" target="beta" heading="Intro"
            link 272..280 "[[beta]]" target="beta"
            summary "A short one"
        "#]],
    );
}

#[test]
fn anchors_aliases_bom_and_crlf() {
    check(
        "\u{feff}---\r\nid: é-note\r\nmeta:\r\n  concepts: &c [a, b]\r\nkey_concepts: *c\r\n---\r\n# Title 😀\r\n\r\nText [[a]] ^blk\r\n",
        expect![[r#"
            id 12..19 "é-note"
            field meta (no plain value)
            field key_concepts 44..45 "a"
            field key_concepts 47..48 "b"
            link 95..100 "[[a]]" target="a"
            heading1 76..86 "Title 😀" para="Text [[a]] ^blk"
            block 101..105 "^blk"
            summary "Text a"
        "#]],
    );
}

#[test]
fn invalid_frontmatter_keeps_the_body() {
    check(
        "---\nid: x\ntags: [unclosed\n---\nStill [[linked]].\n",
        expect![[r#"
            id 8..9 "x"
            tag 17..25 "unclosed"
            link 36..46 "[[linked]]" target="linked"
            summary "Still linked."
            error 26..29 "---": invalid YAML in frontmatter: while parsing a flow sequence, expected ',' or ']'
        "#]],
    );
    check(
        "---\nid: x\nno closing line\n\n[[a]]\n",
        expect![[r#"
            link 27..32 "[[a]]" target="a"
            summary "id: x no closing line"
            error 0..3 "---": frontmatter is not closed: add a line `---` after the last field
        "#]],
    );
}

#[test]
fn headings_and_sections() {
    check(
        "# Top #\n\nIntro para [[x|X]].\n\nSetext Two\n----------\n\nSecond para.\n\n### Three ###\n## Empty\n",
        expect![[r#"
            link 20..27 "[[x|X]]" target="x" display="X"
            heading1 2..5 "Top" para="Intro para [[x|X]]."
            heading2 30..40 "Setext Two" para="Second para."
            heading3 71..76 "Three"
            heading2 84..89 "Empty"
            summary "Intro para X."
        "#]],
    );
}

#[test]
fn yaml_bombs_are_cheap() {
    let mut bomb = String::from("---\na: &a [x, x, x, x, x, x, x, x, x]\n");
    for level in 1..30 {
        let prev = (b'a' + (level - 1) as u8 % 26) as char;
        bomb += &format!("l{level}: &l{level} [*{prev}, *{prev}, *{prev}, *{prev}]\n");
    }
    bomb += "deep: ";
    bomb += &"[".repeat(5000);
    bomb += &"]".repeat(5000);
    bomb += "\n---\n[[ok]]\n";
    let note = parse_note(&bomb);
    assert_eq!(note.links().len(), 1);
}

#[test]
fn frontmatter_pyrite_reads_and_strict_yaml_does_not() {
    // A quoted title going on at column 0: read as Pyrite reads it, with a hint.
    check(
        "---\r\nid: qc\r\ntitle: \"Quality Circles in an\r\nR&D Setting\"\r\ntype: writing\r\n---\r\nBody [[x]].\r\n",
        expect![[r#"
            id 9..11 "qc"
            title 21..55 "Quality Circles in an\r\nR&D Setting"
            type 64..71 "writing"
            link 83..88 "[[x]]" target="x"
            summary "Body x."
            hint 44..56 "R&D Setting\"": this quoted value goes on at the start of a line: Pyrite reads it, strict YAML tools do not; indent the lines after the first
        "#]],
    );
    // What Pyrite refuses too stays an error.
    check(
        "---\nid: qc\ntitle: Quality Circles in an\nR&D Setting\ntype: writing\n---\n",
        expect![[r#"
            id 8..10 "qc"
            title 18..39 "Quality Circles in an"
            error 52..65 "type: writing": invalid YAML in frontmatter: simple key expect ':'
        "#]],
    );
}

#[test]
fn markdown_links_to_local_files() {
    check(
        "See [Other](Other%20note.md), [up](../notes/other.md#Some%20Heading), ![chart](img/chart.png),\n\
         [spaced](<My Note.md#^blk>), [here](#Local), [web](https://example.com/a#b), [mail](mailto:a@b.c),\n\
         [](empty-text.md), [[wiki]], `[code](not-a-link.md)` and [titled](t.md \"A title\").\n",
        expect![[r#"
            link 4..28 "[Other](Other%20note.md)" markdown target="Other%20note.md" display="Other"
            link 30..68 "[up](../notes/other.md#Some%20Heading)" markdown target="../notes/other.md" heading="Some%20Heading" display="up"
            link 70..93 "![chart](img/chart.png)" markdown embed target="img/chart.png" display="chart"
            link 95..122 "[spaced](<My Note.md#^blk>)" markdown target="My Note.md" block="blk" display="spaced"
            link 124..138 "[here](#Local)" markdown target="" heading="Local" display="here"
            link 194..211 "[](empty-text.md)" markdown target="empty-text.md"
            link 213..221 "[[wiki]]" target="wiki"
            link 251..275 "[titled](t.md \"A title\")" markdown target="t.md" display="titled"
            summary "See [Other](Other%20note.md), [up](../notes/other.md#Some%20Heading), [chart](img/chart.png), [spaced](<My Note.md#^blk>), [here](#Local), [web](https://example.com/a#b), [mail](mailto:a@b.c), [](empty-text.md), wiki, [code](not-a-link.md) and [titled](t.md \"A title\")."
        "#]],
    );
}

#[test]
fn markdown_links_inside_wiki_links_and_code_are_not_links() {
    check(
        "[[a](b)]] and\n\n```\n[x](y.md)\n```\n\n    [i](indented.md)\n",
        expect![[r#"
            link 0..9 "[[a](b)]]" target="a](b)"
            summary "a](b) and"
        "#]],
    );
}

#[test]
fn block_ids_right_after_a_link_or_embed() {
    check(
        "![[chart.png]]^sales-chart\n[[note]]^after-link\n![a](b.png)^after-image\nx^not-a-block\ntext ^spaced\n",
        expect![[r#"
            link 0..14 "![[chart.png]]" embed target="chart.png"
            link 27..35 "[[note]]" target="note"
            link 47..58 "![a](b.png)" markdown embed target="b.png" display="a"
            block 14..26 "^sales-chart"
            block 35..46 "^after-link"
            block 58..70 "^after-image"
            block 90..97 "^spaced"
            summary "!chart.png^sales-chart note^after-link [a](b.png)^after-image x^not-a-block text"
        "#]],
    );
}

#[test]
fn property_links_in_every_field() {
    check(
        "---\ntype: [\"[[Cities]]\"]\ntags: [travel, \"[[Travel]]\"]\naliases: [\"[[Alias Note]]\", Plain]\ntitle: \"[[Title Note]]\"\nup: \"[[Parent|the parent]]\"\nrelated: plain-value\n---\nBody.\n",
        expect![[r#"
            tag 32..38 "travel"
            alias 82..87 "Plain"
            field up (no plain value)
            field related 150..161 "plain-value"
            link 12..22 "[[Cities]]" frontmatter target="Cities"
            link 41..51 "[[Travel]]" frontmatter target="Travel"
            link 65..79 "[[Alias Note]]" frontmatter target="Alias Note"
            link 97..111 "[[Title Note]]" frontmatter target="Title Note"
            link 118..139 "[[Parent|the parent]]" frontmatter target="Parent" display="the parent"
            summary "Body."
        "#]],
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: 20_000,
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// However a link is stored (its shape, see `StoredLink`), it reads back exactly as
    /// `parse_link_inner` splits its inside.
    #[test]
    fn stored_links_read_back_as_parse_link_inner_splits_them(
        inner in "[a-z :#|^\\\\.\t é\u{a0}-]{0,16}",
        embed in proptest::bool::ANY,
    ) {
        let text = format!("x {}[[{inner}]] y\n", if embed { "!" } else { "" });
        let note = parse_note(&text);
        for link in note.links() {
            let inner_start = link.range.start as usize + 2 + usize::from(embed);
            let inner_end = link.range.end as usize - 2;
            let expected = parse_link_inner(&text[inner_start..inner_end], inner_start);
            proptest::prop_assert_eq!(link.kb, expected.kb);
            proptest::prop_assert_eq!(link.target, expected.target);
            proptest::prop_assert_eq!(link.heading, expected.heading);
            proptest::prop_assert_eq!(link.block, expected.block);
            proptest::prop_assert_eq!(link.display, expected.display);
        }
    }
}

#[test]
fn stored_links_read_the_same_forward_backward_and_by_index() {
    // Each link's end comes from where the next one's inside starts in the arena: check every
    // way of reading them, with embeds, markdown links and a frontmatter link among them.
    let text = "---\nup: \"[[kb:parent]]\"\n---\n[[a]] ![[b#c|d]] [e](f.md) ![g](h.png) [[i|j]]\n";
    let note = parse_note(text);
    let links = note.links();
    let forward: Vec<Link<'_>> = links.iter().collect();
    let mut backward: Vec<Link<'_>> = links.iter().rev().collect();
    backward.reverse();
    assert_eq!(forward.len(), 6);
    assert_eq!(forward, backward);
    for (index, link) in forward.iter().enumerate() {
        assert_eq!(links.at(index), *link);
        assert_eq!(links.get(index), Some(*link));
    }
    assert_eq!(links.get(forward.len()), None);
    let sources: Vec<&str> = forward.iter().map(|l| &text[l.range.as_usize()]).collect();
    assert_eq!(
        sources,
        [
            "[[kb:parent]]",
            "[[a]]",
            "![[b#c|d]]",
            "[e](f.md)",
            "![g](h.png)",
            "[[i|j]]"
        ]
    );
    // Mixed: one from the front, one from the back, and so on.
    let mut iter = links.iter();
    assert_eq!(iter.next(), Some(forward[0]));
    assert_eq!(iter.next_back(), Some(forward[5]));
    assert_eq!(iter.len(), 4);
    assert_eq!(iter.next(), Some(forward[1]));
    assert_eq!(iter.next_back(), Some(forward[4]));
    assert_eq!(iter.collect::<Vec<_>>(), forward[2..4]);
}

#[test]
fn links_read_the_same_in_every_layout() {
    // A note's links take two words each when their insides end in the arena's first 64 KiB
    // and no markdown link's `(` is past the tenth bit; a wiki-link separator past it is split
    // again when read. The same links, written either way, must read the same.
    let long = "x".repeat(1100);
    let body = format!(
        "[[a]] ![[b#c|d]] [e](f.md) ![g](h.png) [[kb:t|{long}]] [[{long}|shown]] [[{long}#h]] [[i|j]]\n"
    );
    let narrow = parse_note(&body);
    assert_eq!(narrow.link_layout, LinkLayout::Narrow);
    // Each link as read: its range and parts, `shift` bytes earlier.
    let render = |links: Links<'_>, shift: u32| -> Vec<String> {
        links
            .iter()
            .map(|link| {
                let parts = [link.kb, Some(link.target), link.heading, link.display];
                let parts: Vec<String> = parts
                    .iter()
                    .flatten()
                    .map(|p| format!("{:?}@{}", p.text, p.range.start - shift))
                    .collect();
                let range = (link.range.start - shift, link.range.end - shift);
                format!(
                    "{range:?} {:?} {} {}",
                    link.syntax,
                    link.is_embed,
                    parts.join(" ")
                )
            })
            .collect()
    };
    let read = |note: &ParsedNote, shift: u32| render(note.links(), shift);
    let expected = read(&narrow, 0);
    assert_eq!(expected.len(), 8);
    // Link texts past 64 KiB of the arena: a frontmatter value of 70 KB comes before them.
    let padding = format!("---\nnote: {}\n---\n", "p".repeat(70_000));
    let wide = parse_note(&format!("{padding}{body}"));
    assert_eq!(wide.link_layout, LinkLayout::Wide);
    assert_eq!(read(&wide, padding.len() as u32), expected);
    // A markdown link whose `(` is 1,101 bytes in.
    let with_markdown = parse_note(&format!("{body}[{long}](far.md)\n"));
    assert_eq!(with_markdown.link_layout, LinkLayout::Wide);
    let links = read(&with_markdown, 0);
    assert_eq!(links[..8], expected[..]);
    let far = with_markdown.links().at(8);
    assert_eq!(far.target.text, "far.md");
    // Read in the note's text, when the note keeps no link texts: the same again, with or
    // without a long frontmatter before them; a markdown link's far `(` keeps them.
    let in_text = parse_note_keeping(&body, Retention::Compact);
    assert_eq!(in_text.link_layout, LinkLayout::InText);
    assert!(!in_text.keeps_link_texts());
    assert_eq!(in_text.link_count(), 8);
    let padded = format!("{padding}{body}");
    let padded_in_text = parse_note_keeping(&padded, Retention::Compact);
    assert_eq!(padded_in_text.link_layout, LinkLayout::InText);
    // A note without links keeps their (no) texts: nothing to read again.
    let no_links = parse_note_keeping("# Only a heading\n", Retention::Compact);
    assert!(no_links.keeps_link_texts() && no_links.links().is_empty());
    let far_markdown = format!("{body}[{long}](far.md)\n");
    let far_in_text = parse_note_keeping(&far_markdown, Retention::Compact);
    assert_eq!(far_in_text.link_layout, LinkLayout::Wide);
    let read_in = |note: &ParsedNote, text: &str, shift: u32| {
        let links = note.links_in(text);
        render(links.expect("the text the note was parsed from"), shift)
    };
    assert_eq!(read_in(&in_text, &body, 0), expected);
    assert_eq!(
        read_in(&padded_in_text, &padded, padding.len() as u32),
        expected
    );
    assert_eq!(read_in(&far_in_text, "ignored", 0), links);
    // A text that is not the one parsed: longer; or as long with a link or a separator moved,
    // a bracket changed, another target or another display text.
    assert!(in_text.links_in(&format!("{body} ")).is_none());
    for (from, to) in [
        ("[[a]] ", " [[a]]"),
        ("[[i|j]]", "[[ij|]]"),
        ("[e](f.md)", "[e]]f.md)"),
        ("[[a]]", "[[z]]"),
        ("[[i|j]]", "[[i|k]]"),
    ] {
        let changed = body.replacen(from, to, 1);
        assert!(in_text.links_in(&changed).is_none(), "{from} → {to}");
    }
    // As long, the links and their texts as they were, other text between them.
    let reworded = body.replacen("] [e]", "]_[e]", 1);
    assert_ne!(reworded, body);
    assert_eq!(read_in(&in_text, &reworded, 0), expected);
    // Every way of reading them agrees, in every layout.
    let in_text_links = in_text.links_in(&body).unwrap();
    for links in [
        narrow.links(),
        wide.links(),
        with_markdown.links(),
        in_text_links,
    ] {
        let forward: Vec<Link<'_>> = links.iter().collect();
        let mut backward: Vec<Link<'_>> = links.iter().rev().collect();
        backward.reverse();
        assert_eq!(forward, backward);
        for (index, link) in forward.iter().enumerate() {
            assert_eq!(links.at(index), *link);
        }
    }
}
