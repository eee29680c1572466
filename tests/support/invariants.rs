//! Invariants every parse and every feature answer must keep, whatever the input: ranges are in
//! bounds, ordered, and on character boundaries. Shared by the fuzz targets (which include this
//! file by path) and by the regression tests in the normal suite.

#![allow(dead_code)]

use std::collections::HashMap;

use wikilink_lsp::ide::{self, CompletionConfig, DiagnosticsConfig};
use wikilink_lsp::syntax::{ParsedNote, parse_note};
use wikilink_lsp::text::{FileId, FilePosition, TextRange};
use wikilink_lsp::workspace::Workspace;

/// Panics (with `what`) unless `range` is a valid, char-aligned slice of `text`.
#[track_caller]
pub fn assert_range(text: &str, range: TextRange, what: &str) {
    assert!(
        range.start <= range.end,
        "{what}: inverted range {range:?} in {text:?}"
    );
    assert!(
        range.end as usize <= text.len(),
        "{what}: range {range:?} past the end ({}) of {text:?}",
        text.len()
    );
    assert!(
        text.is_char_boundary(range.start as usize) && text.is_char_boundary(range.end as usize),
        "{what}: range {range:?} splits a character in {text:?}"
    );
}

/// Parses `text` and checks every range of the result; returns the parse.
pub fn check_parse(text: &str) -> ParsedNote {
    let note = parse_note(text);
    check_parsed(text, &note);
    // Parsing is a pure function of the text.
    assert_eq!(note, parse_note(text), "parse is not deterministic");
    note
}

pub fn check_parsed(text: &str, note: &ParsedNote) {
    assert!(note.body_start as usize <= text.len());
    assert!(text.is_char_boundary(note.body_start as usize));
    assert_eq!(note.text_len() as usize, text.len());
    if let Some(index) = note.line_index() {
        assert_eq!(index.text_len() as usize, text.len());
    }
    if let Some(fm) = note.frontmatter() {
        assert_range(text, fm.range(), "frontmatter");
        let values = fm
            .id()
            .into_iter()
            .chain(fm.title())
            .chain(fm.note_type())
            .chain(fm.tags())
            .chain(fm.aliases())
            .chain(fm.fields().flat_map(|f| f.values));
        for value in values {
            assert_range(text, value.range, "frontmatter value");
        }
    }
    for link in note.links() {
        assert_range(text, link.range, "link");
        let parts = [
            Some(link.target),
            link.kb,
            link.heading,
            link.block,
            link.display,
        ];
        for part in parts.into_iter().flatten() {
            assert_range(text, part.range, "link part");
            assert!(
                link.range.contains_range(part.range),
                "link part {:?} outside its link {:?} in {text:?}",
                part.range,
                link.range
            );
            assert_eq!(
                &text[part.range.as_usize()],
                part.text,
                "link part text differs from its source in {text:?}"
            );
        }
    }
    for heading in note.headings() {
        assert_range(text, heading.range, "heading");
        assert_range(text, heading.text_range, "heading text");
    }
    for block in note.block_ids() {
        assert_range(text, block.range, "block id");
        assert_range(text, block.line_range, "block line");
        assert_eq!(&text[block.range.as_usize()], format!("^{}", block.id));
    }
    for tag in note.inline_tags() {
        assert_range(text, tag.range, "inline tag");
        assert_eq!(&text[tag.range.as_usize()], format!("#{}", tag.name));
    }
    for region in note.regions() {
        assert_range(text, region.range, "code block or list");
    }
    for paragraph in wikilink_lsp::syntax::paragraphs(text) {
        assert_range(text, paragraph, "paragraph");
    }
    for error in &note.errors {
        assert_range(text, error.range, "syntax error");
    }
    let summary = note.summary(|| Some(text.to_owned()));
    assert!(summary.chars().count() <= wikilink_lsp::syntax::SUMMARY_MAX_CHARS + 1);
}

/// A workspace built from `(path, text)` notes and `(path, text)` kb.yaml files, with the text
/// of each note kept for checking answers.
pub struct Built {
    pub workspace: Workspace,
    pub texts: HashMap<FileId, String>,
    pub files: Vec<FileId>,
}

pub fn build(root: &str, kb_configs: &[(String, String)], notes: &[(String, String)]) -> Built {
    let mut workspace = Workspace::new(vec![root.into()], Default::default());
    for (path, text) in kb_configs {
        workspace.set_kb_config(std::path::Path::new(path), text);
    }
    let mut texts = HashMap::new();
    let mut files = Vec::new();
    for (path, text) in notes {
        let (file, _) = workspace.set_note(path.into(), parse_note(text));
        texts.insert(file, text.clone());
        files.push(file);
    }
    files.sort();
    files.dedup();
    Built {
        workspace,
        texts,
        files,
    }
}

impl Built {
    #[track_caller]
    fn assert_in(&self, file: FileId, range: TextRange, what: &str) {
        let text = self.texts.get(&file).expect("answers name indexed notes");
        assert_range(text, range, what);
    }

    /// Runs diagnostics on every note, and definition, hover and completion at `offset` of
    /// `file`, checking that every range they return is valid in its own note.
    pub fn check_features_at(&self, file: FileId, offset: u32) {
        let ws = &self.workspace;
        let text = &self.texts[&file];
        let position = FilePosition { file, offset };
        if let Some(answer) = ide::goto_definition(ws, position) {
            self.assert_in(file, answer.range, "definition origin");
            for target in &answer.info {
                self.assert_in(target.file, target.full_range, "definition full range");
                self.assert_in(target.file, target.focus_range, "definition focus range");
            }
        }
        let source = |f: FileId| self.texts.get(&f).cloned();
        if let Some(answer) = ide::hover(ws, position, &source) {
            self.assert_in(file, answer.range, "hover range");
        }
        let config = CompletionConfig {
            max_items: 5,
            block_links: true,
            wanted_notes: true,
        };
        if let Some(list) = ide::completion(ws, position, text, &config, &source) {
            assert_range(text, list.replace_range, "completion replace range");
            for new in list
                .items
                .iter()
                .filter_map(|item| item.new_block_id.as_ref())
            {
                let end = TextRange::empty(new.end as usize);
                self.assert_in(new.file, end, "new block id offset");
            }
        }
    }

    pub fn check_diagnostics(&self) {
        for &file in &self.files {
            for d in ide::diagnostics(&self.workspace, file, &DiagnosticsConfig::default()) {
                self.assert_in(file, d.range, "diagnostic");
                for related in &d.related {
                    self.assert_in(related.file, related.range, "related information");
                }
            }
        }
    }
}
