//! The outline of one note: a root symbol for the note itself (its title, with its id as
//! detail) holding its headings, nested by level.
//!
//! Ranges: the note covers the whole file and is focused on its `id:` value (else its first
//! heading, else the file's start). A heading's section runs from the heading to the next
//! heading of the same or a higher level (or the end of the file) and is focused on the
//! heading's words.

use super::navigation::SymbolKind;
use crate::syntax::{Records, StoredHeading};
use crate::text::{FileId, TextRange};
use crate::workspace::Workspace;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentSymbol {
    pub name: String,
    pub detail: Option<String>,
    pub kind: SymbolKind,
    pub full_range: TextRange,
    pub focus_range: TextRange,
    pub children: Vec<DocumentSymbol>,
}

/// The note's outline: one root symbol, or nothing for an unknown file.
pub fn document_symbols(workspace: &Workspace, file: FileId) -> Vec<DocumentSymbol> {
    let Some(note) = workspace.note(file) else {
        return Vec::new();
    };
    let len = note.parsed.text_len() as usize;
    let headings = note.parsed.headings();
    let focus = note
        .parsed
        .frontmatter()
        .and_then(|fm| fm.id())
        .map(|id| id.range)
        .or_else(|| headings.first().map(|h| h.text_range))
        .unwrap_or_default();
    let mut detail = vec![format!("id {}", note.id())];
    if let Some(note_type) = note.note_type() {
        detail.push(note_type.to_owned());
    }
    let mut next = 0;
    let children = outline(headings, &mut next, 0, len as u32);
    vec![DocumentSymbol {
        name: note.title().to_owned(),
        detail: Some(detail.join(" · ")),
        kind: SymbolKind::Note,
        full_range: TextRange::new(0, len),
        focus_range: focus,
        children,
    }]
}

/// The headings from `*next` on that are deeper than `parent_level`, as a tree.
fn outline(
    headings: Records<'_, StoredHeading>,
    next: &mut usize,
    parent_level: u8,
    end: u32,
) -> Vec<DocumentSymbol> {
    let mut symbols = Vec::new();
    while let Some(heading) = headings.get(*next) {
        if heading.level <= parent_level {
            break;
        }
        *next += 1;
        let section_end = headings
            .iter()
            .skip(*next)
            .find(|h| h.level <= heading.level)
            .map_or(end, |h| h.range.start);
        let children = outline(headings, next, heading.level, section_end);
        symbols.push(DocumentSymbol {
            name: heading.text.to_string(),
            detail: None,
            kind: SymbolKind::Heading,
            full_range: TextRange {
                start: heading.range.start,
                end: section_end,
            },
            focus_range: heading.text_range,
            children,
        });
    }
    symbols
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::Fixture;

    /// Renders the outline of the note at `path`, one symbol a line, indented by depth.
    #[track_caller]
    fn check(fixture: &str, path: &str, expect: Expect) {
        let f = Fixture::parse(fixture);
        let file = f.file(path);
        let mut out = String::new();
        render(&f, file, &document_symbols(&f.workspace, file), 0, &mut out);
        expect.assert_eq(&out);
    }

    fn render(
        f: &Fixture,
        file: FileId,
        symbols: &[DocumentSymbol],
        depth: usize,
        out: &mut String,
    ) {
        for symbol in symbols {
            let text = f.text(file);
            let full = &text[symbol.full_range.as_usize()];
            let first_line = full.lines().next().unwrap_or("");
            *out += &format!(
                "{}{:?} {:?} {:?} focus {:?} full {:?} ({} lines from {first_line:?})\n",
                "  ".repeat(depth),
                symbol.kind,
                symbol.name,
                symbol.detail.as_deref().unwrap_or(""),
                &text[symbol.focus_range.as_usize()],
                symbol.full_range,
                full.lines().count(),
            );
            render(f, file, &symbol.children, depth + 1, out);
        }
    }

    #[test]
    fn nests_headings_under_the_note() {
        check(
            r#"
//- /kb/hive.md
---
id: hive
title: "The Hive"
type: colony
---
# The Hive

Intro.

## Temperament
Calm.
### Before thunder
Tetchy.
## Harvests

Setext too
----------
# Appendix
"#,
            "/ws/kb/hive.md",
            expect![[r####"
            Note "The Hive" "id hive · colony" focus "hive" full 0..162 (18 lines from "---")
              Heading "The Hive" "" focus "The Hive" full 48..151 (12 lines from "# The Hive")
                Heading "Temperament" "" focus "Temperament" full 68..116 (4 lines from "## Temperament")
                  Heading "Before thunder" "" focus "Before thunder" full 89..116 (2 lines from "### Before thunder")
                Heading "Harvests" "" focus "Harvests" full 116..129 (2 lines from "## Harvests")
                Heading "Setext too" "" focus "Setext too" full 129..151 (2 lines from "Setext too")
              Heading "Appendix" "" focus "Appendix" full 151..162 (1 lines from "# Appendix")
        "####]],
        );
    }
}
