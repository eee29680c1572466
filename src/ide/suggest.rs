//! "Did you mean": the existing notes closest to a target that matched nothing, by edit
//! distance over ids, titles and aliases. Used by hover and by the quick fixes.

use crate::keys;
use crate::text::FileId;
use crate::workspace::{KbId, Workspace};

/// Up to `limit` notes closest to `target`, best first; notes of `kb` first on ties.
pub fn closest_notes(
    workspace: &Workspace,
    kb: Option<KbId>,
    target: &str,
    limit: usize,
) -> Vec<FileId> {
    let wanted = keys::fold(target);
    if wanted.is_empty() {
        return Vec::new();
    }
    let wanted_len = wanted.chars().count();
    // Farther than this is not a plausible typo or variant.
    let max_distance = (wanted_len / 3).max(2);
    let wanted_bag = ByteBag::of(&wanted);
    let wanted = Wanted {
        text: &wanted,
        len: wanted_len,
        bag: wanted_bag,
        max_distance,
        target_len: target.len(),
        kb,
    };
    let facts = workspace.name_facts();
    // On all cores in a large workspace: each note costs a memory load or more (its names).
    let mut scored: Vec<(usize, bool, &str, FileId)> = if facts.len() >= PARALLEL_NOTES {
        use rayon::prelude::*;
        let runs: Vec<std::ops::Range<usize>> = (0..facts.len())
            .step_by(PARALLEL_NOTES / 2)
            .map(|start| start..(start + PARALLEL_NOTES / 2).min(facts.len()))
            .collect();
        runs.into_par_iter()
            .flat_map_iter(|run| score_notes(workspace, run, &wanted))
            .collect()
    } else {
        score_notes(workspace, 0..facts.len(), &wanted)
    };
    scored.sort();
    scored.dedup_by_key(|s| s.3);
    scored.into_iter().take(limit).map(|s| s.3).collect()
}

/// From this many notes on, [`closest_notes`] scores them on all cores.
const PARALLEL_NOTES: usize = 8192;

/// What [`closest_notes`] looks for: the folded target, its length in characters, its bytes
/// (when ASCII), how far a name may be, the target's length as written, and the KB whose
/// notes are tried by every name.
struct Wanted<'a> {
    text: &'a str,
    len: usize,
    bag: Option<ByteBag>,
    max_distance: usize,
    target_len: usize,
    kb: Option<KbId>,
}

/// The notes with file ids in `files` whose closest name is within reach of `wanted`: `(edit
/// distance, in another KB, id, file)`.
fn score_notes<'w>(
    workspace: &'w Workspace,
    files: std::ops::Range<usize>,
    wanted: &Wanted<'_>,
) -> Vec<(usize, bool, &'w str, FileId)> {
    let Wanted {
        text,
        len,
        ref bag,
        max_distance,
        target_len,
        kb,
    } = *wanted;
    let mut folded = String::new();
    let mut scored = Vec::new();
    // Notes of other KBs are tried by id only when its length is close: decided from the
    // dense name facts, without reading those notes.
    let facts = &workspace.name_facts()[files.clone()];
    for (index, facts) in files.zip(facts) {
        if !facts.live
            || !facts.entry
            || kb.is_some_and(|kb| facts.kb != kb)
                && (facts.id_len as usize).abs_diff(target_len) > max_distance
        {
            continue;
        }
        let file = FileId(index as u32);
        let Some(note) = workspace.note(file) else {
            continue;
        };
        let mut best = usize::MAX;
        let title = note
            .parsed
            .frontmatter()
            .and_then(|fm| fm.title())
            .map(|t| t.text);
        for name in std::iter::once(note.id())
            .chain(title)
            .chain(note.aliases())
        {
            if name.is_ascii() {
                // Cheap tests first, on the bytes: the length, then the bag distance (a lower
                // bound of the edit distance), before folding and the edit distance itself.
                let trimmed = trim_ascii_whitespace(name.as_bytes());
                if trimmed.len().abs_diff(len) > max_distance
                    || bag
                        .as_ref()
                        .is_some_and(|bag| bag.distance_exceeds(trimmed, max_distance))
                {
                    continue;
                }
            }
            fold_into(name, &mut folded);
            if folded.chars().count().abs_diff(len) > max_distance {
                continue;
            }
            best = best.min(strsim::levenshtein(&folded, text));
        }
        if best <= max_distance {
            scored.push((best, kb.is_some_and(|kb| note.kb != kb), note.id(), file));
        }
    }
    scored
}

/// `keys::fold(name)` into a reused buffer (no allocation for ASCII names).
fn fold_into(name: &str, out: &mut String) {
    out.clear();
    let trimmed = name.trim();
    if trimmed.is_ascii() {
        out.push_str(trimmed);
        out.make_ascii_lowercase();
    } else {
        out.push_str(&keys::fold(trimmed));
    }
}

/// How many times each ASCII byte occurs in a string.
struct ByteBag([i16; 128]);

impl ByteBag {
    /// The bag of an ASCII string (already folded); `None` otherwise, or when too long to
    /// count in `i16`.
    fn of(text: &str) -> Option<ByteBag> {
        if !text.is_ascii() || text.len() > i16::MAX as usize {
            return None;
        }
        let mut counts = [0i16; 128];
        for &b in text.as_bytes() {
            counts[b as usize] += 1;
        }
        Some(ByteBag(counts))
    }

    /// Whether the bag distance to the ASCII bytes `other`, ignoring their case (the larger
    /// count of characters only one side has, with multiplicity), exceeds `max`. One edit
    /// changes at most one character on each side, so the edit distance then exceeds `max` too.
    fn distance_exceeds(&self, other: &[u8], max: usize) -> bool {
        if other.len() > i16::MAX as usize {
            return false;
        }
        let mut counts = self.0;
        for &b in other {
            counts[(b & 0x7f).to_ascii_lowercase() as usize] -= 1;
        }
        let (mut only_self, mut only_other) = (0usize, 0usize);
        for count in counts {
            if count > 0 {
                only_self += count as usize;
            } else {
                only_other += count.unsigned_abs() as usize;
            }
        }
        only_self.max(only_other) > max
    }
}

/// `str::trim` for ASCII text: the ASCII characters with the White_Space property.
fn trim_ascii_whitespace(bytes: &[u8]) -> &[u8] {
    let space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r');
    let start = bytes.iter().position(|b| !space(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !space(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::{ByteBag, PARALLEL_NOTES, Wanted, closest_notes, score_notes};
    use crate::syntax::{Retention, parse_file};
    use crate::workspace::{IndexConfig, Workspace};

    #[test]
    fn a_large_workspace_is_scored_on_all_cores_as_on_one() {
        // Past the threshold: the runs must cover every note once (`n8191` is the last of a
        // run, `n9191` the last note), and the order stay total.
        let mut workspace = Workspace::new(vec!["/ws".into()], IndexConfig::default());
        for i in 0..PARALLEL_NOTES + 1000 {
            let path = std::path::PathBuf::from(format!("/ws/n{i:05}.md"));
            let text = format!("---\ntitle: note {}\n---\n", i % 97);
            let parsed = parse_file(&path, &text, Retention::Full);
            workspace.set_note(path, parsed);
        }
        for target in ["n00042", "n0917x", "note 5", "n8191", "n9191"] {
            let wanted = crate::keys::fold(target);
            let one_core = {
                let all = 0..workspace.name_facts().len();
                let wanted = Wanted {
                    text: &wanted,
                    len: wanted.chars().count(),
                    bag: ByteBag::of(&wanted),
                    max_distance: (wanted.chars().count() / 3).max(2),
                    target_len: target.len(),
                    kb: None,
                };
                let mut scored = score_notes(&workspace, all, &wanted);
                scored.sort();
                let files = scored.into_iter().map(|s| s.3);
                files.take(5).collect::<Vec<_>>()
            };
            assert!(!one_core.is_empty(), "{target}");
            assert_eq!(
                closest_notes(&workspace, None, target, 5),
                one_core,
                "{target}"
            );
        }
    }

    #[test]
    fn bag_distance_never_exceeds_the_edit_distance() {
        let words = [
            "",
            "a",
            "ab",
            "ba",
            "abc",
            "kitten",
            "sitting",
            "velor-tamin-412",
            "velor-tamin-421",
            "tamin-velor-412",
            "zzzz",
            "aaaa-bbbb",
            "bbbb-aaaa-c",
        ];
        for a in words {
            for b in words {
                let distance = strsim::levenshtein(a, b);
                let bag = ByteBag::of(a).unwrap();
                for max in 0..12 {
                    if bag.distance_exceeds(b.as_bytes(), max) {
                        assert!(distance > max, "{a} / {b}: {distance} <= {max}");
                    }
                }
            }
        }
    }
}
