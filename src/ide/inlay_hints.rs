//! Inlay hints: after a link whose visible text is a bare id (`[[dawn-of-leadership-2015]]`,
//! `[[kb:id#Heading]]`, no display part), the title of the note it leads to, when the title
//! says something the id does not (it differs from the id, ignoring case).

use crate::keys;
use crate::slug::{self, Resolution, Via};
use crate::text::{FileId, TextRange};
use crate::workspace::Workspace;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InlayHint {
    /// Where the hint shows: right after the link's `]]`.
    pub offset: u32,
    pub label: String,
}

/// Hints for the links of `file` that lie in `range`, in source order.
pub fn inlay_hints(workspace: &Workspace, file: FileId, range: TextRange) -> Vec<InlayHint> {
    let Some(note) = workspace.note(file) else {
        return Vec::new();
    };
    let mut hints = Vec::new();
    for link in workspace.links_of(note).links() {
        if link.display.is_some()
            || link.target.text.is_empty()
            || !range.contains_range(link.range)
        {
            continue;
        }
        let Resolution::Found {
            file: target,
            via: Via::Id | Via::IdIgnoringCase,
            ..
        } = slug::resolve_link(workspace, file, link)
        else {
            continue;
        };
        let Some(target_note) = workspace.note(target) else {
            continue;
        };
        let title = target_note.title();
        if keys::fold(title) == keys::fold(target_note.id()) {
            continue;
        }
        hints.push(InlayHint {
            offset: link.range.end,
            label: title.to_owned(),
        });
    }
    hints
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::Fixture;

    /// Renders the hints of the whole note at `path`: each after the link it follows.
    #[track_caller]
    fn check(fixture: &str, path: &str, expect: Expect) {
        let f = Fixture::parse(fixture);
        let file = f.file(path);
        let all = TextRange::new(0, f.text(file).len());
        let mut out = String::new();
        for hint in inlay_hints(&f.workspace, file, all) {
            let before = &f.text(file)[..hint.offset as usize];
            let tail = &before[before.rfind("[[").unwrap_or(0)..];
            out += &format!("{tail} «{}»\n", hint.label);
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn titles_after_links_written_as_ids() {
        check(
            r#"
//- /kb/dawn.md
---
id: dawn-2015
title: Dawn of System Leadership
---
//- /kb/plain.md
# Plain
//- /kb/same.md
---
title: Same
---
//- /kb/b.md
[[dawn-2015]] [[DAWN-2015#x]] [[dawn-2015|shown]] [[Dawn of System Leadership]]
[[plain]] [[same]] [[nowhere]]
"#,
            "/ws/kb/b.md",
            expect![[r#"
            [[dawn-2015]] «Dawn of System Leadership»
            [[DAWN-2015#x]] «Dawn of System Leadership»
        "#]],
        );
    }
}
