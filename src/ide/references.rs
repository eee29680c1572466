//! Find references: every place that points at the note or heading under the cursor.
//!
//! On a link, an embed or a frontmatter reference, on the note's own `id:` or `title:` value,
//! or on its first heading when that is its `#` title, the subject is the note: the answer is
//! every body link, embed, `kb:` link from another KB and frontmatter reference that resolves to
//! it ([`slug::pointers_to`]). On any other heading, or on the heading part of `[[x#Heading]]`
//! (anywhere on a same-note `[[#Heading]]`), the subject is the heading: the answer is every link
//! to that heading, including the note's own. The declaration (when asked for) is the note's
//! `id:` value (the file's start when its id is its file name), or the heading's text.
//!
//! On a tag (a `tags:` value or an inline `#tag`), the subject is the tag: the answer is every
//! place in every KB where it is written, in either form (matched ignoring case, as in
//! Obsidian; `#a` does not include `#a/b`).
//!
//! Ranges are exact: a link's whole range (from `[[` or `![[` to `]]`), a reference's value, a
//! tag's name (without `#`).

use super::cursor::{self, CursorItem, item_at, tag_of};
use super::navigation::{RangeInfo, pointer_range, tag_places};
use crate::keys;
use crate::slug::{self, SubTarget};
use crate::text::{FileId, FilePosition, FileRange, TextRange};
use crate::workspace::Workspace;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReferencesConfig {
    /// Also answer the place that declares the subject (the `id:` value, or the heading).
    pub include_declaration: bool,
}

/// What the references are of.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Subject {
    Note(FileId),
    Heading(FileId, usize),
    /// A tag, by its key (see [`keys::tag_key`]).
    Tag(String),
}

/// The references of what is under the cursor, sorted by path and position; the range is the
/// item under the cursor. `None` when the cursor is on nothing that names a note or heading.
pub fn references(
    workspace: &Workspace,
    position: FilePosition,
    config: &ReferencesConfig,
) -> Option<RangeInfo<Vec<FileRange>>> {
    let (range, subject) = subject_at(workspace, position)?;
    let mut found: Vec<FileRange> = Vec::new();
    match subject {
        Subject::Note(target) => {
            // An attachment declares nothing: only links point at it.
            if config.include_declaration
                && let Some(note) = workspace.note(target)
            {
                found.push(FileRange {
                    file: target,
                    range: note.id_range(),
                });
            }
            for pointer in slug::pointers_to(workspace, target) {
                if let Some(place) = pointer_range(workspace, &pointer) {
                    found.push(place);
                }
            }
        }
        Subject::Heading(target, heading) => {
            let note = workspace.note(target)?;
            if config.include_declaration {
                found.push(FileRange {
                    file: target,
                    range: note.parsed.headings().at(heading).text_range,
                });
            }
            for pointer in slug::pointers_to_heading(workspace, target, heading) {
                found.extend(pointer_range(workspace, &pointer));
            }
        }
        Subject::Tag(key) => {
            let places = tag_places(workspace, &key, None).into_iter();
            found.extend(places.map(|place| FileRange {
                file: place.file,
                range: place.range,
            }));
        }
    }
    let path = |f: FileId| workspace.path(f);
    found.sort_by(|a, b| {
        (path(a.file), a.range.start, a.range.end).cmp(&(path(b.file), b.range.start, b.range.end))
    });
    found.dedup();
    Some(RangeInfo { range, info: found })
}

fn subject_at(workspace: &Workspace, position: FilePosition) -> Option<(TextRange, Subject)> {
    let file = position.file;
    let note = workspace.note(file)?;
    match item_at(note, position.offset)? {
        CursorItem::Link(index) => {
            let note_links = workspace.links_of(note);
            let link = note_links.links().get(index)?;
            let target = slug::resolve_link(workspace, file, link).file(file)?;
            if cursor::on_heading_part(link, position.offset) && workspace.note(target).is_some() {
                let target_note = workspace.note(target)?;
                return match slug::resolve_subtarget(target_note, link) {
                    SubTarget::Heading(heading) => {
                        Some((link.range, Subject::Heading(target, heading)))
                    }
                    _ => None,
                };
            }
            if link.target.text.is_empty() && link.kb.is_none() {
                return None; // `[[#^block]]`: a place in this note, not the note.
            }
            Some((link.range, Subject::Note(target)))
        }
        CursorItem::Reference { field, value } => {
            let value = note.parsed.frontmatter()?.field(field)?.values.get(value)?;
            let target = slug::resolve_reference(workspace, file, value)?;
            Some((value.range, Subject::Note(target)))
        }
        CursorItem::OwnId => Some((note.id_range(), Subject::Note(file))),
        CursorItem::OwnTitle => {
            let title = note.parsed.frontmatter()?.title()?;
            Some((title.range, Subject::Note(file)))
        }
        CursorItem::Heading(index) => {
            let heading = note.parsed.headings().at(index);
            let subject = if index == 0 && heading.level == 1 {
                Subject::Note(file)
            } else {
                Subject::Heading(file, index)
            };
            Some((heading.text_range, subject))
        }
        item @ (CursorItem::FrontmatterTag(_) | CursorItem::InlineTag(_)) => {
            let tag = tag_of(note, item)?;
            Some((tag.range, Subject::Tag(keys::tag_key(tag.name))))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::Fixture;

    /// Compares the references (with the declaration) with the `^^^` markers, in path order.
    #[track_caller]
    fn check(fixture: &str, include_declaration: bool) {
        let f = Fixture::parse(fixture);
        let config = ReferencesConfig {
            include_declaration,
        };
        let got: Vec<String> = references(&f.workspace, f.position(), &config)
            .map(|answer| {
                answer
                    .info
                    .iter()
                    .map(|r| f.render(r.file, r.range))
                    .collect()
            })
            .unwrap_or_default();
        let mut markers = f.markers.clone();
        markers.sort_by_key(|m| (f.path(m.file), m.range.start));
        let want: Vec<String> = markers.iter().map(|m| f.render(m.file, m.range)).collect();
        assert_eq!(got, want);
    }

    const KBS: &str = r#"
//- /garden/kb.yaml
name: garden
shortname: gd
types:
  plant:
    fields:
      companions: {type: list, description: "Plants (entry IDs)"}
//- /kitchen/kb.yaml
name: kitchen
"#;

    #[test]
    fn on_a_link_finds_every_pointer_in_every_kb() {
        check(
            &format!(
                "{KBS}{}",
                r#"
//- /garden/basil.md
---
id: basil
    ^^^^^
title: Sweet Basil
aliases: [Genovese]
---
# Sweet Basil
//- /garden/tomato.md
---
companions: [basil]
             ^^^^^
---
Near [[bas$0il]],
     ^^^^^^^^^
[[Genovese|the Italian one]] and
^^^^^^^^^^^^^^^^^^^^^^^^^^^^
![[basil#Sweet Basil]].
^^^^^^^^^^^^^^^^^^^^^^
//- /kitchen/pesto.md
---
from: "[[gd:basil]]"
       ^^^^^^^^^^^^
---
Needs ![[gd:basil#Sweet Basil|leaves]] and
      ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
[[basil]] (missing its prefix).
^^^^^^^^^
"#
            ),
            true,
        );
    }

    #[test]
    fn another_kb_with_a_note_of_the_same_id_still_points_here_through_prefixes() {
        // The kitchen's own `basil` takes its unprefixed links; its links and references with
        // the garden's prefix (name or shortname) still point at the garden's.
        check(
            r#"
//- /garden/kb.yaml
name: garden
shortname: gd
//- /kitchen/kb.yaml
name: kitchen
types:
  dish:
    fields:
      herbs: {type: list, description: "Herbs (entry IDs)"}
//- /garden/basil.md
---
id: ba$0sil
    ^^^^^
---
//- /kitchen/basil.md
---
id: basil
---
[[basil]] is the kitchen's; [[garden:basil]] and
                            ^^^^^^^^^^^^^^^^
[[GD:Basil|x]] the garden's.
^^^^^^^^^^^^^^
//- /kitchen/pesto.md
---
herbs: [gd:basil, basil]
        ^^^^^^^^
---
[[basil]] means the kitchen's.
//- /kitchen/soup.md
---
herbs: [basil]
---
[[basil]], the kitchen's too.
"#,
            true,
        );
    }

    #[test]
    fn links_with_an_extension_or_a_folder_are_found_from_a_kb_with_a_note_of_the_same_id() {
        // `.markdown` and `.md` are taken off as resolution takes them off (all three were
        // missed before); the kitchen's own `basil` does not take `[[plants/basil]]`, which
        // only the garden's path ends with.
        check(
            r#"
//- /garden/kb.yaml
name: garden
//- /kitchen/kb.yaml
name: kitchen
//- /garden/herbs/plants/basil.md
---
id: ba$0sil
---
//- /garden/notes.md
[[basil.markdown]]
^^^^^^^^^^^^^^^^^^
//- /kitchen/basil.md
---
id: basil
---
//- /kitchen/pesto.md
[[garden:basil.md|x]]
^^^^^^^^^^^^^^^^^^^^^
//- /kitchen/soup.md
[[plants/basil]] is the garden's.
^^^^^^^^^^^^^^^^
"#,
            false,
        );
    }

    #[test]
    fn on_the_notes_own_id_title_or_first_heading() {
        let notes = r#"
//- /kb/a.md
[[b]] and
^^^^^
[[b#Part]]
^^^^^^^^^^
"#;
        check(
            &format!("//- /kb/b.md\n---\nid: $0b\ntitle: Bee\n---\n# Bee\n## Part\n{notes}"),
            false,
        );
        check(
            &format!("//- /kb/b.md\n---\nid: b\ntitle: B$0ee\n---\n# Bee\n## Part\n{notes}"),
            false,
        );
        check(&format!("//- /kb/b.md\n# B$0ee\n## Part\n{notes}"), false);
    }

    #[test]
    fn on_a_heading_finds_links_to_that_heading() {
        check(
            r#"
//- /kb/b.md
# Bee
## The P$0art
   ^^^^^^^^
See [[#the-part]] and [[#Other]].
    ^^^^^^^^^^^^^
## Other
//- /kb/a.md
[[b]] [[b#The Part]]
      ^^^^^^^^^^^^^^
[[b#the part|x]] [[B#The Part^blk]]
^^^^^^^^^^^^^^^^
"#,
            true,
        );
        // From the heading part of a link; elsewhere on that link it is the note.
        check(
            "//- /kb/b.md\n## Part\n//- /kb/a.md\n[[b#Pa$0rt]]\n^^^^^^^^^^\n",
            false,
        );
        check(
            "//- /kb/b.md\n## Part\n//- /kb/a.md\n[[$0b#Part]]\n^^^^^^^^^^\n[[b]]\n^^^^^\n",
            false,
        );
    }

    #[test]
    fn on_a_tag_finds_both_forms_in_every_kb() {
        check(
            r#"
//- /garden/kb.yaml
name: garden
//- /kitchen/kb.yaml
name: kitchen
//- /garden/basil.md
---
tags: [herb, Annual]
       ^^^^
---
Sweet #He$0rb, not #herbal nor #herb/dried.
       ^^^^
//- /kitchen/pesto.md
#herb and `#herb` and [[basil#herb]]
 ^^^^
"#,
            true,
        );
    }

    #[test]
    fn nothing_on_a_broken_link_or_plain_text() {
        check("//- /kb/a.md\n[[nowh$0ere]]\n", true);
        check("//- /kb/a.md\nplain $0text\n", true);
    }

    #[test]
    fn references_of_attachments_and_through_markdown_links() {
        // Every wiki-link, embed, markdown link and property link to the attachment.
        check(
            "//- /v/a.md\n---\ncover: \"[[chart.png]]\"\n        ^^^^^^^^^^^^^\n---\n![[ch$0art.png]]\n^^^^^^^^^^^^^^\n[c](img/chart.png)\n^^^^^^^^^^^^^^^^^^\n//- /v/b.md\n[[img/chart.png|the chart]]\n^^^^^^^^^^^^^^^^^^^^^^^^^^^\n//- /v/img/chart.png\nPNG\n",
            true,
        );
        // A note's references include markdown links to it, however encoded.
        check(
            "//- /v/My Note.md\nText\n//- /v/a.md\n[[My $0Note]]\n^^^^^^^^^^^\n[x](My%20Note.md)\n^^^^^^^^^^^^^^^^^\n[y](<My Note.md#Text>)\n^^^^^^^^^^^^^^^^^^^^^^\n",
            false,
        );
    }
}
