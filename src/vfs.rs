//! The only code that reads the disk: walking workspace roots, reading notes and kb.yaml files,
//! and loading a whole workspace in parallel. Used by `check` and by the language server.
//!
//! Rules: the `ignore` crate walks each root (honouring `.gitignore`, `.ignore` and the
//! `exclude` globs, skipping hidden files and folders); symlinks are never followed, so nothing
//! outside a root is read and links cannot loop; files that are not valid UTF-8 are skipped with
//! a warning naming them.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rayon::prelude::*;

use crate::syntax::parse_note;
use crate::workspace::{IndexConfig, PreparedNote, Workspace};

/// What a walked file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Note,
    KbConfig,
}

/// Which kind of file `path` is by its name, or `None` if the index ignores it.
pub fn file_kind(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    if name == "kb.yaml" {
        return Some(FileKind::KbConfig);
    }
    let extension = path.extension()?.to_str()?;
    (extension.eq_ignore_ascii_case("md") || extension.eq_ignore_ascii_case("markdown"))
        .then_some(FileKind::Note)
}

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Gitignore-style globs (relative to each root) of files and folders not to index.
    pub exclude: Vec<String>,
    pub index: IndexConfig,
}

/// Progress of a load: files read so far out of files found.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

pub struct Loaded {
    pub workspace: Workspace,
    /// Files skipped or unreadable, one sentence each, naming the file.
    pub warnings: Vec<String>,
}

/// Checks that every root is a readable folder; the error names the first that is not.
pub fn validate_roots(roots: &[PathBuf]) -> Result<(), String> {
    for root in roots {
        match std::fs::metadata(root) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(format!("{}: not a folder", root.display())),
            Err(error) => return Err(format!("{}: {error}", root.display())),
        }
    }
    Ok(())
}

/// Walks `roots` and returns every note and kb.yaml file in them, sorted by path.
pub fn walk(roots: &[PathBuf], exclude: &[String]) -> (Vec<(PathBuf, FileKind)>, Vec<String>) {
    let found = Mutex::new(Vec::new());
    let warnings = Mutex::new(Vec::new());
    for root in roots {
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .hidden(true)
            .follow_links(false)
            .require_git(false)
            .git_global(false)
            .threads(rayon::current_num_threads().min(8));
        if !exclude.is_empty() {
            let mut overrides = ignore::overrides::OverrideBuilder::new(root);
            for glob in exclude {
                if let Err(error) = overrides.add(&format!("!{glob}")) {
                    lock(&warnings).push(format!("exclude glob `{glob}` ignored: {error}"));
                }
            }
            match overrides.build() {
                Ok(overrides) => {
                    builder.overrides(overrides);
                }
                Err(error) => lock(&warnings).push(format!("exclude globs ignored: {error}")),
            }
        }
        builder.build_parallel().run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(entry) => {
                        let is_file = entry.file_type().is_some_and(|t| t.is_file());
                        if let (true, Some(kind)) = (is_file, file_kind(entry.path())) {
                            lock(&found).push((entry.into_path(), kind));
                        } else if entry.path_is_symlink() {
                            lock(&warnings).push(format!(
                                "{}: skipped, symlinks are not followed",
                                entry.path().display()
                            ));
                        }
                    }
                    Err(error) => lock(&warnings).push(format!("skipped: {error}")),
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    found.sort();
    found.dedup();
    let warnings = warnings.into_inner().unwrap_or_else(|e| e.into_inner());
    (found, warnings)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a file as UTF-8 text, with an error that names the file and says what is wrong.
pub fn read_text(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|error| match error.kind() {
        io::ErrorKind::NotFound => format!("{}: no longer exists", path.display()),
        _ => format!("{}: {error}", path.display()),
    })?;
    String::from_utf8(bytes).map_err(|_| format!("{}: skipped, not valid UTF-8", path.display()))
}

/// What is wrong with a kb.yaml, one sentence each, naming the file (the KB is still used,
/// with whatever could be read and its folder's name as a fallback).
pub fn kb_config_problems(path: &Path, text: &str) -> Vec<String> {
    crate::syntax::parse_kb_config(text)
        .errors
        .into_iter()
        .map(|error| {
            format!(
                "{}: {}; the KB is named after its folder",
                path.display(),
                error.message
            )
        })
        .collect()
}

/// Walks, reads and parses every note of `roots` in parallel and builds the workspace.
pub fn load(
    roots: &[PathBuf],
    options: &LoadOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Loaded {
    let (files, mut warnings) = walk(roots, &options.exclude);
    let mut workspace = Workspace::new(roots.to_vec(), options.index.clone());
    for (path, _) in files.iter().filter(|(_, kind)| *kind == FileKind::KbConfig) {
        match read_text(path) {
            Ok(text) => {
                warnings.extend(kb_config_problems(path, &text));
                workspace.set_kb_config(path, &text);
            }
            Err(warning) => warnings.push(warning),
        }
    }
    let notes: Vec<&PathBuf> = files
        .iter()
        .filter(|(_, kind)| *kind == FileKind::Note)
        .map(|(path, _)| path)
        .collect();
    let total = notes.len();
    let done = AtomicUsize::new(0);
    progress(Progress { done: 0, total });
    let parsed: Vec<Result<PreparedNote, String>> = notes
        .par_iter()
        .map(|path| {
            let result = read_text(path)
                .map(|text| workspace.prepare_note((*path).clone(), parse_note(&text)));
            let done = done.fetch_add(1, Ordering::Relaxed) + 1;
            if done.is_multiple_of(256) {
                progress(Progress { done, total });
            }
            result
        })
        .collect();
    // Filtering in place reuses the allocation: no second copy of every parsed note.
    let ok: Vec<PreparedNote> = parsed
        .into_iter()
        .filter_map(|result| result.map_err(|warning| warnings.push(warning)).ok())
        .collect();
    workspace.extend_prepared(ok);
    progress(Progress { done: total, total });
    Loaded {
        workspace,
        warnings,
    }
}

/// Whether the server may read `path`: inside one of `roots`, without `..`, and not a symlink
/// (a symlink may lead outside the roots or into a loop).
pub fn is_readable_in_roots(path: &Path, roots: &[PathBuf]) -> bool {
    let inside = roots.iter().any(|root| path.starts_with(root));
    let climbs = path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir));
    let symlink = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    inside && !climbs && !symlink
}
