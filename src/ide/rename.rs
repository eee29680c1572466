//! Rename: a note's id, or a heading, with every link that names it.
//!
//! What can be renamed (and what `prepare_rename` answers: the range to edit and the current
//! name): on a link, its target part stands for the note it resolves to (the current name is
//! the note's id); on the heading part of `[[x#Heading]]`, or anywhere on `[[#Heading]]`, that
//! heading; on the note's own `id:` value, the note; on a frontmatter reference, the note it
//! names (the range is the id, without a `kb:` prefix); on a heading, the heading. Anything else
//! is refused with a message saying what can be renamed.
//!
//! Renaming a note's id gives one change that
//! - rewrites the target part of every link to the note, in every KB, keeping `kb:` prefixes,
//!   `#heading`, `^block` and `|display` parts as written. A link by the exact id or by the id
//!   in another case gets the new id. A link by title or alias is rewritten to the new id too,
//!   so that after a rename every link to the note names it by id; when it has no display part
//!   it gets one holding the old text (`[[Old Title]]` -> `[[new-id|Old Title]]`), so readers
//!   still see what they saw. A path-style link (`[[folder/name]]`, or a file stem that is not
//!   the id) keeps working while the file keeps its name, so it changes only when the file is
//!   renamed (its last segment becomes the new file name);
//! - rewrites frontmatter references (`field: [old-id]`, `kb:old-id`) and `"[[...]]"` values;
//! - changes the `id:` value. A note whose id is its file name (no `id:` field) does not get an
//!   `id:` field: its file is renamed instead;
//! - renames the file when its stem is the old id, when the editor can rename files
//!   ([`RenameConfig::rename_files`]). When it cannot, a note with an `id:` field keeps its file
//!   name (the answer says so in [`Renamed::kept_file_name`], for the log), and a note whose id
//!   is its file name cannot be renamed (a clear error, rather than links to a name that would
//!   exist nowhere).
//!
//! New ids are checked: not empty, one line, none of `[ ] | # ^` (link syntax), `/ \` (folders),
//! `:` (a KB prefix), `{ } , " '` (YAML would need quotes), no leading `.` or YAML indicator, no
//! `.md` ending; and not already the id, title, alias or file stem of another note in the KB
//! (links written that way would silently change meaning).
//!
//! Renaming a heading rewrites its text and every link to it (`[[id#Heading]]`, `[[#Heading]]`
//! in the same note); a link that wrote the heading as a slug (`#my-heading`) gets the new slug.
//!
//! Renaming a tag (on a `tags:` value or an inline `#tag`) rewrites it wherever it is written in
//! the notes of the same KB, in both forms (matched ignoring case; `#a/b` is another tag). A new
//! tag name holds only letters, digits, `_`, `-` and `/`, not all of them digits; a leading `#`
//! is dropped.

use std::path::PathBuf;

use super::cursor::{self, CursorItem, item_at, tag_of};
use super::navigation::{RangeInfo, tag_places};
use super::retarget::{
    InvalidId, Retarget, check_new_id, reference_parts, retarget_pointers, with_stem,
};
use super::source_change::{FileSystemEdit, SourceChange, SourceChangeBuilder};
use crate::keys;
use crate::slug::{self, Pointer, Resolution, SubTarget};
use crate::syntax::{Link, Part};
use crate::text::{FileId, FilePosition, TextRange};
use crate::workspace::{Note, Workspace};

/// What the editor can do with a rename's answer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenameConfig {
    /// The editor applies `RenameFile` operations (LSP `resourceOperations`).
    pub rename_files: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Renamed {
    pub change: SourceChange,
    /// `(old path, new path)` of a file rename left out because the editor cannot rename files.
    pub kept_file_name: Option<(PathBuf, PathBuf)>,
}

/// Why a rename or a `prepare_rename` is refused; `Display` gives the message the editor shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RenameError {
    /// Nothing under the cursor can be renamed.
    NotRenameable,
    /// The note left the index meanwhile.
    NoteGone,
    /// The cursor is on the note's own title.
    TitleIsNotAnId,
    /// The heading part of a link names no heading of its note.
    NoHeading {
        heading: String,
        note: String,
    },
    /// A frontmatter value that names no note by id.
    NotAnId {
        text: String,
    },
    UnknownKb {
        kb: String,
    },
    /// The link matches several notes.
    Ambiguous {
        target: String,
        candidates: usize,
    },
    /// The link is broken.
    NoNote {
        target: String,
    },
    /// The note's id is its file name, and the editor cannot rename files.
    IdIsFileName {
        id: String,
    },
    /// The renamed file would land on another note.
    PathTaken {
        path: PathBuf,
    },
    /// The link names an attachment: its file is renamed in the editor (the links follow).
    Attachment {
        name: String,
    },
    InvalidId(InvalidId),
    InvalidHeading(InvalidHeading),
    /// The new name of a tag is not a tag name.
    InvalidTag {
        name: String,
    },
}

/// Why a text cannot be a heading's new text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidHeading {
    Empty,
    MultiLine,
    /// One of `[ ] | # ^`: links to the heading could not name it.
    ForbiddenChar(char),
    NoLetterOrDigit,
    /// Another heading of the note has the same key (see `keys::heading_key`).
    Taken {
        note: String,
        other: String,
    },
}

impl From<InvalidId> for RenameError {
    fn from(error: InvalidId) -> RenameError {
        RenameError::InvalidId(error)
    }
}

impl From<InvalidHeading> for RenameError {
    fn from(error: InvalidHeading) -> RenameError {
        RenameError::InvalidHeading(error)
    }
}

impl std::fmt::Display for RenameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RenameError::NotRenameable => write!(f, "rename a link target, an id or a heading"),
            RenameError::NoteGone => write!(f, "the note is no longer indexed"),
            RenameError::TitleIsNotAnId => write!(
                f,
                "a title is not an id: rename the `id:` value (or a link), or edit the title as text"
            ),
            RenameError::NoHeading { heading, note } => {
                write!(f, "no heading `{heading}` in `{note}`: nothing to rename")
            }
            RenameError::NotAnId { text } => {
                write!(f, "`{text}` is not the id of a note: nothing to rename")
            }
            RenameError::UnknownKb { kb } => write!(f, "no KB named `{kb}`: nothing to rename"),
            RenameError::Ambiguous { target, candidates } => write!(
                f,
                "`{target}` matches {candidates} notes: make the link name one of them first"
            ),
            RenameError::NoNote { target } => write!(f, "no note `{target}`: nothing to rename"),
            RenameError::IdIsFileName { id } => write!(
                f,
                "the id of `{id}` is its file name, and this editor cannot rename files: add \
                 `id: {id}` to its frontmatter first, or rename the file"
            ),
            RenameError::PathTaken { path } => {
                write!(f, "a note already exists at {}", path.display())
            }
            RenameError::Attachment { name } => write!(
                f,
                "`{name}` is a file, not a note: rename the file itself (links to it follow)"
            ),
            RenameError::InvalidId(error) => error.fmt(f),
            RenameError::InvalidHeading(error) => error.fmt(f),
            RenameError::InvalidTag { name } => write!(
                f,
                "`{name}` is not a tag name: use letters, digits, `_`, `-` and `/`, not only digits"
            ),
        }
    }
}

impl std::fmt::Display for InvalidHeading {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvalidHeading::Empty => write!(f, "the new heading is empty"),
            InvalidHeading::MultiLine => write!(f, "a heading is one line"),
            InvalidHeading::ForbiddenChar(c) => write!(
                f,
                "a heading cannot contain `{c}`: links to it could not name it"
            ),
            InvalidHeading::NoLetterOrDigit => {
                write!(f, "a heading needs a letter or digit for links to find it")
            }
            InvalidHeading::Taken { note, other } => write!(
                f,
                "`{note}` already has a heading `{other}`: links could not tell them apart"
            ),
        }
    }
}

/// The range under the cursor that a rename would edit, and the current name (a note's id, or
/// a heading's text); an error message when there is nothing to rename there.
pub fn prepare_rename(
    workspace: &Workspace,
    position: FilePosition,
) -> Result<RangeInfo<String>, RenameError> {
    let (range, subject) = renameable_at(workspace, position)?;
    let name = match subject {
        Renameable::Note(file) => note_of(workspace, file)?.id().to_string(),
        Renameable::Heading(file, index) => note_of(workspace, file)?
            .parsed
            .headings()
            .at(index)
            .text
            .to_string(),
        Renameable::Tag { name, .. } => name,
    };
    Ok(RangeInfo { range, info: name })
}

/// Renames what is under the cursor to `new_name` (a note id, or a heading's text).
pub fn rename(
    workspace: &Workspace,
    position: FilePosition,
    new_name: &str,
    config: &RenameConfig,
) -> Result<Renamed, RenameError> {
    match renameable_at(workspace, position)?.1 {
        Renameable::Note(file) => rename_note(workspace, file, new_name, config),
        Renameable::Heading(file, index) => Ok(Renamed {
            change: rename_heading(workspace, file, index, new_name)?,
            kept_file_name: None,
        }),
        Renameable::Tag { name, kb } => Ok(Renamed {
            change: rename_tag(workspace, &name, kb, new_name)?,
            kept_file_name: None,
        }),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Renameable {
    Note(FileId),
    Heading(FileId, usize),
    /// A tag as written under the cursor, renamed in the notes of `kb`.
    Tag {
        name: String,
        kb: crate::workspace::KbId,
    },
}

fn note_of(workspace: &Workspace, file: FileId) -> Result<&Note, RenameError> {
    workspace.note(file).ok_or(RenameError::NoteGone)
}

fn renameable_at(
    workspace: &Workspace,
    position: FilePosition,
) -> Result<(TextRange, Renameable), RenameError> {
    let file = position.file;
    let note = note_of(workspace, file)?;
    let item = item_at(note, position.offset).ok_or(RenameError::NotRenameable)?;
    match item {
        CursorItem::Link(index) => {
            let note_links = workspace.links_of(note);
            let link = note_links
                .links()
                .get(index)
                .ok_or(RenameError::NotRenameable)?;
            let resolution = slug::resolve_link(workspace, file, link);
            let Some(target) = resolution.file(file) else {
                return Err(unresolved(link, &resolution));
            };
            if let Some(attachment) = workspace.attachment(target) {
                return Err(RenameError::Attachment {
                    name: attachment.name().to_owned(),
                });
            }
            if cursor::on_heading_part(link, position.offset) {
                let target_note = note_of(workspace, target)?;
                let heading = link.heading.ok_or(RenameError::NotRenameable)?;
                return match slug::resolve_subtarget(target_note, link) {
                    SubTarget::Heading(h) => {
                        Ok((last_segment(heading).0, Renameable::Heading(target, h)))
                    }
                    _ => Err(RenameError::NoHeading {
                        heading: heading.text.to_owned(),
                        note: target_note.id().to_owned(),
                    }),
                };
            }
            if link.target.text.is_empty() && link.kb.is_none() {
                return Err(RenameError::NotRenameable);
            }
            Ok((link.target.range, Renameable::Note(target)))
        }
        CursorItem::Reference { field, value } => {
            let fm = note
                .parsed
                .frontmatter()
                .ok_or(RenameError::NotRenameable)?;
            let field = fm.field(field).ok_or(RenameError::NotRenameable)?;
            let value = field.values.get(value).ok_or(RenameError::NotRenameable)?;
            match slug::resolve_reference(workspace, file, value) {
                Some(target) => Ok((reference_parts(value).id, Renameable::Note(target))),
                None => Err(RenameError::NotAnId {
                    text: value.text.to_owned(),
                }),
            }
        }
        CursorItem::OwnId => {
            let id = note.parsed.frontmatter().and_then(|fm| fm.id());
            let id = id.ok_or(RenameError::NotRenameable)?;
            Ok((id.range, Renameable::Note(file)))
        }
        CursorItem::OwnTitle => Err(RenameError::TitleIsNotAnId),
        CursorItem::Heading(index) => Ok((
            note.parsed.headings().at(index).text_range,
            Renameable::Heading(file, index),
        )),
        CursorItem::FrontmatterTag(_) | CursorItem::InlineTag(_) => {
            let tag = tag_of(note, item).ok_or(RenameError::NotRenameable)?;
            let name = tag.name.to_owned();
            Ok((tag.range, Renameable::Tag { name, kb: note.kb }))
        }
    }
}

fn unresolved(link: Link, resolution: &Resolution) -> RenameError {
    let target = link.target.text.to_owned();
    match resolution {
        Resolution::UnknownKb { kb } => RenameError::UnknownKb { kb: kb.clone() },
        Resolution::Ambiguous { candidates } | Resolution::MissingKbPrefix { candidates } => {
            RenameError::Ambiguous {
                target,
                candidates: candidates.len(),
            }
        }
        _ => RenameError::NoNote { target },
    }
}

// ----- notes -----

fn rename_note(
    workspace: &Workspace,
    file: FileId,
    new_name: &str,
    config: &RenameConfig,
) -> Result<Renamed, RenameError> {
    let note = note_of(workspace, file)?;
    let new_id = check_new_id(workspace, file, note.kb, new_name)?;
    if new_id == *note.id() {
        return Ok(Renamed::default());
    }
    let id_value = note.id_value();
    let new_path = (note.stem() == note.id()).then(|| with_stem(&note.path, &new_id));
    if id_value.is_none() && !config.rename_files {
        return Err(RenameError::IdIsFileName {
            id: note.id().to_owned(),
        });
    }
    if let Some(path) = &new_path
        && config.rename_files
        && workspace.file_id(path).is_some_and(|f| f != file)
    {
        return Err(RenameError::PathTaken { path: path.clone() });
    }
    let moved_to = new_path.as_ref().filter(|_| config.rename_files);
    let new_kb_path = moved_to.map(|path| workspace.kb_relative_path(note.kb, path));
    let mut builder = SourceChangeBuilder::default();
    retarget_pointers(
        workspace,
        &Retarget {
            file,
            new_id: Some(&new_id),
            new_kb_path: new_kb_path.as_deref(),
            new_kb: note.kb,
            rewrite_names: true,
            moving_folder: None,
        },
        &mut builder,
    );
    if let Some(id) = id_value {
        builder.replace(file, id.range, new_id.clone());
    }
    let mut kept_file_name = None;
    if let Some(to) = new_path {
        if config.rename_files {
            builder.file_system(FileSystemEdit::MoveFile {
                from: note.path.clone(),
                to,
            });
        } else {
            kept_file_name = Some((note.path.clone(), to));
        }
    }
    Ok(Renamed {
        change: builder.finish(),
        kept_file_name,
    })
}

// ----- headings -----

fn rename_heading(
    workspace: &Workspace,
    file: FileId,
    index: usize,
    new_name: &str,
) -> Result<SourceChange, RenameError> {
    let note = note_of(workspace, file)?;
    let heading = note.parsed.headings().at(index);
    let new_text = check_new_heading(note, index, new_name)?;
    if new_text == *heading.text {
        return Ok(SourceChange::default());
    }
    let old_slug = keys::heading_slug(heading.text);
    let new_slug = keys::heading_slug(&new_text);
    let mut builder = SourceChangeBuilder::default();
    builder.replace(file, heading.text_range, new_text.clone());
    for pointer in slug::pointers_to_heading(workspace, file, index) {
        let Pointer::Link {
            file: source, link, ..
        } = pointer
        else {
            continue;
        };
        let Some(source_note) = workspace.note(source) else {
            continue;
        };
        let source_links = workspace.links_of(source_note);
        let Some(link) = source_links.links().get(link) else {
            continue;
        };
        let Some(part) = link.heading else {
            continue;
        };
        let (range, written) = last_segment(part);
        let decoded = keys::link_text(link, written);
        let as_slug = *decoded != *heading.text && *decoded == *old_slug;
        let text = if as_slug { &new_slug } else { &new_text };
        // A markdown link's heading stays URL-encoded as written.
        let text = match link.is_markdown() {
            true => keys::encode_destination(text, written, written.contains(char::is_whitespace)),
            false => text.clone(),
        };
        builder.replace(source, range, text);
    }
    Ok(builder.finish())
}

// ----- tags -----

fn rename_tag(
    workspace: &Workspace,
    name: &str,
    kb: crate::workspace::KbId,
    new_name: &str,
) -> Result<SourceChange, RenameError> {
    let new_name = new_name.trim();
    let new_name = new_name.strip_prefix('#').unwrap_or(new_name);
    let valid = !new_name.is_empty()
        && new_name.chars().all(crate::syntax::is_tag_char)
        && crate::syntax::tag_len(new_name) == new_name.len();
    if !valid {
        return Err(RenameError::InvalidTag {
            name: new_name.to_owned(),
        });
    }
    let mut builder = SourceChangeBuilder::default();
    for place in tag_places(workspace, &keys::tag_key(name), Some(kb)) {
        // A quoted value with escapes is not rewritten: its range is not its text.
        if place.range.len() as usize == place.name.len() && place.name != new_name {
            builder.replace(place.file, place.range, new_name.to_owned());
        }
    }
    Ok(builder.finish())
}

/// The last `#` segment of a heading part (`A#B` -> `B`), trimmed, with its range.
fn last_segment<'a>(part: Part<'a>) -> (TextRange, &'a str) {
    let start = part.text.rfind('#').map_or(0, |i| i + 1);
    let segment = &part.text[start..];
    let leading = segment.len() - segment.trim_start().len();
    let trimmed = segment.trim();
    let from = part.range.start as usize + start + leading;
    (TextRange::new(from, from + trimmed.len()), trimmed)
}

fn check_new_heading(note: &Note, index: usize, new_name: &str) -> Result<String, InvalidHeading> {
    let text = new_name.trim();
    if text.is_empty() {
        return Err(InvalidHeading::Empty);
    }
    if text.contains(['\n', '\r']) {
        return Err(InvalidHeading::MultiLine);
    }
    if let Some(c) = text
        .chars()
        .find(|c| matches!(c, '[' | ']' | '|' | '#' | '^'))
    {
        return Err(InvalidHeading::ForbiddenChar(c));
    }
    let key = keys::heading_key(text);
    if key.is_empty() {
        return Err(InvalidHeading::NoLetterOrDigit);
    }
    let clash = note
        .parsed
        .headings()
        .iter()
        .enumerate()
        .find(|(i, h)| *i != index && keys::heading_key(h.text) == key);
    if let Some((_, other)) = clash {
        return Err(InvalidHeading::Taken {
            note: note.id().to_owned(),
            other: other.text.to_owned(),
        });
    }
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::Fixture;

    /// Renders the rename as the resulting text of every changed file and the file rename.
    #[track_caller]
    fn check(fixture: &str, new_name: &str, rename_files: bool, expect: Expect) {
        let f = Fixture::parse(fixture);
        let config = RenameConfig { rename_files };
        let out = match rename(&f.workspace, f.position(), new_name, &config) {
            Ok(renamed) => {
                let mut out = f.render_change(&renamed.change);
                if let Some((from, to)) = renamed.kept_file_name {
                    out += &format!(
                        "kept the file name of {} (not {})\n",
                        from.display(),
                        to.display()
                    );
                }
                out
            }
            Err(error) => format!("error: {error}\n"),
        };
        expect.assert_eq(&out);
    }

    #[track_caller]
    fn check_prepare(fixture: &str, expect: Expect) {
        let f = Fixture::parse(fixture);
        let position = f.position();
        let out = match prepare_rename(&f.workspace, position) {
            Ok(answer) => format!(
                "{} -> {:?}",
                f.render(position.file, answer.range),
                answer.info
            ),
            Err(error) => format!("error: {error}"),
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn renaming_a_tag_rewrites_both_forms_in_its_kb() {
        let fixture = r#"
//- /garden/kb.yaml
name: garden
//- /kitchen/kb.yaml
name: kitchen
//- /garden/basil.md
---
tags: [Herb, annual]
---
Sweet #he$0rb and #herbal, `#herb`.
//- /garden/mint.md
---
tags: herb
---
# Mint #herb
//- /kitchen/pesto.md
#herb stays: another KB.
"#;
        check(
            fixture,
            "#greens/leafy",
            false,
            expect![[r#"
                //- /garden/basil.md
                ---
                tags: [greens/leafy, annual]
                ---
                Sweet #greens/leafy and #herbal, `#herb`.
                //- /garden/mint.md
                ---
                tags: greens/leafy
                ---
                # Mint #greens/leafy
            "#]],
        );
        check(
            fixture,
            "2024",
            false,
            expect![[r#"
                error: `2024` is not a tag name: use letters, digits, `_`, `-` and `/`, not only digits
            "#]],
        );
        check_prepare(
            fixture,
            expect![[r#"/garden/basil.md 36..40 "herb" -> "herb""#]],
        );
    }

    const APIARY: &str = r#"
//- /apiary/kb.yaml
name: apiary
shortname: ap
types:
  hive:
    subdirectory: hives
    fields:
      sister_hives: {type: list, description: "Colonies (entry IDs)"}
//- /cellar/kb.yaml
name: cellar
shortname: cl
//- /apiary/hives/linden-hive.md
---
id: linden-hive
title: Linden Hive
aliases: [Hive One]
---
# Linden Hive
## Temperament
Calm. See [[linden-hive#Temperament]].
//- /apiary/hives/heather-hive.md
---
id: heather-hive
sister_hives: [linden-hive, swarm-box]
---
Split from [[hives/linden-hive]] and [[Linden-Hive]].
Also [[Hive One]] and [[Linden Hive|the old one]].
"#;

    #[test]
    fn renaming_an_id_rewrites_every_link_in_every_kb_and_the_file() {
        let fixture = format!(
            "{APIARY}{}",
            r#"
//- /cellar/mead.md
---
honey_from: ["[[ap:linden-hive]]", "ap:linden-hive"]
---
From ![[ap:lind$0en-hive#Temperament|t]] and [[apiary:linden-hive^first]].
Missing its prefix: [[linden-hive]].
"#
        );
        check(
            &fixture,
            "old-linden",
            true,
            expect![[r#"
                //- /apiary/hives/linden-hive.md
                ---
                id: old-linden
                title: Linden Hive
                aliases: [Hive One]
                ---
                # Linden Hive
                ## Temperament
                Calm. See [[old-linden#Temperament]].
                //- /apiary/hives/heather-hive.md
                ---
                id: heather-hive
                sister_hives: [old-linden, swarm-box]
                ---
                Split from [[hives/old-linden]] and [[old-linden]].
                Also [[old-linden|Hive One]] and [[old-linden|the old one]].

                //- /cellar/mead.md
                ---
                honey_from: ["[[ap:old-linden]]", "ap:old-linden"]
                ---
                From ![[ap:old-linden#Temperament|t]] and [[apiary:old-linden^first]].
                Missing its prefix: [[old-linden]].
                rename /apiary/hives/linden-hive.md -> /apiary/hives/old-linden.md
            "#]],
        );
        // The same without file operations: the id changes, the file keeps its name.
        check(
            &fixture,
            "old-linden",
            false,
            expect![[r#"
            //- /apiary/hives/linden-hive.md
            ---
            id: old-linden
            title: Linden Hive
            aliases: [Hive One]
            ---
            # Linden Hive
            ## Temperament
            Calm. See [[old-linden#Temperament]].
            //- /apiary/hives/heather-hive.md
            ---
            id: heather-hive
            sister_hives: [old-linden, swarm-box]
            ---
            Split from [[hives/linden-hive]] and [[old-linden]].
            Also [[old-linden|Hive One]] and [[old-linden|the old one]].

            //- /cellar/mead.md
            ---
            honey_from: ["[[ap:old-linden]]", "ap:old-linden"]
            ---
            From ![[ap:old-linden#Temperament|t]] and [[apiary:old-linden^first]].
            Missing its prefix: [[old-linden]].
            kept the file name of /ws/apiary/hives/linden-hive.md (not /ws/apiary/hives/old-linden.md)
        "#]],
        );
    }

    #[test]
    fn renaming_from_the_id_value_or_a_reference() {
        check(
            &APIARY.replace("id: linden-hive", "id: linden-h$0ive"),
            "lime-hive",
            true,
            expect![[r#"
                //- /apiary/hives/linden-hive.md
                ---
                id: lime-hive
                title: Linden Hive
                aliases: [Hive One]
                ---
                # Linden Hive
                ## Temperament
                Calm. See [[lime-hive#Temperament]].
                //- /apiary/hives/heather-hive.md
                ---
                id: heather-hive
                sister_hives: [lime-hive, swarm-box]
                ---
                Split from [[hives/lime-hive]] and [[lime-hive]].
                Also [[lime-hive|Hive One]] and [[lime-hive|the old one]].
                rename /apiary/hives/linden-hive.md -> /apiary/hives/lime-hive.md
            "#]],
        );
        check(
            &APIARY.replace("[linden-hive, swarm-box]", "[linden-hi$0ve, swarm-box]"),
            "lime-hive",
            false,
            expect![[r#"
                //- /apiary/hives/linden-hive.md
                ---
                id: lime-hive
                title: Linden Hive
                aliases: [Hive One]
                ---
                # Linden Hive
                ## Temperament
                Calm. See [[lime-hive#Temperament]].
                //- /apiary/hives/heather-hive.md
                ---
                id: heather-hive
                sister_hives: [lime-hive, swarm-box]
                ---
                Split from [[hives/linden-hive]] and [[lime-hive]].
                Also [[lime-hive|Hive One]] and [[lime-hive|the old one]].
                kept the file name of /ws/apiary/hives/linden-hive.md (not /ws/apiary/hives/lime-hive.md)
            "#]],
        );
    }

    #[test]
    fn a_note_named_by_its_file_needs_a_file_rename() {
        let fixture = "//- /kb/plain.md\n# Plain\n//- /kb/a.md\n[[pl$0ain]] [[plain#Plain]]\n";
        check(
            fixture,
            "simple",
            true,
            expect![[r#"
            //- /kb/a.md
            [[simple]] [[simple#Plain]]
            rename /kb/plain.md -> /kb/simple.md
        "#]],
        );
        check(
            fixture,
            "simple",
            false,
            expect![[r#"
            error: the id of `plain` is its file name, and this editor cannot rename files: add `id: plain` to its frontmatter first, or rename the file
        "#]],
        );
    }

    #[test]
    fn new_ids_are_checked() {
        let fixture = format!(
            "{APIARY}//- /apiary/hives/swarm-box-notes.md\n---\nid: swarm-box\ntitle: Swarm\n---\n\
             //- /apiary/a.md\n[[linden-h$0ive]]\n"
        );
        check(
            &fixture,
            "",
            true,
            expect![[r#"
            error: the new id is empty
        "#]],
        );
        check(
            &fixture,
            "heather-hive",
            true,
            expect![[r#"
            error: `heather-hive` is already the id of `hives/heather-hive` in KB `apiary`
        "#]],
        );
        check(
            &fixture,
            "HEATHER-HIVE",
            true,
            expect![[r#"
            error: `HEATHER-HIVE` is already the id of `hives/heather-hive` in KB `apiary`
        "#]],
        );
        check(
            &fixture,
            "swarm",
            true,
            expect![[r#"
            error: `swarm` is already a title or alias of `hives/swarm-box-notes` in KB `apiary`: links to it would change meaning
        "#]],
        );
        check(
            &fixture,
            "swarm-box-notes",
            true,
            expect![[r#"
            error: `swarm-box-notes` is already the file name of `hives/swarm-box-notes` in KB `apiary`: links to it would change meaning
        "#]],
        );
        check(
            &fixture,
            "Hive One",
            true,
            expect![[r#"
            //- /apiary/hives/linden-hive.md
            ---
            id: Hive One
            title: Linden Hive
            aliases: [Hive One]
            ---
            # Linden Hive
            ## Temperament
            Calm. See [[Hive One#Temperament]].
            //- /apiary/hives/heather-hive.md
            ---
            id: heather-hive
            sister_hives: [Hive One, swarm-box]
            ---
            Split from [[hives/Hive One]] and [[Hive One]].
            Also [[Hive One]] and [[Hive One|the old one]].
            //- /apiary/a.md
            [[Hive One]]
            rename /apiary/hives/linden-hive.md -> /apiary/hives/Hive One.md
        "#]],
        );
        check(
            &fixture,
            "a#b",
            true,
            expect![[r#"
            error: an id cannot contain `#`: it has a meaning inside links
        "#]],
        );
        check(
            &fixture,
            "a|b",
            true,
            expect![[r#"
            error: an id cannot contain `|`: it has a meaning inside links
        "#]],
        );
        check(
            &fixture,
            "kb:x",
            true,
            expect![[r#"
            error: an id cannot contain `:`: it would read as a KB prefix
        "#]],
        );
        check(
            &fixture,
            "x/y",
            true,
            expect![[r#"
            error: an id cannot contain `/`: it would read as a folder
        "#]],
        );
        check(
            &fixture,
            ".x",
            true,
            expect![[r#"
            error: an id cannot start with `.`: files starting with `.` are hidden and not indexed
        "#]],
        );
        check(
            &fixture,
            "x.md",
            true,
            expect![[r#"
            error: leave out the `.md`: an id is the name without extension
        "#]],
        );
        check(
            &fixture,
            "-x",
            true,
            expect![[r#"
            error: an id cannot start with `-`: YAML reads it as syntax
        "#]],
        );
        check(
            &fixture,
            "a, b",
            true,
            expect![[r#"
            error: an id cannot contain `,`: the frontmatter would need quotes
        "#]],
        );
        check(
            &fixture,
            "two\nlines",
            true,
            expect![[r#"
            error: an id is one line
        "#]],
        );
    }

    #[test]
    fn renaming_a_heading_rewrites_links_to_it() {
        let fixture = r#"
//- /kb/hive.md
# Hive
## Temp$0erament
See [[#temperament]] and [[#Temperament|here]].
## Other
//- /kb/a.md
[[hive#Temperament]] [[hive#temperament]] ![[Hive#Hive#Temperament|t]] [[hive#Other]]
"#;
        check(
            fixture,
            "Mood Swings",
            true,
            expect![[r#"
            //- /kb/hive.md
            # Hive
            ## Mood Swings
            See [[#mood-swings]] and [[#Mood Swings|here]].
            ## Other
            //- /kb/a.md
            [[hive#Mood Swings]] [[hive#mood-swings]] ![[Hive#Hive#Mood Swings|t]] [[hive#Other]]
        "#]],
        );
        // From a link's heading part; other headings of the note are not valid new names.
        check(
            &fixture
                .replace("Temp$0erament", "Temperament")
                .replace("[[hive#Temperament]]", "[[hive#Tempe$0rament]]"),
            "Other",
            true,
            expect![[r#"
                error: `hive` already has a heading `Other`: links could not tell them apart
            "#]],
        );
    }

    #[test]
    fn prepare_rename_says_what_is_renamed() {
        let notes = format!("{APIARY}//- /apiary/a.md\n");
        check_prepare(
            &format!("{notes}![[ap:linden$0-hive#Temperament|t]]\n"),
            expect![[r#"/apiary/a.md 6..17 "linden-hive" -> "linden-hive""#]],
        );
        check_prepare(
            &format!("{notes}![[ap:linden-hive#Temper$0ament|t]]\n"),
            expect![[r#"/apiary/a.md 18..29 "Temperament" -> "Temperament""#]],
        );
        check_prepare(
            &format!("{notes}[[Hive O$0ne]]\n"),
            expect![[r#"/apiary/a.md 2..10 "Hive One" -> "linden-hive""#]],
        );
        check_prepare(
            &format!("{notes}[[nowh$0ere]]\n"),
            expect!["error: no note `nowhere`: nothing to rename"],
        );
        check_prepare(
            &format!("{notes}plain t$0ext\n"),
            expect!["error: rename a link target, an id or a heading"],
        );
        check_prepare(
            &APIARY.replace("title: Linden Hive", "title: Linden $0Hive"),
            expect![
                "error: a title is not an id: rename the `id:` value (or a link), or edit the title as text"
            ],
        );
        check_prepare(
            &APIARY.replace("# Linden Hive", "# Linden $0Hive"),
            expect![[r#"/apiary/hives/linden-hive.md 65..76 "Linden Hive" -> "Linden Hive""#]],
        );
    }

    #[test]
    fn rename_through_markdown_links() {
        let vault = "//- /v/Trip plan.md\n# Trip plan\n## Getting there\n//- /v/Index.md\n[plan](Trip%20plan.md) [go](Trip%20plan.md#Getting%20there) [g2](<Trip plan.md#Getting there>) [[Trip plan#Getting there]]\n![c](chart.png)\n//- /v/chart.png\nPNG\n";
        // The note, from a markdown link: every link follows, encoded as written.
        check(
            &vault.replace("[plan](Trip%20plan.md)", "[plan](Trip%20pl$0an.md)"),
            "Road trip",
            true,
            expect![[r#"
                //- /v/Index.md
                [plan](Road%20trip.md) [go](Road%20trip.md#Getting%20there) [g2](<Road trip.md#Getting there>) [[Road trip#Getting there]]
                ![c](chart.png)
                rename /v/Trip plan.md -> /v/Road trip.md
            "#]],
        );
        // A heading, from a markdown link.
        check(
            &vault.replace("#Getting%20there)", "#Getting%20th$0ere)"),
            "By train",
            true,
            expect![[r#"
                //- /v/Trip plan.md
                # Trip plan
                ## By train
                //- /v/Index.md
                [plan](Trip%20plan.md) [go](Trip%20plan.md#By%20train) [g2](<Trip plan.md#By train>) [[Trip plan#By train]]
                ![c](chart.png)
            "#]],
        );
        // An attachment is renamed as a file.
        check(
            &vault.replace("![c](chart.png)", "![c](cha$0rt.png)"),
            "graph.png",
            true,
            expect![[r#"
                error: `chart.png` is a file, not a note: rename the file itself (links to it follow)
            "#]],
        );
    }
}
