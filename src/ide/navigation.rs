//! Shared answer types for features that point at places: a target note, heading or block, and
//! what kind of symbol (document and workspace symbols) a place is.

use crate::slug::{self, Resolution, SubTarget};
use crate::syntax::Link;
use crate::text::{FileId, TextRange};
use crate::workspace::{Note, Workspace};

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
        full_range: TextRange::new(0, note.parsed.line_index.text_len() as usize),
        focus_range: TextRange::empty(0),
    }
}
