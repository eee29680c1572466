//! `wikilink-lsp check`: index the roots, print every diagnostic like a compiler (or as one JSON
//! object), and exit with a status CI can use. Read-only: it never writes a file.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::ide::{Diagnostic, DiagnosticsConfig, Severity, diagnostics};
use crate::line_index::PositionEncoding;
use crate::text::FileId;
use crate::vfs::{self, LoadOptions, Progress};
use crate::workspace::Workspace;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutputFormat {
    Text,
    Json,
}

#[derive(Clone, Debug)]
pub struct CheckOptions {
    pub roots: Vec<PathBuf>,
    pub format: OutputFormat,
    /// The lowest severity that makes the check fail.
    pub deny: Severity,
    pub load: LoadOptions,
    pub diagnostics: DiagnosticsConfig,
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
    let loaded = vfs::load(&options.roots, &options.load, &progress);
    if show_progress && last_shown.lock().is_ok_and(|l| l.is_some()) {
        eprint!("\r\x1b[K");
    }
    for warning in &loaded.warnings {
        let _ = writeln!(err, "warning: {warning}");
    }
    let workspace = &loaded.workspace;
    let report = Report::build(workspace, &options.diagnostics);
    let elapsed = started.elapsed();
    let written = match options.format {
        OutputFormat::Text => report.write_text(workspace, elapsed, out),
        OutputFormat::Json => report.write_json(workspace, out),
    };
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
        let items = files
            .par_iter()
            .flat_map_iter(|&(file, _)| {
                diagnostics(workspace, file, config)
                    .into_iter()
                    .map(move |d| (file, d))
            })
            .collect();
        let links = workspace.notes().map(|(_, n)| n.parsed.links().len()).sum();
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
            let start = note
                .parsed
                .line_index
                .line_col(diagnostic.range.start, PositionEncoding::Utf16);
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
        let kbs = workspace.visible_kbs().len();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
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
            plural(kbs, "KB"),
            counts.join(", "),
            elapsed.as_millis()
        )
    }

    fn write_json(&self, workspace: &Workspace, out: &mut dyn Write) -> std::io::Result<()> {
        let diagnostics: Vec<serde_json::Value> = self
            .items
            .iter()
            .filter_map(|(file, d)| {
                let note = workspace.note(*file)?;
                let index = &note.parsed.line_index;
                let position = |offset| {
                    let p = index.line_col(offset, PositionEncoding::Utf16);
                    serde_json::json!({"line": p.line, "character": p.col})
                };
                Some(serde_json::json!({
                    "path": note.path.to_string_lossy(),
                    "range": {"start": position(d.range.start), "end": position(d.range.end)},
                    "severity": d.severity.as_str(),
                    "code": d.code.as_str(),
                    "message": d.message,
                    "target": d.target,
                }))
            })
            .collect();
        let report = serde_json::json!({
            "version": 1,
            "summary": {
                "files": workspace.note_count(),
                "notes": workspace.note_count(),
                "kbs": workspace.visible_kbs().len(),
                "links": self.links,
                "errors": self.count(Severity::Error),
                "warnings": self.count(Severity::Warning),
                "infos": self.count(Severity::Information),
                "hints": self.count(Severity::Hint),
            },
            "diagnostics": diagnostics,
        });
        serde_json::to_writer_pretty(&mut *out, &report)?;
        writeln!(out)
    }
}
