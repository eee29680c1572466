//! Loading a whole workspace from disk: every root walked, every note read and parsed in
//! parallel while the caller's thread inserts them in order ([`load`]). Used by `check` and by
//! the language server. It stands above the disk layer ([`crate::vfs`], which it reads
//! through) and the workspace (which it fills).

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use rayon::prelude::*;

use crate::syntax::{Retention, parse_file};
use crate::vfs::{
    DiskError, FileKind, READ_BUFFER_KEEP, kb_config_problems, read_text, read_text_into, walk,
    walked_file_size,
};
use crate::workspace::{IndexConfig, Workspace};

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
        .filter_map(|(path, _)| Some((path.clone(), walked_file_size(path)?)))
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
