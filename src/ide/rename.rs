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

use std::path::{Path, PathBuf};

use super::cursor::{self, CursorItem, item_at};
use super::navigation::RangeInfo;
use super::source_change::{FileSystemEdit, SourceChange, SourceChangeBuilder};
use crate::keys;
use crate::slug::{self, Pointer, Resolution, SubTarget, Via};
use crate::syntax::{Link, Part, Value};
use crate::text::{FileId, FilePosition, TextRange};
use crate::workspace::{KbId, Note, Workspace};

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

const NOTHING_HERE: &str = "rename a link target, an id or a heading";

/// The range under the cursor that a rename would edit, and the current name (a note's id, or
/// a heading's text); an error message when there is nothing to rename there.
pub fn prepare_rename(
    workspace: &Workspace,
    position: FilePosition,
) -> Result<RangeInfo<String>, String> {
    let (range, subject) = renameable_at(workspace, position)?;
    let name = match subject {
        Renameable::Note(file) => note_of(workspace, file)?.id().to_string(),
        Renameable::Heading(file, index) => note_of(workspace, file)?
            .parsed
            .headings()
            .at(index)
            .text
            .to_string(),
    };
    Ok(RangeInfo { range, info: name })
}

/// Renames what is under the cursor to `new_name` (a note id, or a heading's text).
pub fn rename(
    workspace: &Workspace,
    position: FilePosition,
    new_name: &str,
    config: &RenameConfig,
) -> Result<Renamed, String> {
    match renameable_at(workspace, position)?.1 {
        Renameable::Note(file) => rename_note(workspace, file, new_name, config),
        Renameable::Heading(file, index) => Ok(Renamed {
            change: rename_heading(workspace, file, index, new_name)?,
            kept_file_name: None,
        }),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Renameable {
    Note(FileId),
    Heading(FileId, usize),
}

fn note_of(workspace: &Workspace, file: FileId) -> Result<&Note, String> {
    workspace
        .note(file)
        .ok_or_else(|| "the note is no longer indexed".to_owned())
}

fn renameable_at(
    workspace: &Workspace,
    position: FilePosition,
) -> Result<(TextRange, Renameable), String> {
    let file = position.file;
    let note = note_of(workspace, file)?;
    let item = item_at(note, position.offset).ok_or(NOTHING_HERE)?;
    match item {
        CursorItem::Link(index) => {
            let link = note.parsed.links().at(index);
            let resolution = slug::resolve_link(workspace, file, link);
            let Some(target) = resolution.file(file) else {
                return Err(unresolved(link, &resolution));
            };
            if cursor::on_heading_part(link, position.offset) {
                let target_note = note_of(workspace, target)?;
                let heading = link.heading.ok_or(NOTHING_HERE)?;
                return match slug::resolve_subtarget(target_note, link) {
                    SubTarget::Heading(h) => {
                        Ok((last_segment(heading).0, Renameable::Heading(target, h)))
                    }
                    _ => Err(format!(
                        "no heading `{}` in `{}`: nothing to rename",
                        heading.text,
                        target_note.id()
                    )),
                };
            }
            if link.target.text.is_empty() && link.kb.is_none() {
                return Err(NOTHING_HERE.to_owned());
            }
            Ok((link.target.range, Renameable::Note(target)))
        }
        CursorItem::Reference { field, value } => {
            let fm = note.parsed.frontmatter().ok_or(NOTHING_HERE)?;
            let field = fm.field(field).ok_or(NOTHING_HERE)?;
            let value = field.values.get(value).ok_or(NOTHING_HERE)?;
            match slug::resolve_reference(workspace, file, value) {
                Some(target) => Ok((reference_parts(value).id, Renameable::Note(target))),
                None => Err(format!(
                    "`{}` is not the id of a note: nothing to rename",
                    value.text
                )),
            }
        }
        CursorItem::OwnId => {
            let id = note.parsed.frontmatter().and_then(|fm| fm.id());
            let id = id.ok_or(NOTHING_HERE)?;
            Ok((id.range, Renameable::Note(file)))
        }
        CursorItem::OwnTitle => Err(
            "a title is not an id: rename the `id:` value (or a link), or edit the title as text"
                .to_owned(),
        ),
        CursorItem::Heading(index) => Ok((
            note.parsed.headings().at(index).text_range,
            Renameable::Heading(file, index),
        )),
    }
}

fn unresolved(link: Link, resolution: &Resolution) -> String {
    let target = &link.target.text;
    match resolution {
        Resolution::UnknownKb { kb } => format!("no KB named `{kb}`: nothing to rename"),
        Resolution::Ambiguous { candidates } | Resolution::MissingKbPrefix { candidates } => {
            format!(
                "`{target}` matches {} notes: make the link name one of them first",
                candidates.len()
            )
        }
        _ => format!("no note `{target}`: nothing to rename"),
    }
}

// ----- notes -----

fn rename_note(
    workspace: &Workspace,
    file: FileId,
    new_name: &str,
    config: &RenameConfig,
) -> Result<Renamed, String> {
    let note = note_of(workspace, file)?;
    let new_id = check_new_id(workspace, file, new_name)?;
    if new_id == *note.id() {
        return Ok(Renamed::default());
    }
    let id_value = note.id_value();
    let new_path = (note.stem() == note.id()).then(|| with_stem(&note.path, &new_id));
    if id_value.is_none() && !config.rename_files {
        return Err(format!(
            "the id of `{}` is its file name, and this editor cannot rename files: add `id: {}` \
             to its frontmatter first, or rename the file",
            note.id(),
            note.id()
        ));
    }
    if let Some(path) = &new_path
        && config.rename_files
        && workspace.file_id(path).is_some_and(|f| f != file)
    {
        return Err(format!("a note already exists at {}", path.display()));
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

/// `path` with its file stem replaced, keeping the extension.
pub(super) fn with_stem(path: &Path, stem: &str) -> PathBuf {
    match path.extension() {
        Some(ext) => path.with_file_name(format!("{stem}.{}", ext.to_string_lossy())),
        None => path.with_file_name(stem),
    }
}

/// Checks `new_name` as the new id of note `file`; returns it trimmed.
pub(super) fn check_new_id(
    workspace: &Workspace,
    file: FileId,
    new_name: &str,
) -> Result<String, String> {
    let id = new_name.trim();
    check_id_syntax(id)?;
    let note = note_of(workspace, file)?;
    let folded = keys::fold(id);
    let other = |files: &[FileId]| {
        files
            .iter()
            .copied()
            .find(|&f| f != file && workspace.note(f).is_some_and(|n| n.kb == note.kb))
    };
    let kb = &workspace.kb(note.kb).name;
    let clash = |what: &str, other: FileId| {
        let path = workspace
            .note(other)
            .map(|n| n.kb_path().to_string())
            .unwrap_or_default();
        format!("`{id}` is already {what} `{path}` in KB `{kb}`")
    };
    if let Some(other) = other(workspace.notes_by_id(&folded)) {
        return Err(clash("the id of", other));
    }
    if let Some(other) = other(workspace.notes_by_name(&folded)) {
        return Err(clash("a title or alias of", other) + ": links to it would change meaning");
    }
    if let Some(other) = other(workspace.notes_by_stem(&folded)) {
        return Err(clash("the file name of", other) + ": links to it would change meaning");
    }
    Ok(id.to_owned())
}

/// The characters and forms an id cannot have, with the reason (see the module doc).
pub(super) fn check_id_syntax(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("the new id is empty".to_owned());
    }
    if id.contains(['\n', '\r']) {
        return Err("an id is one line".to_owned());
    }
    let rules: [(&[char], &str); 5] = [
        (&['[', ']', '|', '#', '^'], "it has a meaning inside links"),
        (&['/', '\\'], "it would read as a folder"),
        (&[':'], "it would read as a KB prefix"),
        (
            &['{', '}', ',', '"', '\''],
            "the frontmatter would need quotes",
        ),
        (&['\t'], "use spaces or `-`"),
    ];
    for (chars, why) in rules {
        if let Some(c) = id.chars().find(|c| chars.contains(c)) {
            return Err(format!("an id cannot contain `{c}`: {why}"));
        }
    }
    if let Some(c) = id
        .chars()
        .next()
        .filter(|c| matches!(c, '.' | '!' | '&' | '*' | '%' | '@' | '?' | '>' | '`' | '-'))
    {
        let why = if c == '.' {
            "files starting with `.` are hidden and not indexed"
        } else {
            "YAML reads it as syntax"
        };
        return Err(format!("an id cannot start with `{c}`: {why}"));
    }
    let lower = id.to_ascii_lowercase();
    if lower.ends_with(".md") || lower.ends_with(".markdown") {
        return Err("leave out the `.md`: an id is the name without extension".to_owned());
    }
    Ok(())
}

/// How a note changes, for rewriting what points at it (rename, file moves).
pub(super) struct Retarget<'a> {
    pub file: FileId,
    /// The new id, when it changes.
    pub new_id: Option<&'a str>,
    /// The note's new path inside its KB (see `Note::kb_path`), when the file moves.
    pub new_kb_path: Option<&'a str>,
    /// The note's KB after the change.
    pub new_kb: KbId,
    /// Also rewrite links by title or alias to the new id (a rename does; a file move leaves
    /// them, since they keep working).
    pub rewrite_names: bool,
}

/// Rewrites every link and reference to `change.file` so that it still means the note.
pub(super) fn retarget_pointers(
    workspace: &Workspace,
    change: &Retarget<'_>,
    builder: &mut SourceChangeBuilder,
) {
    let Some(note) = workspace.note(change.file) else {
        return;
    };
    for pointer in slug::pointers_to(workspace, change.file) {
        match pointer {
            Pointer::Link { file, link } => {
                let Some(source) = workspace.note(file) else {
                    continue;
                };
                let link = source.parsed.links().at(link);
                let Some(via) = via_of(workspace, file, link, change.file) else {
                    continue;
                };
                let new_target = match via {
                    Via::Id | Via::IdIgnoringCase => change.new_id.map(str::to_owned),
                    Via::Name if change.rewrite_names => change.new_id.map(str::to_owned),
                    Via::Name => None,
                    Via::Path => change
                        .new_kb_path
                        .map(|path| path_target(link.target.text, path)),
                };
                if let Some(target) = new_target
                    && keys::clean_target(link.target.text).as_deref() != Some(&*target)
                {
                    builder.replace(file, link.target.range, target);
                    if via == Via::Name && link.display.is_none() {
                        let before_close = link.range.end.saturating_sub(2);
                        builder.insert(file, before_close, format!("|{}", link.target.text));
                    }
                }
                let prefix = link.kb.as_ref().map(|kb| (kb.text, kb.range));
                let source_kb = kb_after(file, source.kb, change);
                fix_prefix(
                    workspace,
                    file,
                    source_kb,
                    note.kb,
                    change.new_kb,
                    prefix,
                    link.target.range.start,
                    builder,
                );
            }
            Pointer::Reference { file, field, value } => {
                let Some(source) = workspace.note(file) else {
                    continue;
                };
                let Some(value) = source
                    .parsed
                    .frontmatter()
                    .and_then(|fm| fm.field(field)?.values.get(value))
                else {
                    continue;
                };
                let parts = reference_parts(value);
                if let Some(id) = change.new_id {
                    let new_text = match (parts.verbatim, parts.kb) {
                        // An escaped `kb:id` is rewritten whole.
                        (false, Some(kb)) => format!("{kb}:{id}"),
                        _ => id.to_owned(),
                    };
                    builder.replace(file, parts.id, new_text);
                }
                if value.kb.is_none() && parts.verbatim {
                    let source_kb = kb_after(file, source.kb, change);
                    fix_prefix(
                        workspace,
                        file,
                        source_kb,
                        note.kb,
                        change.new_kb,
                        parts.kb_range,
                        parts.id.start,
                        builder,
                    );
                }
            }
        }
    }
}

/// The KB a pointing note is in once the change is made (the note itself may move).
fn kb_after(source: FileId, source_kb: KbId, change: &Retarget<'_>) -> KbId {
    if source == change.file {
        change.new_kb
    } else {
        source_kb
    }
}

/// How the link from `from` matched `target`.
fn via_of(workspace: &Workspace, from: FileId, link: Link, target: FileId) -> Option<Via> {
    match slug::resolve_link(workspace, from, link) {
        Resolution::Found { file, via } if file == target => Some(via),
        Resolution::MissingKbPrefix { candidates } if candidates == [target] => {
            let kb = workspace.kb_link_prefix(workspace.note(target)?.kb);
            match slug::resolve_target(workspace, from, Some(kb), link.target.text) {
                Resolution::Found { file, via } if file == target => Some(via),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A path-style target for a note now at `new_kb_path`, with as many folders as `written` had.
fn path_target(written: &str, new_kb_path: &str) -> String {
    let cleaned = keys::clean_target(written).unwrap_or_default();
    let segments = cleaned.split('/').count();
    let new_segments: Vec<&str> = new_kb_path.split('/').collect();
    let keep = segments.min(new_segments.len());
    new_segments[new_segments.len() - keep..].join("/")
}

/// Keeps a `kb:` prefix right when the note moves from KB `old_kb` to `new_kb`: a prefix that
/// names another KB than `new_kb` is replaced; a pointer without one, written in a note that
/// is not in `new_kb` (after the move: `source_kb`), gets one.
#[allow(clippy::too_many_arguments)]
pub(super) fn fix_prefix(
    workspace: &Workspace,
    source: FileId,
    source_kb: KbId,
    old_kb: KbId,
    new_kb: KbId,
    prefix: Option<(&str, TextRange)>,
    target_start: u32,
    builder: &mut SourceChangeBuilder,
) {
    if old_kb == new_kb {
        return;
    }
    let new_prefix = workspace.kb_link_prefix(new_kb);
    match prefix {
        Some((name, range)) if workspace.kb_by_name(name) != Some(new_kb) => {
            builder.replace(source, range, new_prefix);
        }
        None if source_kb != new_kb => {
            builder.insert(source, target_start, format!("{new_prefix}:"));
        }
        _ => {}
    }
}

/// A frontmatter reference's parts: its id (`ap:x` -> `x`) and inline KB prefix ranges.
pub(super) struct ReferenceParts<'a> {
    pub id: TextRange,
    pub kb: Option<&'a str>,
    pub kb_range: Option<(&'a str, TextRange)>,
    /// The value is written as read (no quotes escapes), so sub-ranges are exact.
    pub verbatim: bool,
}

pub(super) fn reference_parts<'a>(value: Value<'a>) -> ReferenceParts<'a> {
    let (kb, id) = keys::split_reference(value);
    let verbatim = value.range.len() as usize == value.text.len();
    if !verbatim || value.kb.is_some() {
        return ReferenceParts {
            id: value.range,
            kb,
            kb_range: None,
            verbatim,
        };
    }
    let base = value.text.as_ptr() as usize;
    let at = |part: &str| {
        let start = value.range.start as usize + (part.as_ptr() as usize - base);
        TextRange::new(start, start + part.len())
    };
    ReferenceParts {
        id: at(id),
        kb,
        kb_range: kb.map(|kb| (kb, at(kb))),
        verbatim,
    }
}

// ----- headings -----

fn rename_heading(
    workspace: &Workspace,
    file: FileId,
    index: usize,
    new_name: &str,
) -> Result<SourceChange, String> {
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
    for (source, link) in slug::pointers_to_heading(workspace, file, index) {
        let Some(part) = workspace
            .note(source)
            .and_then(|n| n.parsed.links().at(link).heading)
        else {
            continue;
        };
        let (range, written) = last_segment(part);
        let as_slug = written != heading.text && written == old_slug;
        let text = if as_slug { &new_slug } else { &new_text };
        builder.replace(source, range, text.clone());
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

fn check_new_heading(note: &Note, index: usize, new_name: &str) -> Result<String, String> {
    let text = new_name.trim();
    if text.is_empty() {
        return Err("the new heading is empty".to_owned());
    }
    if text.contains(['\n', '\r']) {
        return Err("a heading is one line".to_owned());
    }
    if let Some(c) = text
        .chars()
        .find(|c| matches!(c, '[' | ']' | '|' | '#' | '^'))
    {
        return Err(format!(
            "a heading cannot contain `{c}`: links to it could not name it"
        ));
    }
    let key = keys::heading_key(text);
    if key.is_empty() {
        return Err("a heading needs a letter or digit for links to find it".to_owned());
    }
    let clash = note
        .parsed
        .headings()
        .iter()
        .enumerate()
        .find(|(i, h)| *i != index && keys::heading_key(h.text) == key);
    if let Some((_, other)) = clash {
        return Err(format!(
            "`{}` already has a heading `{}`: links could not tell them apart",
            note.id(),
            other.text
        ));
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
        let f = Fixture::parse(&fixture);
        let errors: Vec<String> = [
            "",
            "heather-hive",
            "HEATHER-HIVE",
            "swarm",
            "swarm-box-notes",
            "Hive One",
            "a#b",
            "a|b",
            "kb:x",
            "x/y",
            ".x",
            "x.md",
            "-x",
            "a, b",
            "two\nlines",
        ]
        .iter()
        .map(|new_id| {
            let config = RenameConfig { rename_files: true };
            match rename(&f.workspace, f.position(), new_id, &config) {
                Ok(_) => format!("{new_id:?}: accepted"),
                Err(error) => format!("{new_id:?}: {error}"),
            }
        })
        .collect();
        expect![[r#"
            "": the new id is empty
            "heather-hive": `heather-hive` is already the id of `hives/heather-hive` in KB `apiary`
            "HEATHER-HIVE": `HEATHER-HIVE` is already the id of `hives/heather-hive` in KB `apiary`
            "swarm": `swarm` is already a title or alias of `hives/swarm-box-notes` in KB `apiary`: links to it would change meaning
            "swarm-box-notes": `swarm-box-notes` is already the file name of `hives/swarm-box-notes` in KB `apiary`: links to it would change meaning
            "Hive One": accepted
            "a#b": an id cannot contain `#`: it has a meaning inside links
            "a|b": an id cannot contain `|`: it has a meaning inside links
            "kb:x": an id cannot contain `:`: it would read as a KB prefix
            "x/y": an id cannot contain `/`: it would read as a folder
            ".x": an id cannot start with `.`: files starting with `.` are hidden and not indexed
            "x.md": leave out the `.md`: an id is the name without extension
            "-x": an id cannot start with `-`: YAML reads it as syntax
            "a, b": an id cannot contain `,`: the frontmatter would need quotes
            "two\nlines": an id is one line"#]].assert_eq(&errors.join("\n"));
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
}
