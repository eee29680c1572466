//! Workspace symbols: notes by title, id and alias, and headings, fuzzy-ranked with the same
//! ranking as completion ([`super::rank`]), best first, at most `limit`.
//!
//! A note's symbol is named by what matched, since editors hide symbols whose name does not
//! match the query: its title, else its id, else the alias that matched (the container then
//! names the title). Headings rank below notes that match as well. The scan keeps only the best
//! `limit` hits in a bounded heap and allocates only for the answer, so a query over 100k notes
//! costs one pass of the matcher.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::document_symbols::SymbolKind;
use super::rank::NoteRanker;
use crate::text::{FileId, TextRange};
use crate::workspace::Workspace;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceSymbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The KB (for notes) or the note's title (for headings), and more context.
    pub container: String,
    pub file: FileId,
    /// The `id:` value or the heading's words (the file's start for a note without `id:`).
    pub focus_range: TextRange,
}

/// Orders hits: higher score first, then by file and heading, so answers are stable.
type Hit = (u32, Reverse<FileId>, Reverse<Option<usize>>);

pub fn workspace_symbols(workspace: &Workspace, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    if limit == 0 {
        return Vec::new();
    }
    let mut ranker = NoteRanker::new(query);
    let mut best: BinaryHeap<Reverse<Hit>> = BinaryHeap::with_capacity(limit + 1);
    let mut keep = |hit: Hit| {
        if best.len() < limit {
            best.push(Reverse(hit));
        } else if best.peek().is_some_and(|Reverse(worst)| hit > *worst) {
            best.pop();
            best.push(Reverse(hit));
        }
    };
    for (file, note) in workspace.notes() {
        if let Some(score) = ranker.score_note(note) {
            // Notes score double the fuzzy score (see `rank`), so they beat equal headings.
            keep((score + 1, Reverse(file), Reverse(None)));
        }
        if ranker.is_empty() || note.heading_mask & ranker.mask() != ranker.mask() {
            continue;
        }
        for (index, heading) in note.parsed.headings.iter().enumerate() {
            if let Some(score) = ranker.score_text(&heading.text) {
                keep((score, Reverse(file), Reverse(Some(index))));
            }
        }
    }
    let mut hits = best.into_vec();
    hits.sort();
    hits.into_iter()
        .filter_map(|Reverse((_, Reverse(file), Reverse(heading)))| {
            symbol(workspace, &mut ranker, file, heading)
        })
        .collect()
}

fn symbol(
    workspace: &Workspace,
    ranker: &mut NoteRanker,
    file: FileId,
    heading: Option<usize>,
) -> Option<WorkspaceSymbol> {
    let note = workspace.note(file)?;
    let kb = &workspace.kb(note.kb).name;
    let title = note.title();
    if let Some(index) = heading {
        let heading = note.parsed.headings.get(index)?;
        return Some(WorkspaceSymbol {
            name: heading.text.to_string(),
            kind: SymbolKind::Heading,
            container: format!("{title} · {kb}"),
            file,
            focus_range: heading.text_range,
        });
    }
    let matched = |ranker: &mut NoteRanker, name: &str| {
        ranker.is_empty() || ranker.score_text(name).is_some()
    };
    let name = if matched(ranker, title) {
        title
    } else if matched(ranker, &note.id) {
        &note.id
    } else {
        note.aliases()
            .max_by_key(|alias| ranker.score_text(alias))
            .unwrap_or(title)
    };
    let container = if name == title {
        format!("{kb} · {}", note.id)
    } else {
        format!("{kb} · {title}")
    };
    Some(WorkspaceSymbol {
        name: name.to_owned(),
        kind: SymbolKind::Note,
        container,
        file,
        focus_range: super::diagnostics::id_range(note),
    })
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::Fixture;

    const NOTES: &str = r#"
//- /apiary/kb.yaml
name: apiary
//- /apiary/lime-trees.md
---
id: lime-trees
title: Lime Trees
aliases: [Linden, Tilia]
---
## Flowering
//- /apiary/linden-hive.md
---
id: linden-hive
title: Linden Hive
---
# Linden Hive
## Temperament
//- /apiary/heather.md
# Heather
## Lime window
"#;

    fn check(query: &str, limit: usize, expect: Expect) {
        let f = Fixture::parse(NOTES);
        let mut out = String::new();
        for s in workspace_symbols(&f.workspace, query, limit) {
            out += &format!(
                "{:?} {:?} in {:?}: {}\n",
                s.kind,
                s.name,
                s.container,
                f.render(s.file, s.focus_range)
            );
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn ranks_notes_by_title_id_and_alias_then_headings() {
        check(
            "linden",
            10,
            expect![[r#"
                Note "Linden Hive" in "apiary · linden-hive": /apiary/linden-hive.md 8..19 "linden-hive"
                Note "Linden" in "apiary · Lime Trees": /apiary/lime-trees.md 8..18 "lime-trees"
                Heading "Linden Hive" in "Linden Hive · apiary": /apiary/linden-hive.md 45..56 "Linden Hive"
            "#]],
        );
        check(
            "lime",
            2,
            expect![[r#"
                Note "Lime Trees" in "apiary · lime-trees": /apiary/lime-trees.md 8..18 "lime-trees"
                Heading "Lime window" in "Heather · apiary": /apiary/heather.md 13..24 "Lime window"
            "#]],
        );
        check(
            "temper",
            10,
            expect![[r#"
                Heading "Temperament" in "Linden Hive · apiary": /apiary/linden-hive.md 60..71 "Temperament"
            "#]],
        );
    }
}
