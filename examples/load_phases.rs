//! Times the phases of a load one after the other on one thread (walk, read, parse, prepare,
//! insert, drop), to see where indexing time goes and to profile one phase:
//! `cargo run --release --example load_phases -- VAULT [ROUNDS]`. The server does the same
//! work with reading, parsing and preparing spread over threads (see `load::load`).

use std::path::PathBuf;
use std::time::Instant;

use wikilink_lsp::syntax::{Retention, parse_file};
use wikilink_lsp::vfs::{FileKind, read_text, walk};
use wikilink_lsp::workspace::{IndexConfig, Workspace};

fn milliseconds(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(root) = args.next().map(PathBuf::from) else {
        eprintln!("usage: load_phases VAULT [ROUNDS]");
        std::process::exit(2);
    };
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(3);
    for _ in 0..rounds {
        let start = Instant::now();
        let (files, _) = walk(std::slice::from_ref(&root), &[]);
        let walk_ms = milliseconds(start);
        let mut workspace = Workspace::new(vec![root.clone()], IndexConfig::default());
        for (path, _) in files.iter().filter(|(_, k)| *k == FileKind::KbConfig) {
            if let Ok(text) = read_text(path) {
                workspace.set_kb_config(path, &text);
            }
        }
        let notes: Vec<&PathBuf> = files
            .iter()
            .filter(|(_, kind)| *kind == FileKind::Note)
            .map(|(path, _)| path)
            .collect();
        let start = Instant::now();
        let texts: Vec<(&PathBuf, String)> = notes
            .iter()
            .filter_map(|path| Some((*path, read_text(path).ok()?)))
            .collect();
        let read_ms = milliseconds(start);
        let bytes: usize = texts.iter().map(|(_, text)| text.len()).sum();
        let start = Instant::now();
        let parsed: Vec<_> = texts
            .iter()
            .map(|(path, text)| ((*path).clone(), parse_file(path, text, Retention::Compact)))
            .collect();
        let parse_ms = milliseconds(start);
        let start = Instant::now();
        let prepared: Vec<_> = parsed
            .into_iter()
            .map(|(path, parsed)| workspace.prepare_note(path, parsed))
            .collect();
        let prepare_ms = milliseconds(start);
        let start = Instant::now();
        workspace.reserve(prepared.len());
        workspace.extend_prepared(prepared);
        let insert_ms = milliseconds(start);
        let start = Instant::now();
        drop(workspace);
        let drop_ms = milliseconds(start);
        let megabytes = bytes as f64 / 1e6;
        eprintln!(
            "{} notes, {megabytes:.1} MB: walk {walk_ms:.0}, read {read_ms:.0}, parse {parse_ms:.0} \
             ({:.0} MB/s), prepare {prepare_ms:.0}, insert {insert_ms:.0}, drop {drop_ms:.0} ms",
            texts.len(),
            megabytes / parse_ms * 1e3,
        );
    }
}
