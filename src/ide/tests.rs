//! Feature tests over fixtures: one `check_*` helper per feature, answers rendered as text and
//! compared with `expect!` snapshots (`UPDATE_EXPECT=1 cargo test` rewrites them).

use expect_test::{Expect, expect};

use super::*;
use crate::fixture::Fixture;

const TWO_KBS: &str = r#"
//- /garden/kb.yaml
name: garden
shortname: gd
types:
  plant:
    subdirectory: plants
    fields:
      companions: {type: list, description: "Plants grown beside it (entry IDs)"}
//- /kitchen/kb.yaml
name: kitchen
//- /garden/plants/basil.md
---
id: basil
title: "Sweet Basil"
type: plant
tags: [herb, annual]
aliases: [Genovese]
companions: [tomato, parsley-gone]
---
# Basil

Basil loves warmth. Plant it beside [[tomato]].

## Harvest

Pinch the tops. ^pinch
//- /garden/plants/tomato-notes.md
---
id: tomato
title: "Tomato"
type: plant
---
Grows with [[basil#Harvest]] and [[Genovese]].
"#;

fn check_diagnostics(fixture: &str, expect: Expect) {
    let f = Fixture::parse(fixture);
    let mut files: Vec<_> = f.texts.keys().copied().collect();
    files.sort_by_key(|&file| f.path(file));
    let mut out = String::new();
    for file in files {
        for d in diagnostics(&f.workspace, file, &DiagnosticsConfig::default()) {
            out += &format!(
                "{} {}[{}]: {}\n",
                f.render(file, d.range),
                d.severity.as_str(),
                d.code.as_str(),
                d.message
            );
        }
    }
    expect.assert_eq(&out);
}

#[test]
fn diagnostics_cover_every_resolution_step() {
    check_diagnostics(
        &format!(
            "{TWO_KBS}{}",
            r#"
//- /kitchen/recipes/pesto.md
---
id: pesto
source: "[[gd:basil#Harvest]]"
---
Needs [[basil]], [[gd:basil^pinch]], [[gd:basil^nope]], [[gd:basil#Nope]],
[[nowhere]], [[pantry:salt]], [[gd:tomato]], [[#Method]], [[../../etc/passwd]].

## Method
"#
        ),
        expect![[r#"
            /garden/plants/basil.md 109..121 "parsley-gone" warning[broken-reference]: field `companions`: no note with id `parsley-gone` in KB `garden`
            /garden/plants/tomato-notes.md 80..92 "[[Genovese]]" information[non-canonical-link]: `Genovese` is a title or alias: link by id as `[[basil]]`
            /kitchen/recipes/pesto.md 55..64 "[[basil]]" warning[missing-kb-prefix]: `basil` is not in KB `kitchen` but in another KB: write `[[gd:basil]]`
            /kitchen/recipes/pesto.md 97..101 "nope" warning[broken-block]: no block `^nope` in `basil`
            /kitchen/recipes/pesto.md 116..120 "Nope" warning[broken-heading]: no heading `Nope` in `basil`
            /kitchen/recipes/pesto.md 124..135 "[[nowhere]]" warning[broken-link]: no note `nowhere` in KB `kitchen`
            /kitchen/recipes/pesto.md 139..145 "pantry" warning[unknown-kb]: no KB named `pantry`; known KBs: garden (gd), kitchen
            /kitchen/recipes/pesto.md 182..202 "[[../../etc/passwd]]" warning[broken-link]: `../../etc/passwd` points outside the knowledge base
        "#]],
    );
}

#[test]
fn duplicate_ids_and_ambiguous_links() {
    check_diagnostics(
        r#"
//- /a/one.md
---
id: same
---
//- /b/two.md
---
id: same
aliases: [Twin]
---
//- /c/three.md
---
aliases: [Twin]
---
[[same]] [[twin]]
"#,
        expect![[r#"
            /a/one.md 8..12 "same" error[duplicate-id]: duplicate id `same` in KB `ws`: also used by b/two.md
            /b/two.md 8..12 "same" error[duplicate-id]: duplicate id `same` in KB `ws`: also used by a/one.md
            /c/three.md 24..32 "[[same]]" warning[ambiguous-link]: `same` matches 2 notes: a/one.md, b/two.md
            /c/three.md 33..41 "[[twin]]" warning[ambiguous-link]: `twin` matches 2 notes: b/two.md, c/three.md
        "#]],
    );
}

/// Compares definition targets with the `^^^` markers. A target that is a whole note (an empty
/// focus at the file's start) is marked by a `^` under the file's first character.
fn check_definition(fixture: &str) {
    let f = Fixture::parse(fixture);
    let render = |file, range: crate::text::TextRange| {
        if range.start == 0 && range.len() <= 1 {
            f.path(file)
        } else {
            f.render(file, range)
        }
    };
    let answer = goto_definition(&f.workspace, f.position());
    let got: Vec<String> = answer
        .map(|a| {
            a.info
                .iter()
                .map(|t| render(t.file, t.focus_range))
                .collect()
        })
        .unwrap_or_default();
    let want: Vec<String> = f.markers.iter().map(|m| render(m.file, m.range)).collect();
    assert_eq!(got, want);
}

#[test]
fn definition_goes_to_notes_headings_blocks_and_references() {
    check_definition("//- /kb/a.md\n# Top\n  ^^^\n//- /kb/b.md\n[[a#to$0p]]\n");
    check_definition("//- /kb/a.md\nText. ^blk\n      ^^^^\n//- /kb/b.md\n![[a^bl$0k|shown]]\n");
    // A frontmatter reference goes to the note's start.
    check_definition("//- /kb/a.md\n---\nrel: [b$0]\n---\n//- /kb/b.md\nB\n^\n");
    // Ambiguous links offer every candidate; broken ones nothing.
    check_definition(
        "//- /kb/a.md\n---\n^\naliases: [x]\n---\n//- /kb/b.md\n---\n^\naliases: [x]\n---\n//- /kb/c.md\n[[$0x]]\n",
    );
    check_definition("//- /kb/a.md\n[[nowh$0ere]]\n");
}

fn check_hover(fixture: &str, expect: Expect) {
    let f = Fixture::parse(fixture);
    let source = f.source();
    let answer = hover(&f.workspace, f.position(), &source).expect("a hover");
    let file = f.position().file;
    expect.assert_eq(&format!(
        "{}\n{}",
        f.render(file, answer.range),
        answer.info
    ));
}

#[test]
fn hover_shows_the_note_card() {
    check_hover(
        &format!("{TWO_KBS}//- /garden/plants/mint.md\nNext to [[bas$0il]] and [[tomato]].\n"),
        expect![[r#"
            /garden/plants/mint.md 8..17 "[[basil]]"
            **Sweet Basil**

            *plant* · KB `garden` · id `basil`

            Tags: #herb #annual · Aliases: Genovese

            Basil loves warmth. Plant it beside tomato.

            3 backlinks · `garden/plants/basil.md`"#]],
    );
}

#[test]
fn hover_on_a_heading_link_and_a_broken_link() {
    check_hover(
        &format!("{TWO_KBS}//- /garden/plants/mint.md\n[[basil#harv$0est]]\n"),
        expect![[r#"
            /garden/plants/mint.md 0..17 "[[basil#harvest]]"
            **Sweet Basil › Harvest**

            Pinch the tops.
        "#]],
    );
    check_hover(
        &format!("{TWO_KBS}//- /garden/plants/mint.md\n[[basl$0]]\n"),
        expect![[r#"
            /garden/plants/mint.md 0..8 "[[basl]]"
            **No note `basl`** in KB `garden`

            Did you mean `basil`?"#]],
    );
}

fn check_completion(fixture: &str, expect: Expect) {
    let f = Fixture::parse(fixture);
    let position = f.position();
    let list = completion(
        &f.workspace,
        position,
        f.text(position.file),
        &CompletionConfig::default(),
    )
    .expect("completions");
    let text = f.text(position.file);
    let mut out = format!(
        "replace {:?} {:?}{}\n",
        list.replace_range,
        &text[list.replace_range.as_usize()],
        if list.is_incomplete {
            " (incomplete)"
        } else {
            ""
        }
    );
    for item in list.items {
        // Show the line as it reads once the item is accepted.
        let mut accepted = text.to_owned();
        accepted.replace_range(list.replace_range.as_usize(), &item.insert_text);
        let line_start = accepted[..list.replace_range.start as usize]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line = accepted[line_start..].lines().next().unwrap_or("");
        out += &format!("{:?} {} -> {line}\n", item.kind, item.label);
    }
    expect.assert_eq(&out);
}

#[test]
fn completion_of_notes_with_any_closing_brackets() {
    let notes = format!("{TWO_KBS}//- /garden/plants/mint.md\n");
    check_completion(
        &format!("{notes}Try [[ba$0"),
        expect![[r#"
            replace 6..8 "ba"
            Note basil -> Try [[basil]]
        "#]],
    );
    check_completion(
        &format!("{notes}Try [[ba$0]\n"),
        expect![[r#"
            replace 6..9 "ba]"
            Note basil -> Try [[basil]]
        "#]],
    );
    check_completion(
        &format!("{notes}Try [[gen$0]] now\n"),
        expect![[r#"
            replace 6..9 "gen"
            Note basil -> Try [[basil]] now
        "#]],
    );
}

#[test]
fn completion_of_headings_blocks_and_other_kbs() {
    let notes = format!("{TWO_KBS}//- /kitchen/pesto.md\n");
    check_completion(
        &format!("{notes}[[gd:basil#$0]]"),
        expect![[r#"
            replace 11..11 ""
            Heading Basil -> [[gd:basil#Basil]]
            Heading Harvest -> [[gd:basil#Harvest]]
        "#]],
    );
    check_completion(
        &format!("{notes}[[gd:basil#^$0"),
        expect![[r#"
            replace 12..12 ""
            Block pinch -> [[gd:basil#^pinch]]
        "#]],
    );
    check_completion(
        &format!("{notes}[[tom$0"),
        expect![[r#"
            replace 2..5 "tom"
            Note gd:tomato -> [[gd:tomato]]
        "#]],
    );
}

#[test]
fn completion_of_wanted_pages_skips_paths_and_other_kbs() {
    let notes = format!(
        "{TWO_KBS}//- /garden/wish.md\n[[pa-b]] [[pa:x]] [[pa/y]] [[pa-a]] [[paz]] [[pa:y]] [[pb]]\n//- /garden/plants/mint.md\n"
    );
    check_completion(
        &format!("{notes}[[pa$0"),
        expect![[r#"
            replace 2..4 "pa"
            WantedPage pa-a -> [[pa-a]]
            WantedPage pa-b -> [[pa-b]]
            WantedPage parsley-gone -> [[parsley-gone]]
            WantedPage paz -> [[paz]]
        "#]],
    );
}

#[test]
fn completion_in_frontmatter_reference_fields_and_tags() {
    check_completion(
        &format!("{TWO_KBS}//- /garden/plants/mint.md\n---\ncompanions: [bas$0]\n---\n"),
        expect![[r#"
            replace 17..20 "bas"
            Note basil -> companions: [basil]
        "#]],
    );
    check_completion(
        &format!("{TWO_KBS}//- /garden/plants/mint.md\n---\ntags:\n  - an$0\n---\n"),
        expect![[r#"
            replace 14..16 "an"
            Tag annual ->   - annual
        "#]],
    );
    // A field that holds no ids offers nothing.
    let f = Fixture::parse(&format!(
        "{TWO_KBS}//- /garden/plants/mint.md\n---\ncolour: gr$0\n---\n"
    ));
    let position = f.position();
    assert_eq!(
        completion(
            &f.workspace,
            position,
            f.text(position.file),
            &CompletionConfig::default()
        ),
        None
    );
}
