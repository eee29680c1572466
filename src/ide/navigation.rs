//! Shared answer types for features that point at places: a target note, heading or block,
//! what kind of symbol (document and workspace symbols) a place is, where tags are written, and
//! the frontmatter values that may name a note.

use super::cursor::frontmatter_tag;
use crate::keys;
use crate::slug::{self, Pointer, Resolution, SubTarget};
use crate::syntax::{Link, Value};
use crate::text::{FileId, FileRange, TextRange};
use crate::workspace::{KbId, Note, Workspace, char_mask};

/// A place to jump to: `full_range` is the whole thing, `focus_range` what to select.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NavigationTarget {
    pub file: FileId,
    pub full_range: TextRange,
    pub focus_range: TextRange,
}

/// An answer together with the range under the cursor it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeInfo<T> {
    pub range: TextRange,
    pub info: T,
}

/// What a symbol stands for (document and workspace symbols).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Note,
    Heading,
    Tag,
}

/// The range a pointer covers: the whole link, or the reference's value.
pub fn pointer_range(workspace: &Workspace, pointer: &Pointer) -> Option<FileRange> {
    match *pointer {
        Pointer::Link { file, range, .. } => Some(FileRange { file, range }),
        Pointer::Reference { file, field, value } => {
            let fm = workspace.note(file)?.parsed.frontmatter()?;
            Some(FileRange {
                file,
                range: fm.field(field)?.values.get(value)?.range,
            })
        }
    }
}

/// The notes that `file`'s links and frontmatter references lead to (each once, sorted): whose
/// backlinks change when `file`'s links do.
pub fn linked_notes(workspace: &Workspace, file: FileId) -> Vec<FileId> {
    let Some(note) = workspace.note(file) else {
        return Vec::new();
    };
    let links = workspace.links_of(note);
    let mut targets: Vec<FileId> = links
        .links()
        .iter()
        .flat_map(|link| slug::resolve_link(workspace, file, link).candidates(file))
        .collect();
    let values = field_values(note);
    targets.extend(values.filter_map(|v| slug::resolve_reference(workspace, file, v)));
    targets.sort_unstable();
    targets.dedup();
    targets
}

/// Every value of `note`'s frontmatter fields other than the well-known ones (`id`, `title`,
/// `tags`, …), in the order written: the values that may name a note (see
/// [`slug::resolve_reference`]).
pub fn field_values(note: &Note) -> impl Iterator<Item = Value<'_>> {
    let fields = note
        .parsed
        .frontmatter()
        .into_iter()
        .flat_map(|fm| fm.fields());
    fields.flat_map(|field| field.values)
}

/// Where a note's identity is written, for what is said about the whole note (its backlink
/// count, that nothing links to it): the `id:` value, else the `title:` value, else the text of
/// a first `#` heading, else the start of the file.
pub fn identity_anchor(note: &Note) -> TextRange {
    if let Some(id) = note.id_value() {
        return id.range;
    }
    let fm = note.parsed.frontmatter();
    if let Some(title) = fm.and_then(|fm| fm.title()) {
        return title.range;
    }
    note.parsed
        .headings()
        .first()
        .filter(|h| h.level == 1)
        .map_or(TextRange::empty(0), |h| h.text_range)
}

/// A place where a tag is written: in the frontmatter `tags:` or inline as `#tag`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TagPlace<'a> {
    pub file: FileId,
    /// The name as written, without `#`.
    pub name: &'a str,
    /// The name's range (without `#`).
    pub range: TextRange,
    pub inline: bool,
}

/// Every tag written in `note` (frontmatter first, then inline, in order).
pub fn note_tags(file: FileId, note: &Note) -> impl Iterator<Item = TagPlace<'_>> {
    let frontmatter = note.parsed.frontmatter().into_iter().flat_map(move |fm| {
        fm.tags().iter().map(move |value| {
            let tag = frontmatter_tag(value.text, value.range);
            TagPlace {
                file,
                name: tag.name,
                range: tag.range,
                inline: false,
            }
        })
    });
    let inline = note.parsed.inline_tags().iter().map(move |tag| TagPlace {
        file,
        name: tag.name,
        range: tag.name_range(),
        inline: true,
    });
    frontmatter
        .chain(inline)
        .filter(|place| !place.name.is_empty())
}

/// Every place where the tag whose key is `key` (see [`keys::tag_key`]) is written, in the
/// notes of `kb` (or of every KB), sorted by path and position.
pub fn tag_places<'a>(workspace: &'a Workspace, key: &str, kb: Option<KbId>) -> Vec<TagPlace<'a>> {
    let mut places: Vec<TagPlace<'a>> = workspace
        .notes()
        .filter(|(_, note)| kb.is_none_or(|kb| note.kb == kb))
        .flat_map(|(file, note)| note_tags(file, note))
        .filter(|place| keys::tag_key(place.name) == key)
        .collect();
    let path = |f: FileId| workspace.note(f).map(|n| n.path.as_path());
    places.sort_by(|a, b| (path(a.file), a.range.start).cmp(&(path(b.file), b.range.start)));
    places
}

/// A tag in use in the workspace: its name as first written (by path), how many notes carry
/// it, and its first place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagUse<'a> {
    pub key: String,
    pub name: &'a str,
    pub notes: usize,
    pub first: TagPlace<'a>,
}

/// How messages and hovers name KB `kb`, as a word and as the whole place: Obsidian's "vault"
/// for a plain vault, Pyrite's "KB" ("the knowledge base") for a folder with kb.yaml.
pub fn kb_words(workspace: &Workspace, kb: KbId) -> (&'static str, &'static str) {
    if slug::is_plain_vault(workspace, kb) {
        ("vault", "the vault")
    } else {
        ("KB", "the knowledge base")
    }
}

/// The KBs and vaults the workspace's notes are in, counted in the words of [`kb_words`]:
/// "8 KBs", "1 vault", "2 KBs and 1 vault" (for `check`'s summary and the end of indexing).
pub fn places(workspace: &Workspace) -> String {
    let kbs = workspace.visible_kbs();
    let vaults = kbs
        .iter()
        .filter(|&&kb| slug::is_plain_vault(workspace, kb))
        .count();
    match (kbs.len() - vaults, vaults) {
        (kbs, 0) => plural(kbs, "KB"),
        (0, vaults) => plural(vaults, "vault"),
        (kbs, vaults) => format!("{} and {}", plural(kbs, "KB"), plural(vaults, "vault")),
    }
}

/// `n` and `word`, with an `s` unless `n` is 1.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// Every tag in use whose [`char_mask`] holds `mask` (0: every tag), sorted by key; `skip` is
/// left out (the tag being typed). The mask screens out, before any key is built, the tags
/// that cannot match a query (see `NoteRanker::mask`).
pub fn tags_in_use(
    workspace: &Workspace,
    skip: Option<(FileId, TextRange)>,
    mask: u64,
) -> Vec<TagUse<'_>> {
    let mut places: Vec<(String, &str, TagPlace<'_>)> = workspace
        .notes()
        .flat_map(|(file, note)| note_tags(file, note))
        .filter(|place| skip != Some((place.file, place.range)))
        .filter(|place| mask == 0 || char_mask(place.name) & mask == mask)
        .map(|place| {
            (
                keys::tag_key(place.name),
                note_path(workspace, place.file),
                place,
            )
        })
        .collect();
    places.sort_by(|a, b| (&a.0, a.1, a.2.range.start).cmp(&(&b.0, b.1, b.2.range.start)));
    let mut uses: Vec<TagUse<'_>> = Vec::new();
    let mut last_file = None;
    for (key, _, place) in places {
        match uses.last_mut() {
            Some(last) if last.key == key => {
                if last_file != Some(place.file) {
                    last.notes += 1;
                }
            }
            _ => uses.push(TagUse {
                key,
                name: place.name,
                notes: 1,
                first: place,
            }),
        }
        last_file = Some(place.file);
    }
    uses
}

fn note_path(workspace: &Workspace, file: FileId) -> &str {
    workspace
        .note(file)
        .and_then(|n| n.path.to_str())
        .unwrap_or("")
}

/// Where a link leads: each note it may mean, at its heading or block when the link names one;
/// or the attachment it names (a whole file, focused on its start).
pub fn link_targets(workspace: &Workspace, from: FileId, link: Link) -> Vec<NavigationTarget> {
    let resolution = slug::resolve_link(workspace, from, link);
    let candidates = match &resolution {
        Resolution::Ambiguous { candidates } | Resolution::MissingKbPrefix { candidates } => {
            candidates.clone()
        }
        other => other.file(from).into_iter().collect(),
    };
    candidates
        .into_iter()
        .filter_map(|file| {
            let Some(note) = workspace.note(file) else {
                workspace.attachment(file)?;
                return Some(NavigationTarget {
                    file,
                    full_range: TextRange::empty(0),
                    focus_range: TextRange::empty(0),
                });
            };
            Some(match slug::resolve_subtarget(note, link) {
                SubTarget::Heading(index) => {
                    let heading = note.parsed.headings().at(index);
                    NavigationTarget {
                        file,
                        full_range: heading.range,
                        focus_range: heading.text_range,
                    }
                }
                SubTarget::Block(index) => {
                    let block = note.parsed.block_ids().at(index);
                    NavigationTarget {
                        file,
                        full_range: block.line_range,
                        focus_range: block.range,
                    }
                }
                _ => note_target(file, note),
            })
        })
        .collect()
}

/// The note itself as a target: the whole file, focused on its start.
pub fn note_target(file: FileId, note: &Note) -> NavigationTarget {
    NavigationTarget {
        file,
        full_range: TextRange::new(0, note.parsed.text_len() as usize),
        focus_range: TextRange::empty(0),
    }
}
