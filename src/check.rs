//! `wikilink-lsp check`: index the roots, print every diagnostic like a compiler, as one JSON
//! object, as a SARIF 2.1.0 log (GitHub code scanning) or as GitHub workflow annotations, and
//! exit with a status CI can use. Read-only: it never writes a file.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ide::{Diagnostic, DiagnosticCode, DiagnosticsConfig, Severity, diagnostics_with_cache};
use crate::line_index::{LineCol, LineIndex, PositionEncoding};
use crate::load::{self, LoadOptions, Progress};
use crate::lsp::config::{Settings, merge_settings};
use crate::lsp::config_file;
use crate::slug::ResolveCache;
use crate::syntax::Retention;
use crate::text::FileId;
use crate::vfs;
use crate::workspace::{IndexConfig, Note, Workspace};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
    /// A SARIF 2.1.0 log, for `github/codeql-action/upload-sarif` and other code scanners.
    Sarif,
    /// GitHub Actions workflow commands (`::warning file=…::message`): annotations on the diff.
    Github,
}

#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub roots: Vec<PathBuf>,
    pub format: OutputFormat,
    /// The lowest severity that makes the check fail.
    pub deny: Severity,
    /// Settings given on the command line, as the editor's `wikilink` section would hold them
    /// (`exclude`, `referenceFields`, `diagnostics.severity`): laid over the roots'
    /// `.wikilink.toml` files, as an editor's settings are.
    pub settings: serde_json::Value,
}

/// Exit statuses of `check`.
pub const EXIT_OK: i32 = 0;
pub const EXIT_FAILED: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

/// Runs the check, writing the report to `out` and progress and warnings to `err`.
pub fn run(options: &CheckOptions, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    if let Err(message) = vfs::validate_roots(&options.roots) {
        let _ = writeln!(err, "error: {message}");
        return EXIT_USAGE;
    }
    let Some((load, diagnostics)) = settings(options, err) else {
        return EXIT_USAGE;
    };
    let started = Instant::now();
    let show_progress = std::io::stderr().is_terminal();
    let last_shown = Mutex::new(None::<Instant>);
    let progress = |p: Progress| {
        if !show_progress || started.elapsed() < Duration::from_millis(300) {
            return;
        }
        let mut last = last_shown.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) && p.done < p.total {
            return;
        }
        *last = Some(Instant::now());
        eprint!("\rindexing {}/{} notes…", p.done, p.total);
    };
    let loaded = load::load(&options.roots, &load, &progress);
    if show_progress && last_shown.lock().is_ok_and(|l| l.is_some()) {
        eprint!("\r\x1b[K");
    }
    for warning in &loaded.warnings {
        let _ = writeln!(err, "warning: {warning}");
    }
    let workspace = &loaded.workspace;
    let report = Report::build(workspace, &diagnostics);
    let elapsed = started.elapsed();
    let written = match options.format {
        OutputFormat::Text => report.write_text(workspace, elapsed, out),
        OutputFormat::Json => report.write_json(workspace, out),
        OutputFormat::Sarif => report.write_sarif(workspace, out),
        OutputFormat::Github => report.write_github(workspace, elapsed, out),
    };
    // Freeing every note takes a while (~0.1 s at 100k notes) that nothing waits for: a thread
    // of its own frees them, and the process may end first (its memory goes back all at once).
    std::thread::spawn(move || drop(loaded));
    if let Err(error) = written {
        let _ = writeln!(err, "error: cannot write the report: {error}");
        return EXIT_USAGE;
    }
    if report.items.iter().any(|(_, d)| d.severity <= options.deny) {
        EXIT_FAILED
    } else {
        EXIT_OK
    }
}

/// What to load and report: the roots' settings files with the command line's settings laid
/// over them. A settings file that is not valid TOML is a usage error (`None`, after saying so
/// on `err`); an unknown or ill-typed setting is a warning.
fn settings(
    options: &CheckOptions,
    err: &mut dyn Write,
) -> Option<(LoadOptions, DiagnosticsConfig)> {
    let files = config_file::load(&options.roots);
    let mut usable = true;
    for file in &files {
        let index = crate::line_index::LineIndex::new(&file.text);
        for problem in &file.problems {
            let at = index.line_col(problem.range.start, PositionEncoding::Utf16);
            let kind = if problem.is_error { "error" } else { "warning" };
            let _ = writeln!(
                err,
                "{kind}: {}:{}:{}: {}",
                file.path.display(),
                at.line + 1,
                at.col + 1,
                problem.message
            );
            usable &= !problem.is_error;
        }
    }
    if !usable {
        return None;
    }
    let merged = merge_settings(&config_file::merged(&files), &options.settings);
    // The files' warnings were said with their lines; the flags were checked when read.
    let (settings, _) = Settings::from_json(&merged);
    let load = LoadOptions {
        exclude: settings.exclude,
        index: IndexConfig {
            reference_fields: settings.reference_fields,
        },
        // The report gives a position in any note.
        retention: Retention::Full,
    };
    // `check` lists every problem: no cap per note.
    let diagnostics = DiagnosticsConfig {
        max_per_note: None,
        ..settings.diagnostics
    };
    Some((load, diagnostics))
}

struct Report {
    items: Vec<(FileId, Diagnostic)>,
    links: usize,
}

impl Report {
    fn build(workspace: &Workspace, config: &DiagnosticsConfig) -> Report {
        use rayon::prelude::*;
        let mut files: Vec<(FileId, &std::path::Path)> = workspace
            .notes()
            .map(|(id, note)| (id, note.path.as_path()))
            .collect();
        files.sort_by(|a, b| a.1.cmp(b.1));
        // One resolution cache for each piece of the work: most links name targets that other
        // notes' links named before.
        let items = files
            .par_iter()
            .map_init(
                || ResolveCache::new(workspace),
                |cache, &(file, _)| {
                    let found = diagnostics_with_cache(workspace, file, config, cache);
                    found.into_iter().map(move |d| (file, d))
                },
            )
            .flatten_iter()
            .collect();
        let links = workspace.notes().map(|(_, n)| n.parsed.link_count()).sum();
        Report { items, links }
    }

    fn count(&self, severity: Severity) -> usize {
        self.items
            .iter()
            .filter(|(_, d)| d.severity == severity)
            .count()
    }

    fn write_text(
        &self,
        workspace: &Workspace,
        elapsed: Duration,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        for (file, diagnostic) in &self.items {
            let Some(note) = workspace.note(*file) else {
                continue;
            };
            let start = line_col(note, diagnostic.range.start);
            writeln!(
                out,
                "{}:{}:{}: {}[{}]: {}",
                note.path.display(),
                start.line + 1,
                start.col + 1,
                diagnostic.severity.as_str(),
                diagnostic.code.as_str(),
                diagnostic.message
            )?;
        }
        let notes = workspace.notes().filter(|(_, n)| n.is_markdown()).count();
        let plural = crate::ide::navigation::plural;
        let mut counts = vec![
            plural(self.count(Severity::Error), "error"),
            plural(self.count(Severity::Warning), "warning"),
        ];
        for (severity, word) in [(Severity::Information, "info"), (Severity::Hint, "hint")] {
            let n = self.count(severity);
            if n > 0 {
                counts.push(plural(n, word));
            }
        }
        writeln!(
            out,
            "checked {} in {}: {} in {} ms",
            plural(notes, "note"),
            crate::ide::navigation::places(workspace),
            counts.join(", "),
            elapsed.as_millis()
        )
    }

    /// The JSON report. Each diagnostic is rendered on its own, in parallel (at 100,000 notes
    /// the report took a tenth of `check`'s time on one core), then framed as serde_json frames
    /// the whole report (see [`write_pretty_with_items`]): the same bytes.
    fn write_json(&self, workspace: &Workspace, out: &mut dyn Write) -> std::io::Result<()> {
        use rayon::prelude::*;
        let chunks: Vec<Vec<u8>> = self
            .items
            .par_chunks(JSON_CHUNK)
            .map(|chunk| {
                let (mut rendered, mut scratch) = (Vec::new(), Vec::new());
                for (file, d) in chunk {
                    if let Some(diagnostic) = json_diagnostic(workspace, *file, d) {
                        push_pretty_item(&mut rendered, &mut scratch, &diagnostic);
                    }
                }
                rendered
            })
            .collect();
        let report = JsonReport {
            diagnostics: Vec::new(),
            summary: JsonSummary {
                errors: self.count(Severity::Error),
                files: workspace.note_count(),
                hints: self.count(Severity::Hint),
                infos: self.count(Severity::Information),
                kbs: workspace.visible_kbs().len(),
                links: self.links,
                notes: workspace.note_count(),
                warnings: self.count(Severity::Warning),
            },
            version: 1,
        };
        write_pretty_with_items(&report, &chunks, out)?;
        writeln!(out)
    }

    /// One SARIF 2.1.0 run: a rule per diagnostic code (all of them, so rule indexes are
    /// stable), a result per problem with 1-based lines and UTF-16 columns (SARIF's default
    /// `columnKind`), paths as relative URIs where they are relative.
    fn write_sarif(&self, workspace: &Workspace, out: &mut dyn Write) -> std::io::Result<()> {
        let rules: Vec<serde_json::Value> = DiagnosticCode::ALL
            .iter()
            .map(|code| {
                serde_json::json!({
                    "id": code.as_str(),
                    "shortDescription": {"text": code.description()},
                    "helpUri": format!("{README}#diagnostics"),
                    "defaultConfiguration": {"level": sarif_level(code.default_severity())},
                })
            })
            .collect();
        let results: Vec<serde_json::Value> = self
            .items
            .iter()
            .filter_map(|(file, d)| {
                let note = workspace.note(*file)?;
                let (start, end) = one_based(note, d.range);
                let rule_index = DiagnosticCode::ALL.iter().position(|c| *c == d.code)?;
                Some(serde_json::json!({
                    "ruleId": d.code.as_str(),
                    "ruleIndex": rule_index,
                    "level": sarif_level(d.severity),
                    "message": {"text": d.message},
                    "locations": [{
                        "physicalLocation": {
                            "artifactLocation": {"uri": uri_reference(&note.path)},
                            "region": {
                                "startLine": start.line,
                                "startColumn": start.col,
                                "endLine": end.line,
                                "endColumn": end.col,
                            },
                        },
                    }],
                }))
            })
            .collect();
        let log = serde_json::json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {
                    "name": "wikilink-lsp",
                    "version": env!("CARGO_PKG_VERSION"),
                    "informationUri": README,
                    "rules": rules,
                }},
                "columnKind": "utf16CodeUnits",
                "results": results,
            }],
        });
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }

    /// One workflow command per problem (`::error`, `::warning`, `::notice` for information
    /// and hints), escaped as GitHub's toolkit escapes them, then the text summary line.
    fn write_github(
        &self,
        workspace: &Workspace,
        elapsed: Duration,
        out: &mut dyn Write,
    ) -> std::io::Result<()> {
        for (file, d) in &self.items {
            let Some(note) = workspace.note(*file) else {
                continue;
            };
            let (start, end) = one_based(note, d.range);
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Information | Severity::Hint => "notice",
            };
            let path = note.path.to_string_lossy();
            let path = path.strip_prefix("./").unwrap_or(&path);
            writeln!(
                out,
                "::{level} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(path),
                start.line,
                start.col,
                end.line,
                end.col,
                escape_property(&format!("wikilink-lsp {}", d.code.as_str())),
                escape_data(&d.message),
            )?;
        }
        let mut counts = Vec::new();
        for (severity, word) in [
            (Severity::Error, "error"),
            (Severity::Warning, "warning"),
            (Severity::Information, "info"),
            (Severity::Hint, "hint"),
        ] {
            let n = self.count(severity);
            counts.push(crate::ide::navigation::plural(n, word));
        }
        writeln!(
            out,
            "checked {} notes: {} in {} ms",
            workspace.notes().filter(|(_, n)| n.is_markdown()).count(),
            counts.join(", "),
            elapsed.as_millis()
        )
    }
}

/// Where the README documents the diagnostics.
const README: &str = "https://github.com/wikilink-lsp/wikilink-lsp/blob/main/README.md";

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Information | Severity::Hint => "note",
    }
}

/// Where `offset` is in `note`, as a 0-based line and UTF-16 column. `check` loads every note
/// with its line index ([`Retention::Full`]); one without (which it never meets) is read as
/// empty.
fn line_col(note: &Note, offset: u32) -> LineCol {
    match note.parsed.line_index() {
        Some(index) => index.line_col(offset, PositionEncoding::Utf16),
        None => LineIndex::new("").line_col(0, PositionEncoding::Utf16),
    }
}

/// The start and end of `range` in `note` as 1-based lines and 1-based UTF-16 columns.
fn one_based(note: &Note, range: crate::text::TextRange) -> (LineCol, LineCol) {
    let at = |offset| {
        let p = line_col(note, offset);
        LineCol {
            line: p.line + 1,
            col: p.col + 1,
        }
    };
    (at(range.start), at(range.end))
}

/// A path as a URI reference: relative (`notes/a%20b.md`) when the path is, else a `file:`
/// URI; `/`-separated, each byte outside RFC 3986's unreserved characters percent-encoded.
fn uri_reference(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let relative = text.strip_prefix("./").unwrap_or(&text);
    let mut uri = String::new();
    if relative.starts_with('/') {
        uri.push_str("file://");
    }
    for byte in relative.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                uri.push(byte as char)
            }
            _ => uri.push_str(&format!("%{byte:02X}")),
        }
    }
    uri
}

/// A workflow command's message, escaped as `@actions/core` escapes it.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A workflow command's property value (`file=`, `title=`), escaped as `@actions/core` does.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The JSON report (`--format json`), written as it is declared: keys in alphabetical order,
/// as the report has always had them.
#[derive(serde::Serialize)]
struct JsonReport<'a> {
    diagnostics: Vec<JsonDiagnostic<'a>>,
    summary: JsonSummary,
    version: u32,
}

#[derive(serde::Serialize)]
struct JsonSummary {
    errors: usize,
    files: usize,
    hints: usize,
    infos: usize,
    kbs: usize,
    links: usize,
    notes: usize,
    warnings: usize,
}

#[derive(serde::Serialize)]
struct JsonDiagnostic<'a> {
    code: &'a str,
    message: &'a str,
    path: std::borrow::Cow<'a, str>,
    range: JsonRange,
    severity: &'a str,
    target: Option<&'a str>,
}

#[derive(serde::Serialize)]
struct JsonRange {
    end: JsonPosition,
    start: JsonPosition,
}

#[derive(serde::Serialize)]
struct JsonPosition {
    character: u32,
    line: u32,
}

/// How many diagnostics one thread of [`Report::write_json`] renders at a time.
const JSON_CHUNK: usize = 1024;

/// The JSON form of `file`'s diagnostic `d`, with UTF-16 positions.
fn json_diagnostic<'a>(
    workspace: &'a Workspace,
    file: FileId,
    d: &'a Diagnostic,
) -> Option<JsonDiagnostic<'a>> {
    let note = workspace.note(file)?;
    let position = |offset| {
        let p = line_col(note, offset);
        JsonPosition {
            character: p.col,
            line: p.line,
        }
    };
    Some(JsonDiagnostic {
        code: d.code.as_str(),
        message: &d.message,
        path: note.path.to_string_lossy(),
        range: JsonRange {
            end: position(d.range.end),
            start: position(d.range.start),
        },
        severity: d.severity.as_str(),
        target: d.target.as_deref(),
    })
}

/// Appends `item` to `rendered` as serde_json's pretty printer writes an element of the
/// report's `diagnostics` array: after `,\n` when `rendered` holds one already, each line
/// indented by four spaces (a JSON string holds no line break, so every `\n` is a line's end).
/// `scratch` is where the item is rendered on its own first (kept from one item to the next).
fn push_pretty_item(rendered: &mut Vec<u8>, scratch: &mut Vec<u8>, item: &impl serde::Serialize) {
    scratch.clear();
    serde_json::to_writer_pretty(&mut *scratch, item).expect("a report item serializes");
    let alone = &scratch[..];
    if !rendered.is_empty() {
        rendered.extend_from_slice(b",\n");
    }
    rendered.extend_from_slice(b"    ");
    for (i, line) in alone.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            rendered.extend_from_slice(b"\n    ");
        }
        rendered.extend_from_slice(line);
    }
}

/// Writes `report` (whose `diagnostics` are empty) as `serde_json::to_writer_pretty` would
/// with `chunks` (each from [`push_pretty_item`]) as its `diagnostics`.
fn write_pretty_with_items(
    report: &JsonReport<'_>,
    chunks: &[Vec<u8>],
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let frame = serde_json::to_vec_pretty(report)?;
    const EMPTY: &[u8] = b"\"diagnostics\": []";
    let at = frame
        .windows(EMPTY.len())
        .position(|window| window == EMPTY)
        .expect("the report starts with its diagnostics")
        + EMPTY.len()
        - 1;
    out.write_all(&frame[..at])?;
    let mut chunks = chunks.iter().filter(|chunk| !chunk.is_empty()).peekable();
    if chunks.peek().is_some() {
        out.write_all(b"\n")?;
        for (i, chunk) in chunks.enumerate() {
            if i > 0 {
                out.write_all(b",\n")?;
            }
            out.write_all(chunk)?;
        }
        out.write_all(b"\n  ")?;
    }
    out.write_all(&frame[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic<'a>(
        code: &'a str,
        message: &'a str,
        target: Option<&'a str>,
    ) -> JsonDiagnostic<'a> {
        let position = |line, character| JsonPosition { character, line };
        JsonDiagnostic {
            code,
            message,
            path: std::borrow::Cow::Borrowed("/vault/a \"b\".md"),
            range: JsonRange {
                end: position(3, 9),
                start: position(3, 2),
            },
            severity: "warning",
            target,
        }
    }

    /// The report framed around items rendered one by one is byte for byte serde_json's
    /// rendering of the whole report: with no diagnostic, one, and several over several chunks
    /// (empty chunks among them), with escapes, line breaks in messages and no target.
    #[test]
    fn the_report_framed_around_rendered_items_is_serde_jsons_own() {
        let summary = || JsonSummary {
            errors: 1,
            files: 2,
            hints: 0,
            infos: 3,
            kbs: 1,
            links: 7,
            notes: 2,
            warnings: 4,
        };
        let items = [
            diagnostic("broken-link", "no note `x` in KB `k`", Some("x")),
            diagnostic("unknown-kb", "line one\nline \"two\"\t\u{1F600}", None),
            diagnostic("orphan-note", "", Some("")),
        ];
        for count in 0..=items.len() {
            for chunk_size in 1..=2 {
                let (mut chunks, mut scratch) = (vec![Vec::new()], Vec::new());
                for (i, item) in items[..count].iter().enumerate() {
                    if i % chunk_size == 0 {
                        chunks.push(Vec::new());
                    }
                    push_pretty_item(chunks.last_mut().unwrap(), &mut scratch, item);
                }
                chunks.push(Vec::new());
                let mut framed = Vec::new();
                let empty = JsonReport {
                    diagnostics: Vec::new(),
                    summary: summary(),
                    version: 1,
                };
                write_pretty_with_items(&empty, &chunks, &mut framed).unwrap();
                let whole = JsonReport {
                    diagnostics: items[..count]
                        .iter()
                        .map(|d| diagnostic(d.code, d.message, d.target))
                        .collect(),
                    summary: summary(),
                    version: 1,
                };
                let expected = serde_json::to_vec_pretty(&whole).unwrap();
                assert_eq!(
                    String::from_utf8(framed).unwrap(),
                    String::from_utf8(expected).unwrap(),
                    "{count} items, chunks of {chunk_size}"
                );
            }
        }
    }
}
