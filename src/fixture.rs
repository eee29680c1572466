//! Test fixtures: a whole workspace written as one string.
//!
//! ```text
//! //- /garden/kb.yaml
//! name: garden
//! //- /garden/plants/basil.md
//! See [[tom$0ato]].
//!     ^^^^^^^^^^
//! ```
//! `//- PATH` starts a file (paths are under the root `/ws`); `$0` marks the cursor; a line of
//! only spaces and `^` marks a range on the line above and is removed. Common indentation is
//! stripped, so fixtures can be indented like the code around them. A file that the index
//! does not read (not a note, `kb.yaml` or `cross-kb-links.yaml`) is an attachment, as big as
//! its text.
//!
//! Shared by every feature's tests: [`TWO_KBS`], a small world to add notes to, files by path
//! ([`Fixture::file`], [`Fixture::files`]), and the renderings of ranges
//! ([`Fixture::render`]), diagnostics ([`Fixture::render_diagnostics`]) and changes
//! ([`Fixture::render_change`]).

use std::collections::HashMap;
use std::path::PathBuf;

use crate::syntax::{Retention, parse_file};
use crate::text::{FileId, FilePosition, FileRange, TextRange};
use crate::workspace::{IndexConfig, Workspace};

pub const ROOT: &str = "/ws";

/// Two KBs (`garden`, shortname `gd`, with a `plant` type; and `kitchen`) and two linked
/// plants: a small world for the features' tests to add notes to.
pub const TWO_KBS: &str = r#"
//- /garden/kb.yaml
name: garden
shortname: gd
types:
  plant:
    subdirectory: plants
    fields:
      companions: {type: list, description: "Plants grown beside it (entry IDs)"}
//- /kitchen/kb.yaml
name: kitchen
//- /garden/plants/basil.md
---
id: basil
title: "Sweet Basil"
type: plant
tags: [herb, annual]
aliases: [Genovese]
companions: [tomato, parsley-gone]
---
# Basil

Basil loves warmth. Plant it beside [[tomato]].

## Harvest

Pinch the tops. ^pinch
//- /garden/plants/tomato-notes.md
---
id: tomato
title: "Tomato"
type: plant
---
Grows with [[basil#Harvest]] and [[Genovese]].
"#;

pub struct Fixture {
    pub workspace: Workspace,
    pub texts: HashMap<FileId, String>,
    pub cursor: Option<FilePosition>,
    /// Ranges marked with `^^^`, in file order.
    pub markers: Vec<FileRange>,
}

impl Fixture {
    pub fn parse(fixture: &str) -> Fixture {
        Fixture::with_config(fixture, IndexConfig::default())
    }

    pub fn with_config(fixture: &str, config: IndexConfig) -> Fixture {
        let fixture = trim_indent(fixture);
        let mut files: Vec<(String, String)> = Vec::new();
        for line in fixture.split_inclusive('\n') {
            if let Some(path) = line.strip_prefix("//- ") {
                files.push((path.trim().to_owned(), String::new()));
            } else if let Some((_, text)) = files.last_mut() {
                text.push_str(line);
            } else {
                assert!(
                    line.trim().is_empty(),
                    "fixture text before the first `//- path` line"
                );
            }
        }
        let mut workspace = Workspace::new(vec![PathBuf::from(ROOT)], config);
        for (path, text) in files.iter().filter(|(p, _)| p.ends_with("kb.yaml")) {
            workspace.set_kb_config(&PathBuf::from(format!("{ROOT}{path}")), text);
        }
        let mut fixture = Fixture {
            workspace,
            texts: HashMap::new(),
            cursor: None,
            markers: Vec::new(),
        };
        let mut pending_markers = Vec::new();
        for (path, raw) in files.iter().filter(|(p, _)| !p.ends_with("kb.yaml")) {
            let (text, cursor, markers) = extract_markers(raw);
            let path = PathBuf::from(format!("{ROOT}{path}"));
            if crate::vfs::file_kind(&path) == Some(crate::vfs::FileKind::Attachment) {
                let (file, _) = fixture.workspace.set_attachment(path, text.len() as u64);
                pending_markers.extend(markers.into_iter().map(|range| FileRange { file, range }));
                fixture.texts.insert(file, text);
                continue;
            }
            let parsed = parse_file(&path, &text, Retention::Full);
            let (file, _) = fixture.workspace.set_note(path, parsed);
            if let Some(offset) = cursor {
                assert!(fixture.cursor.is_none(), "more than one $0 in the fixture");
                fixture.cursor = Some(FilePosition { file, offset });
            }
            pending_markers.extend(markers.into_iter().map(|range| FileRange { file, range }));
            fixture.texts.insert(file, text);
        }
        fixture.markers = pending_markers;
        fixture
    }

    pub fn position(&self) -> FilePosition {
        self.cursor.expect("the fixture has a $0 cursor")
    }

    pub fn text(&self, file: FileId) -> &str {
        &self.texts[&file]
    }

    /// Every file (notes and attachments), in path order.
    pub fn files(&self) -> Vec<FileId> {
        let mut files: Vec<FileId> = self.texts.keys().copied().collect();
        files.sort_by_key(|&file| self.path(file));
        files
    }

    /// The one file whose path ends with `path`, compared by whole components: `rue.md`,
    /// `plants/rue.md` or `/ws/garden/plants/rue.md`.
    #[track_caller]
    pub fn file(&self, path: &str) -> FileId {
        let mut found = self.texts.keys().copied().filter(|&file| {
            self.workspace
                .path(file)
                .is_some_and(|full| full.ends_with(path))
        });
        let file = found.next().unwrap_or_else(|| panic!("no file `{path}`"));
        assert!(found.next().is_none(), "more than one file `{path}`");
        file
    }

    /// The path of `file` (a note or an attachment) below the root, like
    /// `/garden/plants/basil.md`.
    pub fn path(&self, file: FileId) -> String {
        let path = self.workspace.path(file).expect("a known file");
        path.to_string_lossy().trim_start_matches(ROOT).to_owned()
    }

    /// `path start..end "slice"`: a range shown with the text it covers.
    pub fn render(&self, file: FileId, range: TextRange) -> String {
        let slice = self
            .text(file)
            .get(range.as_usize())
            .unwrap_or("<bad range>");
        format!("{} {:?} {slice:?}", self.path(file), range)
    }

    /// The diagnostics of `file`, one a line: `path start..end "slice" severity[code]: message`.
    pub fn render_diagnostics(
        &self,
        file: FileId,
        config: &crate::ide::DiagnosticsConfig,
    ) -> String {
        let mut out = String::new();
        for d in crate::ide::diagnostics(&self.workspace, file, config) {
            out += &format!(
                "{} {}[{}]: {}\n",
                self.render(file, d.range),
                d.severity.as_str(),
                d.code.as_str(),
                d.message
            );
        }
        out
    }

    /// A source-text provider for features that read note text (hover excerpts).
    pub fn source(&self) -> impl Fn(FileId) -> Option<String> + '_ {
        |file| self.texts.get(&file).cloned()
    }
}

fn extract_markers(raw: &str) -> (String, Option<u32>, Vec<TextRange>) {
    let mut text = String::new();
    let mut cursor = None;
    let mut markers = Vec::new();
    let mut previous_line_start = 0;
    for line in raw.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if !content.is_empty()
            && content.contains('^')
            && content.chars().all(|c| c == ' ' || c == '^')
        {
            let start = content.find('^').unwrap();
            let end = content.rfind('^').unwrap() + 1;
            markers.push(TextRange::new(
                previous_line_start + start,
                previous_line_start + end,
            ));
            continue;
        }
        previous_line_start = text.len();
        match line.find("$0") {
            Some(at) => {
                cursor = Some((text.len() + at) as u32);
                text.push_str(&line.replacen("$0", "", 1));
            }
            None => text.push_str(line),
        }
    }
    (text, cursor, markers)
}

/// Removes the indentation common to all non-blank lines, and a first empty line.
pub fn trim_indent(text: &str) -> String {
    let text = text.strip_prefix('\n').unwrap_or(text);
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    text.split_inclusive('\n')
        .map(|line| {
            if line.len() >= indent {
                &line[indent..]
            } else {
                line.trim_start_matches(' ')
            }
        })
        .collect()
}

impl Fixture {
    /// A change shown as the resulting text of every changed file (`//- path` then the text),
    /// then its file operation, if any.
    pub fn render_change(&self, change: &crate::ide::SourceChange) -> String {
        let mut out = String::new();
        for file in change.files() {
            let edits: Vec<&crate::ide::FileEdit> =
                change.edits.iter().filter(|e| e.file == file).collect();
            let text = crate::ide::source_change::apply_edits(self.text(file), &edits);
            out += &format!("//- {}\n{text}", self.path(file));
            if !text.ends_with('\n') {
                out.push('\n');
            }
        }
        let relative =
            |path: &std::path::Path| path.to_string_lossy().trim_start_matches(ROOT).to_owned();
        match &change.file_system {
            Some(crate::ide::FileSystemEdit::MoveFile { from, to }) => {
                out += &format!("rename {} -> {}\n", relative(from), relative(to));
            }
            Some(crate::ide::FileSystemEdit::CreateFile { path, text }) => {
                out += &format!("create {}\n{text}", relative(path));
            }
            None => {}
        }
        out
    }
}
