//! "Did you mean": the existing notes closest to a target that matched nothing, by edit
//! distance over ids, titles and aliases. Used by hover and by the quick fixes.

use crate::slug;
use crate::text::FileId;
use crate::workspace::{KbId, Workspace};

/// Up to `limit` notes closest to `target`, best first; notes of `kb` first on ties.
pub fn closest_notes(
    workspace: &Workspace,
    kb: Option<KbId>,
    target: &str,
    limit: usize,
) -> Vec<FileId> {
    let wanted = slug::fold(target);
    if wanted.is_empty() {
        return Vec::new();
    }
    let wanted_len = wanted.chars().count();
    // Farther than this is not a plausible typo or variant.
    let max_distance = (wanted_len / 3).max(2);
    let mut scored: Vec<(usize, bool, &str, FileId)> = Vec::new();
    for (file, note) in workspace.notes() {
        if kb.is_some_and(|kb| note.kb != kb) && note.id.len().abs_diff(target.len()) > max_distance
        {
            continue;
        }
        let mut best = usize::MAX;
        let title = note
            .parsed
            .frontmatter
            .as_ref()
            .and_then(|fm| fm.title.as_ref())
            .map(|t| &*t.text);
        for name in std::iter::once(&*note.id)
            .chain(title)
            .chain(note.aliases())
        {
            let name = slug::fold(name);
            if name.chars().count().abs_diff(wanted_len) > max_distance {
                continue;
            }
            best = best.min(strsim::levenshtein(&name, &wanted));
        }
        if best <= max_distance {
            scored.push((best, kb.is_some_and(|kb| note.kb != kb), &note.id, file));
        }
    }
    scored.sort();
    scored.dedup_by_key(|s| s.3);
    scored.into_iter().take(limit).map(|s| s.3).collect()
}
