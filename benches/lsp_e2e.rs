//! End-to-end benchmark: the real `wikilink-lsp` binary over stdio, as an editor drives it.
//!
//! ```text
//! cargo bench --bench lsp_e2e -- --vault /tmp/vault-10k --runs 3
//! cargo bench --bench lsp_e2e -- --vault /tmp/vault-10k --runs 3 --cold   # page cache dropped
//! cargo bench --bench lsp_e2e                # a generated 300-note vault in a temporary folder
//! cargo bench --bench lsp_e2e -- --vault examples --heavy 85000 --runs 3   # issue #12's note
//! ```
//!
//! Per run it measures, with real `Content-Length` framing:
//!
//! - the floor: walk the vault and read every file, in parallel (rayon's default pool, one
//!   thread a core, as the server reads), with no parsing; and the same on 64 threads, which
//!   is much less with a cold cache (more reads in flight);
//! - spawn → index complete (`$/progress` end, and the `wikilink/status` ready notification),
//!   and the server's CPU time until then; the time until the workspace diagnostics stop coming;
//! - what an editor opening a file with the server sees: `initialized`, the `didOpen` of one
//!   note, and a definition and a hover on a link in it (to another note of its KB) go out in
//!   ONE write, right after the `initialize` reply. Figures: spawn → the note's first
//!   publishDiagnostics, spawn → each answer, and whether each is RIGHT: the same request is
//!   sent again once the index is ready and the answers compared (and the note's first
//!   diagnostics with its last ones). A difference is printed as `WRONG`;
//! - latency p50/p95/max of completion, definition, hover, references and workspace symbols over
//!   `--requests` requests each, at real link positions of notes spread over the vault;
//! - completion by query class, typed into a scratch note (opened, never on disk) as
//!   `[[query]]` with the cursor before `]]`: 1-, 2- and 3-letter prefixes of note ids after
//!   `[[`; after `[[kb:` (KB prefixes and ids of the vault's own cross-KB links) with 1-3
//!   letters; and fuzzy queries (every other letter of an id, 4-5 letters: no prefix);
//! - didChange → publishDiagnostics of that version; a note rewritten on disk +
//!   didChangeWatchedFiles → its refreshed diagnostics; the server's peak RSS (`VmHWM` just
//!   before shutdown);
//! - `wikilink-lsp check VAULT --format json` wall time (output to /dev/null), after the server.
//!
//! `--cold` drops the page cache (`sync; echo 3 > /proc/sys/vm/drop_caches`, root only; without
//! it the run stops with a note) before the floor, before spawning the server and before
//! `check`, then reads the server binary back in, so the cold figures are the vault's I/O.
//! Warm runs read the vault and the binary once before the first run.
//!
//! Settings: `initializationOptions` (and `workspace/configuration`) set
//! `{"diagnostics":{"debounceMs":0}}`, so didChange latency is the work, not the debounce.
//! The on-disk change appends a line to one note and restores the original bytes afterwards;
//! it is skipped (with a note) when the vault is read-only. A method the server does not know
//! (MethodNotFound) is reported as skipped. Figures are medians over `--runs` runs.
//! `--dump FILE` writes every request with its answer, to compare two builds (`--bin`).
//! `--slowest N` prints each method's N slowest requests of every run, to see what a p95 is.
//! `--no-check` skips the `check` timing.
//!
//! `--heavy LINKS` runs only the heavy-note scenario of issue #12 (a pasted dump), nothing
//! else: once the index is ready and the workspace diagnostics are out, one note of the vault
//! is opened, then a note that is never on disk, beside it: frontmatter plus ONE line of LINKS
//! links `[[missing-note-N-pasted-from-an-export-of-the-old-kb]]` separated by spaces (59
//! bytes a link: 5.0 MB at 85,000, as in the issue). Figures: its didOpen →
//! its first publishDiagnostics, and how many diagnostics that carried; hovers on a link of the
//! other note, 20 before the didOpen and 20 sent one at a time right after it, while the
//! diagnostics are computed (each run's are printed in order); 50 hovers on the link in the
//! middle of the heavy line; the server's VmRSS sampled every 20 ms from just before the
//! didOpen, its peak, and VmRSS 2 s after the heavy note's didClose. `--cold`, `--requests`,
//! `--edits`, `--dump`, `--slowest` and `check` do not apply to it.
//!
//! This is a benchmark, not a test: it never fails on time, only when the server misbehaves.

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[allow(dead_code, clippy::all)]
#[path = "../examples/gen_vault.rs"]
mod gen_vault;

use std::collections::HashMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde_json::{Value, json};
use wikilink_lsp::line_index::{LineIndex, PositionEncoding};
use wikilink_lsp::syntax::parse_note;
use wikilink_lsp::vfs::{self, FileKind};

/// How long any single answer may take before the run is declared stuck.
const TIMEOUT: Duration = Duration::from_secs(600);
/// Notes opened in the editor (completion needs an open buffer).
const OPEN_NOTES: usize = 20;
/// Notes whose links are used as request positions.
const SAMPLED_NOTES: usize = 200;
/// Distinct queries of each completion class (cycled up to `--requests`).
const QUERIES_PER_CLASS: usize = 100;
/// The scratch note holding the completion queries: opened in the editor, never written.
const SCRATCH_NOTE: &str = "bench-completion-scratch.md";

struct Options {
    vault: Option<PathBuf>,
    bin: PathBuf,
    runs: usize,
    requests: usize,
    edits: usize,
    notes: usize,
    /// Writes every request and its answer here, to compare two builds' answers.
    dump: Option<PathBuf>,
    /// Prints each method's this many slowest requests.
    slowest: usize,
    /// Drops the page cache before the floor, the server and `check`.
    cold: bool,
    /// Times `wikilink-lsp check` on the vault.
    check: bool,
    /// `--heavy LINKS`: runs only the heavy-note scenario of issue #12 (see [`heavy_once`]),
    /// with a note of this many broken links on one line.
    heavy: Option<usize>,
}

fn parse_options() -> Options {
    let mut options = Options {
        vault: None,
        bin: PathBuf::from(env!("CARGO_BIN_EXE_wikilink-lsp")),
        runs: 1,
        requests: 300,
        edits: 40,
        notes: 300,
        dump: None,
        slowest: 0,
        cold: false,
        check: true,
        heavy: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            args.next()
                .unwrap_or_else(|| panic!("{name} needs a value"))
        };
        match arg.as_str() {
            "--vault" => options.vault = Some(PathBuf::from(value("--vault"))),
            "--bin" => options.bin = PathBuf::from(value("--bin")),
            "--runs" => options.runs = value("--runs").parse().expect("--runs N"),
            "--requests" => options.requests = value("--requests").parse().expect("--requests N"),
            "--edits" => options.edits = value("--edits").parse().expect("--edits N"),
            "--notes" => options.notes = value("--notes").parse().expect("--notes N"),
            "--dump" => options.dump = Some(PathBuf::from(value("--dump"))),
            "--slowest" => options.slowest = value("--slowest").parse().expect("--slowest N"),
            "--cold" => options.cold = true,
            "--no-check" => options.check = false,
            "--heavy" => options.heavy = Some(value("--heavy").parse().expect("--heavy LINKS")),
            // `cargo bench` passes `--bench`; filters and other harness flags mean nothing here.
            _ => {}
        }
    }
    options.runs = options.runs.max(1);
    options
}

fn main() {
    let options = parse_options();
    let _generated; // Keeps a generated vault alive until the end.
    let vault = match &options.vault {
        Some(vault) => vault
            .canonicalize()
            .unwrap_or_else(|e| panic!("{}: {e}", vault.display())),
        None => {
            let dir = tempfile::tempdir().expect("a temporary folder");
            for (path, text) in gen_vault::generate_in_memory(options.notes, 42) {
                let full = dir.path().join(path);
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::fs::write(full, text).unwrap();
            }
            let path = dir.path().canonicalize().unwrap();
            _generated = dir;
            path
        }
    };
    if options.cold
        && let Err(error) = drop_page_cache(&options.bin)
    {
        eprintln!(
            "note: --cold needs to drop the page cache (as root), which failed here: \
                 {error}; cold figures skipped"
        );
        return;
    }
    let plan = Plan::new(&vault);
    println!(
        "vault {}: {} notes, {:.1} MiB of markdown; binary {}; page cache {}",
        vault.display(),
        plan.note_count,
        plan.markdown_bytes as f64 / (1024.0 * 1024.0),
        options.bin.display(),
        if options.cold { "COLD" } else { "warm" }
    );
    if !options.cold {
        // Warm: the vault and the binary are in the page cache before the first run.
        floor(&vault);
        let _ = std::fs::read(&options.bin);
    }
    if let Some(links) = options.heavy {
        run_heavy(&options, &vault, &plan, links);
        return;
    }
    let mut runs = Vec::new();
    for run in 0..options.runs {
        let floor = {
            if options.cold {
                drop_page_cache(&options.bin).expect("the page cache drops");
            }
            floor(&vault)
        };
        let floor_many_readers = {
            if options.cold {
                drop_page_cache(&options.bin).expect("the page cache drops");
            }
            floor_many_readers(&vault)
        };
        let mut figures = run_once(&options, &vault, &plan, floor);
        figures.floor_many_readers = floor_many_readers;
        if options.check {
            if options.cold {
                drop_page_cache(&options.bin).expect("the page cache drops");
            }
            figures.check = Some(check_wall_time(&options.bin, &vault));
        }
        eprintln!(
            "run {}/{}: floor {:.0} ms ({FLOOR_READERS} threads: {:.0} ms), index {:.0} ms, \
             check {}",
            run + 1,
            options.runs,
            ms(figures.floor),
            ms(figures.floor_many_readers),
            ms(figures.index_end),
            figures
                .check
                .map_or("-".to_string(), |d| format!("{:.0} ms", ms(d)))
        );
        runs.push(figures);
    }
    print_table(&options, &plan, &runs);
}

// ----- what to ask -----

/// Positions and files chosen once per vault, the same for every run.
struct Plan {
    note_count: usize,
    markdown_bytes: u64,
    /// `(uri, utf-16 position inside a link target)` for definition, hover and references.
    link_positions: Vec<(String, Value)>,
    /// Open notes: `(path, text)`.
    open: Vec<(PathBuf, String)>,
    /// `(uri, position after typing `[[` plus 0-4 characters of a real target)`.
    completion_positions: Vec<(String, Value)>,
    /// Queries for workspace/symbol: prefixes of titles.
    symbol_queries: Vec<String>,
    /// A note to edit on disk.
    disk_note: Option<PathBuf>,
    /// The note opened with `initialized`, and a position inside a link of it to another note
    /// of its KB (that note's file exists): `(path, text, position)`.
    early: Option<(PathBuf, String, Value)>,
    /// The scratch note (never on disk), its text, and each completion class with the
    /// positions of its queries in that text.
    scratch: (PathBuf, String),
    completion_classes: CompletionClasses,
}

/// Completion query classes: a name, and the cursor positions of its queries in the scratch note.
type CompletionClasses = Vec<(&'static str, Vec<Value>)>;

impl Plan {
    fn new(vault: &Path) -> Plan {
        let (files, _) = vfs::walk(&[vault.to_path_buf()], &[]);
        let notes: Vec<&PathBuf> = files
            .iter()
            .filter(|(_, kind)| *kind == FileKind::Note)
            .map(|(path, _)| path)
            .collect();
        let markdown_bytes = notes
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .map(|m| m.len())
            .sum();
        // The first folder below the vault (a KB in Pyrite vaults) and the file stem of every
        // note: which link targets name a note file of the linking note's own KB.
        let kb_folder = |path: &Path| -> OsString {
            path.strip_prefix(vault)
                .ok()
                .and_then(|relative| relative.components().next())
                .map(|c| c.as_os_str().to_owned())
                .unwrap_or_default()
        };
        let stem = |path: &Path| -> String {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let note_files: HashMap<(OsString, String), &PathBuf> = notes
            .iter()
            .map(|path| ((kb_folder(path), stem(path)), *path))
            .collect();

        let step = (notes.len() / SAMPLED_NOTES).max(1);
        let mut link_positions = Vec::new();
        let mut completion_positions = Vec::new();
        let mut symbol_queries = Vec::new();
        let mut open = Vec::new();
        let mut disk_note = None;
        // `(note has a problem, target path, note, text, position)`: the early request.
        let mut early: Option<(bool, PathBuf, PathBuf, String, Value)> = None;
        // `(kb, id)` of cross-KB links, for the `[[kb:` queries.
        let mut cross_kb_targets: Vec<(String, String)> = Vec::new();
        for (i, path) in notes.iter().step_by(step).enumerate() {
            let Ok(text) = std::fs::read_to_string(path) else {
                continue;
            };
            let parsed = parse_note(&text);
            let index = LineIndex::new(&text);
            let uri = uri_of(path);
            let body_links: Vec<_> = parsed
                .links()
                .iter()
                .filter(|l| !l.in_frontmatter && !l.target.text.is_empty())
                .collect();
            for link in &body_links {
                let offset = link.target.range.start + link.target.range.len().min(1);
                link_positions.push((uri.clone(), position(&index, offset)));
                if let Some(kb) = link.kb {
                    cross_kb_targets.push((kb.text.to_string(), link.target.text.to_string()));
                }
            }
            if let Some(title) = parsed.frontmatter().and_then(|f| f.title()) {
                let query: String = title.text.chars().take(2 + i % 4).collect();
                if !query.trim().is_empty() {
                    symbol_queries.push(query);
                }
            }
            if disk_note.is_none() && open.len() >= OPEN_NOTES && !body_links.is_empty() {
                // Written on disk later: it must not be open in the editor.
                disk_note = Some((*path).clone());
                continue;
            }
            if open.len() < OPEN_NOTES && !body_links.is_empty() {
                for (j, link) in body_links.iter().enumerate() {
                    let typed = (j + i) % 5;
                    let target = &link.target.text;
                    let cut = target
                        .char_indices()
                        .nth(typed)
                        .map_or(target.len(), |(at, _)| at);
                    let offset = link.target.range.start + cut as u32;
                    completion_positions.push((uri.clone(), position(&index, offset)));
                }
                open.push(((*path).clone(), text));
                continue;
            }
            // The early request: a plain link to another note file of the same KB, in a note
            // that also links to a name no note file has (so it has diagnostics to publish),
            // the one whose target path sorts last (indexed last, if the index grows in path
            // order).
            let kb = kb_folder(path);
            let names_a_file =
                |target: &str| note_files.contains_key(&(kb.clone(), target.to_string()));
            let has_problem = body_links
                .iter()
                .any(|l| l.kb.is_none() && !names_a_file(l.target.text));
            for link in &body_links {
                if link.kb.is_some() || link.block.is_some() {
                    continue;
                }
                let key = (kb.clone(), link.target.text.to_string());
                let Some(&target) = note_files.get(&key) else {
                    continue;
                };
                let better = early
                    .as_ref()
                    .is_none_or(|e| (has_problem, target) > (e.0, &e.1));
                if target == *path || !better {
                    continue;
                }
                let offset = link.target.range.start + link.target.range.len().min(1);
                early = Some((
                    has_problem,
                    target.clone(),
                    (*path).clone(),
                    text.clone(),
                    position(&index, offset),
                ));
            }
        }
        assert!(
            !link_positions.is_empty(),
            "the vault has no links to ask about"
        );
        let (scratch, completion_classes) = completion_queries(&notes, &cross_kb_targets);
        if early.is_none() {
            eprintln!("note: no link to another note file of its KB; early requests skipped");
        }
        Plan {
            note_count: notes.len(),
            markdown_bytes,
            link_positions,
            open,
            completion_positions,
            symbol_queries,
            disk_note,
            early: early.map(|(_, _, path, text, position)| (path, text, position)),
            scratch,
            completion_classes,
        }
    }
}

/// The scratch note's path and text, one `[[query]]` a line, and the completion classes with
/// the cursor positions (before `]]`) of their queries.
fn completion_queries(
    notes: &[&PathBuf],
    cross_kb_targets: &[(String, String)],
) -> ((PathBuf, String), CompletionClasses) {
    let step = (notes.len() / (4 * QUERIES_PER_CLASS)).max(1);
    let ids: Vec<String> = notes
        .iter()
        .step_by(step)
        .filter_map(|p| p.file_stem())
        .map(|s| s.to_string_lossy().to_lowercase())
        .collect();
    let prefix = |text: &str, letters: usize| -> Option<String> {
        (text.chars().count() >= letters).then(|| text.chars().take(letters).collect())
    };
    let mut classes: Vec<(&'static str, Vec<String>)> = Vec::new();
    for (name, letters) in [
        ("completion [[ 1 letter", 1),
        ("completion [[ 2 letters", 2),
        ("completion [[ 3 letters", 3),
    ] {
        classes.push((
            name,
            ids.iter().filter_map(|id| prefix(id, letters)).collect(),
        ));
    }
    for (name, letters) in [
        ("completion [[kb: 1 letter", 1),
        ("completion [[kb: 2 letters", 2),
        ("completion [[kb: 3 letters", 3),
    ] {
        let queries = cross_kb_targets
            .iter()
            .filter_map(|(kb, id)| Some(format!("{kb}:{}", prefix(&id.to_lowercase(), letters)?)))
            .collect();
        classes.push((name, queries));
    }
    // Every other letter of an id, from the second: a subsequence, never a prefix.
    let fuzzy = ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| {
            let letters: Vec<char> = id.chars().filter(|c| c.is_alphabetic()).collect();
            let query: String = letters.iter().skip(1).step_by(2).take(4 + i % 2).collect();
            (query.chars().count() >= 4 && !id.starts_with(&query)).then_some(query)
        })
        .collect();
    classes.push(("completion fuzzy", fuzzy));

    let mut text = String::new();
    let mut line = 0;
    let mut positioned = Vec::new();
    for (name, queries) in classes {
        let mut seen = std::collections::HashSet::new();
        let mut positions = Vec::new();
        for query in queries {
            if positions.len() == QUERIES_PER_CLASS || !seen.insert(query.clone()) {
                continue;
            }
            text.push_str(&format!("[[{query}]]\n"));
            let character = 2 + query.encode_utf16().count();
            positions.push(json!({"line": line, "character": character}));
            line += 1;
        }
        if positions.is_empty() {
            eprintln!("note: no queries for {name} in this vault; skipped");
            continue;
        }
        positioned.push((name, positions));
    }
    let folder = notes
        .first()
        .and_then(|p| p.parent())
        .unwrap_or(Path::new("/"));
    let scratch = folder.join(SCRATCH_NOTE);
    assert!(
        !scratch.exists(),
        "{} exists; the scratch note must not be on disk",
        scratch.display()
    );
    ((scratch, text), positioned)
}

fn position(index: &LineIndex, offset: u32) -> Value {
    let p = index.line_col(offset, PositionEncoding::Utf16);
    json!({"line": p.line, "character": p.col})
}

// ----- the floor and the page cache -----

/// Reader threads of the second floor: with a cold cache, reads wait on the disk, and more
/// of them in flight finish sooner than one per core.
const FLOOR_READERS: usize = 64;

/// [`floor`] on a pool of [`FLOOR_READERS`] threads.
fn floor_many_readers(vault: &Path) -> Duration {
    rayon::ThreadPoolBuilder::new()
        .num_threads(FLOOR_READERS)
        .build()
        .expect("a thread pool")
        .install(|| floor(vault))
}

/// Walks the vault and reads every note and kb.yaml in parallel, parsing nothing: the least
/// any indexer must do.
fn floor(vault: &Path) -> Duration {
    let started = Instant::now();
    let (files, _) = vfs::walk(&[vault.to_path_buf()], &[]);
    let bytes: usize = files
        .par_iter()
        .map(|(path, _)| std::fs::read(path).map_or(0, |b| b.len()))
        .sum();
    let elapsed = started.elapsed();
    assert!(bytes > 0 || files.is_empty());
    elapsed
}

/// Writes dirty pages out and empties the page cache, dentries and inodes (root only), then
/// reads the server binary back, so what is cold is the vault.
fn drop_page_cache(bin: &Path) -> Result<(), String> {
    let synced = Command::new("sync")
        .status()
        .map_err(|e| format!("sync: {e}"))?;
    if !synced.success() {
        return Err(format!("sync: {synced}"));
    }
    std::fs::write("/proc/sys/vm/drop_caches", "3")
        .map_err(|e| format!("/proc/sys/vm/drop_caches: {e}"))?;
    std::fs::read(bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    Ok(())
}

/// `wikilink-lsp check VAULT --format json > /dev/null`, wall time from spawn to exit.
fn check_wall_time(bin: &Path, vault: &Path) -> Duration {
    let started = Instant::now();
    let status = Command::new(bin)
        .arg("check")
        .arg(vault)
        .args(["--format", "json"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{} check does not start: {e}", bin.display()));
    let elapsed = started.elapsed();
    // Exit 1 means problems were found; only a signal (a crash) is a failure.
    assert!(status.code().is_some(), "check died: {status}");
    elapsed
}

// ----- one run -----

/// Whether an answer given before the index was ready matches the one given after.
#[derive(Clone, Debug, PartialEq)]
enum Verdict {
    Right,
    Wrong,
    /// An error reply (a wait that ended, or a refusal): not wrong, not an answer.
    Error,
}

impl Verdict {
    fn of(early: &Value, late: &Value) -> Verdict {
        if early.get("error").is_some() {
            Verdict::Error
        } else if early["result"] == late["result"] {
            Verdict::Right
        } else {
            Verdict::Wrong
        }
    }
}

/// An early request: spawn → answer, and whether it was right.
#[derive(Clone)]
struct Early {
    after_spawn: Duration,
    verdict: Verdict,
}

#[derive(Default)]
struct Figures {
    floor: Duration,
    floor_many_readers: Duration,
    initialize: Duration,
    index_end: Duration,
    status_ready: Duration,
    /// CPU time (user + system, all threads) the server had used when the index was ready:
    /// steadier than wall time on a busy machine.
    index_cpu: Duration,
    diagnostics_quiet: Duration,
    workspace_diagnostics: usize,
    /// The early note's first publishDiagnostics after spawn: time, right or wrong, and the
    /// number of diagnostics in it and in the note's last publish.
    first_diagnostics: Option<(Early, usize, usize)>,
    early_definition: Option<Early>,
    early_hover: Option<Early>,
    latencies: Vec<(&'static str, Option<Vec<Duration>>)>,
    peak_rss_kb: u64,
    rss_kb: u64,
    /// `check --format json` wall time.
    check: Option<Duration>,
}

fn run_once(options: &Options, vault: &Path, plan: &Plan, floor: Duration) -> Figures {
    let mut figures = Figures {
        floor,
        ..Figures::default()
    };
    let settings = json!({"diagnostics": {"debounceMs": 0}});
    if options.cold {
        drop_page_cache(&options.bin).expect("the page cache drops");
    }
    let started = Instant::now();
    let mut client = Client::start(&options.bin, settings.clone());
    client.dump = options
        .dump
        .as_ref()
        .map(|path| std::io::BufWriter::new(std::fs::File::create(path).expect("the dump file")));
    client.slowest = options.slowest;
    initialize(&mut client, vault, &settings);
    figures.initialize = started.elapsed();

    // One write, as an editor that starts the server for a file sends it: `initialized`, the
    // file's didOpen, and a definition and a hover on a link in it.
    let mut batch = vec![json!({"jsonrpc": "2.0", "method": "initialized", "params": {}})];
    let early = plan.early.as_ref().map(|(path, text, position)| {
        let uri = uri_of(path);
        batch.push(
            json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params":
            {"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}}),
        );
        let params = json!({"textDocument": {"uri": uri}, "position": position});
        let definition = client.next_request_id();
        batch.push(json!({"jsonrpc": "2.0", "id": definition,
                          "method": "textDocument/definition", "params": params}));
        let hover = client.next_request_id();
        batch.push(json!({"jsonrpc": "2.0", "id": hover,
                          "method": "textDocument/hover", "params": params}));
        (uri, params, definition, hover)
    });
    client.send_all(&batch);

    let end = client.wait_notification(|m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    figures.index_end = end.duration_since(started);
    let ready = client
        .wait_notification(|m| m["method"] == "wikilink/status" && m["params"]["state"] == "ready");
    figures.status_ready = ready.duration_since(started);
    figures.index_cpu = client.cpu_time();
    // Workspace diagnostics follow; wait until they stop coming (for 2 s: at 100k notes on a
    // busy machine, chunks of them can be more than half a second apart).
    let quiet = client.wait_quiet(Duration::from_secs(10), Duration::from_secs(2));
    figures.diagnostics_quiet = quiet.map_or(figures.status_ready, |t| t.duration_since(started));

    if let Some((uri, params, definition, hover)) = early {
        let (definition_at, early_definition) = client.wait_response(definition);
        let (hover_at, early_hover) = client.wait_response(hover);
        // The same questions, now that the index is ready.
        let late_definition = client.request("textDocument/definition", params.clone());
        let late_hover = client.request("textDocument/hover", params.clone());
        if late_definition["result"].is_null() || late_definition["result"] == json!([]) {
            eprintln!("note: the early definition finds nothing even when the index is ready");
        }
        let judge = |name: &str, at: Instant, early: &Value, late: &Value| {
            let verdict = Verdict::of(early, late);
            if verdict != Verdict::Right {
                eprintln!(
                    "{}: the {name} sent with didOpen ({params}) answered after {:.0} ms\n  \
                     {}\n  after the index was ready:\n  {}",
                    if verdict == Verdict::Wrong {
                        "WRONG ANSWER"
                    } else {
                        "error"
                    },
                    ms(at.duration_since(started)),
                    shorten(early),
                    shorten(late)
                );
            }
            Early {
                after_spawn: at.duration_since(started),
                verdict,
            }
        };
        figures.early_definition = Some(judge(
            "definition",
            definition_at,
            &early_definition,
            &late_definition,
        ));
        figures.early_hover = Some(judge("hover", hover_at, &early_hover, &late_hover));
        // The note's first diagnostics against its last ones (after the workspace's).
        let is_its_publish = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        };
        let mut publishes: Vec<(Instant, Value)> = client
            .notifications
            .iter()
            .filter(|(_, m)| is_its_publish(m))
            .map(|(at, m)| (*at, m["params"]["diagnostics"].clone()))
            .collect();
        if publishes.is_empty() {
            // Not yet: wait a while longer for the first one.
            let waited = client.take_notification_within(is_its_publish, Duration::from_secs(30));
            if let Some((at, message)) = waited {
                publishes.push((at, message["params"]["diagnostics"].clone()));
            }
        }
        if let (Some((first_at, first)), Some((_, last))) = (publishes.first(), publishes.last()) {
            let sorted = |diagnostics: &Value| {
                let mut all: Vec<String> = diagnostics
                    .as_array()
                    .map(|d| d.iter().map(Value::to_string).collect())
                    .unwrap_or_default();
                all.sort();
                all
            };
            let verdict = if sorted(first) == sorted(last) {
                Verdict::Right
            } else {
                Verdict::Wrong
            };
            let count = |d: &Value| d.as_array().map_or(0, Vec::len);
            if verdict == Verdict::Wrong {
                eprintln!(
                    "WRONG DIAGNOSTICS: the open note's first publish ({:.0} ms after spawn) had \
                     {} diagnostics, its last {}; first: {}",
                    ms(first_at.duration_since(started)),
                    count(first),
                    count(last),
                    shorten(first)
                );
            }
            figures.first_diagnostics = Some((
                Early {
                    after_spawn: first_at.duration_since(started),
                    verdict,
                },
                count(first),
                count(last),
            ));
        } else {
            eprintln!("note: the note opened with `initialized` got no diagnostics");
        }
    }
    figures.workspace_diagnostics = client.count_and_clear("textDocument/publishDiagnostics");

    // Open some notes, as an editor would.
    for (path, text) in &plan.open {
        let uri = uri_of(path);
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "markdown", "version": 1, "text": text}}),
        );
        client.wait_notification(|m| {
            m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri
        });
    }

    let n = options.requests;
    let cycle = |list: &[(String, Value)]| -> Vec<(String, Value)> {
        list.iter().cycle().take(n).cloned().collect()
    };
    let at = |(uri, position): (String, Value)| json!({"textDocument": {"uri": uri}, "position": position});
    let completion = client.latencies(
        "textDocument/completion",
        cycle(&plan.completion_positions).into_iter().map(at),
    );
    figures
        .latencies
        .push(("completion (mixed, 0-4 chars)", completion));

    // Completion by query class, in the scratch note.
    let (scratch_path, scratch_text) = &plan.scratch;
    let scratch = uri_of(scratch_path);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": scratch, "languageId": "markdown", "version": 1,
                                "text": scratch_text}}),
    );
    client.wait_notification(|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == scratch
    });
    for (name, positions) in &plan.completion_classes {
        let latencies =
            client.latencies(
                "textDocument/completion",
                positions.iter().cycle().take(n).map(
                    |position| json!({"textDocument": {"uri": scratch}, "position": position}),
                ),
            );
        figures.latencies.push((name, latencies));
    }
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": scratch}}),
    );

    let definition = client.latencies(
        "textDocument/definition",
        cycle(&plan.link_positions).into_iter().map(at),
    );
    figures.latencies.push(("definition", definition));
    let hover = client.latencies(
        "textDocument/hover",
        cycle(&plan.link_positions).into_iter().map(at),
    );
    figures.latencies.push(("hover", hover));
    let references = client.latencies(
        "textDocument/references",
        cycle(&plan.link_positions)
            .into_iter()
            .map(|(uri, position)| {
                json!({"textDocument": {"uri": uri}, "position": position,
                   "context": {"includeDeclaration": false}})
            }),
    );
    figures.latencies.push(("references", references));
    let symbols = client.latencies(
        "workspace/symbol",
        plan.symbol_queries
            .iter()
            .cycle()
            .take(n)
            .map(|q| json!({"query": q})),
    );
    figures.latencies.push(("workspace/symbol", symbols));

    figures.latencies.push((
        "didChange → diagnostics",
        Some(did_change(&mut client, plan, options.edits)),
    ));
    figures.latencies.push((
        "disk change → diagnostics",
        disk_change(&mut client, plan, options.edits),
    ));

    figures.peak_rss_kb = client.status_kb("VmHWM");
    figures.rss_kb = client.status_kb("VmRSS");
    client.shutdown();
    figures
}

/// Sends `initialize` with the capabilities of an editor (UTF-16 positions, work-done progress,
/// `workspace/configuration`, watched files, versioned diagnostics) and waits for the answer.
fn initialize(client: &mut Client, vault: &Path, settings: &Value) {
    let root = uri_of(vault);
    client.request(
        "initialize",
        json!({
            "processId": std::process::id(),
            "rootUri": root,
            "workspaceFolders": [{"uri": root, "name": "vault"}],
            "initializationOptions": settings,
            "capabilities": {
                "general": {"positionEncodings": ["utf-16"]},
                "window": {"workDoneProgress": true},
                "workspace": {
                    "configuration": true,
                    "didChangeWatchedFiles": {"dynamicRegistration": true},
                    "symbol": {},
                },
                "textDocument": {
                    "definition": {"linkSupport": true},
                    "hover": {"contentFormat": ["markdown", "plaintext"]},
                    "completion": {"completionItem": {"snippetSupport": false}},
                    "publishDiagnostics": {"versionSupport": true},
                },
            },
        }),
    );
}

/// A JSON value cut to a few hundred characters, for a log line.
fn shorten(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(400) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// Types a broken link into an open note and deletes it again, `edits` times in all; each
/// time waits for the diagnostics of exactly that version.
fn did_change(client: &mut Client, plan: &Plan, edits: usize) -> Vec<Duration> {
    let (path, text) = &plan.open[0];
    let uri = uri_of(path);
    let index = LineIndex::new(text);
    let line = index.line_count() - 1;
    let end = index.line_col(index.text_len(), PositionEncoding::Utf16);
    let inserted = "\nSee [[no-such-note-bench]].";
    let inserted_len = inserted.encode_utf16().count() as u32;
    let mut latencies = Vec::new();
    for i in 0..edits {
        let version = 2 + i as i64;
        let change = if i % 2 == 0 {
            json!({"range": {"start": {"line": line, "character": end.col},
                             "end": {"line": line, "character": end.col}},
                   "text": inserted})
        } else {
            json!({"range": {"start": {"line": line, "character": end.col},
                             "end": {"line": line + 1, "character": inserted_len - 1}},
                   "text": ""})
        };
        let sent = Instant::now();
        client.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        );
        let at = client.wait_notification(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == version
        });
        latencies.push(at.duration_since(sent));
    }
    latencies
}

/// Appends a broken link to a note on disk and notifies the server, then restores the file;
/// each write waits for that note's diagnostics to show (or drop) the new problem.
fn disk_change(client: &mut Client, plan: &Plan, edits: usize) -> Option<Vec<Duration>> {
    let path = plan.disk_note.as_ref()?;
    let original = std::fs::read(path).ok()?;
    let mut changed = original.clone();
    changed.extend_from_slice(b"\nSee [[no-such-note-on-disk]].\n");
    if std::fs::write(path, &changed).is_err() {
        eprintln!("note: {} is read-only; disk change skipped", path.display());
        return None;
    }
    let uri = uri_of(path);
    let mut latencies = Vec::new();
    for i in 0..edits.max(2) {
        let broken = i % 2 == 0;
        let bytes = if broken { &changed } else { &original };
        std::fs::write(path, bytes).expect("the note is writable");
        let sent = Instant::now();
        client.notify(
            "workspace/didChangeWatchedFiles",
            json!({"changes": [{"uri": uri, "type": 2}]}),
        );
        let at = client.wait_notification(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["diagnostics"].as_array().is_some_and(|d| {
                    d.iter().any(|d| {
                        d["message"]
                            .as_str()
                            .is_some_and(|m| m.contains("no-such-note-on-disk"))
                    }) == broken
                })
        });
        latencies.push(at.duration_since(sent));
    }
    std::fs::write(path, &original).expect("the note is restored");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri, "type": 2}]}),
    );
    Some(latencies)
}

// ----- the heavy note (issue #12) -----

/// The heavy note: opened in the editor next to the first open note, never written to disk.
const HEAVY_NOTE: &str = "bench-heavy-note.md";
/// Ends the name of every link of the heavy line, so that a link takes 59 bytes with its space,
/// as in issue #12's note (85,000 links on a 5 MB line): `[[missing-note-N-pasted-…]]`.
const HEAVY_LINK_SUFFIX: &str = "-pasted-from-an-export-of-the-old-kb";
/// Hovers on a link in the middle of the heavy line.
const HEAVY_HOVERS: usize = 50;
/// Hovers in another open note sent right after the heavy note's didOpen, one at a time,
/// while its diagnostics are computed; as many again before it, with nothing else going on.
const OTHER_NOTE_HOVERS: usize = 20;
/// How often the server's VmRSS is sampled during the scenario.
const RSS_SAMPLE_INTERVAL: Duration = Duration::from_millis(20);
/// How long after the heavy note's didClose its RSS is read.
const AFTER_CLOSE: Duration = Duration::from_secs(2);

/// One run of the heavy-note scenario.
struct HeavyFigures {
    /// Spawn → `wikilink/status` ready.
    index_ready: Duration,
    /// VmRSS just before the heavy note's didOpen.
    rss_before_kb: u64,
    /// The heavy note's didOpen → its first publishDiagnostics.
    first_diagnostics: Duration,
    /// How many diagnostics that first publish carried.
    diagnostics_count: usize,
    /// Hovers in the other note before the heavy note is opened.
    other_hovers_idle: Vec<Duration>,
    /// Hovers in the other note sent right after the heavy note's didOpen, in order.
    other_hovers_during: Vec<Duration>,
    /// How many of those were answered before the heavy note's first diagnostics arrived.
    other_hovers_before_diagnostics: usize,
    /// Hovers on a link in the middle of the heavy line.
    heavy_hovers: Vec<Duration>,
    /// The highest VmRSS sampled from just before didOpen until [`AFTER_CLOSE`] after didClose.
    peak_rss_kb: u64,
    /// VmHWM at the end: the peak of the server's whole life, indexing included.
    peak_rss_lifetime_kb: u64,
    /// VmRSS [`AFTER_CLOSE`] after the heavy note's didClose.
    rss_after_close_kb: u64,
}

/// Runs the heavy-note scenario `--runs` times and prints its table.
fn run_heavy(options: &Options, vault: &Path, plan: &Plan, links: usize) {
    let heavy = heavy_note(plan, links);
    println!(
        "heavy note {}: {} links to missing notes on one line of {:.1} MB (never on disk)",
        heavy.path.display(),
        links,
        heavy.line_bytes as f64 / 1e6
    );
    let mut runs = Vec::new();
    for run in 0..options.runs {
        let figures = heavy_once(options, vault, plan, &heavy);
        let during: Vec<String> = figures
            .other_hovers_during
            .iter()
            .map(|&d| format!("{:.1}", ms(d)))
            .collect();
        eprintln!(
            "run {}/{}: diagnostics {:.0} ms ({} of them), peak {:.1} MB, {:.1} MB after close; \
             hovers in another note meanwhile (ms, in order): {}",
            run + 1,
            options.runs,
            ms(figures.first_diagnostics),
            figures.diagnostics_count,
            figures.peak_rss_kb as f64 / 1e3,
            figures.rss_after_close_kb as f64 / 1e3,
            during.join(" ")
        );
        runs.push(figures);
    }
    print_heavy_table(&runs);
}

/// The heavy note: where it is opened, its text, and a position inside the link in the middle
/// of its long line.
struct HeavyNote {
    path: PathBuf,
    text: String,
    line_bytes: usize,
    middle_link: Value,
}

/// Frontmatter and ONE line of `links` links `[[missing-note-N-pasted-…]]` (see
/// [`HEAVY_LINK_SUFFIX`]) separated by spaces, as a pasted dump would be; no note of the vault
/// has such a name.
fn heavy_note(plan: &Plan, links: usize) -> HeavyNote {
    let (other_note, _) = plan
        .open
        .first()
        .expect("the vault has a note with links to open");
    let folder = other_note.parent().unwrap_or(Path::new("/"));
    let path = folder.join(HEAVY_NOTE);
    assert!(
        !path.exists(),
        "{} exists; the heavy note must not be on disk",
        path.display()
    );
    let frontmatter = "---\ntitle: A pasted dump of links\n---\n";
    let line_number = frontmatter.lines().count();
    let mut line = String::new();
    let mut middle_column = 0;
    for n in 0..links {
        if n > 0 {
            line.push(' ');
        }
        if n == links / 2 {
            // Inside the target, after `[[m`. The line is ASCII: bytes are UTF-16 units.
            middle_column = line.len() + 3;
        }
        line.push_str(&format!("[[missing-note-{n}{HEAVY_LINK_SUFFIX}]]"));
    }
    let line_bytes = line.len();
    let text = format!("{frontmatter}{line}\n");
    HeavyNote {
        path,
        text,
        line_bytes,
        middle_link: json!({"line": line_number, "character": middle_column}),
    }
}

/// One run: index the vault, open a normal note, then open the heavy note (didOpen only) and
/// measure its first diagnostics, hovers in the normal note meanwhile, hovers on the heavy
/// line, and the server's RSS until [`AFTER_CLOSE`] after the heavy note's didClose.
fn heavy_once(options: &Options, vault: &Path, plan: &Plan, heavy: &HeavyNote) -> HeavyFigures {
    let settings = json!({"diagnostics": {"debounceMs": 0}});
    let started = Instant::now();
    let mut client = Client::start(&options.bin, settings.clone());
    initialize(&mut client, vault, &settings);
    client.notify("initialized", json!({}));
    let ready = client
        .wait_notification(|m| m["method"] == "wikilink/status" && m["params"]["state"] == "ready");
    let index_ready = ready.duration_since(started);
    // The workspace diagnostics come after ready; let them pass.
    client.wait_quiet(Duration::from_secs(10), Duration::from_secs(2));
    client.count_and_clear("textDocument/publishDiagnostics");

    // The normal note, open in the editor beside the heavy one, and a link in it to hover.
    let (other_path, other_text) = &plan.open[0];
    let other_uri = uri_of(other_path);
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": other_uri, "languageId": "markdown", "version": 1,
                                "text": other_text}}),
    );
    client.wait_notification(|m| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == other_uri
    });
    let (_, other_link) = plan
        .link_positions
        .iter()
        .find(|(uri, _)| *uri == other_uri)
        .expect("an open note has a link");
    let other_hover = json!({"textDocument": {"uri": other_uri}, "position": other_link});
    let other_hovers_idle = client
        .latencies(
            "textDocument/hover",
            std::iter::repeat_n(other_hover.clone(), OTHER_NOTE_HOVERS),
        )
        .expect("the server answers hover");

    // The heavy note, and hovers in the other note one at a time while its diagnostics are
    // computed.
    let rss_before_kb = client.status_kb("VmRSS");
    let sampler = RssSampler::start(client.child.id());
    let heavy_uri = uri_of(&heavy.path);
    let opened = Instant::now();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": heavy_uri, "languageId": "markdown", "version": 1,
                                "text": heavy.text}}),
    );
    let mut other_hovers_during = Vec::new();
    let mut other_hovers_answered_at = Vec::new();
    for _ in 0..OTHER_NOTE_HOVERS {
        let sent = Instant::now();
        let id = client.next_request_id();
        client.send(
            &json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
                            "params": other_hover}),
        );
        let (answered_at, answer) = client.wait_response(id);
        if let Some(error) = answer.get("error") {
            panic!("hover in {other_uri} failed: {error}");
        }
        other_hovers_during.push(answered_at.duration_since(sent));
        other_hovers_answered_at.push(answered_at);
    }
    let is_heavy_publish = |m: &Value| {
        m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == heavy_uri
    };
    let (diagnostics_at, publish) = client
        .take_notification_within(is_heavy_publish, TIMEOUT)
        .unwrap_or_else(|| panic!("no diagnostics for the heavy note within {TIMEOUT:?}"));
    let diagnostics_count = publish["params"]["diagnostics"]
        .as_array()
        .map_or(0, Vec::len);
    let other_hovers_before_diagnostics = other_hovers_answered_at
        .iter()
        .filter(|&&at| at < diagnostics_at)
        .count();

    // Hovers on the link in the middle of the heavy line.
    let heavy_hover = json!({"textDocument": {"uri": heavy_uri}, "position": heavy.middle_link});
    let first_answer = client.request("textDocument/hover", heavy_hover.clone());
    if first_answer["result"].is_null() {
        eprintln!(
            "note: the hover on the heavy line answers nothing: {}",
            shorten(&first_answer)
        );
    }
    let heavy_hovers = client
        .latencies(
            "textDocument/hover",
            std::iter::repeat_n(heavy_hover, HEAVY_HOVERS),
        )
        .expect("the server answers hover");

    // Close it, and read the RSS a while later.
    let closed = Instant::now();
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": heavy_uri}}),
    );
    let is_heavy_cleared = |m: &Value| {
        is_heavy_publish(m)
            && m["params"]["diagnostics"]
                .as_array()
                .is_some_and(Vec::is_empty)
    };
    if client
        .take_notification_within(is_heavy_cleared, AFTER_CLOSE)
        .is_none()
    {
        eprintln!("note: the heavy note's diagnostics were not cleared after didClose");
    }
    std::thread::sleep(AFTER_CLOSE.saturating_sub(closed.elapsed()));
    let rss_after_close_kb = client.status_kb("VmRSS");
    let peak_rss_kb = sampler.stop().max(rss_after_close_kb);
    let peak_rss_lifetime_kb = client.status_kb("VmHWM");
    client.shutdown();
    HeavyFigures {
        index_ready,
        rss_before_kb,
        first_diagnostics: diagnostics_at.duration_since(opened),
        diagnostics_count,
        other_hovers_idle,
        other_hovers_during,
        other_hovers_before_diagnostics,
        heavy_hovers,
        peak_rss_kb,
        peak_rss_lifetime_kb,
        rss_after_close_kb,
    }
}

/// Samples a process's VmRSS every [`RSS_SAMPLE_INTERVAL`] on a thread of its own and keeps
/// the highest.
struct RssSampler {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<u64>,
}

impl RssSampler {
    fn start(pid: u32) -> RssSampler {
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop_seen = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut peak_kb = 0;
            while !stop_seen.load(std::sync::atomic::Ordering::Relaxed) {
                peak_kb = peak_kb.max(process_status_kb(pid, "VmRSS"));
                std::thread::sleep(RSS_SAMPLE_INTERVAL);
            }
            peak_kb
        });
        RssSampler { stop, thread }
    }

    /// Stops sampling; the highest VmRSS seen, in kB.
    fn stop(self) -> u64 {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        self.thread.join().expect("the RSS sampler does not panic")
    }
}

/// Picks one run's latencies of one kind of heavy-scenario request.
type PickLatencies = dyn Fn(&HeavyFigures) -> &[Duration];

/// The heavy scenario's figures, medians over the runs.
fn print_heavy_table(runs: &[HeavyFigures]) {
    let med = |f: &dyn Fn(&HeavyFigures) -> f64| median(runs.iter().map(f).collect());
    let mb = |kb: u64| kb as f64 / 1e3;
    println!();
    println!(
        "{:<40} {:>10} {:>10} {:>10}   medians of {} run(s)",
        "figure",
        "p50/value",
        "p95",
        "max",
        runs.len()
    );
    println!("{}", "-".repeat(76));
    println!(
        "{:<40} {:>10.1} ms",
        "index ready (wikilink/status)",
        med(&|r| ms(r.index_ready))
    );
    let mut counts: Vec<usize> = runs.iter().map(|r| r.diagnostics_count).collect();
    counts.sort_unstable();
    counts.dedup();
    let counts: Vec<String> = counts.iter().map(usize::to_string).collect();
    println!(
        "{:<40} {:>10.1} ms  ({} diagnostics)",
        "didOpen → first diagnostics",
        med(&|r| ms(r.first_diagnostics)),
        counts.join(", ")
    );
    let latency_rows: [(&str, &PickLatencies); 3] = [
        ("hover, other note, before didOpen", &|r| {
            &r.other_hovers_idle
        }),
        ("hover, other note, right after didOpen", &|r| {
            &r.other_hovers_during
        }),
        ("hover on the heavy line", &|r| &r.heavy_hovers),
    ];
    for (name, pick) in latency_rows {
        let per_run: Vec<(f64, f64, f64)> = runs.iter().map(|r| percentiles(pick(r))).collect();
        println!(
            "{name:<40} {:>10.2} {:>10.2} {:>10.2} ms  (n={})",
            median(per_run.iter().map(|p| p.0).collect()),
            median(per_run.iter().map(|p| p.1).collect()),
            median(per_run.iter().map(|p| p.2).collect()),
            pick(&runs[0]).len()
        );
    }
    println!(
        "{:<40} {:>10.1} ms  (median of each run's first; answered before the diagnostics: {})",
        "  its first one",
        med(&|r| r.other_hovers_during.first().map_or(f64::NAN, |&d| ms(d))),
        runs.iter()
            .map(|r| format!(
                "{}/{}",
                r.other_hovers_before_diagnostics,
                r.other_hovers_during.len()
            ))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "{:<40} {:>10.1} MB",
        "RSS before didOpen (VmRSS)",
        med(&|r| mb(r.rss_before_kb))
    );
    println!(
        "{:<40} {:>10.1} MB  (sampled every {} ms)",
        "peak RSS from didOpen (VmRSS)",
        med(&|r| mb(r.peak_rss_kb)),
        RSS_SAMPLE_INTERVAL.as_millis()
    );
    println!(
        "{:<40} {:>10.1} MB",
        "peak RSS of the whole life (VmHWM)",
        med(&|r| mb(r.peak_rss_lifetime_kb))
    );
    println!(
        "{:<40} {:>10.1} MB",
        format!("RSS {} s after didClose (VmRSS)", AFTER_CLOSE.as_secs()),
        med(&|r| mb(r.rss_after_close_kb))
    );
}

// ----- the client -----

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<(Instant, Value)>,
    next_id: i64,
    /// Notifications received and not yet consumed, with their arrival times.
    notifications: Vec<(Instant, Value)>,
    /// Answers received and not yet consumed, with their arrival times.
    responses: Vec<(Instant, Value)>,
    settings: Value,
    dump: Option<std::io::BufWriter<std::fs::File>>,
    slowest: usize,
}

impl Client {
    fn start(bin: &Path, settings: Value) -> Client {
        let mut child = Command::new(bin)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{} does not start: {e}", bin.display()));
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, incoming) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::with_capacity(1 << 16, stdout);
            while let Some(message) = read_message(&mut reader) {
                if sender.send((Instant::now(), message)).is_err() {
                    break;
                }
            }
        });
        Client {
            child,
            stdin,
            incoming,
            next_id: 1,
            notifications: Vec::new(),
            responses: Vec::new(),
            settings,
            dump: None,
            slowest: 0,
        }
    }

    fn send(&mut self, message: &Value) {
        self.send_all(std::slice::from_ref(message));
    }

    /// Sends messages in one write, as a client does when it has several to send at once.
    fn send_all(&mut self, messages: &[Value]) {
        let mut bytes = Vec::new();
        for message in messages {
            let body = serde_json::to_string(message).unwrap();
            write!(bytes, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        }
        self.stdin.write_all(&bytes).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn next_request_id(&mut self) -> i64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_request_id();
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.wait_response(id).1
    }

    /// Waits for the answer to request `id`; returns when it arrived, and the answer.
    fn wait_response(&mut self, id: i64) -> (Instant, Value) {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(i) = self
                .responses
                .iter()
                .position(|(_, r)| r["id"] == json!(id))
            {
                return self.responses.remove(i);
            }
            if self.receive(deadline).is_none() {
                panic!("no answer to request {id} within {TIMEOUT:?}");
            }
        }
    }

    /// Sends each request in turn, waiting for its answer; `None` when the server does not
    /// know the method.
    fn latencies(
        &mut self,
        method: &str,
        params: impl Iterator<Item = Value>,
    ) -> Option<Vec<Duration>> {
        let mut latencies = Vec::new();
        let mut slowest: Vec<(Duration, Value)> = Vec::new();
        for params in params {
            let started = Instant::now();
            let response = self.request(method, params.clone());
            let elapsed = started.elapsed();
            if self.slowest > 0 {
                slowest.push((elapsed, params.clone()));
            }
            if let Some(dump) = &mut self.dump {
                let _ = writeln!(dump, "{method} {params}\n  {}", response["result"]);
            }
            if let Some(error) = response.get("error") {
                if error["code"] == json!(-32601) {
                    return None;
                }
                panic!("{method} failed: {error}");
            }
            latencies.push(elapsed);
        }
        slowest.sort_by_key(|(elapsed, _)| std::cmp::Reverse(*elapsed));
        for (elapsed, params) in slowest.iter().take(self.slowest) {
            eprintln!(
                "slow {method} {:.2} ms {params}",
                elapsed.as_secs_f64() * 1000.0
            );
        }
        Some(latencies)
    }

    /// Waits for a notification that satisfies `matches`; returns when it arrived.
    fn wait_notification(&mut self, matches: impl Fn(&Value) -> bool) -> Instant {
        self.take_notification_within(matches, TIMEOUT)
            .unwrap_or_else(|| panic!("no matching notification within {TIMEOUT:?}"))
            .0
    }

    /// Waits up to `timeout` for a notification that satisfies `matches` and takes it out of
    /// the kept ones, with when it arrived. Each message is tested once (tens of thousands of
    /// diagnostics may be kept).
    fn take_notification_within(
        &mut self,
        matches: impl Fn(&Value) -> bool,
        timeout: Duration,
    ) -> Option<(Instant, Value)> {
        if let Some(i) = self.notifications.iter().position(|(_, n)| matches(n)) {
            return Some(self.notifications.remove(i));
        }
        let deadline = Instant::now() + timeout;
        loop {
            let kept = self.notifications.len();
            self.receive(deadline)?;
            if self.notifications.len() > kept && matches(&self.notifications[kept].1) {
                return Some(self.notifications.remove(kept));
            }
        }
    }

    /// Waits up to `first` for a message, then until nothing arrives for `gap`; returns when
    /// the last message arrived.
    fn wait_quiet(&mut self, first: Duration, gap: Duration) -> Option<Instant> {
        let (mut last, _) = self.receive(Instant::now() + first)?;
        while let Some((at, _)) = self.receive(Instant::now() + gap) {
            last = at;
        }
        Some(last)
    }

    fn count_and_clear(&mut self, method: &str) -> usize {
        let before = self.notifications.len();
        self.notifications.retain(|(_, n)| n["method"] != method);
        before - self.notifications.len()
    }

    /// Receives one message, answering server requests and keeping notifications and answers.
    fn receive(&mut self, deadline: Instant) -> Option<(Instant, Value)> {
        let timeout = deadline.saturating_duration_since(Instant::now());
        let (at, message) = match self.incoming.recv_timeout(timeout) {
            Ok(received) => received,
            Err(RecvTimeoutError::Timeout) => return None,
            Err(RecvTimeoutError::Disconnected) => panic!("the server closed its output"),
        };
        match (message.get("method"), message.get("id")) {
            (Some(method), Some(id)) => {
                let result = match method.as_str() {
                    Some("workspace/configuration") => json!([self.settings.clone()]),
                    _ => Value::Null,
                };
                let id = id.clone();
                self.send(&json!({"jsonrpc": "2.0", "id": id, "result": result}));
            }
            (Some(_), None) => self.notifications.push((at, message.clone())),
            (None, _) => self.responses.push((at, message.clone())),
        }
        Some((at, message))
    }

    /// The server's CPU time so far, from `/proc/<pid>/stat` (Linux only; 0 elsewhere),
    /// assuming the usual 100 clock ticks a second.
    fn cpu_time(&self) -> Duration {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap_or_default();
        // Fields after the command name (which is in parentheses): utime is the 12th, stime
        // the 13th.
        let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
        let ticks: u64 = after
            .split_whitespace()
            .skip(11)
            .take(2)
            .filter_map(|t| t.parse::<u64>().ok())
            .sum();
        Duration::from_millis(ticks * 10)
    }

    /// A `/proc/<pid>/status` figure of the server in kB (Linux only; 0 elsewhere).
    fn status_kb(&self, field: &str) -> u64 {
        process_status_kb(self.child.id(), field)
    }

    fn shutdown(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/<pid>/status` figure in kB, such as `VmRSS` or `VmHWM` (Linux only; 0 elsewhere).
fn process_status_kb(pid: u32, field: &str) -> u64 {
    let mut status = String::new();
    let path = format!("/proc/{pid}/status");
    if std::fs::File::open(path)
        .and_then(|mut f| f.read_to_string(&mut status))
        .is_err()
    {
        return 0;
    }
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn read_message(reader: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some(value) = line.strip_prefix("Content-Length: ") {
            length = value.parse::<usize>().ok();
        }
    }
    let mut body = vec![0; length?];
    reader.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

/// `file://` URI of an absolute path, percent-encoding what needs it.
fn uri_of(path: &Path) -> String {
    let mut uri = String::from("file://");
    for byte in path.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

// ----- the report -----

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// p50, p95, max of one run's latencies, in ms.
fn percentiles(latencies: &[Duration]) -> (f64, f64, f64) {
    let mut sorted: Vec<f64> = latencies.iter().map(|&d| ms(d)).collect();
    sorted.sort_by(f64::total_cmp);
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.95), at(1.0))
}

/// Picks one early figure of a run.
type PickEarly = dyn Fn(&Figures) -> Option<&Early>;

fn print_table(options: &Options, plan: &Plan, runs: &[Figures]) {
    let med = |f: &dyn Fn(&Figures) -> f64| median(runs.iter().map(f).collect());
    let floor = med(&|r| ms(r.floor));
    let index = med(&|r| ms(r.index_end));
    let vault_mb = plan.markdown_bytes as f64 / 1e6;
    println!();
    println!(
        "{:<32} {:>10} {:>10} {:>10}   medians of {} run(s), page cache {}",
        "figure",
        "p50/value",
        "p95",
        "max",
        runs.len(),
        if options.cold { "COLD" } else { "warm" }
    );
    println!("{}", "-".repeat(68));
    let floor_many = med(&|r| ms(r.floor_many_readers));
    println!("{:<32} {:>10.1} ms", "floor: walk + read all", floor);
    println!(
        "{:<32} {:>10.1} ms",
        format!("floor, {FLOOR_READERS} reader threads"),
        floor_many
    );
    println!(
        "{:<32} {:>10.1} ms",
        "initialize reply",
        med(&|r| ms(r.initialize))
    );
    println!(
        "{:<32} {:>10.1} ms  {:.1}x floor, {:.1}x the {FLOOR_READERS}-thread floor",
        "index ready ($/progress end)",
        index,
        index / floor,
        index / floor_many
    );
    println!(
        "{:<32} {:>10.1} ms",
        "wikilink/status ready",
        med(&|r| ms(r.status_ready))
    );
    println!(
        "{:<32} {:>10.1} ms  (user + system, all threads)",
        "server CPU until ready",
        med(&|r| ms(r.index_cpu))
    );
    println!(
        "{:<32} {:>10.1} ms  ({} notes published)",
        "workspace diagnostics done",
        med(&|r| ms(r.diagnostics_quiet)),
        runs[0].workspace_diagnostics
    );
    if runs.iter().all(|r| r.check.is_some()) {
        let check = med(&|r| r.check.map_or(f64::NAN, ms));
        println!(
            "{:<32} {:>10.1} ms  {:.2}x index ready",
            "check --format json (wall)",
            check,
            check / index
        );
    }
    // The early note and requests: time after spawn, and how many runs answered right.
    let verdicts = |pick: &PickEarly| -> Option<(f64, String)> {
        let all: Vec<&Early> = runs.iter().filter_map(pick).collect();
        if all.is_empty() {
            return None;
        }
        let time = median(all.iter().map(|e| ms(e.after_spawn)).collect());
        let wrong = all.iter().filter(|e| e.verdict == Verdict::Wrong).count();
        let errors = all.iter().filter(|e| e.verdict == Verdict::Error).count();
        let mut summary = format!("right in {}/{} runs", all.len() - wrong - errors, all.len());
        if wrong > 0 {
            summary.push_str(&format!(", WRONG in {wrong}"));
        }
        if errors > 0 {
            summary.push_str(&format!(", error reply in {errors}"));
        }
        Some((time, summary))
    };
    let early_rows: [(&str, &PickEarly); 3] = [
        ("open note: first diagnostics", &|r| {
            r.first_diagnostics.as_ref().map(|(e, _, _)| e)
        }),
        ("definition sent with didOpen", &|r| {
            r.early_definition.as_ref()
        }),
        ("hover sent with didOpen", &|r| r.early_hover.as_ref()),
    ];
    for (name, pick) in early_rows {
        if let Some((time, summary)) = verdicts(pick) {
            println!("{name:<32} {time:>10.1} ms  after spawn; {summary}");
        }
    }
    if let Some((_, first, last)) = runs.iter().find_map(|r| r.first_diagnostics.as_ref()) {
        println!(
            "{:<32} {:>10} first publish, {} last (run 1)",
            "  its diagnostics", first, last
        );
    }
    let names: Vec<&str> = runs[0].latencies.iter().map(|(name, _)| *name).collect();
    for (i, name) in names.iter().enumerate() {
        let per_run: Vec<(f64, f64, f64, usize)> = runs
            .iter()
            .filter_map(|r| r.latencies[i].1.as_ref())
            .map(|l| {
                let (p50, p95, max) = percentiles(l);
                (p50, p95, max, l.len())
            })
            .collect();
        if per_run.is_empty() {
            println!("{name:<32} {:>10}   (method not found: skipped)", "-");
            continue;
        }
        println!(
            "{name:<32} {:>10.2} {:>10.2} {:>10.2} ms  (n={})",
            median(per_run.iter().map(|p| p.0).collect()),
            median(per_run.iter().map(|p| p.1).collect()),
            median(per_run.iter().map(|p| p.2).collect()),
            per_run[0].3
        );
    }
    let peak = med(&|r| r.peak_rss_kb as f64) / 1e3;
    println!(
        "{:<32} {:>10.1} MB  vault {:.1} MB + {:.1} MB",
        "peak RSS (VmHWM)",
        peak,
        vault_mb,
        peak - vault_mb
    );
    println!(
        "{:<32} {:>10.1} MB",
        "RSS at the end (VmRSS)",
        med(&|r| r.rss_kb as f64) / 1e3
    );
}
