//! The only code that reads the disk: walking workspace roots, reading notes and kb.yaml files,
//! and loading a whole workspace in parallel. Used by `check` and by the language server.
//!
//! Rules: the `ignore` crate walks each root (honouring `.gitignore`, `.ignore` and the
//! `exclude` globs, skipping hidden files and folders); symlinks are never followed, so nothing
//! outside a root is read and links cannot loop; files that are not valid UTF-8 are skipped with
//! a warning naming them. Every other file the walk finds is an attachment: it is sized with one
//! `stat` and never read.

use std::collections::VecDeque;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use rayon::prelude::*;

use crate::syntax::{CROSS_KB_LINKS, Retention, parse_file};
use crate::workspace::{IndexConfig, Workspace, is_plain_path};

/// What a walked file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Note,
    KbConfig,
    /// Any other file: a link target by its name and path (see `workspace::Attachment`).
    Attachment,
    /// The settings file at a root (hidden: walks never find it; it is read by name).
    Settings,
}

/// The name of the settings file at the top of a root.
pub const SETTINGS_FILE: &str = ".wikilink.toml";

/// Which kind of file `path` is by its name, or `None` if it has no (UTF-8) file name.
pub fn file_kind(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    if name == "kb.yaml" {
        return Some(FileKind::KbConfig);
    }
    if name == SETTINGS_FILE {
        return Some(FileKind::Settings);
    }
    // A KB's links into other KBs: indexed like a note (see `syntax::parse_file`).
    if name == CROSS_KB_LINKS {
        return Some(FileKind::Note);
    }
    let is_note = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|extension| {
            extension.eq_ignore_ascii_case("md") || extension.eq_ignore_ascii_case("markdown")
        });
    Some(if is_note {
        FileKind::Note
    } else {
        FileKind::Attachment
    })
}

/// The size of the attachment at `path` (one `stat`, never a read), or `None` when it cannot
/// be indexed: gone, not a regular file, a symlink, or outside `roots`.
pub fn attachment_size(path: &Path, roots: &[PathBuf]) -> Option<u64> {
    if !is_readable_in_roots(path, roots) || is_hidden_in_roots(path, roots) {
        return None;
    }
    let metadata = std::fs::symlink_metadata(path).ok()?;
    metadata.is_file().then_some(metadata.len())
}

/// Whether `path` is, or is inside, a hidden file or folder (a name starting with `.`) below
/// its root: the walk skips those, so watched changes there are skipped too.
pub fn is_hidden_in_roots(path: &Path, roots: &[PathBuf]) -> bool {
    let Some(root) = roots
        .iter()
        .filter(|r| path.starts_with(r))
        .max_by_key(|r| r.as_os_str().len())
    else {
        return false;
    };
    path.strip_prefix(root).is_ok_and(|inside| {
        inside
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    })
}

#[derive(Clone, Debug, Default)]
pub struct LoadOptions {
    /// Gitignore-style globs (relative to each root) of files and folders not to index.
    pub exclude: Vec<String>,
    pub index: IndexConfig,
    /// Whether each note keeps its line index and link texts (`check`, which reports
    /// positions in any note and reads every note's links) or not (the server, which reads
    /// them again for the few closed notes an answer names).
    pub retention: Retention,
}

/// Progress of a load: files read so far out of files found.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

pub struct Loaded {
    pub workspace: Workspace,
    /// Files skipped or unreadable, and kb.yaml problems.
    pub warnings: Vec<DiskError>,
}

/// What the disk layer could not read or use; each names its file or glob, and `Display` gives
/// the sentence the shells print. Read errors keep the `io::Error` (and so its `ErrorKind`).
#[derive(Debug)]
pub enum DiskError {
    /// A file could not be read (a missing one "no longer exists").
    Read {
        path: PathBuf,
        error: io::Error,
    },
    NotUtf8 {
        path: PathBuf,
    },
    /// A symlink met while walking: not followed.
    Symlink {
        path: PathBuf,
    },
    /// An entry the walk could not visit.
    Walk(ignore::Error),
    /// An `exclude` glob that does not parse (it is ignored).
    ExcludeGlob {
        glob: String,
        error: ignore::Error,
    },
    /// The `exclude` globs together could not be built (all are ignored).
    ExcludeGlobs(ignore::Error),
    /// A kb.yaml read but partly invalid (the KB is still used).
    KbConfig {
        path: PathBuf,
        message: String,
    },
    /// A root that is not a folder.
    NotAFolder {
        path: PathBuf,
    },
    /// A root that cannot be inspected.
    Root {
        path: PathBuf,
        error: io::Error,
    },
}

impl DiskError {
    /// The kind of the I/O error behind this one, if there is one.
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            DiskError::Read { error, .. } | DiskError::Root { error, .. } => Some(error.kind()),
            _ => None,
        }
    }
}

impl std::fmt::Display for DiskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiskError::Read { path, error } if error.kind() == io::ErrorKind::NotFound => {
                write!(f, "{}: no longer exists", path.display())
            }
            DiskError::Read { path, error } | DiskError::Root { path, error } => {
                write!(f, "{}: {error}", path.display())
            }
            DiskError::NotUtf8 { path } => {
                write!(f, "{}: skipped, not valid UTF-8", path.display())
            }
            DiskError::Symlink { path } => {
                write!(f, "{}: skipped, symlinks are not followed", path.display())
            }
            DiskError::Walk(error) => write!(f, "skipped: {error}"),
            DiskError::ExcludeGlob { glob, error } => {
                write!(f, "exclude glob `{glob}` ignored: {error}")
            }
            DiskError::ExcludeGlobs(error) => write!(f, "exclude globs ignored: {error}"),
            DiskError::KbConfig { path, message } => write!(
                f,
                "{}: {message}; the KB is named after its folder",
                path.display()
            ),
            DiskError::NotAFolder { path } => write!(f, "{}: not a folder", path.display()),
        }
    }
}

/// Checks that every root is a readable folder; the error names the first that is not.
pub fn validate_roots(roots: &[PathBuf]) -> Result<(), DiskError> {
    for root in roots {
        match std::fs::metadata(root) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(DiskError::NotAFolder { path: root.clone() }),
            Err(error) => {
                return Err(DiskError::Root {
                    path: root.clone(),
                    error,
                });
            }
        }
    }
    Ok(())
}

/// Walks `roots` and returns every note, kb.yaml and attachment in them, sorted by path.
pub fn walk(roots: &[PathBuf], exclude: &[String]) -> (Vec<(PathBuf, FileKind)>, Vec<DiskError>) {
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
                    lock(&warnings).push(DiskError::ExcludeGlob {
                        glob: glob.clone(),
                        error,
                    });
                }
            }
            match overrides.build() {
                Ok(overrides) => {
                    builder.overrides(overrides);
                }
                Err(error) => lock(&warnings).push(DiskError::ExcludeGlobs(error)),
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
                            lock(&warnings).push(DiskError::Symlink {
                                path: entry.path().to_path_buf(),
                            });
                        }
                    }
                    Err(error) => lock(&warnings).push(DiskError::Walk(error)),
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    // File ids follow this order, which is `Path` order. For plain paths (see `is_plain_path`) that
    // is byte order with the separator lowest, much cheaper to compare, and two paths are the
    // same path when their bytes are; any other path (a root like `./notes` or `a//b`) gets
    // a sort and a dedup by `Path`.
    found.par_sort_unstable_by(|(a, _), (b, _)| separator_first_order(a, b));
    if found.iter().all(|(path, _)| is_plain_path(path)) {
        found.dedup_by(|(a, _), (b, _)| a.as_os_str() == b.as_os_str());
    } else {
        found.sort();
        found.dedup();
    }
    let warnings = warnings.into_inner().unwrap_or_else(|e| e.into_inner());
    (found, warnings)
}

/// `a` and `b` compared byte by byte, a path separator before any other byte.
fn separator_first_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    let (a, b) = (
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    );
    // The common prefix eight bytes at a time (walked paths share long ones), then by byte.
    let words = a
        .chunks_exact(8)
        .zip(b.chunks_exact(8))
        .take_while(|(x, y)| x == y)
        .count();
    let common = words * 8
        + a[words * 8..]
            .iter()
            .zip(&b[words * 8..])
            .take_while(|(x, y)| x == y)
            .count();
    let rank = |byte: Option<&u8>| {
        byte.map(|&byte| match std::path::is_separator(char::from(byte)) {
            true => 0,
            false => u16::from(byte) + 1,
        })
    };
    rank(a.get(common)).cmp(&rank(b.get(common)))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a file as UTF-8 text, with an error that names the file and says what is wrong.
pub fn read_text(path: &Path) -> Result<String, DiskError> {
    let bytes = std::fs::read(path).map_err(|error| DiskError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    String::from_utf8(bytes).map_err(|_| DiskError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

/// Reads again a note indexed from inside `roots`, likely `expected_len` bytes long (a closed
/// note whose links an answer needs): `None` when it is not inside them, or climbs out of them;
/// a symlink is refused as it is opened (`O_NOFOLLOW` on Unix, with no `lstat` before it).
/// Its room is made at once, with no `stat`: two `read` calls when it is that long.
pub fn read_note_again(
    path: &Path,
    roots: &[PathBuf],
    expected_len: usize,
) -> Option<Result<String, DiskError>> {
    if !is_inside_roots(path, roots) || (!cfg!(unix) && is_symlink(path)) {
        return None;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let file = options.open(path).map_err(|error| DiskError::Read {
        path: path.to_path_buf(),
        error,
    });
    let mut buffer = vec![0; expected_len + 1];
    Some(file.and_then(|file| {
        let len = read_into(path, file, &mut buffer)?;
        buffer.truncate(len);
        String::from_utf8(buffer).map_err(|_| DiskError::NotUtf8 {
            path: path.to_path_buf(),
        })
    }))
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Reads a file as UTF-8 text into `buffer`, whose room (zeroed once, kept from one file to the
/// next) the read fills: the load reads every note this way, with no allocation and no `stat`
/// per note, in two `read` calls for a note that fits.
fn read_text_into<'a>(path: &Path, buffer: &'a mut Vec<u8>) -> Result<&'a str, DiskError> {
    let file = std::fs::File::open(path).map_err(|error| DiskError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let len = read_into(path, file, buffer)?;
    std::str::from_utf8(&buffer[..len]).map_err(|_| DiskError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

/// Reads `file` (at `path`) into `buffer`'s room, growing it when the file is longer; returns
/// how many bytes it holds.
fn read_into(
    path: &Path,
    mut file: std::fs::File,
    buffer: &mut Vec<u8>,
) -> Result<usize, DiskError> {
    use std::io::Read;
    let read_error = |error| DiskError::Read {
        path: path.to_path_buf(),
        error,
    };
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            let more = buffer.len().max(READ_BUFFER_START);
            buffer.resize(buffer.len() + more, 0);
        }
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(read_error(error)),
        }
    }
    Ok(filled)
}

/// The first room of a [`read_text_into`] buffer: most notes fit.
const READ_BUFFER_START: usize = 64 * 1024;

/// A [`read_text_into`] buffer that grew past this (for a huge note) is not kept.
const READ_BUFFER_KEEP: usize = 1 << 20;

/// What is wrong with a kb.yaml, one problem each, naming the file (the KB is still used,
/// with whatever could be read and its folder's name as a fallback).
pub fn kb_config_problems(path: &Path, text: &str) -> Vec<DiskError> {
    crate::syntax::parse_kb_config(text)
        .errors
        .into_iter()
        .map(|error| DiskError::KbConfig {
            path: path.to_path_buf(),
            message: error.message,
        })
        .collect()
}

/// How many notes a thread of [`load`] reads and parses at a time (see [`map_in_order`]).
const LOAD_BLOCK: usize = 64;

/// How many blocks of parsed notes may wait for insertion at most.
const LOAD_WINDOW: usize = 32;

/// How many threads [`load`] reads and parses notes on: one per core (rayon's count) from the
/// start, and up to [`MAX_LOAD_THREADS`] once the reads wait on the disk (see [`ReadWaits`]).
/// Warm, threads beyond the cores only cost: on 2 cores, starting with 2 rather than 16 made
/// the corpus-sized vault ready 10% sooner and the 100k-note wide vault 16% sooner (medians of
/// 8-15 alternating runs). Cold, a thread waits on the disk most of the time and more reads in
/// flight finish sooner: the corpus-sized vault was ready in 185 ms with 16 threads (188 ms
/// with 8, 390 ms with 2), the 100k-note wide vault in 3.1 s (3.9 s with 8, 7.7 s with 2).
/// The window of blocks in flight ([`LOAD_WINDOW`]) bounds the memory, not the thread count.
fn load_threads() -> LoadThreads {
    let cores = rayon::current_num_threads();
    LoadThreads {
        first: cores,
        most: cores.max(MAX_LOAD_THREADS),
    }
}

/// The most threads [`load`] reads and parses notes on, when its reads wait on the disk.
const MAX_LOAD_THREADS: usize = 16;

/// How many threads [`map_in_order`] maps on: `first` from the start, the rest up to `most`
/// only when asked for.
#[derive(Clone, Copy, Debug)]
struct LoadThreads {
    first: usize,
    most: usize,
}

/// How long the reads of [`load`] waited on the disk, to tell a cold page cache (more threads
/// keep more reads in flight) from a warm one (more threads only cost).
struct ReadWaits {
    started: std::time::Instant,
    /// The threads reading from the start.
    threads: usize,
    /// The time reads took beyond what a read from the page cache takes.
    waited_nanos: std::sync::atomic::AtomicU64,
    /// Set once the reads are found to wait on the disk.
    cold: std::sync::atomic::AtomicBool,
}

impl ReadWaits {
    fn new(threads: usize) -> ReadWaits {
        ReadWaits {
            started: std::time::Instant::now(),
            threads,
            waited_nanos: Default::default(),
            cold: Default::default(),
        }
    }

    /// What a read of `bytes` takes from the page cache, with room to spare: a few microseconds
    /// for a note, and a copy at well over 1 GB/s.
    fn warm_read(bytes: usize) -> std::time::Duration {
        std::time::Duration::from_micros(50 + (bytes / 1024) as u64)
    }

    fn record(&self, took: std::time::Duration, bytes: usize) {
        if let Some(waited) = took.checked_sub(Self::warm_read(bytes)) {
            let nanos = u64::try_from(waited.as_nanos()).unwrap_or(u64::MAX);
            self.waited_nanos.fetch_add(nanos, Ordering::Relaxed);
        }
    }

    /// Whether the reading threads spent over a third of their time waiting on the disk, once
    /// they have read for 2 ms. Warm, a thread that loses its core in the middle of a read
    /// waits too, but only a small part of the time (reads are about a quarter of the work).
    fn wait_on_disk(&self) -> bool {
        if self.cold.load(Ordering::Relaxed) {
            return true;
        }
        let elapsed = self.started.elapsed().as_nanos();
        let waited = u128::from(self.waited_nanos.load(Ordering::Relaxed));
        // The first reads alone tell little: one that lost its core may be most of the time.
        let wait = elapsed >= 2_000_000 && waited * 3 > elapsed * self.threads as u128;
        if wait && !self.cold.swap(true, Ordering::Relaxed) {
            tracing::debug!(
                "reads waited {} ms of {} ms on {} threads: more threads read",
                waited / 1_000_000,
                elapsed / 1_000_000,
                self.threads
            );
        }
        wait
    }
}

/// Walks, reads and parses every note of `roots` in parallel and builds the workspace.
pub fn load(
    roots: &[PathBuf],
    options: &LoadOptions,
    progress: &(dyn Fn(Progress) + Sync),
) -> Loaded {
    let started = std::time::Instant::now();
    let (files, mut warnings) = walk(roots, &options.exclude);
    tracing::debug!("walked {} files in {:?}", files.len(), started.elapsed());
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
    // Attachments: a `stat` each (in parallel), never a read.
    let attachments: Vec<(PathBuf, u64)> = files
        .par_iter()
        .filter(|(_, kind)| *kind == FileKind::Attachment)
        .filter_map(|(path, _)| {
            let metadata = std::fs::symlink_metadata(path).ok()?;
            Some((path.clone(), metadata.len()))
        })
        .collect();
    for (path, size) in attachments {
        workspace.set_attachment(path, size);
    }
    let notes: Vec<&PathBuf> = files
        .iter()
        .filter(|(_, kind)| *kind == FileKind::Note)
        .map(|(path, _)| path)
        .collect();
    let total = notes.len();
    tracing::debug!(
        "kb.yaml files and attachments read by {:?}",
        started.elapsed()
    );
    let done = AtomicUsize::new(0);
    let threads = load_threads();
    let read_waits = ReadWaits::new(threads.first);
    progress(Progress { done: 0, total });
    // Other threads read and parse the notes while this one inserts them, in order, as they
    // come: the insertion overlaps the parsing, and only a few blocks of parsed notes exist at
    // once, never all of them.
    let preparer = workspace.clone_without_notes();
    workspace.reserve(total);
    let prepare = |path: &&PathBuf| {
        thread_local! {
            static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        let result = BUFFER.with_borrow_mut(|buffer| {
            let read_started = std::time::Instant::now();
            let text = read_text_into(path, buffer);
            if let Ok(text) = &text {
                read_waits.record(read_started.elapsed(), text.len());
            }
            let result = text.map(|text| {
                preparer.prepare_note((*path).clone(), parse_file(path, text, options.retention))
            });
            if buffer.len() > READ_BUFFER_KEEP {
                *buffer = Vec::new();
            }
            result
        });
        let done = done.fetch_add(1, Ordering::Relaxed) + 1;
        if done.is_multiple_of(256) {
            progress(Progress { done, total });
        }
        result
    };
    let wait_on_disk = || read_waits.wait_on_disk();
    map_in_order(&notes, threads, prepare, wait_on_disk, |prepared| {
        let prepared =
            prepared.filter_map(|result| result.map_err(|warning| warnings.push(warning)).ok());
        workspace.extend_prepared(prepared);
    });
    tracing::debug!(
        "{total} notes read, parsed and indexed by {:?}",
        started.elapsed()
    );
    progress(Progress { done: total, total });
    Loaded {
        workspace,
        warnings,
    }
}

/// Maps `items` with `map` on `threads` threads and hands the results to `consume`, in order,
/// as they come. Blocks of [`LOAD_BLOCK`] items are handed out and taken back in order, at most
/// [`LOAD_WINDOW`] blocks ahead of `consume`, with no barrier between blocks (unlike a parallel
/// iterator run chunk after chunk). `threads.first` threads map from the start; the others
/// start once `more_threads` says so (it is asked after each item until it does). A panic in
/// `map` or `consume` stops every thread and is passed on.
fn map_in_order<T: Sync, R: Send>(
    items: &[T],
    threads: LoadThreads,
    map: impl Fn(&T) -> R + Sync,
    more_threads: impl Fn() -> bool + Sync,
    consume: impl FnOnce(&mut dyn Iterator<Item = R>),
) {
    let blocks = items.len().div_ceil(LOAD_BLOCK);
    let next_block = AtomicUsize::new(0);
    let queue = BlockQueue {
        state: Mutex::new(BlockState {
            ready: VecDeque::new(),
            first: 0,
            stopped: false,
            more_threads: false,
        }),
        changed: Condvar::new(),
        more_threads_asked: Condvar::new(),
    };
    std::thread::scope(|scope| {
        // No more threads than blocks: a small vault does not start threads with nothing to do.
        let first = threads.first.clamp(1, blocks.max(1));
        for thread in 0..threads.most.max(first).min(blocks.max(1)) {
            let (queue, next_block, map, more_threads) = (&queue, &next_block, &map, &more_threads);
            scope.spawn(move || {
                let _stop_on_panic = StopOnDrop {
                    queue,
                    always: false,
                };
                let extra = thread >= first;
                if extra && !queue.wait_for_more_threads() {
                    return;
                }
                let mut asked = extra;
                loop {
                    let block = next_block.fetch_add(1, Ordering::Relaxed);
                    if block >= blocks || !queue.wait_for_room(block) {
                        break;
                    }
                    let start = block * LOAD_BLOCK;
                    let end = (start + LOAD_BLOCK).min(items.len());
                    let results: Vec<R> = items[start..end]
                        .iter()
                        .map(|item| {
                            let result = map(item);
                            if !asked && more_threads() {
                                asked = true;
                                queue.start_more_threads();
                            }
                            result
                        })
                        .collect();
                    queue.put(block, results);
                }
            });
        }
        let _stop = StopOnDrop {
            queue: &queue,
            always: true,
        };
        let mut current = Vec::new().into_iter();
        let mut taken = 0;
        let mut results = std::iter::from_fn(|| {
            loop {
                if let Some(result) = current.next() {
                    return Some(result);
                }
                if taken == blocks {
                    return None;
                }
                current = queue.take()?.into_iter();
                taken += 1;
            }
        });
        consume(&mut results);
    });
}

/// The blocks of [`map_in_order`] between the threads that fill them and the one that takes
/// them.
struct BlockQueue<R> {
    state: Mutex<BlockState<R>>,
    /// Signalled when a block is put at the front, taken, or when everything stops.
    changed: Condvar,
    /// Signalled when more threads are asked for, or when everything stops: the threads that
    /// wait for it are not woken by every block.
    more_threads_asked: Condvar,
}

struct BlockState<R> {
    /// Blocks from `first` on: `None` while still being filled.
    ready: VecDeque<Option<Vec<R>>>,
    first: usize,
    stopped: bool,
    /// Whether the threads beyond the first have been asked to start.
    more_threads: bool,
}

impl<R> BlockQueue<R> {
    /// Waits until `block` may be filled (it is within [`LOAD_WINDOW`] of the next block to
    /// take); false when everything stopped.
    fn wait_for_room(&self, block: usize) -> bool {
        let mut state = lock(&self.state);
        while block >= state.first + LOAD_WINDOW && !state.stopped {
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
        !state.stopped
    }

    /// Waits until more threads are asked for (true) or everything stopped (false).
    fn wait_for_more_threads(&self) -> bool {
        let mut state = lock(&self.state);
        while !state.more_threads && !state.stopped {
            state = self
                .more_threads_asked
                .wait(state)
                .unwrap_or_else(|e| e.into_inner());
        }
        !state.stopped
    }

    fn start_more_threads(&self) {
        lock(&self.state).more_threads = true;
        self.more_threads_asked.notify_all();
    }

    fn put(&self, block: usize, results: Vec<R>) {
        let mut state = lock(&self.state);
        let slot = block - state.first;
        if state.ready.len() <= slot {
            state.ready.resize_with(slot + 1, || None);
        }
        state.ready[slot] = Some(results);
        if slot == 0 {
            self.changed.notify_all();
        }
    }

    /// Waits for the next block and takes it; `None` when everything stopped.
    fn take(&self) -> Option<Vec<R>> {
        let mut state = lock(&self.state);
        loop {
            if state.stopped {
                return None;
            }
            if let Some(Some(_)) = state.ready.front() {
                let block = state.ready.pop_front().flatten();
                state.first += 1;
                self.changed.notify_all();
                return block;
            }
            state = self.changed.wait(state).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// Stops a [`BlockQueue`] when dropped, so that no thread waits forever: always (the taking
/// side, when it is done or panics), or only in a panic (a filling thread).
struct StopOnDrop<'a, R> {
    queue: &'a BlockQueue<R>,
    always: bool,
}

impl<R> Drop for StopOnDrop<'_, R> {
    fn drop(&mut self) {
        if self.always || std::thread::panicking() {
            lock(&self.queue.state).stopped = true;
            self.queue.changed.notify_all();
            self.queue.more_threads_asked.notify_all();
        }
    }
}

/// Whether the server may read `path`: inside one of `roots`, without `..`, and not a symlink
/// (a symlink may lead outside the roots or into a loop).
pub fn is_readable_in_roots(path: &Path, roots: &[PathBuf]) -> bool {
    is_inside_roots(path, roots) && !is_symlink(path)
}

/// Whether `path` is inside one of `roots`, without `..`.
fn is_inside_roots(path: &Path, roots: &[PathBuf]) -> bool {
    let inside = roots.iter().any(|root| path.starts_with(root));
    let climbs = path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir));
    inside && !climbs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_read_again_is_inside_the_roots_and_no_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("vault");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("a.md"), "[[b]]\n").unwrap();
        std::fs::write(dir.path().join("outside.md"), "secret [[s]]\n").unwrap();
        let roots = [root.clone()];
        let read = |path: &Path, len| read_note_again(path, &roots, len).map(|r| r.ok());
        assert_eq!(
            read(&root.join("a.md"), 6),
            Some(Some("[[b]]\n".to_owned()))
        );
        // Longer or shorter than expected, read whole.
        assert_eq!(
            read(&root.join("a.md"), 2),
            Some(Some("[[b]]\n".to_owned()))
        );
        assert_eq!(
            read(&root.join("a.md"), 100),
            Some(Some("[[b]]\n".to_owned()))
        );
        assert_eq!(read(&dir.path().join("outside.md"), 13), None);
        assert_eq!(read(&root.join("../outside.md"), 13), None);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("outside.md"), root.join("link.md"))
                .unwrap();
            assert_eq!(read(&root.join("link.md"), 13), Some(None));
        }
        assert_eq!(read(&root.join("gone.md"), 3), Some(None));
    }

    #[test]
    fn map_in_order_hands_every_result_in_order() {
        for (len, threads) in [
            (0, 2),
            (1, 1),
            (LOAD_BLOCK, 3),
            (LOAD_BLOCK * LOAD_WINDOW * 3 + 7, 4),
        ] {
            let items: Vec<usize> = (0..len).collect();
            for more_threads in [false, true] {
                let mut got = Vec::new();
                let threads = LoadThreads {
                    first: threads,
                    most: threads * 2,
                };
                map_in_order(
                    &items,
                    threads,
                    |&i| i * 2,
                    || more_threads,
                    |results| got.extend(results),
                );
                let want: Vec<usize> = (0..len).map(|i| i * 2).collect();
                assert_eq!(got, want, "{len} items on {threads:?} threads");
            }
        }
    }

    #[test]
    fn a_consumer_that_stops_early_releases_the_threads() {
        let items: Vec<usize> = (0..LOAD_BLOCK * LOAD_WINDOW * 4).collect();
        let mut got = Vec::new();
        let threads = LoadThreads { first: 2, most: 4 };
        map_in_order(
            &items,
            threads,
            |&i| i,
            || true,
            |results| got.extend(results.take(5)),
        );
        assert_eq!(got, [0, 1, 2, 3, 4]);
    }

    #[test]
    fn reads_that_wait_on_the_disk_ask_for_more_threads() {
        let ten_ms_ago = std::time::Instant::now() - std::time::Duration::from_millis(10);
        let warm = ReadWaits {
            started: ten_ms_ago,
            ..ReadWaits::new(2)
        };
        for _ in 0..500 {
            warm.record(std::time::Duration::from_micros(8), 4096);
        }
        // One read that lost its core for a millisecond is not a cold cache.
        warm.record(std::time::Duration::from_millis(1), 4096);
        assert!(!warm.wait_on_disk());

        let cold = ReadWaits {
            started: ten_ms_ago,
            ..ReadWaits::new(2)
        };
        for _ in 0..8 {
            cold.record(std::time::Duration::from_millis(1), 4096);
        }
        assert!(cold.wait_on_disk());
        // Once cold, it stays so.
        assert!(cold.wait_on_disk());
    }

    #[test]
    fn walked_paths_sort_like_paths() {
        let mut paths: Vec<PathBuf> = [
            "/r/a-b.md",
            "/r/a/b.md",
            "/r/a.md",
            "/r/a b/c.md",
            "/r/a",
            "/r/ab",
            "/r/notes-and-more/long-shared-prefix/x.md",
            "/r/notes-and-more/long-shared-prefix.md",
            "/r/notes-and-more/long-shared-prefix-2/x.md",
            "/r/notes-and-more/long-shared-prefix/x.md",
        ]
        .into_iter()
        .map(PathBuf::from)
        .collect();
        assert!(paths.iter().all(|path| is_plain_path(path)));
        let mut by_path = paths.clone();
        by_path.sort();
        paths.sort_by(|a, b| separator_first_order(a, b));
        assert_eq!(paths, by_path);
    }

    #[test]
    fn paths_with_empty_dot_or_dot_dot_parts_are_not_plain() {
        for path in [
            "r/a.md",
            "/r//a.md",
            "/r/./a.md",
            "/r/../a.md",
            "/r/a/",
            "/r/.",
            "/",
        ] {
            assert!(!is_plain_path(Path::new(path)), "{path}");
        }
        assert!(is_plain_path(Path::new("/r/.hidden/a..md")));
    }
}
