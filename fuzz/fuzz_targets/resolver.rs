//! Fuzzes the resolver and the features over a small generated workspace. The input is a
//! fixture-like text: `//- path` lines start files (a `kb.yaml` or a note, under the root
//! `/ws`); text before the first such line is the note `/ws/note.md`. Each `$0` is removed and
//! marks a cursor. Then diagnostics run on every note, and definition, hover and completion at
//! every cursor, plus every character boundary of small notes and offsets past the end.
//! No panic; every returned range is valid in its own note.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/invariants.rs"]
mod invariants;

const MAX_FILES: usize = 8;

/// `/ws/` plus the normal components of `raw` (no `..`, no absolute paths).
fn clean_path(raw: &str) -> String {
    let parts: Vec<&str> = raw
        .trim()
        .split('/')
        .filter(|p| !p.is_empty() && *p != "." && *p != "..")
        .take(4)
        .collect();
    if parts.is_empty() {
        "/ws/note.md".to_owned()
    } else {
        format!("/ws/{}", parts.join("/"))
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let mut files: Vec<(String, String)> = vec![("/ws/note.md".to_owned(), String::new())];
    for line in input.split_inclusive('\n') {
        match line.strip_prefix("//- ") {
            Some(path) if files.len() < MAX_FILES => files.push((clean_path(path), String::new())),
            _ => files.last_mut().unwrap().1.push_str(line),
        }
    }
    let mut kb_configs = Vec::new();
    let mut notes = Vec::new();
    let mut cursors: Vec<(String, Vec<u32>)> = Vec::new();
    for (path, text) in files {
        if path.ends_with("/kb.yaml") {
            kb_configs.push((path, text));
            continue;
        }
        let mut marked = Vec::new();
        let mut clean = String::with_capacity(text.len());
        let mut rest = text.as_str();
        while let Some(i) = rest.find("$0") {
            clean.push_str(&rest[..i]);
            marked.push(clean.len() as u32);
            rest = &rest[i + 2..];
        }
        clean.push_str(rest);
        let path = if path.ends_with(".md") {
            path
        } else {
            format!("{path}.md")
        };
        cursors.push((path.clone(), marked));
        notes.push((path, clean));
    }
    let built = invariants::build("/ws", &kb_configs, &notes);
    built.check_diagnostics();
    for (path, marked) in cursors {
        let Some(file) = built.workspace.file_id(std::path::Path::new(&path)) else {
            continue;
        };
        let text = &built.texts[&file];
        // The cursors, the edges and middle of every link and frontmatter value, and the ends
        // of the text (and past them); every character boundary of a small note.
        let mut offsets = marked;
        let parsed = &built.workspace.note(file).unwrap().parsed;
        let mut ranges: Vec<_> = parsed.links().iter().map(|l| l.range).collect();
        if let Some(fm) = parsed.frontmatter() {
            ranges.extend(fm.id().into_iter().chain(fm.title()).map(|v| v.range));
            ranges.extend(fm.fields().flat_map(|f| f.values).map(|v| v.range));
        }
        ranges.extend(parsed.headings().iter().map(|h| h.text_range));
        for range in ranges.into_iter().take(64) {
            offsets.extend([
                range.start,
                range.start + 2,
                (range.start + range.end) / 2,
                range.end,
            ]);
        }
        offsets.extend([0, text.len() as u32, text.len() as u32 + 1, u32::MAX]);
        if text.len() <= 64 {
            offsets.extend((0..text.len() as u32).filter(|&o| text.is_char_boundary(o as usize)));
        }
        offsets.sort_unstable();
        offsets.dedup();
        for offset in offsets {
            built.check_features_at(file, offset);
        }
    }
});
