//! Workspace symbols: notes by title, id and alias, and headings, fuzzy-ranked with the same
//! ranking as completion ([`super::rank`]), best first, at most `limit`.
//!
//! A note's symbol is named by what matched, since editors hide symbols whose name does not
//! match the query: its title, else its id, else the alias that matched (the container then
//! names the title). Headings rank below notes that match as well. The scan keeps only the best
//! `limit` hits (a [`TopK`]), so a query over 100k notes costs one pass of the matcher, split
//! between the cores.
//!
//! Tags (in `tags:` or inline) are symbols too, named `#tag`, at their first place: after the
//! notes and headings while the answer has room, and alone when the query starts with `#`.

use std::cmp::Ordering;

use super::navigation::{SymbolKind, plural, tags_in_use};
use super::rank::{NoteRanker, TopK, keep_best, scan_name_chunks};
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

/// A hit: its score, its note and, for a heading, the heading's index.
type Hit = (u32, FileId, Option<usize>);

/// Notes with a matching name and their best name's score, in the name table's order.
type NoteBests = Vec<(FileId, u32)>;

/// Orders hits: higher score first, then by file, a note before its headings, then by heading,
/// so answers are stable.
fn order(a: &Hit, b: &Hit) -> Ordering {
    b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2))
}

pub fn workspace_symbols(workspace: &Workspace, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    if let Some(tag_query) = query.trim_start().strip_prefix('#') {
        return tag_symbols(workspace, tag_query, limit);
    }
    let mut symbols = note_symbols(workspace, query, limit);
    if symbols.len() < limit {
        let room = limit - symbols.len();
        symbols.extend(tag_symbols(workspace, query, room));
    }
    symbols
}

/// The tags whose names match `query`, best first, at most `limit`.
fn tag_symbols(workspace: &Workspace, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    let mut ranker = NoteRanker::new(query);
    let mut hits: Vec<(u32, WorkspaceSymbol)> = tags_in_use(workspace, None, ranker.mask())
        .into_iter()
        .filter_map(|tag| {
            let score = if ranker.is_empty() {
                0
            } else {
                ranker.score_text(tag.name)?
            };
            let notes = tag.notes;
            let symbol = WorkspaceSymbol {
                name: format!("#{}", tag.name),
                kind: SymbolKind::Tag,
                container: plural(notes, "note"),
                file: tag.first.file,
                focus_range: tag.first.range,
            };
            Some((score, symbol))
        })
        .collect();
    // Stable: equal scores keep the tags' order (by key).
    hits.sort_by_key(|hit| std::cmp::Reverse(hit.0));
    hits.into_iter().take(limit).map(|(_, s)| s).collect()
}

/// The notes and headings that match `query`, best first, at most `limit`.
fn note_symbols(workspace: &Workspace, query: &str, limit: usize) -> Vec<WorkspaceSymbol> {
    if limit == 0 {
        return Vec::new();
    }
    let mut ranker = NoteRanker::new(query);
    let mut best = TopK::new(limit, order);
    let mut keep = |hit: Hit| best.offer(hit);
    // Notes whose id or title is the query or starts with it outrank every other note and
    // every heading (see `rank`). The best `limit` hits do not depend on the order of the
    // scan, so these notes go first: when `limit` of them match, nothing else can enter.
    let mut tiered = Vec::new();
    if !ranker.is_empty() {
        let mask = ranker.mask();
        for (index, facts) in workspace.name_facts().iter().enumerate() {
            if !facts.live || facts.mask & mask != mask {
                continue;
            }
            let file = FileId(index as u32);
            let Some(tier) = ranker.tier_from_facts(facts, || workspace.note(file)) else {
                continue;
            };
            if tier > 0 {
                tiered.push(file);
                if let Some(score) = ranker.score_tiered(tier, || workspace.note(file)) {
                    keep((score + 1, file, None));
                }
            }
        }
        if tiered.len() >= limit && ranker.fuzzy_below_tiers() {
            return answer(workspace, &mut ranker, best.into_sorted());
        }
    }
    if ranker.is_empty() {
        // Every note scores 0; headings are left out.
        for (file, _) in workspace.notes() {
            keep((1, file, None));
        }
        return answer(workspace, &mut ranker, best.into_sorted());
    }
    // The other notes and the headings, from the name table: a note that is not tiered
    // scores double its best fuzzy score over its id, title and aliases (as in
    // `NoteRanker::score_note`), which come together before its headings.
    let (note_bests, heading_hits) = scan_names(workspace, query, ranker.mask(), limit);
    for (file, score) in note_bests {
        if tiered.binary_search(&file).is_err() {
            keep((score * 2 + 1, file, None));
        }
    }
    for hit in heading_hits {
        keep(hit);
    }
    answer(workspace, &mut ranker, best.into_sorted())
}

/// Every note with a name that matches `query`, with its best name's score, in the name
/// table's order, and the best `limit` heading hits of each chunk of the headings (the best
/// `limit` overall are among them), read on all cores.
fn scan_names(
    workspace: &Workspace,
    query: &str,
    mask: u64,
    limit: usize,
) -> (NoteBests, Vec<Hit>) {
    let table = workspace.names();
    let lists = [table.note_names(), table.headings()];
    // Per chunk: the notes' best names (a chunk of the names) or the best headings (a chunk
    // of the headings).
    let scanned = scan_name_chunks(&lists, |list, range| {
        let mut ranker = NoteRanker::new(query);
        let mut notes: NoteBests = Vec::new();
        let mut headings = TopK::new(limit, order);
        for (text, entry) in lists[list].matching_in(mask, range) {
            let Some(score) = ranker.score_text(text) else {
                continue;
            };
            if list == 0 {
                keep_best(&mut notes, entry.file, score);
            } else {
                headings.offer((score, entry.file, Some(entry.index as usize)));
            }
        }
        (notes, headings.into_sorted())
    });
    let mut note_bests: NoteBests = Vec::new();
    let mut heading_hits = Vec::new();
    for (notes, headings) in scanned {
        for (file, score) in notes {
            keep_best(&mut note_bests, file, score);
        }
        heading_hits.extend(headings);
    }
    (note_bests, heading_hits)
}

fn answer(workspace: &Workspace, ranker: &mut NoteRanker, hits: Vec<Hit>) -> Vec<WorkspaceSymbol> {
    hits.into_iter()
        .filter_map(|(_, file, heading)| symbol(workspace, ranker, file, heading))
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
        let heading = note.parsed.headings().get(index)?;
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
    } else if matched(ranker, note.id()) {
        note.id()
    } else {
        note.aliases()
            .max_by_key(|alias| ranker.score_text(alias))
            .unwrap_or(title)
    };
    let container = if name == title {
        format!("{kb} · {}", note.id())
    } else {
        format!("{kb} · {title}")
    };
    Some(WorkspaceSymbol {
        name: name.to_owned(),
        kind: SymbolKind::Note,
        container,
        file,
        focus_range: note.id_range(),
    })
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;

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
Flowers in August. #forage #moorland/high
//- /apiary/clover.md
---
tags: [forage]
---
"#;

    #[track_caller]
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

    /// The plain scan that the name table replaces: every note, then its headings.
    fn reference(workspace: &Workspace, query: &str, limit: usize) -> Vec<(FileId, String)> {
        let mut ranker = NoteRanker::new(query);
        let mut hits = Vec::new();
        for (file, note) in workspace.notes() {
            if let Some(score) = ranker.score_note(note) {
                hits.push((score + 1, Reverse(file), Reverse(None)));
            }
            if ranker.is_empty() {
                continue;
            }
            for (index, heading) in note.parsed.headings().iter().enumerate() {
                if let Some(score) = ranker.score_text(heading.text) {
                    hits.push((score, Reverse(file), Reverse(Some(index))));
                }
            }
        }
        hits.sort_by(|a, b| b.cmp(a));
        hits.truncate(limit);
        hits.into_iter()
            .filter_map(|(_, Reverse(file), Reverse(heading))| {
                let s = symbol(workspace, &mut ranker, file, heading)?;
                Some((s.file, s.name))
            })
            .collect()
    }

    /// The one test that calls the notes' part beside `check`: it compares the answer
    /// with an oracle's ([`reference`]) as the workspace changes, with no snapshot to check.
    #[test]
    fn name_table_follows_edits_and_removals() {
        let mut f = Fixture::parse(NOTES);
        let root = f.workspace.roots()[0].clone();
        let queries = [
            "", "li", "lin", "lime", "h", "hea", "tem", "x", "fl ow", "Linden",
        ];
        for round in 0..2_500u32 {
            let name = format!("n{}.md", round % 40);
            let path = root.join("apiary").join(&name);
            if round % 7 == 3 {
                f.workspace.remove_note(&path);
            } else {
                let text = format!(
                    "---\ntitle: Lime {round}\naliases: [Hive {}]\n---\n# Heading {round}\n## Lime {}\n",
                    round % 3,
                    round % 11
                );
                f.workspace.set_note(path, crate::syntax::parse_note(&text));
            }
            if round % 250 == 0 || round > 2_490 {
                for query in queries {
                    for limit in [1, 3, 50] {
                        let got: Vec<_> = note_symbols(&f.workspace, query, limit)
                            .into_iter()
                            .map(|s| (s.file, s.name))
                            .collect();
                        assert_eq!(
                            got,
                            reference(&f.workspace, query, limit),
                            "{query} {limit}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn tags_are_symbols_after_notes_or_alone_after_a_hash() {
        check(
            "#",
            10,
            expect![[r##"
                Tag "#forage" in "2 notes": /apiary/clover.md 11..17 "forage"
                Tag "#moorland/high" in "1 note": /apiary/heather.md 53..66 "moorland/high"
            "##]],
        );
        check(
            "#moor",
            10,
            expect![[r##"
                Tag "#moorland/high" in "1 note": /apiary/heather.md 53..66 "moorland/high"
            "##]],
        );
        check(
            "forag",
            10,
            expect![[r##"
                Tag "#forage" in "2 notes": /apiary/clover.md 11..17 "forage"
            "##]],
        );
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
