//! Go to definition: from a link, embed, heading link, block link or frontmatter reference to
//! the note (its heading or block line when given). A link that matches several notes answers
//! all of them; one that is broken answers nothing.

use super::cursor::{CursorItem, item_at};
use super::navigation::{NavigationTarget, RangeInfo, link_targets, note_target};
use crate::slug;
use crate::text::FilePosition;
use crate::workspace::Workspace;

pub fn goto_definition(
    workspace: &Workspace,
    position: FilePosition,
) -> Option<RangeInfo<Vec<NavigationTarget>>> {
    let note = workspace.note(position.file)?;
    match item_at(note, position.offset)? {
        CursorItem::Link(index) => {
            let note_links = workspace.links_of(note);
            let link = note_links.links().get(index)?;
            let targets = link_targets(workspace, position.file, link);
            (!targets.is_empty()).then_some(RangeInfo {
                range: link.range,
                info: targets,
            })
        }
        CursorItem::Reference { field, value } => {
            let value = note.parsed.frontmatter()?.field(field)?.values.get(value)?;
            let target = slug::resolve_reference(workspace, position.file, value)?;
            Some(RangeInfo {
                range: value.range,
                info: vec![note_target(target, workspace.note(target)?)],
            })
        }
        CursorItem::OwnId
        | CursorItem::OwnTitle
        | CursorItem::Heading(_)
        | CursorItem::FrontmatterTag(_)
        | CursorItem::InlineTag(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::Fixture;

    /// Compares definition targets with the `^^^` markers. A target that is a whole note (an empty
    /// focus at the file's start) is marked by a `^` under the file's first character.
    #[track_caller]
    fn check(fixture: &str) {
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
        check("//- /kb/a.md\n# Top\n  ^^^\n//- /kb/b.md\n[[a#to$0p]]\n");
        check("//- /kb/a.md\nText. ^blk\n      ^^^^\n//- /kb/b.md\n![[a^bl$0k|shown]]\n");
        // A frontmatter reference goes to the note's start.
        check("//- /kb/a.md\n---\nrel: [b$0]\n---\n//- /kb/b.md\nB\n^\n");
        // Ambiguous links offer every candidate; broken ones nothing.
        check(
            "//- /kb/a.md\n---\n^\naliases: [x]\n---\n//- /kb/b.md\n---\n^\naliases: [x]\n---\n//- /kb/c.md\n[[$0x]]\n",
        );
        check("//- /kb/a.md\n[[nowh$0ere]]\n");
    }

    #[test]
    fn definition_opens_attachments_and_follows_markdown_links() {
        // An attachment is opened at its start.
        check("//- /vault/a.md\nSee ![[ch$0art.png]].\n//- /vault/img/chart.png\nPNG\n^\n");
        check("//- /vault/a.md\n![alt](img/ch$0art.png)\n//- /vault/img/chart.png\nPNG\n^\n");
        // A markdown link, decoded, to a heading; relative to the linking note's folder.
        check(
            "//- /vault/notes/a.md\n[x](../Other%20no$0te.md#Second%20part)\n//- /vault/Other note.md\n# First\n## Second part\n   ^^^^^^^^^^^\n",
        );
        // In a plain vault the note in the link's own folder wins.
        check(
            "//- /vault/Sync/a.md\n[[Secu$0rity]]\n//- /vault/Sync/Security.md\nS\n^\n//- /vault/Publish/Security.md\nP\n",
        );
    }
}
