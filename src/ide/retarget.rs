//! Retargeting: what rename, file moves and quick fixes share when a note changes its id, its
//! path or its KB. New ids are checked ([`check_id_syntax`], [`check_new_id`]: the rules are in
//! [`super::rename`]'s module doc); [`retarget_pointers`] rewrites every link and frontmatter
//! reference to a note (or every link to an attachment) as a [`Retarget`] describes, keeping
//! `kb:` prefixes right ([`fix_prefix`]); [`reference_parts`] splits a frontmatter reference
//! into its id and prefix.
//!
//! Links keep the way they were written: a path-style link keeps as many folders as it had, a
//! relative one (`../x`, in a plain vault) is written relative to its note again, and a markdown
//! link keeps its `.md` extension and its URL encoding (see [`written_target`]).

use std::path::{Path, PathBuf};

use super::source_change::SourceChangeBuilder;
use crate::keys;
use crate::slug::{self, Pointer, Resolution, Via};
use crate::syntax::LinkSyntax;
use crate::syntax::{Link, Value};
use crate::text::{FileId, TextRange};
use crate::workspace::{KbId, Workspace};

/// `path` with its file stem replaced, keeping the extension.
pub fn with_stem(path: &Path, stem: &str) -> PathBuf {
    match path.extension() {
        Some(ext) => path.with_file_name(format!("{stem}.{}", ext.to_string_lossy())),
        None => path.with_file_name(stem),
    }
}

/// Why a text cannot be a note's new id (the rules are in [`super::rename`]'s module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvalidId {
    Empty,
    MultiLine,
    /// A character with a meaning elsewhere, and what it would mean.
    ForbiddenChar {
        c: char,
        why: &'static str,
    },
    /// A first character that hides the file or that YAML reads as syntax.
    ForbiddenStart {
        c: char,
        why: &'static str,
    },
    MarkdownExtension,
    /// Already a name of another note (at `path` inside KB `kb`).
    Taken {
        id: String,
        clash: Clash,
        path: String,
        kb: String,
    },
}

/// Which name of another note a new id would repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clash {
    Id,
    TitleOrAlias,
    FileName,
}

impl std::fmt::Display for InvalidId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            InvalidId::Empty => write!(f, "the new id is empty"),
            InvalidId::MultiLine => write!(f, "an id is one line"),
            InvalidId::ForbiddenChar { c, why } => write!(f, "an id cannot contain `{c}`: {why}"),
            InvalidId::ForbiddenStart { c, why } => {
                write!(f, "an id cannot start with `{c}`: {why}")
            }
            InvalidId::MarkdownExtension => write!(
                f,
                "leave out the `.md`: an id is the name without extension"
            ),
            InvalidId::Taken {
                id,
                clash,
                path,
                kb,
            } => {
                let what = match clash {
                    Clash::Id => "the id of",
                    Clash::TitleOrAlias => "a title or alias of",
                    Clash::FileName => "the file name of",
                };
                write!(f, "`{id}` is already {what} `{path}` in KB `{kb}`")?;
                if *clash != Clash::Id {
                    write!(f, ": links to it would change meaning")?;
                }
                Ok(())
            }
        }
    }
}

/// Checks `new_name` as the new id of note `file` in KB `kb`; returns it trimmed.
pub fn check_new_id(
    workspace: &Workspace,
    file: FileId,
    kb: KbId,
    new_name: &str,
) -> Result<String, InvalidId> {
    let id = new_name.trim();
    check_id_syntax(id)?;
    let folded = keys::fold(id);
    let other = |files: &[FileId]| {
        files
            .iter()
            .copied()
            .find(|&f| f != file && workspace.note(f).is_some_and(|n| n.kb == kb))
    };
    let taken = |clash: Clash, other: FileId| {
        let path = workspace
            .note(other)
            .map(|n| n.kb_path().to_string())
            .unwrap_or_default();
        InvalidId::Taken {
            id: id.to_owned(),
            clash,
            path,
            kb: workspace.kb(kb).name.clone(),
        }
    };
    if let Some(other) = other(workspace.notes_by_id(&folded)) {
        return Err(taken(Clash::Id, other));
    }
    if let Some(other) = other(workspace.notes_by_name(&folded)) {
        return Err(taken(Clash::TitleOrAlias, other));
    }
    if let Some(other) = other(workspace.notes_by_stem(&folded)) {
        return Err(taken(Clash::FileName, other));
    }
    Ok(id.to_owned())
}

/// The characters and forms an id cannot have, with the reason (see the module doc).
pub fn check_id_syntax(id: &str) -> Result<(), InvalidId> {
    if id.is_empty() {
        return Err(InvalidId::Empty);
    }
    if id.contains(['\n', '\r']) {
        return Err(InvalidId::MultiLine);
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
            return Err(InvalidId::ForbiddenChar { c, why });
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
        return Err(InvalidId::ForbiddenStart { c, why });
    }
    let lower = id.to_ascii_lowercase();
    if lower.ends_with(".md") || lower.ends_with(".markdown") {
        return Err(InvalidId::MarkdownExtension);
    }
    Ok(())
}

/// How a note changes, for rewriting what points at it (rename, file moves).
pub struct Retarget<'a> {
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
    /// The folder (its old path) that moves as a whole with the file, if any: relative links
    /// between two files inside it stay as they are.
    pub moving_folder: Option<&'a Path>,
}

/// Rewrites every link and reference to `change.file` (a note or an attachment) so that it
/// still means it.
pub fn retarget_pointers(
    workspace: &Workspace,
    change: &Retarget<'_>,
    builder: &mut SourceChangeBuilder,
) {
    let old_kb = match workspace.note(change.file) {
        Some(note) => note.kb,
        None => match workspace.attachment(change.file) {
            Some(attachment) => attachment.kb,
            None => return,
        },
    };
    for pointer in slug::pointers_to(workspace, change.file) {
        match pointer {
            Pointer::Link { file, link, .. } => {
                let Some(source) = workspace.note(file) else {
                    continue;
                };
                let source_links = workspace.links_of(source);
                let Some(link) = source_links.links().get(link) else {
                    continue;
                };
                let Some(via) = via_of(workspace, file, link, change.file) else {
                    continue;
                };
                let written = keys::link_text(link, link.target.text);
                let relative = slug::is_plain_vault(workspace, source.kb)
                    && link.kb.is_none()
                    && slug::is_relative(&written);
                let inside_moving_folder = |f: FileId| {
                    let path = workspace.path(f);
                    change
                        .moving_folder
                        .is_some_and(|dir| path.is_some_and(|p| p.starts_with(dir)))
                };
                if relative && inside_moving_folder(file) && inside_moving_folder(change.file) {
                    continue;
                }
                let new_target = match via {
                    Via::Id | Via::IdIgnoringCase if relative => change
                        .new_kb_path
                        .map(|path| relative_target(&written, source.kb_path(), path)),
                    Via::Id | Via::IdIgnoringCase => change.new_id.map(str::to_owned),
                    Via::Name if change.rewrite_names => change.new_id.map(str::to_owned),
                    Via::Name => None,
                    Via::Path if relative => change
                        .new_kb_path
                        .map(|path| relative_target(&written, source.kb_path(), path)),
                    Via::Path => change.new_kb_path.map(|path| path_target(&written, path)),
                };
                if let Some(target) = new_target
                    && !same_target(&written, &target)
                {
                    builder.replace(file, link.target.range, written_target(link, &target));
                    if via == Via::Name && link.display.is_none() && !link.is_markdown() {
                        let before_close = link.range.end.saturating_sub(2);
                        builder.insert(file, before_close, format!("|{}", link.target.text));
                    }
                }
                if link.syntax == LinkSyntax::Markdown {
                    continue; // Markdown links name no KB.
                }
                let prefix = link.kb.as_ref().map(|kb| (kb.text, kb.range));
                let source_kb = kb_after(file, source.kb, change);
                fix_prefix(
                    workspace,
                    file,
                    source_kb,
                    old_kb,
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
                        old_kb,
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

/// A note of a plain vault moving to `new_kb_path` (in the same KB): its own relative links
/// (`../img/chart.png`, `[x](../notes/other.md)`) are written from its new folder, except those
/// to files inside `moving_folder`, which move along.
pub fn rewrite_own_relative_links(
    workspace: &Workspace,
    file: FileId,
    new_kb_path: &str,
    moving_folder: Option<&Path>,
    builder: &mut SourceChangeBuilder,
) {
    let Some(note) = workspace.note(file) else {
        return;
    };
    if !slug::is_plain_vault(workspace, note.kb) {
        return;
    }
    for link in workspace.links_of(note).links() {
        let written = keys::link_text(link, link.target.text);
        if link.kb.is_some() || !slug::is_relative(&written) {
            continue;
        }
        let Some(target) = slug::resolve_link(workspace, file, link).file(file) else {
            continue;
        };
        let target_path = workspace.path(target);
        let moves_along =
            moving_folder.is_some_and(|dir| target_path.is_some_and(|p| p.starts_with(dir)));
        if target == file || moves_along {
            continue;
        }
        let target_kb_path = match workspace.note(target) {
            Some(target_note) if target_note.kb == note.kb => target_note.kb_path(),
            Some(_) => continue,
            None => match workspace.attachment(target) {
                Some(attachment) if attachment.kb == note.kb => attachment.kb_path(),
                _ => continue,
            },
        };
        let new_target = relative_target(&written, new_kb_path, target_kb_path);
        if !same_target(&written, &new_target) {
            builder.replace(file, link.target.range, written_target(link, &new_target));
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
        Resolution::Found { file, via, .. } if file == target => Some(via),
        Resolution::MissingKbPrefix { candidates } if candidates == [target] => {
            let kb = workspace.kb_link_prefix(workspace.note(target)?.kb);
            let written = keys::link_text(link, link.target.text);
            match slug::resolve_target(workspace, from, Some(kb), &written) {
                Resolution::Found { file, via, .. } if file == target => Some(via),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether two targets name the same path, give or take a `.md` extension and a leading `./`.
fn same_target(a: &str, b: &str) -> bool {
    fn plain(target: &str) -> &str {
        let target = target.trim();
        let target = target.strip_prefix("./").unwrap_or(target);
        let cut = target.len().saturating_sub(3);
        match target.get(cut..) {
            Some(tail) if cut > 0 && tail.eq_ignore_ascii_case(".md") => &target[..cut],
            _ => target,
        }
    }
    plain(a) == plain(b)
}

/// What to write as `link`'s target for `target` (an id, or a path as a wiki-link names it): a
/// wiki-link takes it as it is; a markdown link keeps the `.md` extension if it had one, and is
/// percent-encoded the way it was ([`keys::encode_destination`]).
pub fn written_target(link: Link, target: &str) -> String {
    if !link.is_markdown() {
        return target.to_owned();
    }
    let original = link.target.text;
    let decoded = keys::link_text(link, original);
    let extension = [".md", ".markdown"].into_iter().find_map(|ext| {
        let cut = decoded.len().checked_sub(ext.len())?;
        let tail = decoded.get(cut..)?;
        let target_has_it = target.to_ascii_lowercase().ends_with(ext);
        (tail.eq_ignore_ascii_case(ext) && !target_has_it).then_some(tail)
    });
    let target = format!("{target}{}", extension.unwrap_or(""));
    // A destination written inside `<...>` may hold spaces as they are.
    let angle_brackets =
        original.contains([' ', '<', '>']) || original.contains(char::is_whitespace);
    keys::encode_destination(&target, original, angle_brackets)
}

/// The target for a note or attachment now at `new_kb_path`, relative to the folder of the
/// note at `source_kb_path` (both inside one KB), as `written` was (`./x` keeps its `./`).
/// Notes are named without `.md` unless `written` had it (markdown links add it back).
fn relative_target(written: &str, source_kb_path: &str, new_kb_path: &str) -> String {
    let mut from: Vec<&str> = source_kb_path.split('/').collect();
    from.pop();
    let to: Vec<&str> = new_kb_path.split('/').collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    let path = parts.join("/");
    if path.starts_with("../") || !written.trim_start().starts_with("./") {
        path
    } else {
        format!("./{path}")
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
pub fn fix_prefix(
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
pub struct ReferenceParts<'a> {
    pub id: TextRange,
    pub kb: Option<&'a str>,
    pub kb_range: Option<(&'a str, TextRange)>,
    /// The value is written as read (no quotes escapes), so sub-ranges are exact.
    pub verbatim: bool,
}

pub fn reference_parts<'a>(value: Value<'a>) -> ReferenceParts<'a> {
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
