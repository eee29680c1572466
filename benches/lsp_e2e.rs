//! End-to-end benchmark: the real `wikilink-lsp` binary over stdio, as an editor drives it.
//!
//! ```text
//! cargo bench --bench lsp_e2e -- --vault /tmp/vault-10k --runs 3
//! cargo bench --bench lsp_e2e                # a generated 300-note vault in a temporary folder
//! ```
//!
//! Per run it measures, with real `Content-Length` framing: the floor (walk the vault and read
//! every file, in parallel, with no parsing); spawn → index complete (`$/progress` end, and the
//! `wikilink/status` ready notification); the time until the workspace diagnostics stop coming;
//! latency p50/p95/max of completion, definition, hover, references and workspace symbols over
//! `--requests` requests each, at real link positions of notes spread over the vault; didChange
//! → publishDiagnostics of that version; a note rewritten on disk + didChangeWatchedFiles →
//! its refreshed diagnostics; and the server's peak RSS (`VmHWM` just before shutdown).
//!
//! Settings: `initializationOptions` (and `workspace/configuration`) set
//! `{"diagnostics":{"debounceMs":0}}`, so didChange latency is the work, not the debounce.
//! The on-disk change appends a line to one note and restores the original bytes afterwards;
//! it is skipped (with a note) when the vault is read-only. A method the server does not know
//! (MethodNotFound) is reported as skipped. Figures are medians over `--runs` runs.
//! `--dump FILE` writes every request with its answer, to compare two builds (`--bin`).
//! `--slowest N` prints each method's N slowest requests of every run, to see what a p95 is.
//!
//! This is a benchmark, not a test: it never fails on time, only when the server misbehaves.

#![allow(clippy::print_stdout, clippy::print_stderr)]

#[allow(dead_code, clippy::all)]
#[path = "../examples/gen_vault.rs"]
mod gen_vault;

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
    let plan = Plan::new(&vault);
    println!(
        "vault {}: {} notes, {:.1} MiB of markdown; binary {}",
        vault.display(),
        plan.note_count,
        plan.markdown_bytes as f64 / (1024.0 * 1024.0),
        options.bin.display()
    );
    let mut runs = Vec::new();
    for run in 0..options.runs {
        let floor = floor(&vault);
        let figures = run_once(&options, &vault, &plan, floor);
        eprintln!(
            "run {}/{}: floor {:.0} ms, index {:.0} ms",
            run + 1,
            options.runs,
            figures.floor.as_secs_f64() * 1e3,
            figures.index_end.as_secs_f64() * 1e3
        );
        runs.push(figures);
    }
    print_table(&plan, &runs);
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
}

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
        let step = (notes.len() / SAMPLED_NOTES).max(1);
        let mut link_positions = Vec::new();
        let mut completion_positions = Vec::new();
        let mut symbol_queries = Vec::new();
        let mut open = Vec::new();
        let mut disk_note = None;
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
            }
            if let Some(title) = parsed.frontmatter().and_then(|f| f.title()) {
                let query: String = title.text.chars().take(2 + i % 4).collect();
                if !query.trim().is_empty() {
                    symbol_queries.push(query);
                }
            }
            if disk_note.is_none() && open.len() >= OPEN_NOTES && !body_links.is_empty() {
                disk_note = Some((*path).clone());
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
            }
        }
        assert!(
            !link_positions.is_empty(),
            "the vault has no links to ask about"
        );
        Plan {
            note_count: notes.len(),
            markdown_bytes,
            link_positions,
            open,
            completion_positions,
            symbol_queries,
            disk_note,
        }
    }
}

fn position(index: &LineIndex, offset: u32) -> Value {
    let p = index.line_col(offset, PositionEncoding::Utf16);
    json!({"line": p.line, "character": p.col})
}

// ----- the floor -----

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

// ----- one run -----

#[derive(Default)]
struct Figures {
    floor: Duration,
    initialize: Duration,
    index_end: Duration,
    status_ready: Duration,
    /// CPU time (user + system, all threads) the server had used when the index was ready:
    /// steadier than wall time on a busy machine.
    index_cpu: Duration,
    diagnostics_quiet: Duration,
    workspace_diagnostics: usize,
    latencies: Vec<(&'static str, Option<Vec<Duration>>)>,
    peak_rss_kb: u64,
    rss_kb: u64,
}

fn run_once(options: &Options, vault: &Path, plan: &Plan, floor: Duration) -> Figures {
    let mut figures = Figures {
        floor,
        ..Figures::default()
    };
    let settings = json!({"diagnostics": {"debounceMs": 0}});
    let started = Instant::now();
    let mut client = Client::start(&options.bin, settings.clone());
    client.dump = options
        .dump
        .as_ref()
        .map(|path| std::io::BufWriter::new(std::fs::File::create(path).expect("the dump file")));
    client.slowest = options.slowest;
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
    figures.initialize = started.elapsed();
    client.notify("initialized", json!({}));
    let end = client.wait_notification(|m| {
        m["method"] == "$/progress" && m["params"]["value"]["kind"] == "end"
    });
    figures.index_end = end.duration_since(started);
    let ready = client
        .wait_notification(|m| m["method"] == "wikilink/status" && m["params"]["state"] == "ready");
    figures.status_ready = ready.duration_since(started);
    figures.index_cpu = client.cpu_time();
    // Workspace diagnostics follow; wait until they stop coming.
    let quiet = client.wait_quiet(Duration::from_secs(10), Duration::from_millis(500));
    figures.diagnostics_quiet = quiet.map_or(figures.status_ready, |t| t.duration_since(started));
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
    figures.latencies.push(("completion", completion));
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

// ----- the client -----

struct Client {
    child: Child,
    stdin: ChildStdin,
    incoming: Receiver<(Instant, Value)>,
    next_id: i64,
    /// Notifications received and not yet consumed, with their arrival times.
    notifications: Vec<(Instant, Value)>,
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
            settings,
            dump: None,
            slowest: 0,
        }
    }

    fn send(&mut self, message: &Value) {
        let body = serde_json::to_string(message).unwrap();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let (_, message) = self.receive(Instant::now() + TIMEOUT).unwrap_or_else(|| {
                panic!("no answer to {method} within {TIMEOUT:?}");
            });
            if message.get("method").is_none() && message["id"] == json!(id) {
                return message;
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
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Some(i) = self.notifications.iter().position(|(_, n)| matches(n)) {
                return self.notifications.remove(i).0;
            }
            if self.receive(deadline).is_none() {
                panic!("no matching notification within {TIMEOUT:?}");
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

    /// Receives one message, answering server requests and keeping notifications.
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
            _ => {}
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

    /// A `/proc/<pid>/status` figure in kB (Linux only; 0 elsewhere).
    fn status_kb(&self, field: &str) -> u64 {
        let mut status = String::new();
        let path = format!("/proc/{}/status", self.child.id());
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

fn print_table(plan: &Plan, runs: &[Figures]) {
    let med = |f: &dyn Fn(&Figures) -> f64| median(runs.iter().map(f).collect());
    let floor = med(&|r| ms(r.floor));
    let index = med(&|r| ms(r.index_end));
    let vault_mb = plan.markdown_bytes as f64 / 1e6;
    println!();
    println!(
        "{:<28} {:>10} {:>10} {:>10}   medians of {} run(s)",
        "figure",
        "p50/value",
        "p95",
        "max",
        runs.len()
    );
    println!("{}", "-".repeat(64));
    println!("{:<28} {:>10.1} ms", "floor: walk + read all", floor);
    println!(
        "{:<28} {:>10.1} ms",
        "initialize reply",
        med(&|r| ms(r.initialize))
    );
    println!(
        "{:<28} {:>10.1} ms  {:.1}x floor",
        "index ready ($/progress end)",
        index,
        index / floor
    );
    println!(
        "{:<28} {:>10.1} ms",
        "wikilink/status ready",
        med(&|r| ms(r.status_ready))
    );
    println!(
        "{:<28} {:>10.1} ms  (user + system, all threads)",
        "server CPU until ready",
        med(&|r| ms(r.index_cpu))
    );
    println!(
        "{:<28} {:>10.1} ms  ({} notes published)",
        "workspace diagnostics done",
        med(&|r| ms(r.diagnostics_quiet)),
        runs[0].workspace_diagnostics
    );
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
            println!("{name:<28} {:>10}   (method not found: skipped)", "-");
            continue;
        }
        println!(
            "{name:<28} {:>10.2} {:>10.2} {:>10.2} ms  (n={})",
            median(per_run.iter().map(|p| p.0).collect()),
            median(per_run.iter().map(|p| p.1).collect()),
            median(per_run.iter().map(|p| p.2).collect()),
            per_run[0].3
        );
    }
    let peak = med(&|r| r.peak_rss_kb as f64) / 1e3;
    println!(
        "{:<28} {:>10.1} MB  vault {:.1} MB + {:.1} MB",
        "peak RSS (VmHWM)",
        peak,
        vault_mb,
        peak - vault_mb
    );
    println!(
        "{:<28} {:>10.1} MB",
        "RSS at the end (VmRSS)",
        med(&|r| r.rss_kb as f64) / 1e3
    );
}
