//! Micro benchmarks of the core (divan): parsing a note, building the index, resolving links,
//! completion ranking, position conversion, and the per-request work of hover, references and
//! diagnostics. Inputs are generated in memory by the vault generator (`examples/gen_vault.rs`,
//! seed 42), so nothing is read from disk.
//!
//! ```text
//! cargo bench --bench core                 # everything
//! cargo bench --bench core -- completion   # one group
//! ```

#[allow(dead_code, clippy::all)]
#[path = "../examples/gen_vault.rs"]
mod gen_vault;

use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use divan::{Bencher, black_box};
use rayon::prelude::*;
use wikilink_lsp::ide::{self, CompletionConfig, DiagnosticsConfig};
use wikilink_lsp::line_index::{LineCol, LineIndex, PositionEncoding};
use wikilink_lsp::slug;
use wikilink_lsp::syntax::{ParsedNote, parse_note};
use wikilink_lsp::text::{FileId, FilePosition};
use wikilink_lsp::workspace::{IndexConfig, Workspace};

fn main() {
    divan::main();
}

/// A vault in memory: `(absolute path under /vault, text)`.
type Files = Vec<(PathBuf, String)>;

fn generate(notes: usize) -> Files {
    gen_vault::generate_in_memory(notes, 42)
        .into_iter()
        .map(|(path, text)| (Path::new("/vault").join(path), text))
        .collect()
}

static VAULT_1K: LazyLock<Files> = LazyLock::new(|| generate(1_000));
static VAULT_10K: LazyLock<Files> = LazyLock::new(|| generate(10_000));
static PARSED_10K: LazyLock<Vec<(PathBuf, ParsedNote)>> = LazyLock::new(|| parse_all(&VAULT_10K));
static WORKSPACE_10K: LazyLock<Workspace> = LazyLock::new(|| build(&VAULT_10K));
/// Built only by the benchmarks that need it (a few seconds, ~600 MB while building).
static WORKSPACE_100K: LazyLock<Workspace> = LazyLock::new(|| build(&generate(100_000)));

fn is_note(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "md")
}

fn parse_all(files: &Files) -> Vec<(PathBuf, ParsedNote)> {
    files
        .par_iter()
        .filter(|(path, _)| is_note(path))
        .map(|(path, text)| (path.clone(), parse_note(text)))
        .collect()
}

/// What `load::load` does after reading: kb.yaml files, then every note parsed in parallel and
/// inserted in one go.
fn build(files: &Files) -> Workspace {
    let mut workspace = Workspace::new(vec![PathBuf::from("/vault")], IndexConfig::default());
    for (path, text) in files.iter().filter(|(path, _)| !is_note(path)) {
        workspace.set_kb_config(path, text);
    }
    workspace.extend_notes(parse_all(files));
    workspace
}

/// The note of median size among normal notes, and the largest note.
fn typical_and_large() -> (&'static str, &'static str) {
    let mut notes: Vec<&str> = VAULT_1K
        .iter()
        .filter(|(path, _)| is_note(path))
        .map(|(_, text)| text.as_str())
        .collect();
    notes.sort_by_key(|text| text.len());
    (notes[notes.len() / 2], notes[notes.len() - 1])
}

mod parse {
    use super::*;

    #[divan::bench]
    fn typical_note(bencher: Bencher) {
        let (text, _) = typical_and_large();
        bencher
            .counter(divan::counter::BytesCount::of_str(text))
            .bench(|| parse_note(black_box(text)));
    }

    #[divan::bench(sample_count = 20)]
    fn large_note(bencher: Bencher) {
        let (_, text) = typical_and_large();
        bencher
            .counter(divan::counter::BytesCount::of_str(text))
            .bench(|| parse_note(black_box(text)));
    }
}

mod index {
    use super::*;

    /// Parse (in parallel, as the server does) and insert a 1k-note vault.
    #[divan::bench(sample_count = 10)]
    fn build_1k(bencher: Bencher) {
        let files = &*VAULT_1K;
        bencher.bench(|| build(black_box(files)));
    }

    /// Parse (in parallel) and insert a 10k-note vault.
    #[divan::bench(sample_count = 5)]
    fn build_10k(bencher: Bencher) {
        let files = &*VAULT_10K;
        bencher.bench(|| build(black_box(files)));
    }

    /// Only the insertion of 10k parsed notes (`Workspace::extend_notes`).
    #[divan::bench(sample_count = 10)]
    fn insert_10k(bencher: Bencher) {
        let parsed = &*PARSED_10K;
        let kbs: Vec<&(PathBuf, String)> = VAULT_10K
            .iter()
            .filter(|(path, _)| !is_note(path))
            .collect();
        bencher
            .with_inputs(|| {
                let mut workspace =
                    Workspace::new(vec![PathBuf::from("/vault")], IndexConfig::default());
                for (path, text) in &kbs {
                    workspace.set_kb_config(path, text);
                }
                (workspace, parsed.clone())
            })
            .bench_values(|(mut workspace, notes)| {
                workspace.extend_notes(notes);
                workspace
            });
    }

    /// Re-indexing one edited note in a 10k index (`Workspace::set_note`), as on a keystroke.
    #[divan::bench(sample_count = 50)]
    fn set_note_10k(bencher: Bencher) {
        let (path, text) = VAULT_10K
            .iter()
            .filter(|(path, _)| is_note(path))
            .nth(100)
            .unwrap();
        let mut workspace = build(&VAULT_10K);
        bencher.bench_local(|| workspace.set_note(path.clone(), parse_note(text)));
    }
}

/// Every body link of the first 200 notes, for resolution and feature benchmarks.
fn sample_links() -> Vec<(FileId, usize)> {
    WORKSPACE_10K
        .notes()
        .take(200)
        .flat_map(|(file, note)| (0..note.parsed.links().len()).map(move |i| (file, i)))
        .collect()
}

mod resolve {
    use super::*;

    /// One link resolution, averaged over the links of 200 notes.
    #[divan::bench]
    fn link(bencher: Bencher) {
        let workspace = &*WORKSPACE_10K;
        let links = sample_links();
        bencher
            .counter(divan::counter::ItemsCount::new(links.len()))
            .bench(|| {
                for &(file, index) in &links {
                    let link = workspace.note(file).unwrap().parsed.links().at(index);
                    black_box(slug::resolve_link(workspace, file, link));
                }
            });
    }
}

mod completion {
    use super::*;

    /// `[[` plus the query at the end of a note of a 10k vault.
    #[divan::bench(args = ["", "b", "br", "bra", "zzq"])]
    fn rank_10k(bencher: Bencher, query: &str) {
        complete_after(bencher, &WORKSPACE_10K, 500, query);
    }

    /// The same at 100k notes (the issue's scale for the completion target); `kb2` and `kb2:`
    /// are the start of a link into another KB.
    #[divan::bench(args = ["", "b", "br", "bra", "zzq", "k", "kb2", "kb2:", "kb2:b", "them", "chod", "k8:stio"])]
    fn rank_100k(bencher: Bencher, query: &str) {
        complete_after(bencher, &WORKSPACE_100K, 5_000, query);
    }

    /// Completion after `[[query` in the `nth` note of `workspace`.
    fn complete_after(bencher: Bencher, workspace: &Workspace, nth: usize, query: &str) {
        let (file, _) = workspace.notes().nth(nth).unwrap();
        let text = format!("See [[{query}");
        let position = FilePosition {
            file,
            offset: text.len() as u32,
        };
        let config = CompletionConfig::default();
        bencher
            .bench(|| ide::completion(workspace, position, black_box(&text), &config, &|_| None));
    }
}

mod symbols {
    use super::*;

    /// A workspace symbol search (100 results, as the server asks) over a 10k vault.
    #[divan::bench(args = ["", "br", "bra", "brav", "zzq"])]
    fn query_10k(bencher: Bencher, query: &str) {
        let workspace = &*WORKSPACE_10K;
        bencher.bench(|| ide::workspace_symbols(workspace, black_box(query), 100));
    }
}

mod features {
    use super::*;

    /// Hover over each link of 200 notes (broken links include "did you mean").
    #[divan::bench(sample_count = 10)]
    fn hover_link(bencher: Bencher) {
        let workspace = &*WORKSPACE_10K;
        let links = sample_links();
        bencher
            .counter(divan::counter::ItemsCount::new(links.len()))
            .bench(|| {
                for &(file, index) in &links {
                    let link = workspace.note(file).unwrap().parsed.links().at(index);
                    let position = FilePosition {
                        file,
                        offset: link.target.range.start,
                    };
                    black_box(ide::hover(workspace, position, &|_| None));
                }
            });
    }

    /// Everything that points at the most-linked note (the hub) of a 10k vault.
    #[divan::bench]
    fn pointers_to_hub(bencher: Bencher) {
        let workspace = &*WORKSPACE_10K;
        let hub = workspace
            .notes()
            .max_by_key(|(_, note)| workspace.notes_linking_with_key(note.id()).len())
            .map(|(file, _)| file)
            .unwrap();
        bencher.bench(|| slug::pointers_to(workspace, black_box(hub)));
    }

    /// Diagnostics of one typical note.
    #[divan::bench]
    fn diagnostics_note(bencher: Bencher) {
        let workspace = &*WORKSPACE_10K;
        let (file, _) = workspace.notes().nth(500).unwrap();
        let config = DiagnosticsConfig::default();
        bencher.bench(|| ide::diagnostics(workspace, black_box(file), &config));
    }
}

mod line_index {
    use super::*;

    #[divan::bench]
    fn build_typical(bencher: Bencher) {
        let (text, _) = typical_and_large();
        bencher.bench(|| LineIndex::new(black_box(text)));
    }

    /// Byte offset -> UTF-16 line/column and back, at every link of a typical note.
    #[divan::bench]
    fn round_trip_utf16(bencher: Bencher) {
        let (text, _) = typical_and_large();
        let index = LineIndex::new(text);
        let offsets: Vec<u32> = parse_note(text)
            .links()
            .iter()
            .flat_map(|l| [l.range.start, l.range.end])
            .collect();
        bencher
            .counter(divan::counter::ItemsCount::new(offsets.len()))
            .bench(|| {
                for &offset in &offsets {
                    let LineCol { line, col } =
                        index.line_col(black_box(offset), PositionEncoding::Utf16);
                    black_box(index.offset(LineCol { line, col }, PositionEncoding::Utf16));
                }
            });
    }
}
