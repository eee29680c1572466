//! Property tests for incremental sync and position conversion.
//!
//! Random sequences of LSP content changes (inserts, deletes, replacements across lines,
//! multi-byte and surrogate-pair characters, CRLF and lone CR, full-text replacements, batches,
//! stale versions, inverted ranges) go through `lsp::documents::Documents` in UTF-16 and UTF-8,
//! and the same edits go through an independent reference implementation over a plain `String`
//! written from the LSP specification. The texts must always agree, and the index updated after
//! every change must equal an index built fresh from the final text. Position round trips check
//! `LineIndex` and the rope conversion against the same reference over every class of character.
//!
//! Case counts are bounded (256 by default, `PROPTEST_CASES` overrides) so `cargo test` stays fast.

use proptest::prelude::*;
use tower_lsp::lsp_types::{Position, Range, TextDocumentContentChangeEvent, Url};
use wikilink_lsp::ide::{self, DiagnosticsConfig};
use wikilink_lsp::line_index::{LineCol, LineIndex, PositionEncoding};
use wikilink_lsp::lsp::documents::{ChangeError, Documents, char_index};
use wikilink_lsp::syntax::parse_note;
use wikilink_lsp::workspace::Workspace;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

// ----- the reference: positions over a plain String, straight from the LSP specification -----

/// Each line as `(start, end of content)` in bytes; breaks are `\r\n`, `\r` and `\n` only.
fn ref_lines(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                lines.push((start, i));
                i += 2;
                start = i;
            }
            b'\r' | b'\n' => {
                lines.push((start, i));
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    lines.push((start, bytes.len()));
    lines
}

fn width(c: char, encoding: PositionEncoding) -> usize {
    match encoding {
        PositionEncoding::Utf8 => c.len_utf8(),
        PositionEncoding::Utf16 => c.len_utf16(),
    }
}

/// The byte offset of an LSP position, clamped: a line past the end is the end of the text, a
/// column past the end of a line is the end of its content, a column inside a character is
/// that character's start.
fn ref_offset(text: &str, line: u32, col: u32, encoding: PositionEncoding) -> usize {
    let lines = ref_lines(text);
    let Some(&(start, end)) = lines.get(line as usize) else {
        return text.len();
    };
    let mut units = 0;
    for (i, c) in text[start..end].char_indices() {
        let w = width(c, encoding);
        if units + w > col as usize {
            return start + i;
        }
        units += w;
    }
    end
}

/// The LSP position of a byte offset (an offset inside a line break is the end of its line).
fn ref_position(text: &str, offset: usize, encoding: PositionEncoding) -> (u32, u32) {
    let offset = offset.min(text.len());
    let lines = ref_lines(text);
    let line = lines.iter().rposition(|&(s, _)| s <= offset).unwrap();
    let (start, end) = lines[line];
    let col: usize = text[start..offset.min(end)]
        .chars()
        .map(|c| width(c, encoding))
        .sum();
    (line as u32, col as u32)
}

/// Applies one change to `text` as the specification says; `Err` for a range that ends
/// before it starts.
fn ref_apply(
    text: &mut String,
    change: &TextDocumentContentChangeEvent,
    encoding: PositionEncoding,
) -> Result<(), ()> {
    let Some(range) = change.range else {
        *text = change.text.clone();
        return Ok(());
    };
    let start = ref_offset(text, range.start.line, range.start.character, encoding);
    let end = ref_offset(text, range.end.line, range.end.character, encoding);
    if start > end {
        return Err(());
    }
    text.replace_range(start..end, &change.text);
    Ok(())
}

// ----- generated input -----

/// Pieces of text covering every class of character that matters for positions.
fn piece() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "a",
        "Z",
        " ",
        "[[",
        "]]",
        "#",
        "^",
        "|",
        ":",
        "---\n",
        "\n",
        "\r\n",
        "\r",
        "é",
        "中",
        "😀",
        "𝄞",
        "e\u{301}",
        "👩\u{200d}💻",
        "\u{2028}",
        "\u{feff}",
        "\t",
        "[[note]]",
        "[[a😀|b]]",
        "# H\n",
        "`[[c]]`",
    ])
}

fn text() -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..24).prop_map(|pieces| pieces.concat())
}

/// How a change's positions are chosen, interpreted against the text current at that change.
#[derive(Clone, Debug)]
enum Edit {
    /// A range between two offsets of the current text, converted exactly.
    Exact { a: usize, b: usize, text: String },
    /// Raw line/column numbers: past the end of lines or of the text, inside surrogate pairs
    /// or UTF-8 sequences; possibly inverted.
    Raw {
        start: (u32, u32),
        end: (u32, u32),
        text: String,
    },
    /// No range: the whole text.
    Full(String),
}

#[derive(Clone, Debug)]
enum Step {
    /// One notification with these changes, applied in order.
    Change(Vec<Edit>),
    /// A notification whose version is not newer: ignored.
    Stale(Edit),
}

/// A raw line or column: usually near the text, sometimes anywhere up to `u32::MAX`.
fn raw_number(near: u32) -> impl Strategy<Value = u32> {
    prop_oneof![8 => 0..near, 1 => any::<u32>()]
}

fn raw_position() -> impl Strategy<Value = (u32, u32)> {
    (raw_number(8), raw_number(12))
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (any::<usize>(), any::<usize>(), text()).prop_map(|(a, b, text)| Edit::Exact { a, b, text }),
        2 => (raw_position(), raw_position(), text())
            .prop_map(|(start, end, text)| Edit::Raw { start, end, text }),
        1 => text().prop_map(Edit::Full),
    ]
}

fn steps() -> impl Strategy<Value = Vec<Step>> {
    let step = prop_oneof![
        8 => prop::collection::vec(edit(), 1..4).prop_map(Step::Change),
        1 => edit().prop_map(Step::Stale),
    ];
    prop::collection::vec(step, 1..24)
}

fn char_boundary_at(text: &str, seed: usize) -> usize {
    let mut offset = seed % (text.len() + 1);
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

fn position((line, character): (u32, u32)) -> Position {
    Position { line, character }
}

/// Turns an abstract edit into an LSP change against `current`.
fn concrete(
    edit: &Edit,
    current: &str,
    encoding: PositionEncoding,
) -> TextDocumentContentChangeEvent {
    let (range, text) = match edit {
        Edit::Exact { a, b, text } => {
            let a = char_boundary_at(current, *a);
            let b = char_boundary_at(current, *b);
            let (start, end) = (a.min(b), a.max(b));
            let range = Range::new(
                position(ref_position(current, start, encoding)),
                position(ref_position(current, end, encoding)),
            );
            (Some(range), text)
        }
        Edit::Raw { start, end, text } => {
            (Some(Range::new(position(*start), position(*end))), text)
        }
        Edit::Full(text) => (None, text),
    };
    TextDocumentContentChangeEvent {
        range,
        range_length: None,
        text: text.clone(),
    }
}

const OTHER: &str = "---\nid: other\ntitle: Other\n---\n# Other\n\n## H\n\nText. ^blk\n";

fn fresh_workspace(path: &str, text: &str) -> Workspace {
    let mut workspace = Workspace::new(vec!["/ws".into()], Default::default());
    workspace.set_note("/ws/other.md".into(), parse_note(OTHER));
    workspace.set_note(path.into(), parse_note(text));
    workspace
}

/// Runs `steps` through `Documents` and the reference, comparing after every notification.
fn run_session(
    initial: &str,
    steps: &[Step],
    encoding: PositionEncoding,
) -> Result<(), TestCaseError> {
    let path = "/ws/doc.md";
    let uri = Url::from_file_path(path).unwrap();
    let mut documents = Documents::default();
    documents.open(uri.clone(), initial, 1);
    // What the editor holds; whether the server still tracks the buffer (a bad range drops it
    // until a full text arrives).
    let mut editor = initial.to_owned();
    let mut tracked = true;
    let mut version = 1;
    // The index, updated after every applied change as the server does.
    let mut workspace = fresh_workspace(path, initial);

    for step in steps {
        let (edits, stale) = match step {
            Step::Change(edits) => (edits.as_slice(), false),
            Step::Stale(edit) => (std::slice::from_ref(edit), true),
        };
        if !stale {
            version += 1;
        }
        // The editor applies each change to its own buffer in turn.
        let mut next = editor.clone();
        let mut changes = Vec::new();
        let mut bad = false;
        for edit in edits {
            let change = concrete(edit, &next, encoding);
            bad = ref_apply(&mut next, &change, encoding).is_err();
            changes.push(change);
            if bad {
                break;
            }
        }
        let has_full = changes.iter().any(|c| c.range.is_none());
        let result = documents.apply_changes(&uri, version, &changes, encoding);
        if tracked {
            if stale {
                prop_assert_eq!(
                    result,
                    Err(ChangeError::StaleVersion {
                        current: version,
                        received: version
                    })
                );
                continue;
            }
            if bad {
                prop_assert!(
                    matches!(result, Err(ChangeError::BadRange { .. })),
                    "{:?}",
                    result
                );
                prop_assert!(
                    documents.get(&uri).is_none(),
                    "a bad range drops the buffer"
                );
                tracked = false;
                continue;
            }
            let text = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&text, &next);
        } else {
            // Dropped: only a batch holding a full text (and valid after it) reopens it.
            if !has_full || bad {
                prop_assert!(result.is_err(), "{:?}", result);
                prop_assert!(documents.get(&uri).is_none());
                if !bad {
                    editor = next;
                }
                continue;
            }
            let text = result.map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(&text, &next);
            tracked = true;
        }
        if bad {
            continue;
        }
        editor = next;
        prop_assert_eq!(documents.text(&uri), Some(editor.clone()));
        workspace.set_note(path.into(), parse_note(&editor));
    }

    if !tracked {
        // The editor sends its full text again, and the server tracks the buffer once more.
        version += 1;
        let full = TextDocumentContentChangeEvent {
            range: None,
            range_length: None,
            text: editor.clone(),
        };
        let text = documents
            .apply_changes(&uri, version, &[full], encoding)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&text, &editor);
        workspace.set_note(path.into(), parse_note(&editor));
    }

    // The index updated change by change equals one built from the final text.
    let fresh = fresh_workspace(path, &editor);
    let file = workspace.file_id(path.as_ref()).unwrap();
    let fresh_file = fresh.file_id(path.as_ref()).unwrap();
    let parsed = &workspace.note(file).unwrap().parsed;
    prop_assert_eq!(parsed, &parse_note(&editor));
    prop_assert_eq!(parsed, &fresh.note(fresh_file).unwrap().parsed);
    let config = DiagnosticsConfig::default();
    let render = |ws: &Workspace, f| {
        ide::diagnostics(ws, f, &config)
            .into_iter()
            .map(|d| format!("{:?} {}", d.range, d.message))
            .collect::<Vec<_>>()
    };
    prop_assert_eq!(render(&workspace, file), render(&fresh, fresh_file));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        // Failures found here are kept as named tests below instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn incremental_changes_match_the_reference_utf16(initial in text(), steps in steps()) {
        run_session(&initial, &steps, PositionEncoding::Utf16)?;
    }

    #[test]
    fn incremental_changes_match_the_reference_utf8(initial in text(), steps in steps()) {
        run_session(&initial, &steps, PositionEncoding::Utf8)?;
    }

    /// Every character boundary converts to the reference position and back, in both
    /// encodings; every raw position (in range or not) converts to the reference's clamped
    /// offset, and the rope used for changes agrees with the line index used for requests.
    #[test]
    fn positions_round_trip_and_clamp(text in text(), raw in prop::collection::vec(raw_position(), 0..16)) {
        let index = LineIndex::new(&text);
        let rope = ropey::Rope::from_str(&text);
        prop_assert_eq!(index.line_count() as usize, ref_lines(&text).len());
        prop_assert_eq!(rope.len_lines(), ref_lines(&text).len(), "rope line breaks differ");
        for encoding in [PositionEncoding::Utf8, PositionEncoding::Utf16] {
            let mut offsets: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
            offsets.push(text.len());
            for offset in offsets {
                let (line, col) = ref_position(&text, offset, encoding);
                let got = index.line_col(offset as u32, encoding);
                prop_assert_eq!(got, LineCol { line, col }, "offset {} {:?}", offset, encoding);
                let back = ref_offset(&text, line, col, encoding);
                prop_assert_eq!(index.offset(got, encoding) as usize, back);
                let in_break = offset > ref_lines(&text)[line as usize].1;
                if !in_break {
                    prop_assert_eq!(back, offset, "round trip of {} {:?}", offset, encoding);
                }
            }
            for &(line, col) in &raw {
                let expected = ref_offset(&text, line, col, encoding);
                let got = index.offset(LineCol { line, col }, encoding) as usize;
                prop_assert_eq!(got, expected, "({}, {}) {:?}", line, col, encoding);
                prop_assert!(text.is_char_boundary(got));
                let chars = char_index(&rope, Position { line, character: col }, encoding);
                prop_assert_eq!(rope.char_to_byte(chars), expected, "rope at ({}, {}) {:?}", line, col, encoding);
            }
        }
    }
}

#[test]
fn the_reference_agrees_with_a_hand_written_table() {
    use PositionEncoding::{Utf8, Utf16};
    let text = "a😀é\r\n中\rx\n";
    assert_eq!(ref_lines(text), [(0, 7), (9, 12), (13, 14), (15, 15)]);
    assert_eq!(ref_position(text, 5, Utf16), (0, 3));
    assert_eq!(ref_position(text, 5, Utf8), (0, 5));
    assert_eq!(ref_position(text, 8, Utf16), (0, 4)); // Inside `\r\n`.
    assert_eq!(ref_offset(text, 0, 2, Utf16), 1); // Inside the surrogate pair.
    assert_eq!(ref_offset(text, 0, 99, Utf8), 7);
    assert_eq!(ref_offset(text, 9, 0, Utf8), text.len());
    assert_eq!(ref_offset(text, 3, 4, Utf8), 15); // The empty last line.
}
