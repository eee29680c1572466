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
            let link = note.parsed.links().at(index);
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
        CursorItem::OwnId | CursorItem::OwnTitle | CursorItem::Heading(_) => None,
    }
}
