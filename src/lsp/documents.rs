//! Open documents: the editor's buffers as ropes, kept in sync with incremental changes.
//!
//! An open document's text wins over the disk. Changes are applied in order to a rope; each
//! change's range is converted from the negotiated encoding and clamped to the document. A
//! change that cannot be applied (a range whose start comes after its end once clamped) drops
//! the document, so the server falls back to the file on disk until the editor sends the full
//! text again, rather than keep a buffer that differs from the editor's.

use std::collections::HashMap;

use ropey::Rope;
use tower_lsp::lsp_types::{Position, TextDocumentContentChangeEvent, Url};

use crate::line_index::PositionEncoding;

pub struct Document {
    pub rope: Rope,
    pub version: i32,
}

#[derive(Default)]
pub struct Documents {
    open: HashMap<Url, Document>,
}

/// Why a change notification was not applied.
#[derive(Debug, PartialEq, Eq)]
pub enum ChangeError {
    NotOpen,
    StaleVersion { current: i32, received: i32 },
    BadRange { index: usize },
}

impl std::fmt::Display for ChangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChangeError::NotOpen => write!(f, "the document was never opened"),
            ChangeError::StaleVersion { current, received } => {
                write!(
                    f,
                    "version {received} is not newer than the current version {current}"
                )
            }
            ChangeError::BadRange { index } => {
                write!(f, "change #{index} has a range that ends before it starts")
            }
        }
    }
}

impl Documents {
    pub fn open(&mut self, uri: Url, text: &str, version: i32) {
        self.open.insert(
            uri,
            Document {
                rope: Rope::from_str(text),
                version,
            },
        );
    }

    pub fn close(&mut self, uri: &Url) -> bool {
        self.open.remove(uri).is_some()
    }

    pub fn get(&self, uri: &Url) -> Option<&Document> {
        self.open.get(uri)
    }

    pub fn text(&self, uri: &Url) -> Option<String> {
        self.open.get(uri).map(|d| d.rope.to_string())
    }

    pub fn uris(&self) -> impl Iterator<Item = &Url> {
        self.open.keys()
    }

    /// Applies `changes` in order and returns the new text. On `BadRange` the document is
    /// dropped (see the module doc); a full-text change to an unknown document opens it.
    pub fn apply_changes(
        &mut self,
        uri: &Url,
        version: i32,
        changes: &[TextDocumentContentChangeEvent],
        encoding: PositionEncoding,
    ) -> Result<String, ChangeError> {
        let Some(document) = self.open.get_mut(uri) else {
            // A full replacement carries everything needed to start tracking the document.
            if let Some(full) = changes.iter().rev().position(|c| c.range.is_none()) {
                let first_full = changes.len() - 1 - full;
                let mut rope = Rope::from_str(&changes[first_full].text);
                for (index, change) in changes.iter().enumerate().skip(first_full + 1) {
                    apply_one(&mut rope, change, encoding)
                        .map_err(|()| ChangeError::BadRange { index })?;
                }
                let text = rope.to_string();
                self.open.insert(uri.clone(), Document { rope, version });
                return Ok(text);
            }
            return Err(ChangeError::NotOpen);
        };
        if version <= document.version {
            return Err(ChangeError::StaleVersion {
                current: document.version,
                received: version,
            });
        }
        for (index, change) in changes.iter().enumerate() {
            if apply_one(&mut document.rope, change, encoding).is_err() {
                self.open.remove(uri);
                return Err(ChangeError::BadRange { index });
            }
        }
        document.version = version;
        Ok(document.rope.to_string())
    }
}

fn apply_one(
    rope: &mut Rope,
    change: &TextDocumentContentChangeEvent,
    encoding: PositionEncoding,
) -> Result<(), ()> {
    let Some(range) = change.range else {
        *rope = Rope::from_str(&change.text);
        return Ok(());
    };
    let start = char_index(rope, range.start, encoding);
    let end = char_index(rope, range.end, encoding);
    if start > end {
        return Err(());
    }
    rope.remove(start..end);
    rope.insert(start, &change.text);
    Ok(())
}

/// Converts an LSP position to a char index in `rope`, clamping past-the-end lines and columns
/// (a column past the line's end stops before its line break; inside a surrogate pair, at the
/// character's start).
pub fn char_index(rope: &Rope, position: Position, encoding: PositionEncoding) -> usize {
    let line = position.line as usize;
    if line >= rope.len_lines() {
        return rope.len_chars();
    }
    let line_start = rope.line_to_char(line);
    let line_slice = rope.line(line);
    // Content length without the line break (`\n`, `\r\n` or `\r`).
    let mut content_chars = line_slice.len_chars();
    let mut tail = line_slice.chars_at(content_chars);
    for _ in 0..2 {
        match tail.prev() {
            Some('\n') | Some('\r') => content_chars -= 1,
            _ => break,
        }
    }
    let wanted = position.character as usize;
    let mut units = 0usize;
    for (chars, c) in line_slice.chars().take(content_chars).enumerate() {
        let width = match encoding {
            PositionEncoding::Utf8 => c.len_utf8(),
            PositionEncoding::Utf16 => c.len_utf16(),
        };
        if units + width > wanted {
            return line_start + chars;
        }
        units += width;
    }
    line_start + content_chars
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower_lsp::lsp_types::Range;

    fn change(sl: u32, sc: u32, el: u32, ec: u32, text: &str) -> TextDocumentContentChangeEvent {
        TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(sl, sc), Position::new(el, ec))),
            range_length: None,
            text: text.to_owned(),
        }
    }

    #[test]
    fn applies_changes_in_order_with_utf16_columns() {
        let uri = Url::parse("file:///n.md").unwrap();
        let mut docs = Documents::default();
        docs.open(uri.clone(), "a😀b\r\nline two\n", 1);
        let text = docs
            .apply_changes(
                &uri,
                2,
                &[
                    change(0, 3, 0, 4, "B"),
                    change(1, 99, 1, 99, "!"),
                    change(9, 0, 9, 0, "end"),
                ],
                PositionEncoding::Utf16,
            )
            .unwrap();
        assert_eq!(text, "a😀B\r\nline two!\nend");
        assert_eq!(
            docs.apply_changes(&uri, 2, &[change(0, 0, 0, 0, "x")], PositionEncoding::Utf16),
            Err(ChangeError::StaleVersion {
                current: 2,
                received: 2
            })
        );
    }

    #[test]
    fn a_bad_range_drops_the_document() {
        let uri = Url::parse("file:///n.md").unwrap();
        let mut docs = Documents::default();
        docs.open(uri.clone(), "abc", 1);
        let result =
            docs.apply_changes(&uri, 2, &[change(0, 2, 0, 1, "x")], PositionEncoding::Utf8);
        assert_eq!(result, Err(ChangeError::BadRange { index: 0 }));
        assert!(docs.get(&uri).is_none());
    }
}
