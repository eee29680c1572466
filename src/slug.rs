//! The one definition of note identity: which note a link or a frontmatter reference means.
//!
//! Every feature and `check` call [`resolve_link`] / [`resolve_reference`]; nothing else
//! decides what a link means. For a link in a note of KB `K`:
//! 1. `[[kb:t]]`: `kb` is a KB's name or shortname, and `t` is resolved in that KB. An unknown
//!    prefix is `UnknownKb`, unless the whole text `kb:t` names a note in `K`.
//! 2. The exact id in `K`; then the id case-insensitively; then a path-style match (the file
//!    stem, or `folder/name` matching the end of the note's path inside its KB).
//! 3. A title or alias in `K`, case-insensitively: found, but not canonical.
//! 4. Found only in other KBs (by the same steps): `MissingKbPrefix`.
//! 5. Otherwise `Broken`.
//!
//! Several notes at the same step: `Ambiguous`. Candidates are always sorted by path.

use crate::keys::{clean_target, fold, heading_key, split_reference};
use crate::syntax::{Link, Value};
use crate::text::FileId;
use crate::workspace::{KbId, Note, Workspace};

/// How a found note was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    Id,
    IdIgnoringCase,
    Path,
    /// By title or alias: the link works but should name the id.
    Name,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A link to a place in its own note (`[[#Heading]]`).
    SameNote,
    Found {
        file: FileId,
        via: Via,
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
        link.target.text,
    )
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
    if target.trim().is_empty() && kb.is_none() {
        return Resolution::SameNote;
    }
    if let Some(kb_name) = kb {
        return match workspace.kb_by_name(kb_name) {
            Some(kb_id) => match find_in_kb(workspace, kb_id, target) {
                Some(found) => found,
                None => Resolution::Broken,
            },
            None => {
                // `[[Chapter:One]]`-style titles: the whole text may name a note here.
                let whole = format!("{kb_name}:{target}");
                match find_in_kb(workspace, from_note.kb, &whole) {
                    Some(found) => found,
                    None => Resolution::UnknownKb {
                        kb: kb_name.to_owned(),
                    },
                }
            }
        };
    }
    if let Some(found) = find_in_kb(workspace, from_note.kb, target) {
        return found;
    }
    let mut elsewhere: Vec<FileId> = Vec::new();
    for kb_id in kbs_naming(workspace, target)
        .into_iter()
        .filter(|&k| k != from_note.kb)
    {
        match find_in_kb(workspace, kb_id, target) {
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
    let mut kbs: Vec<KbId> = files
        .filter_map(|&f| workspace.note(f).map(|n| n.kb))
        .collect();
    kbs.sort_unstable();
    kbs.dedup();
    kbs
}

/// Steps 2 and 3 inside one KB.
fn find_in_kb(workspace: &Workspace, kb: KbId, target: &str) -> Option<Resolution> {
    let cleaned = clean_target(target)?;
    if cleaned.is_empty() {
        return None;
    }
    let folded = fold(&cleaned);
    let in_kb = |files: &[FileId]| -> Vec<FileId> {
        files
            .iter()
            .copied()
            .filter(|&f| workspace.note(f).is_some_and(|n| n.kb == kb))
            .collect()
    };
    let by_id = in_kb(workspace.notes_by_id(&folded));
    let exact: Vec<FileId> = by_id
        .iter()
        .copied()
        .filter(|&f| workspace.note(f).is_some_and(|n| *n.id() == *cleaned))
        .collect();
    if let Some(found) = pick(workspace, exact, Via::Id) {
        return Some(found);
    }
    if let Some(found) = pick(workspace, by_id, Via::IdIgnoringCase) {
        return Some(found);
    }
    let last = folded.rsplit('/').next().unwrap_or(&folded);
    let by_path: Vec<FileId> = in_kb(workspace.notes_by_stem(last))
        .into_iter()
        .filter(|&f| {
            let Some(note) = workspace.note(f) else {
                return false;
            };
            let path = fold(note.kb_path());
            !folded.contains('/') || path == folded || path.ends_with(&format!("/{folded}"))
        })
        .collect();
    if let Some(found) = pick(workspace, by_path, Via::Path) {
        return Some(found);
    }
    pick(
        workspace,
        in_kb(workspace.notes_by_name(&folded)),
        Via::Name,
    )
}

fn pick(workspace: &Workspace, mut files: Vec<FileId>, via: Via) -> Option<Resolution> {
    match files.len() {
        0 => None,
        1 => Some(Resolution::Found {
            file: files[0],
            via,
        }),
        _ => {
            sort_by_path(workspace, &mut files);
            Some(Resolution::Ambiguous { candidates: files })
        }
    }
}

fn sort_by_path(workspace: &Workspace, files: &mut [FileId]) {
    files.sort_by(|a, b| {
        let path = |f: &FileId| workspace.note(*f).map(|n| n.path.clone());
        path(a).cmp(&path(b))
    });
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
        return note
            .parsed
            .block_ids()
            .iter()
            .position(|b| *b.id == *block.text)
            .map_or(SubTarget::MissingBlock, SubTarget::Block);
    }
    let Some(heading) = &link.heading else {
        return SubTarget::None;
    };
    let wanted = heading_key(heading.text.rsplit('#').next().unwrap_or(heading.text));
    note.parsed
        .headings()
        .iter()
        .position(|h| heading_key(h.text) == wanted)
        .map_or(SubTarget::MissingHeading, SubTarget::Heading)
}

/// Every place that points at `target`: `(file, index of the link in that note)` for links,
/// and `(file, field index, value index)` for frontmatter references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pointer {
    Link {
        file: FileId,
        link: usize,
    },
    Reference {
        file: FileId,
        field: usize,
        value: usize,
    },
}

/// Finds every link and frontmatter reference that resolves to `target`, in every KB.
pub fn pointers_to(workspace: &Workspace, target: FileId) -> Vec<Pointer> {
    let Some(note) = workspace.note(target) else {
        return Vec::new();
    };
    let mut keys: Vec<String> = vec![fold(note.id()), fold(note.stem()), fold(note.kb_path())];
    keys.extend(note.aliases().map(fold));
    if let Some(title) = note.parsed.frontmatter().and_then(|fm| fm.title()) {
        keys.push(fold(title.text));
    }
    let mut files: Vec<FileId> = keys
        .iter()
        .flat_map(|key| workspace.notes_linking_with_key(key).iter().copied())
        .collect();
    files.sort_unstable();
    files.dedup();
    // A link without a KB prefix finds a note by its id, its stem or a title or alias, so it
    // can only mean `target` when the last segment of its folded target is the last segment
    // of one of those: a cheap test that spares resolving every other link of a source.
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
    let may_mean_target = |link: Link| {
        if link.kb.is_some() {
            return true;
        }
        let Some(cleaned) = clean_target(link.target.text) else {
            return false;
        };
        let folded = fold(&cleaned);
        let last = folded.rsplit('/').next().unwrap_or(&folded);
        last_segments.iter().any(|segment| segment == last)
    };
    let mut pointers = Vec::new();
    for file in files {
        let Some(source) = workspace.note(file) else {
            continue;
        };
        for (index, link) in source.parsed.links().iter().enumerate() {
            if link.target.text.is_empty() || !may_mean_target(link) {
                continue;
            }
            if resolve_link(workspace, file, link).file(file) == Some(target) {
                pointers.push(Pointer::Link { file, link: index });
            }
        }
        for (field_index, field) in source
            .parsed
            .frontmatter()
            .into_iter()
            .flat_map(|fm| fm.fields().enumerate())
        {
            for (value_index, value) in field.values.iter().enumerate() {
                // A reference names an id exactly (see `resolve_reference`).
                if split_reference(value).1 == note.id()
                    && resolve_reference(workspace, file, value) == Some(target)
                {
                    pointers.push(Pointer::Reference {
                        file,
                        field: field_index,
                        value: value_index,
                    });
                }
            }
        }
    }
    pointers
}

/// Every link that points at heading `heading` of note `target`: `(file, index of the link)`,
/// from other notes and from the note itself (`[[#Heading]]`), sorted.
pub fn pointers_to_heading(
    workspace: &Workspace,
    target: FileId,
    heading: usize,
) -> Vec<(FileId, usize)> {
    let Some(note) = workspace.note(target) else {
        return Vec::new();
    };
    let mut sources: Vec<FileId> = pointers_to(workspace, target)
        .into_iter()
        .filter_map(|p| match p {
            Pointer::Link { file, .. } => Some(file),
            Pointer::Reference { .. } => None,
        })
        .collect();
    sources.push(target);
    sources.sort_unstable();
    sources.dedup();
    let mut found = Vec::new();
    for source in sources {
        let Some(source_note) = workspace.note(source) else {
            continue;
        };
        for (index, link) in source_note.parsed.links().iter().enumerate() {
            if link.heading.is_none()
                || resolve_link(workspace, source, link).file(source) != Some(target)
            {
                continue;
            }
            if resolve_subtarget(note, link) == SubTarget::Heading(heading) {
                found.push((source, index));
            }
        }
    }
    found
}
