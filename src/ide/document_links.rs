//! Document links: every link of a note that leads to exactly one note or attachment, with
//! where it leads (the note, or the heading or block it names; the attachment), so editors can
//! open it on click.

use super::navigation::{NavigationTarget, link_targets};
use crate::slug::{self, SubTarget};
use crate::text::{FileId, TextRange};
use crate::workspace::Workspace;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DocumentLink {
    /// The whole link, from `[[` (or `![[`) to `]]`.
    pub range: TextRange,
    pub target: NavigationTarget,
    /// The target is a heading or block, not the whole note: worth a line number.
    pub in_note: bool,
    pub tooltip: String,
}

/// The links of `file` that resolve to one note, in source order.
pub fn document_links(workspace: &Workspace, file: FileId) -> Vec<DocumentLink> {
    let Some(note) = workspace.note(file) else {
        return Vec::new();
    };
    let mut links = Vec::new();
    for link in workspace.links_of(note).links() {
        let [target] = link_targets(workspace, file, link)[..] else {
            continue;
        };
        let Some(target_note) = workspace.note(target.file) else {
            if let Some(attachment) = workspace.attachment(target.file) {
                links.push(DocumentLink {
                    range: link.range,
                    target,
                    in_note: false,
                    tooltip: attachment.kb_path().to_owned(),
                });
            }
            continue;
        };
        let place = match slug::resolve_subtarget(target_note, link) {
            SubTarget::Heading(index) => Some(format!(
                " › {}",
                target_note.parsed.headings().at(index).text
            )),
            SubTarget::Block(index) => Some(format!(
                " › ^{}",
                target_note.parsed.block_ids().at(index).id
            )),
            _ => None,
        };
        links.push(DocumentLink {
            range: link.range,
            target,
            in_note: place.is_some(),
            tooltip: format!("{}{}", target_note.title(), place.unwrap_or_default()),
        });
    }
    links
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::Fixture;

    /// Renders the links of the note at `path`, one a line, with where each leads.
    #[track_caller]
    fn check(fixture: &str, path: &str, expect: Expect) {
        let f = Fixture::parse(fixture);
        let file = f.file(path);
        let mut out = String::new();
        for link in document_links(&f.workspace, file) {
            out += &format!(
                "{} -> {}{} ({})\n",
                f.render(file, link.range),
                f.render(link.target.file, link.target.focus_range),
                if link.in_note { " in note" } else { "" },
                link.tooltip
            );
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn links_that_resolve_to_one_note() {
        check(
            r#"
//- /kb/a.md
---
title: Alpha
---
# Alpha
Text. ^blk
## Part
//- /kb/b.md
---
up: "[[a]]"
---
[[a]] ![[a#part|p]] [[a^blk]] [[a#Nope]] [[nowhere]] [[#Own]]
## Own
"#,
            "/ws/kb/b.md",
            expect![[r#"
            /kb/b.md 9..14 "[[a]]" -> /kb/a.md 0..0 "" (Alpha)
            /kb/b.md 20..25 "[[a]]" -> /kb/a.md 0..0 "" (Alpha)
            /kb/b.md 26..39 "![[a#part|p]]" -> /kb/a.md 43..47 "Part" in note (Alpha › Part)
            /kb/b.md 40..49 "[[a^blk]]" -> /kb/a.md 35..39 "^blk" in note (Alpha › ^blk)
            /kb/b.md 50..60 "[[a#Nope]]" -> /kb/a.md 0..0 "" (Alpha)
            /kb/b.md 73..81 "[[#Own]]" -> /kb/b.md 85..88 "Own" in note (b › Own)
        "#]],
        );
    }
}
