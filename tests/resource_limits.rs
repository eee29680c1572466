//! Resource limits: a pathological vault must not freeze the editor. Each case builds the
//! worst input of its kind and checks that the cap holds and that the work of one request (or
//! one parse) stays under a second in a release build (`cargo test --release --test
//! resource_limits -- --nocapture` prints the figures). Debug builds run smaller inputs and
//! only check the caps, to keep `cargo test` fast.

use std::time::{Duration, Instant};

use wikilink_lsp::ide::{self, CompletionConfig, DiagnosticsConfig};
use wikilink_lsp::line_index::PositionEncoding;
use wikilink_lsp::syntax::parse_note;
use wikilink_lsp::text::FilePosition;
use wikilink_lsp::workspace::Workspace;

const RELEASE: bool = !cfg!(debug_assertions);

/// `full` in release builds, `full / 10` in debug builds.
fn size(full: usize) -> usize {
    if RELEASE { full } else { full / 10 }
}

/// Runs `work`, prints how long it took, and (in release) checks it took under a second.
fn timed<T>(what: &str, work: impl FnOnce() -> T) -> T {
    let started = Instant::now();
    let result = work();
    let elapsed = started.elapsed();
    eprintln!("{what}: {elapsed:?}");
    if RELEASE {
        assert!(elapsed < Duration::from_secs(1), "{what} took {elapsed:?}");
    }
    result
}

fn workspace_with(notes: impl IntoIterator<Item = (String, String)>) -> Workspace {
    let mut workspace = Workspace::new(vec!["/ws".into()], Default::default());
    for (path, text) in notes {
        workspace.set_note(path.into(), parse_note(&text));
    }
    workspace
}

#[test]
fn completion_over_a_hundred_thousand_notes_is_capped() {
    let count = size(100_000);
    let mut workspace = workspace_with((0..count).map(|i| {
        (
            format!("/ws/notes/n{i}.md"),
            format!("---\ntitle: Note number {i}\naliases: [alias {i}]\n---\n"),
        )
    }));
    let text = "See [[note 12".to_owned();
    let (file, _) = workspace.set_note("/ws/typing.md".into(), parse_note(&text));
    let config = CompletionConfig {
        max_items: 50,
        ..CompletionConfig::default()
    };
    for typed in ["", "n", "note 12", "zzzz"] {
        let text = format!("See [[{typed}");
        let position = FilePosition {
            file,
            offset: text.len() as u32,
        };
        let list = timed(
            &format!("completion `[[{typed}` over {count} notes"),
            || ide::completion(&workspace, position, &text, &config, &|_| None).unwrap(),
        );
        let notes = list
            .items
            .iter()
            .filter(|i| i.kind == ide::CompletionKind::Note)
            .count();
        assert!(notes <= 50, "{notes} notes offered");
        assert!(list.items.len() <= 100, "{} items", list.items.len());
        if typed != "zzzz" {
            assert!(list.is_incomplete);
        }
    }
}

#[test]
fn a_yaml_value_with_a_million_items_is_capped() {
    let items = size(1_000_000);
    let flow = format!(
        "---\ntags: [{}]\nrelated: [{}]\n---\nbody\n",
        (0..items)
            .map(|i| format!("t{i}"))
            .collect::<Vec<_>>()
            .join(", "),
        (0..10)
            .map(|i| format!("r{i}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    let block = format!(
        "---\nrelated:\n{}---\nbody\n",
        (0..items)
            .map(|i| format!("  - r{i}\n"))
            .collect::<String>()
    );
    let words = format!("---\ntags: {}\n---\nbody\n", "w ".repeat(items));
    for (name, text) in [("flow", &flow), ("block", &block), ("words", &words)] {
        let note = timed(&format!("parse a {name} list of {items} items"), || {
            parse_note(text)
        });
        let fm = note.frontmatter().unwrap();
        assert!(
            fm.tags().len() <= 10_000,
            "{name}: {} tags",
            fm.tags().len()
        );
        for field in fm.fields() {
            assert!(
                field.values.len() <= 10_000,
                "{name}: {} values",
                field.values.len()
            );
        }
    }
}

#[test]
fn an_alias_fan_in_frontmatter_is_capped() {
    // One anchored list of 10k items, then as many keys as the event cap allows, each an alias
    // of it: expanded naively that is a billion values.
    let fan = size(90_000);
    let mut text = format!(
        "---\nbig: &b [{}]\n",
        (0..10_000)
            .map(|i| format!("x{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for i in 0..fan {
        text.push_str(&format!("k{i}: *b\n"));
    }
    text.push_str("tags: *b\naliases: *b\n---\n[[a]]\n");
    let note = timed(&format!("parse an alias fan of {fan} keys"), || {
        parse_note(&text)
    });
    let fm = note.frontmatter().unwrap();
    let values: usize =
        fm.fields().map(|f| f.values.len()).sum::<usize>() + fm.tags().len() + fm.aliases().len();
    assert!(values <= 200_000, "{values} values kept");
    assert_eq!(note.links().len(), 1);
}

#[test]
fn a_note_with_a_million_links_stays_responsive() {
    let count = size(1_000_000);
    let text = "[[n1]] [[missing]] ".repeat(count / 2);
    let parsed = timed(&format!("parse {count} links"), || parse_note(&text));
    let kept = count.min(wikilink_lsp::syntax::MAX_LINKS);
    assert_eq!(parsed.links().len(), kept);
    if count > kept {
        assert!(parsed.errors[0].message.starts_with("too many links"));
    }
    let mut workspace = workspace_with([("/ws/n1.md".to_owned(), "# N1\n".to_owned())]);
    let file = timed("index the note", || {
        workspace.set_note("/ws/links.md".into(), parsed).0
    });
    let diagnostics = timed("diagnostics", || {
        ide::diagnostics(&workspace, file, &DiagnosticsConfig::default())
    });
    assert!(!diagnostics.is_empty());
    let end = text.len() as u32 - 5;
    let position = FilePosition { file, offset: end };
    timed("hover at the last link", || {
        ide::hover(&workspace, position, &|_| None)
    });
    timed("definition at the last link", || {
        ide::goto_definition(&workspace, position)
    });
    timed("completion at the end", || {
        ide::completion(
            &workspace,
            position,
            &text,
            &CompletionConfig::default(),
            &|_| None,
        )
    });
}

#[test]
fn a_five_megabyte_line_stays_responsive() {
    let mut text = "word ".repeat(size(1_000_000));
    text.push_str("[[n1]] [[n");
    let workspace_text = text.clone();
    let mut workspace = workspace_with([("/ws/n1.md".to_owned(), "# N1\n".to_owned())]);
    let file = timed("parse and index a 5 MB line", || {
        workspace
            .set_note("/ws/line.md".into(), parse_note(&workspace_text))
            .0
    });
    let end = text.len() as u32;
    let position = FilePosition {
        file,
        offset: end - 6,
    };
    timed("hover at the end of the line", || {
        ide::hover(&workspace, position, &|_| None).unwrap()
    });
    let position = FilePosition { file, offset: end };
    timed("completion at the end of the line", || {
        ide::completion(
            &workspace,
            position,
            &text,
            &CompletionConfig::default(),
            &|_| None,
        )
        .unwrap()
    });
    // A keystroke through the document store, as the server applies it.
    let uri = tower_lsp::lsp_types::Url::parse("file:///ws/line.md").unwrap();
    let mut documents = wikilink_lsp::lsp::documents::Documents::default();
    documents.open(uri.clone(), &text, 1);
    let character = text.len() as u32;
    let change = tower_lsp::lsp_types::TextDocumentContentChangeEvent {
        range: Some(tower_lsp::lsp_types::Range::new(
            tower_lsp::lsp_types::Position::new(0, character),
            tower_lsp::lsp_types::Position::new(0, character),
        )),
        range_length: None,
        text: "1".to_owned(),
    };
    timed(
        "a keystroke at the end of the line, applied and parsed",
        || {
            let text = documents
                .apply_changes(&uri, 2, &[change], PositionEncoding::Utf16)
                .unwrap();
            parse_note(&text)
        },
    );
}
