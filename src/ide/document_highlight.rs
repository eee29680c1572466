//! Document highlight: the places in this note that mean the same thing as the one under the
//! cursor. On a link or frontmatter reference, every link and reference in the note to the same
//! note (a broken one: every link written with the same target); on the heading part of a link,
//! or on a heading, every link in the note to that heading, and the heading itself when it is
//! this note's; on the note's own `id:` or `title:`, the links of the note to itself; on a tag,
//! the same tag wherever the note writes it.

use super::cursor::{self, CursorItem, item_at, tag_of};
use super::navigation::{field_values, note_tags};
use crate::keys;
use crate::slug::{self, SubTarget};
use crate::syntax::Link;
use crate::text::{FileId, FilePosition, TextRange};
use crate::workspace::Workspace;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HighlightKind {
    /// A place that names the subject (a link, a reference, a tag).
    Read,
    /// The place that defines it (the heading itself, the note's own `id:`).
    Write,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Highlight {
    pub range: TextRange,
    pub kind: HighlightKind,
}

/// What the highlighted places mean.
enum Subject {
    Note(FileId),
    Heading(FileId, usize),
    /// A link that resolves to no single note, by its folded written target.
    Written(String),
    Tag(String),
}

/// The places in the note at `position` that mean what is under the cursor, in order.
pub fn document_highlight(workspace: &Workspace, position: FilePosition) -> Vec<Highlight> {
    let file = position.file;
    let Some(note) = workspace.note(file) else {
        return Vec::new();
    };
    let Some(subject) = subject_at(workspace, position) else {
        return Vec::new();
    };
    let read = |range| Highlight {
        range,
        kind: HighlightKind::Read,
    };
    let mut found = Vec::new();
    match &subject {
        Subject::Tag(key) => {
            let places = note_tags(file, note).filter(|place| keys::tag_key(place.name) == *key);
            found.extend(places.map(|place| read(place.range)));
        }
        Subject::Note(target) => {
            if *target == file
                && let Some(id) = note.id_value()
            {
                found.push(Highlight {
                    range: id.range,
                    kind: HighlightKind::Write,
                });
            }
            for link in workspace.links_of(note).links() {
                let is_same_note = link.kb.is_none() && link.target.text.is_empty();
                if !is_same_note
                    && slug::resolve_link(workspace, file, link).file(file) == Some(*target)
                {
                    found.push(read(link.range));
                }
            }
            for value in field_values(note) {
                if slug::resolve_reference(workspace, file, value) == Some(*target) {
                    found.push(read(value.range));
                }
            }
        }
        Subject::Heading(target, heading) => {
            if *target == file {
                found.push(Highlight {
                    range: note.parsed.headings().at(*heading).text_range,
                    kind: HighlightKind::Write,
                });
            }
            for link in workspace.links_of(note).links() {
                if links_to_heading(workspace, file, link, *target, *heading) {
                    found.push(read(link.range));
                }
            }
        }
        Subject::Written(written) => {
            for link in workspace.links_of(note).links() {
                if written_target(link) == *written {
                    found.push(read(link.range));
                }
            }
        }
    }
    found.sort_by_key(|h| (h.range.start, h.range.end));
    found.dedup();
    found
}

fn subject_at(workspace: &Workspace, position: FilePosition) -> Option<Subject> {
    let file = position.file;
    let note = workspace.note(file)?;
    let item = item_at(note, position.offset)?;
    match item {
        CursorItem::Link(index) => {
            let note_links = workspace.links_of(note);
            let link = note_links.links().get(index)?;
            let Some(target) = slug::resolve_link(workspace, file, link).file(file) else {
                return Some(Subject::Written(written_target(link)));
            };
            if cursor::on_heading_part(link, position.offset)
                && let SubTarget::Heading(heading) =
                    slug::resolve_subtarget(workspace.note(target)?, link)
            {
                return Some(Subject::Heading(target, heading));
            }
            Some(Subject::Note(target))
        }
        CursorItem::Reference { field, value } => {
            let value = note.parsed.frontmatter()?.field(field)?.values.get(value)?;
            slug::resolve_reference(workspace, file, value).map(Subject::Note)
        }
        CursorItem::OwnId | CursorItem::OwnTitle => Some(Subject::Note(file)),
        CursorItem::Heading(index) => Some(Subject::Heading(file, index)),
        CursorItem::FrontmatterTag(_) | CursorItem::InlineTag(_) => {
            let tag = tag_of(note, item)?;
            Some(Subject::Tag(keys::tag_key(tag.name)))
        }
    }
}

fn links_to_heading(
    workspace: &Workspace,
    file: FileId,
    link: Link,
    target: FileId,
    heading: usize,
) -> bool {
    link.heading.is_some()
        && slug::resolve_link(workspace, file, link).file(file) == Some(target)
        && workspace
            .note(target)
            .is_some_and(|note| slug::resolve_subtarget(note, link) == SubTarget::Heading(heading))
}

/// A link's target as written, folded, with its KB prefix: how broken links are told apart.
fn written_target(link: Link) -> String {
    let kb = link
        .kb
        .map_or(String::new(), |kb| format!("{}:", keys::fold(kb.text)));
    format!("{kb}{}", keys::fold(link.target.text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::Fixture;

    /// Compares the highlights with the `^^^` markers of the cursor's note; a `W` after the
    /// rendered range marks a definition (`Write`).
    #[track_caller]
    fn check(fixture: &str, writes: &[&str]) {
        let f = Fixture::parse(fixture);
        let position = f.position();
        let got: Vec<String> = document_highlight(&f.workspace, position)
            .iter()
            .map(|h| {
                let kind = if h.kind == HighlightKind::Write {
                    " W"
                } else {
                    ""
                };
                format!("{}{kind}", f.render(position.file, h.range))
            })
            .collect();
        let want: Vec<String> = f
            .markers
            .iter()
            .filter(|m| m.file == position.file)
            .map(|m| {
                let rendered = f.render(m.file, m.range);
                let slice = &f.text(m.file)[m.range.as_usize()];
                let kind = if writes.contains(&slice) { " W" } else { "" };
                format!("{rendered}{kind}")
            })
            .collect();
        assert_eq!(got, want);
    }

    const NOTES: &str = r#"
//- /kb/basil.md
---
id: basil
title: Basil
---
# Basil
## Harvest
//- /kb/tomato.md
---
id: tomato
---
"#;

    #[test]
    fn every_link_to_the_same_note() {
        check(
            &format!(
                "{NOTES}{}",
                r#"
//- /kb/mint.md
---
companions: [basil, tomato]
             ^^^^^
---
See [[bas$0il]], [[Basil|it]] and [[basil#Harvest]] but not [[tomato]].
    ^^^^^^^^^
               ^^^^^^^^^^^^
                                ^^^^^^^^^^^^^^^^^
"#
            ),
            &[],
        );
    }

    #[test]
    fn every_link_to_the_same_heading_and_the_heading_itself() {
        check(
            &format!(
                "{NOTES}{}",
                "//- /kb/mint.md\n[[basil#Harv$0est]] [[basil]] [[basil#harvest|when]]\n^^^^^^^^^^^^^^^^^\n                            ^^^^^^^^^^^^^^^^^^^^^^\n"
            ),
            &[],
        );
        check(
            "//- /kb/own.md\n# Own\n## Pa$0rt\n   ^^^^\nSee [[#Part]] and [[#Own]], [[#part|again]].\n    ^^^^^^^^^\n                            ^^^^^^^^^^^^^^^\n",
            &["Part"],
        );
    }

    #[test]
    fn broken_links_by_written_target_and_tags() {
        check(
            "//- /kb/mint.md\n[[gon$0e]] [[Gone|x]] [[gone2]]\n^^^^^^^^\n         ^^^^^^^^^^\n",
            &[],
        );
        check(
            "//- /kb/mint.md\n---\ntags: [herb]\n       ^^^^\n---\n#herb and #He$0rb, #herbal\n ^^^^\n           ^^^^\n",
            &[],
        );
    }
}
