//! `workspace/willRenameFiles`: the edits that keep links working when the editor renames or
//! moves note files, computed before the move (so every edit addresses files by their old paths).
//!
//! For each moved note:
//! - when its id is its file stem (no `id:` field), its id changes with the file name: every
//!   link and reference by id gets the new stem (links by title or alias still work, and stay);
//! - when it has an `id:` field equal to the old stem, the id follows the file name too (the
//!   `id:` value and every link by id are rewritten), since the writer evidently keeps the two
//!   equal. If the new stem cannot be an id (see [`super::rename`]: bad characters, or already
//!   another note's name in the KB), the id stays and links keep working unchanged;
//! - an `id:` different from the stem is the note's identity and does not change;
//! - path-style links (`[[folder/name]]`) get the new path, with as many folders as they had;
//! - moving into another KB keeps links right across KBs: links from the old KB get the new
//!   KB's `kb:` prefix, prefixes naming the old KB are replaced, and the note's own links and
//!   references to notes of its old KB get that KB's prefix.
//!
//! A renamed or moved attachment (`chart.png`, `paper.pdf`) keeps its links too: each link to it
//! gets its new file name, or its new path with as many folders as the link had (relative links
//! stay relative; markdown links stay URL-encoded as written).
//!
//! A renamed or moved folder moves every note and attachment below it, each as above. When the folder holds its
//! KB's `kb.yaml` (or is above it), the KB moves along: ids, KBs and paths inside the KB stay,
//! so nothing needs rewriting. A folder moved into another KB is not handled (its notes would
//! need each other's new KB at once); the diagnostics then show the links to fix.
//!
//! When the new stem cannot be an id and the id is the stem, links by id will break; the
//! diagnostics then show them.

use std::path::{Path, PathBuf};

use super::navigation::field_values;
use super::retarget::{
    Retarget, check_id_syntax, check_new_id, reference_parts, retarget_pointers,
    rewrite_own_relative_links,
};
use super::source_change::{SourceChange, SourceChangeBuilder};
use crate::slug;
use crate::text::FileId;
use crate::workspace::{KbId, Workspace};

/// The edits for note files, attachments or folders moving from `.0` to `.1`; paths that are
/// neither an indexed note or attachment nor a folder holding some are ignored.
pub fn will_rename_files(workspace: &Workspace, moves: &[(PathBuf, PathBuf)]) -> SourceChange {
    let mut builder = SourceChangeBuilder::default();
    for (from, to) in moves {
        if workspace.file_id(from).is_some() {
            move_note(workspace, from, to, None, &mut builder);
            continue;
        }
        if workspace.attachment_id(from).is_some() {
            move_attachment(workspace, from, to, None, &mut builder);
            continue;
        }
        let note_paths = workspace.notes().map(|(_, note)| &note.path);
        let attachment_paths = workspace.attachments().map(|(_, a)| &a.path);
        let below: Vec<(PathBuf, PathBuf)> = note_paths
            .chain(attachment_paths)
            .filter_map(|path| {
                let inside = path.strip_prefix(from).ok()?;
                Some((path.clone(), to.join(inside)))
            })
            .collect();
        let kb_moves_along = |path: &PathBuf| {
            let kb = workspace.kb(workspace.kb_for_path(path));
            !kb.is_implicit() && kb.dir.starts_with(from)
        };
        let changes_kb = |(old, new): &(PathBuf, PathBuf)| {
            !kb_moves_along(old) && workspace.kb_for_path(old) != workspace.kb_for_path(new)
        };
        if below.iter().any(changes_kb) {
            continue;
        }
        for (old, new) in below.iter().filter(|(old, _)| !kb_moves_along(old)) {
            move_note(workspace, old, new, Some(from), &mut builder);
            move_attachment(workspace, old, new, Some(from), &mut builder);
        }
    }
    builder.finish()
}

/// The edits for the note file `from` moving to `to` (with the folder `moving_folder`, if any).
fn move_note(
    workspace: &Workspace,
    from: &Path,
    to: &Path,
    moving_folder: Option<&Path>,
    builder: &mut SourceChangeBuilder,
) {
    let Some(file) = workspace.file_id(from) else {
        return;
    };
    let Some(note) = workspace.note(file) else {
        return;
    };
    let Some(new_stem) = to.file_stem().and_then(|s| s.to_str()) else {
        return;
    };
    let new_kb = workspace.kb_for_path(to);
    let new_kb_path = workspace.kb_relative_path(new_kb, to);
    let id_value = note.id_value();
    let new_id = match id_value {
        _ if *note.stem() != *note.id() || new_stem == note.stem() => None,
        None => check_id_syntax(new_stem).is_ok().then_some(new_stem),
        Some(value) => {
            let ok = check_new_id(workspace, file, note.kb, new_stem).is_ok();
            if ok {
                builder.replace(file, value.range, new_stem);
            }
            ok.then_some(new_stem)
        }
    };
    retarget_pointers(
        workspace,
        &Retarget {
            file,
            new_id,
            new_kb_path: Some(&new_kb_path),
            new_kb,
            rewrite_names: false,
            moving_folder,
        },
        builder,
    );
    if new_kb != note.kb {
        prefix_own_pointers(workspace, file, note.kb, builder);
    } else {
        rewrite_own_relative_links(workspace, file, &new_kb_path, moving_folder, builder);
    }
}

/// The edits for the attachment `from` moving to `to` (with the folder `moving_folder`, if
/// any): its links follow it.
fn move_attachment(
    workspace: &Workspace,
    from: &Path,
    to: &Path,
    moving_folder: Option<&Path>,
    builder: &mut SourceChangeBuilder,
) {
    let Some(file) = workspace.attachment_id(from) else {
        return;
    };
    let new_kb = workspace.kb_for_path(to);
    let new_kb_path = workspace.kb_relative_file_path(new_kb, to);
    retarget_pointers(
        workspace,
        &Retarget {
            file,
            new_id: None,
            new_kb_path: Some(&new_kb_path),
            new_kb,
            rewrite_names: false,
            moving_folder,
        },
        builder,
    );
}

/// A note leaving KB `old_kb`: its links and references into `old_kb` (other than to itself)
/// that carry no `kb:` prefix get one.
fn prefix_own_pointers(
    workspace: &Workspace,
    file: FileId,
    old_kb: KbId,
    builder: &mut SourceChangeBuilder,
) {
    let Some(note) = workspace.note(file) else {
        return;
    };
    let prefix = workspace.kb_link_prefix(old_kb);
    let in_old_kb = |target: Option<FileId>| {
        target.is_some_and(|t| t != file && workspace.note(t).is_some_and(|n| n.kb == old_kb))
    };
    for link in workspace.links_of(note).links() {
        if link.kb.is_some() || link.target.text.is_empty() {
            continue;
        }
        if in_old_kb(slug::resolve_link(workspace, file, link).file(file)) {
            builder.insert(file, link.target.range.start, format!("{prefix}:"));
        }
    }
    for value in field_values(note) {
        let parts = reference_parts(value);
        if value.kb.is_some() || parts.kb.is_some() || !parts.verbatim {
            continue;
        }
        if in_old_kb(slug::resolve_reference(workspace, file, value)) {
            builder.insert(file, parts.id.start, format!("{prefix}:"));
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::{Fixture, ROOT};

    #[track_caller]
    fn check(fixture: &str, from: &str, to: &str, expect: Expect) {
        let f = Fixture::parse(fixture);
        let moves = [(
            PathBuf::from(format!("{ROOT}{from}")),
            PathBuf::from(format!("{ROOT}{to}")),
        )];
        let change = will_rename_files(&f.workspace, &moves);
        expect.assert_eq(&f.render_change(&change));
    }

    const NOTES: &str = r#"
//- /apiary/kb.yaml
name: apiary
shortname: ap
//- /cellar/kb.yaml
name: cellar
shortname: cl
//- /apiary/hives/linden-hive.md
---
id: linden-hive
sister: [heather-hive]
---
# Linden Hive
Next to [[heather-hive]] and [[swarm-box]]; see [[linden-hive#Linden Hive]].
//- /apiary/hives/heather-hive.md
---
sister: [linden-hive]
---
[[linden-hive]] [[hives/linden-hive|path]] [[Linden-Hive#Linden Hive]]
//- /apiary/hives/swarm-box-notes.md
---
id: swarm-box
---
[[swarm-box-notes]] [[heather-hive]] [[Heather-Hive]]
//- /cellar/mead.md
[[ap:linden-hive]] [[ap:swarm-box]] [[linden-hive]]
"#;

    #[test]
    fn a_file_stem_that_is_the_id_carries_links_with_it() {
        // No `id:` field: the id is the stem.
        check(
            NOTES,
            "/apiary/hives/heather-hive.md",
            "/apiary/hives/moor-hive.md",
            expect![[r#"
                //- /apiary/hives/linden-hive.md
                ---
                id: linden-hive
                sister: [moor-hive]
                ---
                # Linden Hive
                Next to [[moor-hive]] and [[swarm-box]]; see [[linden-hive#Linden Hive]].
                //- /apiary/hives/swarm-box-notes.md
                ---
                id: swarm-box
                ---
                [[swarm-box-notes]] [[moor-hive]] [[moor-hive]]
            "#]],
        );
        // An `id:` equal to the stem follows the file name.
        check(
            NOTES,
            "/apiary/hives/linden-hive.md",
            "/apiary/hives/lime-hive.md",
            expect![[r#"
                //- /apiary/hives/linden-hive.md
                ---
                id: lime-hive
                sister: [heather-hive]
                ---
                # Linden Hive
                Next to [[heather-hive]] and [[swarm-box]]; see [[lime-hive#Linden Hive]].
                //- /apiary/hives/heather-hive.md
                ---
                sister: [lime-hive]
                ---
                [[lime-hive]] [[hives/lime-hive|path]] [[lime-hive#Linden Hive]]
                //- /cellar/mead.md
                [[ap:lime-hive]] [[ap:swarm-box]] [[lime-hive]]
            "#]],
        );
    }

    #[test]
    fn an_id_that_is_not_the_stem_stays() {
        check(
            NOTES,
            "/apiary/hives/swarm-box-notes.md",
            "/apiary/hives/swarm.md",
            expect![[r#"
                //- /apiary/hives/swarm-box-notes.md
                ---
                id: swarm-box
                ---
                [[swarm]] [[heather-hive]] [[Heather-Hive]]
            "#]],
        );
    }

    #[test]
    fn moves_to_another_folder_or_kb() {
        check(
            NOTES,
            "/apiary/hives/linden-hive.md",
            "/apiary/old/linden-hive.md",
            expect![[r#"
                //- /apiary/hives/heather-hive.md
                ---
                sister: [linden-hive]
                ---
                [[linden-hive]] [[old/linden-hive|path]] [[Linden-Hive#Linden Hive]]
            "#]],
        );
        check(
            NOTES,
            "/apiary/hives/linden-hive.md",
            "/cellar/linden-hive.md",
            expect![[r#"
                //- /apiary/hives/linden-hive.md
                ---
                id: linden-hive
                sister: [ap:heather-hive]
                ---
                # Linden Hive
                Next to [[ap:heather-hive]] and [[ap:swarm-box]]; see [[linden-hive#Linden Hive]].
                //- /apiary/hives/heather-hive.md
                ---
                sister: [cl:linden-hive]
                ---
                [[cl:linden-hive]] [[cl:linden-hive|path]] [[cl:Linden-Hive#Linden Hive]]
                //- /cellar/mead.md
                [[cl:linden-hive]] [[ap:swarm-box]] [[linden-hive]]
            "#]],
        );
    }

    #[test]
    fn a_renamed_folder_moves_every_note_below_it() {
        // Inside a KB: path-style links follow; ids and KBs stay.
        check(
            NOTES,
            "/apiary/hives",
            "/apiary/colonies",
            expect![[r#"
                //- /apiary/hives/heather-hive.md
                ---
                sister: [linden-hive]
                ---
                [[linden-hive]] [[colonies/linden-hive|path]] [[Linden-Hive#Linden Hive]]
            "#]],
        );
        // The KB's own folder: the KB moves along, nothing to rewrite.
        check(NOTES, "/apiary", "/bees", expect![[""]]);
        // Into another KB: not handled (the diagnostics show what to fix).
        check(NOTES, "/apiary/hives", "/cellar/hives", expect![[""]]);
        // A folder without notes, and a path that is neither.
        check(NOTES, "/apiary/empty", "/apiary/full", expect![[""]]);
    }

    /// A plain vault with an attachment, markdown links and relative links.
    const VAULT: &str = r#"
//- /vault/notes/Trip plan.md
# Trip plan
![[chart.png]] ![[assets/chart.png|small]] ![c](../assets/chart.png) [p](Packing%20list.md#Tents)
[[../assets/chart.png]] [[Packing list]] ![[chart.png]]^sales-chart
//- /vault/notes/Packing list.md
## Tents
[[Trip plan]] [back](<Trip plan.md>) [up](./Trip%20plan.md#Trip%20plan) ![x](../assets/chart.png)
//- /vault/Index.md
[plan](notes/Trip%20plan.md) [[notes/Trip plan]] ![chart](assets/chart.png)
//- /vault/assets/chart.png
PNG
"#;

    #[test]
    fn moving_an_attachment_rewrites_the_links_to_it() {
        check(
            VAULT,
            "/vault/assets/chart.png",
            "/vault/assets/sales chart.png",
            expect![[r#"
                //- /vault/notes/Trip plan.md
                # Trip plan
                ![[sales chart.png]] ![[assets/sales chart.png|small]] ![c](../assets/sales%20chart.png) [p](Packing%20list.md#Tents)
                [[../assets/sales chart.png]] [[Packing list]] ![[sales chart.png]]^sales-chart
                //- /vault/notes/Packing list.md
                ## Tents
                [[Trip plan]] [back](<Trip plan.md>) [up](./Trip%20plan.md#Trip%20plan) ![x](../assets/sales%20chart.png)
                //- /vault/Index.md
                [plan](notes/Trip%20plan.md) [[notes/Trip plan]] ![chart](assets/sales%20chart.png)
            "#]],
        );
        check(
            VAULT,
            "/vault/assets/chart.png",
            "/vault/img/chart.png",
            expect![[r#"
                //- /vault/notes/Trip plan.md
                # Trip plan
                ![[chart.png]] ![[img/chart.png|small]] ![c](../img/chart.png) [p](Packing%20list.md#Tents)
                [[../img/chart.png]] [[Packing list]] ![[chart.png]]^sales-chart
                //- /vault/notes/Packing list.md
                ## Tents
                [[Trip plan]] [back](<Trip plan.md>) [up](./Trip%20plan.md#Trip%20plan) ![x](../img/chart.png)
                //- /vault/Index.md
                [plan](notes/Trip%20plan.md) [[notes/Trip plan]] ![chart](img/chart.png)
            "#]],
        );
    }

    #[test]
    fn moving_a_note_keeps_markdown_and_relative_links_as_written() {
        // Renamed: links by name get the new name, markdown links stay encoded as written.
        check(
            VAULT,
            "/vault/notes/Trip plan.md",
            "/vault/notes/Road trip.md",
            expect![[r#"
                //- /vault/notes/Packing list.md
                ## Tents
                [[Road trip]] [back](<Road trip.md>) [up](./Road%20trip.md#Trip%20plan) ![x](../assets/chart.png)
                //- /vault/Index.md
                [plan](notes/Road%20trip.md) [[notes/Road trip]] ![chart](assets/chart.png)
            "#]],
        );
        // Moved to another folder: relative and path links follow, and the note's own relative
        // links are written from its new folder.
        check(
            VAULT,
            "/vault/notes/Trip plan.md",
            "/vault/archive/2024/Trip plan.md",
            expect![[r#"
                //- /vault/notes/Trip plan.md
                # Trip plan
                ![[chart.png]] ![[assets/chart.png|small]] ![c](../../assets/chart.png) [p](Packing%20list.md#Tents)
                [[../../assets/chart.png]] [[Packing list]] ![[chart.png]]^sales-chart
                //- /vault/notes/Packing list.md
                ## Tents
                [[Trip plan]] [back](<Trip plan.md>) [up](../archive/2024/Trip%20plan.md#Trip%20plan) ![x](../assets/chart.png)
                //- /vault/Index.md
                [plan](2024/Trip%20plan.md) [[2024/Trip plan]] ![chart](assets/chart.png)
            "#]],
        );
        // A folder moved whole: links between its notes stay; links from outside follow.
        check(
            VAULT,
            "/vault/notes",
            "/vault/travel",
            expect![[r#"
                //- /vault/Index.md
                [plan](travel/Trip%20plan.md) [[travel/Trip plan]] ![chart](assets/chart.png)
            "#]],
        );
    }
}
