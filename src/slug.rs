//! The one definition of note identity: which note (or attachment) a link or a frontmatter
//! reference means.
//!
//! Every feature and `check` call [`resolve_link`] / [`resolve_reference`]; nothing else
//! decides what a link means. For a link in a note of KB `K`:
//! 1. `[[kb:t]]`: `kb` is a KB's name or shortname, and `t` is resolved in that KB. An unknown
//!    prefix is `UnknownKb`, unless the whole text `kb:t` names a note in `K`.
//! 2. The exact id in `K`; then the id case-insensitively; then a path-style match: the file
//!    stem, or `folder/name` matching the end of the note's path inside its KB; an attachment
//!    (any file that is not a note: `chart.png`, `paper.pdf`, `board.canvas`) by its file name
//!    with extension, or `folder/name.ext` the same way.
//! 3. A title or alias in `K`, case-insensitively: found, but not canonical.
//! 4. Found only in other KBs (by the same steps): `MissingKbPrefix`.
//! 5. Otherwise `Broken`.
//!
//! A markdown link (`[text](Other%20note.md#Heading)`) means what the wiki-link of its decoded
//! destination means (see `keys::link_text`); a destination with a URL scheme is not a link.
//!
//! Several notes at the same step: in a Pyrite KB (a folder with `kb.yaml`, where ids are
//! unique) that is `Ambiguous`. In a plain vault (a KB without `kb.yaml`: an Obsidian vault)
//! names repeat across folders as a matter of course, and the link means the one Obsidian
//! opens: the file whose path is exactly the link's target (`[[Note]]` is `Note.md` at the top
//! of the vault, `[[b/Note]]` is `b/Note.md`), else the one in the linking note's own folder
//! (a parent folder counts for nothing), else the one with the shortest path (as a string:
//! `a/b/Note.md` before `Archive/Note.md`); only paths of equal length are `Ambiguous`. A
//! plain vault also reads `./x` and `../x` relative to the linking note's folder. Candidates
//! are sorted by path.
//!
//! How Obsidian resolves (its resolver, `getFirstLinkpathDest`, is closed source and its
//! documentation says little): a link names a file by the shortest path that is unique (the
//! "shortest path when possible" link format, the default), so a name that repeats is written
//! with as much of its path as needed (`[[Sync/Security]]`), and Obsidian's link updater
//! rewrites existing links that way when a second file with the name appears; links that carry
//! a path match files whose path ends with it; relative links (`../x`) resolve from the linking
//! note's folder. For a bare name that several files share, the order above is what
//! `getFirstLinkpathDest` was observed to do on Obsidian 1.13.7 with a fixture made to tell
//! the candidate rules apart (reported by the markdown-vault-mcp project, whose resolver
//! follows it). Markdown links go through the same resolver after URL decoding (Obsidian's
//! documentation asks for `%20` in them; plugins such as obsidian-link-converter `decodeURI`
//! the destination and call `getFirstLinkpathDest`). Peers differ: marksman reports every
//! repeated title as ambiguous; markdown-oxide picks one silently. We follow Obsidian, and
//! report a remaining tie as a hint rather than guess.

use std::path::Path;

use crate::keys::{
    clean_target, fold, fold_cow, kb_link_key, link_text, same_heading, split_reference, value_key,
};
use crate::syntax::{Link, Value};
use crate::text::{FileId, TextRange};
use crate::workspace::{KbId, Note, Workspace};

/// How a found note was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Id,
    IdIgnoringCase,
    /// By file name or path (notes and attachments).
    Path,
    /// By title or alias: the link works but should name the id.
    Name,
}

/// Why a plain vault's link means one of several notes with its name (see the module doc).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chosen {
    pub because: ChosenBecause,
    /// The other notes with the name, sorted by path.
    pub over: Vec<FileId>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChosenBecause {
    /// Its path in the vault is the link's target exactly (`[[Note]]` and `Note.md` at the top).
    ExactPath,
    /// It is in the linking note's own folder.
    SameFolder,
    /// Its path is shorter than the others'.
    ShortestPath,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A link to a place in its own note (`[[#Heading]]`).
    SameNote,
    /// A note, or an attachment (`Workspace::attachment` of `file`).
    Found {
        file: FileId,
        via: Via,
        /// In a plain vault, when other notes share the name: why this one.
        chosen: Option<Chosen>,
    },
    /// Not in the link's KB, but in others; each candidate is in a different KB or path.
    MissingKbPrefix {
        candidates: Vec<FileId>,
    },
    Ambiguous {
        candidates: Vec<FileId>,
    },
    UnknownKb {
        kb: String,
    },
    Broken,
}

impl Resolution {
    /// The note to navigate to, when there is exactly one.
    pub fn file(&self, from: FileId) -> Option<FileId> {
        match self {
            Resolution::SameNote => Some(from),
            Resolution::Found { file, .. } => Some(*file),
            Resolution::MissingKbPrefix { candidates } if candidates.len() == 1 => {
                Some(candidates[0])
            }
            _ => None,
        }
    }

    /// Every note the link might mean (one when resolved; the candidates otherwise).
    pub fn candidates(&self, from: FileId) -> Vec<FileId> {
        match self {
            Resolution::MissingKbPrefix { candidates } | Resolution::Ambiguous { candidates } => {
                candidates.clone()
            }
            _ => self.file(from).into_iter().collect(),
        }
    }
}

/// How a link in `from` should name `target` to resolve by id: `id`, or `kb:id` across KBs.
pub fn canonical_target(workspace: &Workspace, from: &Note, target: &Note) -> String {
    if from.kb == target.kb {
        target.id().to_string()
    } else {
        format!("{}:{}", workspace.kb_link_prefix(target.kb), target.id())
    }
}

/// Resolves a link written in note `from`.
pub fn resolve_link(workspace: &Workspace, from: FileId, link: Link) -> Resolution {
    resolve_target(
        workspace,
        from,
        link.kb.as_ref().map(|kb| kb.text),
        &link_text(link, link.target.text),
    )
}

/// Links resolved already, for resolving many notes' links in a row (`check`, the workspace's
/// diagnostics): when no plain vault holds a file, what a link means depends only on the
/// linking note's KB, the link's KB prefix and its target (not on the linking note's folder, as
/// in a plain vault), so each such triple is resolved once. One cache per thread; it is only
/// good for the workspace it was made for, unchanged.
pub struct ResolveCache {
    /// False when some plain vault holds a file: then nothing is kept.
    enabled: bool,
    entries: hashbrown::HashTable<CachedResolution>,
}

struct CachedResolution {
    hash: u64,
    from_kb: KbId,
    kb: Option<Box<str>>,
    target: Box<str>,
    resolution: Resolution,
}

/// A [`ResolveCache`] holding more resolutions than this starts again empty: memory stays
/// bounded on any vault, and a vault's usual targets come back at once.
const RESOLVE_CACHE_MOST: usize = 1 << 16;

impl ResolveCache {
    /// A cache that keeps nothing: for resolving one note's links.
    pub fn none() -> ResolveCache {
        ResolveCache {
            enabled: false,
            entries: hashbrown::HashTable::new(),
        }
    }

    pub fn new(workspace: &Workspace) -> ResolveCache {
        ResolveCache {
            enabled: links_resolve_by_kb(workspace),
            entries: hashbrown::HashTable::new(),
        }
    }

    /// [`resolve_link`], answered from the cache when the same link was resolved before.
    pub fn resolve_link(&mut self, workspace: &Workspace, from: FileId, link: Link) -> Resolution {
        let from_kb = match workspace.note(from) {
            Some(note) if self.enabled => note.kb,
            _ => return resolve_link(workspace, from, link),
        };
        let kb = link.kb.as_ref().map(|kb| kb.text);
        let target = link_text(link, link.target.text);
        let hash = {
            use std::hash::BuildHasher;
            rustc_hash::FxBuildHasher.hash_one((from_kb.0, kb, &*target))
        };
        let same = |entry: &CachedResolution| {
            entry.hash == hash
                && entry.from_kb == from_kb
                && entry.kb.as_deref() == kb
                && *entry.target == *target
        };
        if let Some(entry) = self.entries.find(hash, same) {
            return entry.resolution.clone();
        }
        let resolution = resolve_target(workspace, from, kb, &target);
        if self.entries.len() >= RESOLVE_CACHE_MOST {
            self.entries.clear();
        }
        self.entries.insert_unique(
            hash,
            CachedResolution {
                hash,
                from_kb,
                kb: kb.map(Box::from),
                target: Box::from(&*target),
                resolution: resolution.clone(),
            },
            |entry| entry.hash,
        );
        resolution
    }
}

/// Whether what a link means depends only on the linking note's KB, the link's KB prefix and
/// its target, not on the linking note's folder: when no plain vault holds a file (see the
/// module doc).
fn links_resolve_by_kb(workspace: &Workspace) -> bool {
    let plain_with_files = |kb: KbId| {
        is_plain_vault(workspace, kb)
            && (workspace.kb_note_count(kb) > 0 || workspace.attachments().any(|(_, a)| a.kb == kb))
    };
    !workspace.kb_ids().any(plain_with_files)
}

/// Whether `kb` is a plain vault: a KB without `kb.yaml`, where names may repeat across
/// folders and links resolve as Obsidian's do (see the module doc).
pub fn is_plain_vault(workspace: &Workspace, kb: KbId) -> bool {
    workspace.kb(kb).is_implicit()
}

/// Whether a link target is written relative to the linking note's folder (`./x`, `../x`).
pub fn is_relative(target: &str) -> bool {
    let target = target.trim();
    target.starts_with("./") || target.starts_with("../")
}

/// The path inside its KB that a relative target (`../notes/x.md`) written in note `from`
/// names, `/`-separated; `None` when it climbs above the KB's folder.
pub fn relative_kb_path(from: &Note, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = from.kb_path().split('/').collect();
    parts.pop(); // The note's own file name.
    for segment in target.trim().split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(parts.join("/"))
}

/// Resolves `[[kb:target]]` (or `[[target]]` when `kb` is `None`) written in note `from`.
pub fn resolve_target(
    workspace: &Workspace,
    from: FileId,
    kb: Option<&str>,
    target: &str,
) -> Resolution {
    let Some(from_note) = workspace.note(from) else {
        return Resolution::Broken;
    };
    if crate::keys::trim(target).is_empty() && kb.is_none() {
        return Resolution::SameNote;
    }
    if let Some(kb_name) = kb {
        return match workspace.kb_by_name(kb_name) {
            Some(kb_id) => match find_in_kb(workspace, kb_id, target, from_note) {
                Some(found) => found,
                None => Resolution::Broken,
            },
            None => {
                // `[[Chapter:One]]`-style titles: the whole text may name a note here.
                let whole = format!("{kb_name}:{target}");
                match find_in_kb(workspace, from_note.kb, &whole, from_note) {
                    Some(found) => found,
                    None => Resolution::UnknownKb {
                        kb: kb_name.to_owned(),
                    },
                }
            }
        };
    }
    if is_plain_vault(workspace, from_note.kb) && is_relative(target) {
        return find_relative(workspace, from_note, target).unwrap_or(Resolution::Broken);
    }
    if let Some(found) = find_in_kb(workspace, from_note.kb, target, from_note) {
        return found;
    }
    let mut elsewhere: Vec<FileId> = Vec::new();
    for kb_id in kbs_naming(workspace, target)
        .into_iter()
        .filter(|&k| k != from_note.kb)
    {
        match find_in_kb(workspace, kb_id, target, from_note) {
            Some(Resolution::Found { file, .. }) => elsewhere.push(file),
            Some(Resolution::Ambiguous { candidates }) => elsewhere.extend(candidates),
            _ => {}
        }
    }
    if elsewhere.is_empty() {
        return Resolution::Broken;
    }
    sort_by_path(workspace, &mut elsewhere);
    Resolution::MissingKbPrefix {
        candidates: elsewhere,
    }
}

/// The KBs where [`find_in_kb`] can find `target`: those of the notes its keys name in the
/// workspace-wide tables, so that a link found nowhere costs a few lookups, not a search of
/// every KB. Sorted, without repeats.
fn kbs_naming(workspace: &Workspace, target: &str) -> Vec<KbId> {
    let Some(cleaned) = clean_target(target) else {
        return Vec::new();
    };
    let folded = fold(&cleaned);
    let last = folded.rsplit('/').next().unwrap_or(&folded);
    let files = workspace.notes_by_id(&folded).iter();
    let files = files.chain(workspace.notes_by_stem(last));
    let files = files.chain(workspace.notes_by_name(&folded));
    let files = files.chain(workspace.attachments_by_name(last));
    let mut kbs: Vec<KbId> = files.filter_map(|&f| kb_of(workspace, f)).collect();
    kbs.sort_unstable();
    kbs.dedup();
    kbs
}

/// The KB of the note or attachment `file`.
fn kb_of(workspace: &Workspace, file: FileId) -> Option<KbId> {
    match workspace.note(file) {
        Some(note) => Some(note.kb),
        None => workspace.attachment(file).map(|a| a.kb),
    }
}

/// A relative target in a plain vault: the note or attachment at exactly that path.
fn find_relative(workspace: &Workspace, from: &Note, target: &str) -> Option<Resolution> {
    let path = fold(&relative_kb_path(from, target)?);
    let name = path.rsplit('/').next().unwrap_or(&path);
    let attachment = workspace
        .attachments_by_name(name)
        .iter()
        .copied()
        .find(|&f| {
            workspace
                .attachment(f)
                .is_some_and(|a| a.kb == from.kb && fold(a.kb_path()) == path)
        });
    let note = || {
        let path = clean_target(&path)?;
        let stem = path.rsplit('/').next().unwrap_or(&path);
        workspace.notes_by_stem(stem).iter().copied().find(|&f| {
            workspace
                .note(f)
                .is_some_and(|n| n.kb == from.kb && fold(n.kb_path()) == path)
        })
    };
    let file = attachment.or_else(note)?;
    Some(Resolution::Found {
        file,
        via: Via::Path,
        chosen: None,
    })
}

/// Steps 2 and 3 inside one KB, for a link written in note `from`.
fn find_in_kb(workspace: &Workspace, kb: KbId, target: &str, from: &Note) -> Option<Resolution> {
    let cleaned = clean_target(target)?;
    if cleaned.is_empty() {
        return None;
    }
    let folded = fold_cow(&cleaned);
    let in_kb = |files: &[FileId]| -> Vec<FileId> {
        files
            .iter()
            .copied()
            .filter(|&f| workspace.note_kb(f) == Some(kb))
            .collect()
    };
    let pick = |files: Vec<FileId>, via: Via| pick(workspace, kb, from, &folded, files, via);
    let by_id = in_kb(workspace.notes_by_id(&folded));
    let is_exact = |f: FileId| workspace.note(f).is_some_and(|n| *n.id() == *cleaned);
    // Usually every note with the folded id has it as written: no second list then.
    if by_id.iter().all(|&f| is_exact(f)) {
        if let Some(found) = pick(by_id, Via::Id) {
            return Some(found);
        }
    } else {
        let exact: Vec<FileId> = by_id.iter().copied().filter(|&f| is_exact(f)).collect();
        if let Some(found) = pick(exact, Via::Id) {
            return Some(found);
        }
        if let Some(found) = pick(by_id, Via::IdIgnoringCase) {
            return Some(found);
        }
    }
    let last = folded.rsplit('/').next().unwrap_or(&folded);
    let ends_with_path = |path: &str| {
        if !folded.contains('/') {
            return true;
        }
        let path = fold(path);
        *path == *folded || path.ends_with(&format!("/{folded}"))
    };
    let notes = in_kb(workspace.notes_by_stem(last))
        .into_iter()
        .filter(|&f| {
            workspace
                .note(f)
                .is_some_and(|n| ends_with_path(n.kb_path()))
        });
    let attachments = workspace
        .attachments_by_name(last)
        .iter()
        .copied()
        .filter(|&f| {
            workspace
                .attachment(f)
                .is_some_and(|a| a.kb == kb && ends_with_path(a.kb_path()))
        });
    let by_path: Vec<FileId> = notes.chain(attachments).collect();
    if let Some(found) = pick(by_path, Via::Path) {
        return Some(found);
    }
    pick(in_kb(workspace.notes_by_name(&folded)), Via::Name)
}

/// The answer for the candidates of one step in KB `kb`: none, one, or several. Several are
/// `Ambiguous` in a Pyrite KB; in a plain vault Obsidian's order decides (see the module doc):
/// the file whose path is the link's target exactly, else the one in `from`'s own folder, else
/// the one with the shortest path; only a tie is `Ambiguous` (between the tied ones).
fn pick(
    workspace: &Workspace,
    kb: KbId,
    from: &Note,
    folded_target: &str,
    mut files: Vec<FileId>,
    via: Via,
) -> Option<Resolution> {
    match files.len() {
        0 => None,
        1 => Some(Resolution::Found {
            file: files[0],
            via,
            chosen: None,
        }),
        _ => {
            sort_by_path(workspace, &mut files);
            if !is_plain_vault(workspace, kb) {
                return Some(Resolution::Ambiguous { candidates: files });
            }
            let kb_path = |f: FileId| match workspace.note(f) {
                Some(note) => note.kb_path(),
                None => workspace.attachment(f).map_or("", |a| a.kb_path()),
            };
            let is_exact = |f: FileId| {
                let path = fold(kb_path(f));
                path == folded_target
                    || clean_target(&path).is_some_and(|cleaned| *cleaned == *folded_target)
            };
            let from_dir = from.path.parent();
            let in_own_folder = |f: FileId| workspace.path(f).and_then(Path::parent) == from_dir;
            // Obsidian compares path strings by length in UTF-16 units (JavaScript's).
            let path_length = |f: FileId| kb_path(f).encode_utf16().count();
            let shortest = files.iter().map(|&f| path_length(f)).min().unwrap_or(0);
            let rules: [(ChosenBecause, &dyn Fn(FileId) -> bool); 3] = [
                (ChosenBecause::ExactPath, &is_exact),
                (ChosenBecause::SameFolder, &in_own_folder),
                (ChosenBecause::ShortestPath, &|f| path_length(f) == shortest),
            ];
            let all = files.clone();
            for (because, rule) in rules {
                let chosen: Vec<FileId> = files.iter().copied().filter(|&f| rule(f)).collect();
                match chosen[..] {
                    [] => continue,
                    [file] => {
                        let over = all.iter().copied().filter(|&f| f != file).collect();
                        return Some(Resolution::Found {
                            file,
                            via,
                            chosen: Some(Chosen { because, over }),
                        });
                    }
                    // Two in the link's own folder with one name cannot be (one file name
                    // per folder), but two exact paths can differ in case only.
                    _ if because != ChosenBecause::ShortestPath => files = chosen,
                    _ => return Some(Resolution::Ambiguous { candidates: chosen }),
                }
            }
            Some(Resolution::Ambiguous { candidates: files })
        }
    }
}

fn sort_by_path(workspace: &Workspace, files: &mut [FileId]) {
    files.sort_by(|a, b| workspace.path(*a).cmp(&workspace.path(*b)));
}

/// Resolves a plain frontmatter value as a note reference. A value is a reference only when it
/// names an id exactly (in the note's KB, or in the KB it names); anything else is `None` here,
/// and whether that is a problem depends on the field (see `Workspace::is_reference_field`).
pub fn resolve_reference(workspace: &Workspace, from: FileId, value: Value) -> Option<FileId> {
    let from_note = workspace.note(from)?;
    let (kb_name, id) = split_reference(value);
    let kb = match kb_name {
        Some(name) => workspace.kb_by_name(name)?,
        None => from_note.kb,
    };
    let mut files: Vec<FileId> = workspace
        .notes_by_id(&fold(id))
        .iter()
        .copied()
        .filter(|&f| {
            workspace
                .note(f)
                .is_some_and(|n| n.kb == kb && n.id() == id)
        })
        .collect();
    sort_by_path(workspace, &mut files);
    files.first().copied()
}

/// Where inside a note a link's `#heading` or `^block` part points.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubTarget {
    /// No heading or block part.
    None,
    Heading(usize),
    Block(usize),
    MissingHeading,
    MissingBlock,
}

/// Finds the heading (by text or slug, ignoring case and punctuation; for nested
/// `#A#B` forms, the last part) or the block id a link points at inside `note`.
pub fn resolve_subtarget(note: &Note, link: Link) -> SubTarget {
    if let Some(block) = &link.block {
        let block = link_text(link, block.text);
        return note
            .parsed
            .block_ids()
            .iter()
            .position(|b| *b.id == *block)
            .map_or(SubTarget::MissingBlock, SubTarget::Block);
    }
    let Some(heading) = &link.heading else {
        return SubTarget::None;
    };
    let heading = link_text(link, heading.text);
    let wanted = heading.rsplit('#').next().unwrap_or(&heading);
    if wanted.trim().is_empty() {
        // `[[note#]]`, `[[#]]`: Obsidian opens the note itself.
        return SubTarget::None;
    }
    note.parsed
        .headings()
        .iter()
        .position(|h| same_heading(h.text, wanted))
        .map_or(SubTarget::MissingHeading, SubTarget::Heading)
}

/// Every place that points at `target`: `(file, index of the link in that note, its range)`
/// for links, and `(file, field index, value index)` for frontmatter references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pointer {
    Link {
        file: FileId,
        link: usize,
        /// The whole link (kept here: a closed note's links are read from its file).
        range: TextRange,
    },
    Reference {
        file: FileId,
        field: usize,
        value: usize,
    },
}

/// Finds every link and frontmatter reference that resolves to `target` (a note, or an
/// attachment: then only links), in every KB.
pub fn pointers_to(workspace: &Workspace, target: FileId) -> Vec<Pointer> {
    let Some(sources) = Sources::of(workspace, target) else {
        return Vec::new();
    };
    each_source(&sources.files(), |file| sources.pointers_in(file))
}

/// How many links and references point at `target`: [`pointers_to`]`(target).len()`, without
/// reading the sources whose links to it the link table already tells (see
/// [`Sources::count_unread`]).
pub fn pointer_count(workspace: &Workspace, target: FileId) -> usize {
    let Some(sources) = Sources::of(workspace, target) else {
        return 0;
    };
    let (counted, unread) = sources.count_unread();
    let read = each_source(&unread, |file| vec![sources.pointers_in(file).len()]);
    counted.iter().map(|&(_, count)| count).sum::<usize>() + read.iter().sum::<usize>()
}

/// Whether a note other than `target` links to it or refers to it (the test of an orphan):
/// [`pointers_to`] with a source other than `target`, reading only the sources whose links
/// the link table does not tell, and those only when none it tells does.
pub fn is_pointed_at_from_elsewhere(workspace: &Workspace, target: FileId) -> bool {
    let Some(sources) = Sources::of(workspace, target) else {
        return false;
    };
    let (counted, mut unread) = sources.count_unread();
    if counted
        .iter()
        .any(|&(file, count)| file != target && count > 0)
    {
        return true;
    }
    unread.retain(|&file| file != target);
    !each_source(&unread, |file| sources.pointers_in(file)).is_empty()
}

/// Every link that leads to `target` and passes `keep`, as [`Pointer::Link`]s in file order:
/// from the notes that may link to it (see [`Sources`]) and from the note itself
/// (`[[#Heading]]`), each read once.
pub fn links_to(
    workspace: &Workspace,
    target: FileId,
    keep: impl Fn(Link<'_>) -> bool + Sync,
) -> Vec<Pointer> {
    let Some(sources) = Sources::of(workspace, target) else {
        return Vec::new();
    };
    let mut files = sources.files();
    files.push(target);
    files.sort_unstable();
    files.dedup();
    let links_in = |file: FileId| -> Vec<Pointer> {
        let Some(source) = workspace.note(file) else {
            return Vec::new();
        };
        let source_links = workspace.links_of(source);
        let links = source_links.links().iter().enumerate();
        links
            .filter(|&(_, link)| {
                keep(link) && resolve_link(workspace, file, link).file(file) == Some(target)
            })
            .map(|(index, link)| Pointer::Link {
                file,
                link: index,
                range: link.range,
            })
            .collect()
    };
    each_source(&files, links_in)
}

/// The notes that may link to or refer to a target: those with a link key that is one of its
/// names, less those in other KBs that cannot mean it (see [`SameIdElsewhere`]); with what
/// finds their pointers, read or counted.
struct Sources<'a> {
    workspace: &'a Workspace,
    target: FileId,
    /// The target's keys (see [`note_keys`]), each once.
    keys: Vec<String>,
    /// Each source with the index in `keys` of each key it is listed under (and not left out
    /// for), sorted.
    listed: Vec<(FileId, usize)>,
    /// The last segments a link to the target may end with (see [`note_keys`]).
    last_segments: Vec<String>,
    /// The target's id (none for an attachment).
    id: Option<&'a str>,
}

impl<'a> Sources<'a> {
    /// `None` when `target` is neither a note nor an attachment.
    fn of(workspace: &'a Workspace, target: FileId) -> Option<Sources<'a>> {
        let (mut keys, last_segments, id) = match workspace.note(target) {
            Some(note) => {
                let (keys, last_segments) = note_keys(note);
                (keys, last_segments, Some(note.id()))
            }
            None => {
                let attachment = workspace.attachment(target)?;
                let name = fold(attachment.name());
                (
                    vec![name.clone(), fold(attachment.kb_path())],
                    vec![name],
                    None,
                )
            }
        };
        keys.sort_unstable();
        keys.dedup();
        let target_kb = workspace.note(target).map(|note| note.kb);
        let mut listed: Vec<(FileId, usize)> = Vec::new();
        for (index, key) in keys.iter().enumerate() {
            let sources = workspace.notes_linking_with_key(key).iter();
            let sources = sources.map(|&source| (source, index));
            match target_kb {
                Some(target_kb) => {
                    let elsewhere = SameIdElsewhere::new(workspace, target_kb, key);
                    listed.extend(sources.filter(|&(source, _)| !elsewhere.means_its_own(source)));
                }
                None => listed.extend(sources),
            }
        }
        listed.sort_unstable();
        Some(Sources {
            workspace,
            target,
            keys,
            listed,
            last_segments,
            id,
        })
    }

    /// The sources, sorted, each once.
    fn files(&self) -> Vec<FileId> {
        let mut files: Vec<FileId> = self.listed.iter().map(|&(file, _)| file).collect();
        files.dedup();
        files
    }

    /// The pointers to the target in note `file`, its links read (from its file when it is
    /// closed).
    fn pointers_in(&self, file: FileId) -> Vec<Pointer> {
        let workspace = self.workspace;
        let Some(source) = workspace.note(file) else {
            return Vec::new();
        };
        let may_mean_target = |link: Link| {
            if link.kb.is_some() {
                return true;
            }
            let written = link_text(link, link.target.text);
            let Some(cleaned) = clean_target(&written) else {
                // A relative path that climbs (`../x`): its last segment decides.
                let folded = fold(written.trim_end_matches(".md"));
                let last = folded.rsplit('/').next().unwrap_or(&folded);
                return self.last_segments.iter().any(|segment| segment == last);
            };
            let folded = fold(&cleaned);
            let last = folded.rsplit('/').next().unwrap_or(&folded);
            self.last_segments.iter().any(|segment| segment == last)
        };
        let mut pointers = Vec::new();
        let source_links = workspace.links_of(source);
        for (index, link) in source_links.links().iter().enumerate() {
            if link.target.text.is_empty() || !may_mean_target(link) {
                continue;
            }
            if resolve_link(workspace, file, link).file(file) == Some(self.target) {
                pointers.push(Pointer::Link {
                    file,
                    link: index,
                    range: link.range,
                });
            }
        }
        pointers.extend(self.references_in(source, file));
        pointers
    }

    /// The frontmatter references to the target in `source` (note `file`): none to an
    /// attachment, which links name only.
    fn references_in(&self, source: &Note, file: FileId) -> Vec<Pointer> {
        let Some(id) = self.id else {
            return Vec::new();
        };
        let mut pointers = Vec::new();
        for (field_index, field) in source
            .parsed
            .frontmatter()
            .into_iter()
            .flat_map(|fm| fm.fields().enumerate())
        {
            for (value_index, value) in field.values.iter().enumerate() {
                // A reference names an id exactly (see `resolve_reference`).
                if split_reference(value).1 == id
                    && resolve_reference(self.workspace, file, value) == Some(self.target)
                {
                    pointers.push(Pointer::Reference {
                        file,
                        field: field_index,
                        value: value_index,
                    });
                }
            }
        }
        pointers
    }

    /// How many pointers each source has, for the sources whose links to the target the link
    /// table tells without reading them; and the sources to read. A source's links under a
    /// key are told when the key stands for itself and the source is listed under it plainly:
    /// - The key stands for itself (see [`Sources::stands_for_itself`]): any plain link whose
    ///   key it is means what the key itself, resolved from the source's KB, means.
    /// - The source is listed plainly (see [`Workspace::is_listed_plainly`]): exactly one of
    ///   its links has the key, written plainly, or none does and a frontmatter value has it;
    ///   or the table knows how many links it has under the key, all written plainly (see
    ///   [`Workspace::plain_links_under`]).
    ///
    /// Every link to the target has one of the target's keys, so a source whose every key is
    /// told this way has as many links to it as it has under the keys resolving to it; its
    /// references are in its frontmatter, which is kept. A source in a plain vault is read: its
    /// links resolve from its folder. From a KB with `kb.yaml` a key means the same wherever
    /// the source is: a plain vault's candidates are chosen by the linking note's folder, and
    /// no file of a plain vault is in a folder of a KB.
    fn count_unread(&self) -> (Vec<(FileId, usize)>, Vec<FileId>) {
        let workspace = self.workspace;
        let (mut counted, mut unread) = (Vec::new(), Vec::new());
        let stands: Vec<bool> = self
            .keys
            .iter()
            .map(|key| self.stands_for_itself(key))
            .collect();
        // Whether each key means the target from each KB: the same for every source there.
        let mut means_target: rustc_hash::FxHashMap<(KbId, usize), bool> = Default::default();
        for group in self.listed.chunk_by(|a, b| a.0 == b.0) {
            let file = group[0].0;
            let source = workspace.note(file);
            let source = source.filter(|source| !workspace.kb(source.kb).is_implicit());
            let count = source.and_then(|source| {
                let mut links = 0;
                for &(_, index) in group {
                    let key = &self.keys[index];
                    if !stands[index] {
                        return None;
                    }
                    let links_under_key = if workspace.is_listed_plainly(file, key) {
                        let fields = source.parsed.frontmatter().into_iter();
                        let mut values = fields.flat_map(|fm| fm.fields().flat_map(|f| f.values));
                        // Listed for its frontmatter values, or for one link.
                        usize::from(!values.any(|value| *value_key(value) == **key))
                    } else {
                        workspace.plain_links_under(file, key)?
                    };
                    if links_under_key == 0 {
                        continue;
                    }
                    let means = *means_target.entry((source.kb, index)).or_insert_with(|| {
                        resolve_target(workspace, file, None, key).file(file) == Some(self.target)
                    });
                    links += links_under_key * usize::from(means);
                }
                Some(links + self.references_in(source, file).len())
            });
            match count {
                Some(count) => counted.push((file, count)),
                None => unread.push(file),
            }
        }
        (counted, unread)
    }

    /// Whether every plain link whose key (see [`crate::keys::note_link_keys`]) is `key`
    /// means what `key` itself means from the linking note: the key is the link's text folded
    /// (ASCII, so folding is lowercasing), with nothing [`clean_target`] would take off, no
    /// folder and no `:`; and no KB has two notes whose ids differ in case only (the one step
    /// of [`find_in_kb`] where a link's case counts).
    fn stands_for_itself(&self, key: &str) -> bool {
        if key.is_empty()
            || !key.is_ascii()
            || key.contains(['/', ':'])
            || clean_target(key).as_deref() != Some(key)
        {
            return false;
        }
        let mut kbs: Vec<KbId> = self
            .workspace
            .notes_by_id(key)
            .iter()
            .filter_map(|&file| self.workspace.note_kb(file))
            .collect();
        let with_id = kbs.len();
        kbs.sort_unstable();
        kbs.dedup();
        kbs.len() == with_id
    }
}

/// From this many source notes on, [`each_source`] reads them on all cores: a closed note's
/// links are read from its file.
const PARALLEL_SOURCES: usize = 8;

/// `found` of each of `files`, in their order: on all cores when they are many.
fn each_source<T: Send>(files: &[FileId], found: impl Fn(FileId) -> Vec<T> + Sync) -> Vec<T> {
    use rayon::prelude::*;
    if files.len() < PARALLEL_SOURCES {
        return files.iter().flat_map(|&file| found(file)).collect();
    }
    files
        .par_iter()
        .flat_map_iter(|&file| found(file))
        .collect()
}

/// The KBs other than the target's with a note whose id is a key of the target: a source
/// there that links or refers with that key without a KB prefix means its own KB's note
/// (resolution looks in the link's KB first), so the source need not be read to find links
/// to the target, unless a KB prefix may name the target's KB (a link with the target's KB
/// prefix, indexed under `kb:key` too, or any frontmatter value with a KB part), or the key
/// may be the last segment of a link with a folder (`[[sub/key]]` looks in other KBs for a
/// path ending with it when its own KB has none; see [`Workspace::may_link_by_last_segment`]). A closed
/// source is read from its file; in a vault of many KBs whose ids repeat, most sources that
/// share a key with a note are in other KBs.
struct SameIdElsewhere<'a> {
    workspace: &'a Workspace,
    target_kb: KbId,
    key: &'a str,
    /// The KBs with a note of the key as id, sorted (none for a key with a folder).
    kbs: Vec<KbId>,
    /// The sources with a link to `key` prefixed with a name of the target's KB, sorted.
    prefixed: Vec<FileId>,
}

impl<'a> SameIdElsewhere<'a> {
    fn new(workspace: &'a Workspace, target_kb: KbId, key: &'a str) -> SameIdElsewhere<'a> {
        let mut kbs: Vec<KbId> = match key.contains('/') {
            true => Vec::new(),
            false => workspace
                .notes_by_id(key)
                .iter()
                .filter_map(|&file| workspace.note_kb(file))
                .filter(|&kb| kb != target_kb)
                .collect(),
        };
        kbs.sort_unstable();
        kbs.dedup();
        let mut prefixed = Vec::new();
        if !kbs.is_empty() {
            let kb = workspace.kb(target_kb);
            for name in std::iter::once(&kb.name).chain(&kb.shortname) {
                let pair = kb_link_key(name, key);
                prefixed.extend_from_slice(workspace.notes_linking_with_key(&pair));
            }
            prefixed.sort_unstable();
        }
        SameIdElsewhere {
            workspace,
            target_kb,
            key,
            kbs,
            prefixed,
        }
    }

    /// Whether every link and reference of `source` under the key means a note of its own
    /// KB, not the target (see [`SameIdElsewhere`]).
    fn means_its_own(&self, source: FileId) -> bool {
        let Some(kb) = self.workspace.note_kb(source) else {
            return false;
        };
        // A plain vault's relative links (`../x`) are read from the linking note's folder.
        kb != self.target_kb
            && !self.workspace.kb(kb).is_implicit()
            && self.kbs.binary_search(&kb).is_ok()
            && self.prefixed.binary_search(&source).is_err()
            && !self.workspace.may_link_by_last_segment(source, self.key)
            && !self.workspace.note(source).is_some_and(|note| {
                let fields = note
                    .parsed
                    .frontmatter()
                    .into_iter()
                    .flat_map(|fm| fm.fields());
                let mut values = fields.flat_map(|field| field.values.iter());
                values.any(|value| split_reference(value).0.is_some())
            })
    }
}

/// The keys a link to `note` may be indexed under, and the last segments such a link's
/// target may end with: a link without a KB prefix finds a note by its id, its stem or a title
/// or alias, so it can only mean `note` when the last segment of its folded target is the last
/// segment of one of those (a cheap test that spares resolving every other link of a source).
fn note_keys(note: &Note) -> (Vec<String>, Vec<String>) {
    let mut keys: Vec<String> = vec![fold(note.id()), fold(note.stem()), fold(note.kb_path())];
    keys.extend(note.aliases().map(fold));
    if let Some(title) = note.parsed.frontmatter().and_then(|fm| fm.title()) {
        keys.push(fold(title.text));
    }
    let mut last_segments: Vec<String> = vec![fold(note.stem())];
    let names = std::iter::once(note.id()).chain(note.aliases()).chain(
        note.parsed
            .frontmatter()
            .into_iter()
            .flat_map(|fm| fm.title())
            .map(|t| t.text),
    );
    for name in names {
        let folded = fold(name);
        last_segments.push(folded.rsplit('/').next().unwrap_or(&folded).to_owned());
    }
    (keys, last_segments)
}

/// Every link that points at heading `heading` of note `target`, from other notes and from the
/// note itself (`[[#Heading]]`), as [`Pointer::Link`]s in file order.
pub fn pointers_to_heading(workspace: &Workspace, target: FileId, heading: usize) -> Vec<Pointer> {
    let Some(note) = workspace.note(target) else {
        return Vec::new();
    };
    links_to(workspace, target, |link| {
        link.heading.is_some() && resolve_subtarget(note, link) == SubTarget::Heading(heading)
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use std::path::{Path, PathBuf};

    use super::{
        Pointer, is_pointed_at_from_elsewhere, pointer_count, pointers_to, resolve_link,
        resolve_reference, split_reference,
    };
    use crate::fixture::{Fixture, ROOT};
    use crate::syntax::{Retention, parse_file};
    use crate::text::FileId;
    use crate::workspace::Workspace;

    /// Names notes are given and links are written with: case variants of one another, a
    /// title with a `:`, a name with a space.
    const NAMES: [&str; 6] = ["x", "X", "y", "zed", "al:x", "big cat"];

    /// Ways a link is written, `{}` standing for a name: plain, with `.md` or `.markdown`, a
    /// heading, a display text, an embed, a folder, KB prefixes (known, short, unknown),
    /// relative, padded, repeated, in code.
    const SHAPES: [&str; 16] = [
        "[[{}]]",
        "[[{}.md]]",
        "[[{}.MD]]",
        "[[{}.markdown]]",
        "[[{}#Part]]",
        "[[{}|shown]]",
        "![[{}]]",
        "[[sub/{}]]",
        "[[alpha:{}]]",
        "[[al:{}]]",
        "[[beta:{}]]",
        "[[nokb:{}]]",
        "[[./{}]]",
        "[[ {} ]]",
        "[[{}]] and [[{}]]",
        "`[[{}]]`",
    ];

    /// One note: its KB folder, folder inside it, stem, id, title, aliases, frontmatter values
    /// and links (indexes into the lists above).
    type NoteSpec = (
        usize,
        usize,
        usize,
        Option<usize>,
        Option<usize>,
        Vec<usize>,
        Vec<(bool, usize)>,
        Vec<(usize, usize)>,
    );

    fn note_spec() -> impl Strategy<Value = NoteSpec> {
        (
            0..4usize,
            0..3usize,
            0..NAMES.len(),
            proptest::option::of(0..NAMES.len()),
            proptest::option::of(0..NAMES.len()),
            proptest::collection::vec(0..NAMES.len(), 0..2),
            proptest::collection::vec((any::<bool>(), 0..NAMES.len()), 0..3),
            proptest::collection::vec((0..SHAPES.len(), 0..NAMES.len() + 1), 0..6),
        )
    }

    /// The vault's notes as `(path, text)`: in KBs `alpha` (shortname `al`), `beta`, `gamma`,
    /// and a plain vault when `with_plain_vault` (else its notes go to `gamma`).
    fn vault_notes(notes: &[NoteSpec], with_plain_vault: bool) -> Vec<(String, String)> {
        let mut written: Vec<(String, String)> = Vec::new();
        for (kb, folder, stem, id, title, aliases, values, links) in notes {
            let kb = match kb {
                0 => "alpha",
                1 => "beta",
                3 if with_plain_vault => "plain",
                _ => "gamma",
            };
            let folder = ["", "sub/", "deep/sub/"][*folder];
            let stem = NAMES[*stem].replace(':', "-");
            let path = format!("/{kb}/{folder}{stem}.md");
            if written
                .iter()
                .any(|(p, _)| p.to_lowercase() == path.to_lowercase())
            {
                continue;
            }
            let mut text = String::from("---\n");
            if let Some(id) = id {
                text.push_str(&format!("id: \"{}\"\n", NAMES[*id]));
            }
            if let Some(title) = title {
                text.push_str(&format!("title: \"{}\"\n", NAMES[*title]));
            }
            let aliases: Vec<String> = aliases
                .iter()
                .map(|a| format!("\"{}\"", NAMES[*a]))
                .collect();
            text.push_str(&format!("aliases: [{}]\n", aliases.join(", ")));
            let values: Vec<String> = values
                .iter()
                .map(|&(prefixed, name)| match prefixed {
                    true => format!("\"al:{}\"", NAMES[name]),
                    false => format!("\"{}\"", NAMES[name]),
                })
                .collect();
            text.push_str(&format!("related: [{}]\n---\n# Part\n", values.join(", ")));
            for &(shape, name) in links {
                let name = NAMES.get(name).copied().unwrap_or("pic.png");
                text.push_str(&SHAPES[shape].replace("{}", name));
                text.push('\n');
            }
            written.push((path, text));
        }
        written
    }

    /// The vault as a fixture: its notes (see [`vault_notes`]), the KBs' `kb.yaml` and an
    /// image in `beta`.
    fn vault(notes: &[(String, String)]) -> String {
        let mut fixture = String::from(
            "//- /alpha/kb.yaml\nname: alpha\nshortname: al\n\
             //- /beta/kb.yaml\nname: beta\n//- /gamma/kb.yaml\nname: gamma\n\
             //- /beta/pic.png\npng\n",
        );
        for (path, text) in notes {
            fixture.push_str(&format!("//- {path}\n{text}"));
        }
        fixture
    }

    /// Every count of pointers agrees with the pointers read, and those with every link and
    /// value resolved.
    fn assert_counts_agree(fixture: &Fixture) -> Result<(), TestCaseError> {
        let workspace = &fixture.workspace;
        let mut files: Vec<FileId> = fixture.texts.keys().copied().collect();
        files.sort_unstable();
        for target in files {
            let Some(path) = workspace
                .path(target)
                .map(|path| path.display().to_string())
            else {
                continue; // Removed.
            };
            let pointers = pointers_to(workspace, target);
            prop_assert_eq!(
                pointers.len(),
                every_pointer_to(workspace, target),
                "{}",
                path
            );
            prop_assert_eq!(pointer_count(workspace, target), pointers.len(), "{}", path);
            let from_elsewhere = pointers.iter().any(|pointer| {
                let (Pointer::Link { file, .. } | Pointer::Reference { file, .. }) = pointer;
                *file != target
            });
            prop_assert_eq!(
                is_pointed_at_from_elsewhere(workspace, target),
                from_elsewhere,
                "{}",
                path
            );
        }
        Ok(())
    }

    /// How many links and references mean `target`, from every link and frontmatter value of
    /// every note resolved: what [`pointers_to`] finds from the link table's candidates.
    fn every_pointer_to(workspace: &Workspace, target: FileId) -> usize {
        let mut count = 0;
        for (file, note) in workspace.notes() {
            for link in workspace.links_of(note).links() {
                let resolution = resolve_link(workspace, file, link);
                count += usize::from(
                    !link.target.text.is_empty() && resolution.file(file) == Some(target),
                );
            }
            let Some(id) = workspace.note(target).map(|note| note.id()) else {
                continue;
            };
            let fields = note
                .parsed
                .frontmatter()
                .into_iter()
                .flat_map(|fm| fm.fields());
            for value in fields.flat_map(|field| field.values) {
                count += usize::from(
                    split_reference(value).1 == id
                        && resolve_reference(workspace, file, value) == Some(target),
                );
            }
        }
        count
    }

    /// One note of a plain vault: its folder, stem and id, and its links as `(name, shape)`.
    type PlainNoteSpec = (usize, usize, Option<usize>, Vec<(usize, usize)>);

    /// A plain vault where names repeat across folders, so that which note a link means
    /// depends on the linking note's folder.
    fn plain_notes(notes: &[PlainNoteSpec]) -> Vec<(String, String)> {
        let mut written: Vec<(String, String)> = Vec::new();
        for (folder, stem, id, links) in notes {
            let folder = ["", "a/", "a/c/", "b/"][*folder];
            let path = format!("/plain/{folder}{}.md", ["x", "y"][*stem]);
            if written.iter().any(|(p, _)| *p == path) {
                continue;
            }
            let mut text = String::new();
            if let Some(id) = id {
                text.push_str(&format!("---\nid: {}\n---\n", ["p", "q", "x"][*id]));
            }
            for &(name, shape) in links {
                let link = ["[[{}]]", "[[{}|d]]", "[[./{}]]"][shape];
                text.push_str(&link.replace("{}", ["x", "y"][name]));
                text.push('\n');
            }
            written.push((path, text));
        }
        written
    }

    proptest! {
        #[test]
        fn counted_pointers_are_the_pointers_read_in_a_plain_vault(
            notes in proptest::collection::vec(
                (
                    0..4usize,
                    0..2usize,
                    proptest::option::of(0..3usize),
                    proptest::collection::vec((0..2usize, 0..3usize), 0..3),
                ),
                2..14,
            ),
        ) {
            let fixture = Fixture::parse(&vault(&plain_notes(&notes)));
            assert_counts_agree(&fixture)?;
        }

        #[test]
        fn counted_pointers_are_the_pointers_read(
            notes in proptest::collection::vec(note_spec(), 1..12),
            with_plain_vault in any::<bool>(),
            edits in proptest::collection::vec(
                (any::<usize>(), proptest::collection::vec((0..SHAPES.len(), 0..NAMES.len()), 0..6)),
                0..6,
            ),
            removed in any::<Option<usize>>(),
        ) {
            let notes = vault_notes(&notes, with_plain_vault);
            let mut fixture = Fixture::parse(&vault(&notes));
            assert_counts_agree(&fixture)?;
            // The link table is built: notes given other links, one removed.
            for (note, links) in edits {
                let (path, text) = &notes[note % notes.len()];
                let mut text = text[..text.find("# Part\n").unwrap_or(0)].to_owned();
                for (shape, name) in links {
                    text.push_str(&SHAPES[shape].replace("{}", NAMES[name]));
                    text.push('\n');
                }
                let path = PathBuf::from(format!("{ROOT}{path}"));
                let parsed = parse_file(&path, &text, Retention::Full);
                fixture.workspace.set_note(path, parsed);
            }
            if let Some(removed) = removed {
                let path = format!("{ROOT}{}", notes[removed % notes.len()].0);
                fixture.workspace.remove_note(Path::new(&path));
            }
            assert_counts_agree(&fixture)?;
        }
    }
}
