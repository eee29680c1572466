//! Publishing diagnostics: scheduling (debounced after typing, at once after other changes),
//! computing them on blocking threads in chunks (every note's after indexing, on all cores),
//! and sending or clearing each document's list, remembering which lists the editor shows
//! ([`UriSet`]).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use tower_lsp::lsp_types::*;

use hashbrown::HashTable;

use super::convert;
use super::server::{Backend, lock, read};
use crate::ide;
use crate::slug::ResolveCache;
use crate::text::FileId;
use crate::workspace::Workspace;

/// How many notes' diagnostics are computed (in parallel) and published at a time.
const PUBLISH_CHUNK: usize = 2048;

impl Backend {
    /// Publishes diagnostics for `paths` after the debounce delay (immediately for `0`).
    pub(super) fn schedule_diagnostics(&self, paths: Vec<PathBuf>, delay: Duration) {
        lock(&self.state.pending_diagnostics).extend(paths);
        let generation = self
            .state
            .diagnostics_generation
            .fetch_add(1, Ordering::SeqCst)
            + 1;
        let this = self.clone();
        tokio::spawn(async move {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            if this.state.diagnostics_generation.load(Ordering::SeqCst) != generation {
                return; // A later change will publish these with its own.
            }
            let paths: Vec<PathBuf> = lock(&this.state.pending_diagnostics).drain().collect();
            this.publish_diagnostics_for(paths).await;
            if this.state.views_stale.load(Ordering::SeqCst) {
                this.refresh_views().await;
            }
        });
    }

    pub(super) fn debounce(&self) -> Duration {
        Duration::from_millis(read(&self.state.settings).debounce_ms)
    }

    async fn publish_diagnostics_for(&self, paths: Vec<PathBuf>) {
        if !*self.state.index_ready.borrow() {
            // Until the index is complete most links would look broken; indexing ends by
            // publishing every open document's diagnostics.
            return;
        }
        // On a blocking thread: after indexing this is every note, and the async workers must
        // stay free (a notification just sent, like `ready`, waits for its writer task). In
        // chunks, so that 100k notes' diagnostics never sit in memory at once.
        for chunk in paths.chunks(PUBLISH_CHUNK) {
            let this = self.clone();
            let chunk = chunk.to_vec();
            let batch = tokio::task::spawn_blocking(move || this.diagnostics_batch(chunk))
                .await
                .unwrap_or_default();
            self.publish(batch).await;
        }
    }

    fn diagnostics_batch(&self, paths: Vec<PathBuf>) -> Vec<(Url, Vec<Diagnostic>, Option<i32>)> {
        // Not `documents`: a heavy note's diagnostics must not hold up requests that read the
        // buffers. The open notes' versions come with the index (see `indexed_versions`).
        let workspace = read(&self.state.workspace);
        let open_versions = lock(&self.state.indexed_versions).clone();
        let settings = read(&self.state.settings);
        let encoding = self.encoding();
        // Every note's diagnostics after indexing: computed on all cores, in order.
        use rayon::prelude::*;
        // One resolution cache for each piece of the work (see `slug::ResolveCache`).
        paths
            .into_par_iter()
            .map_init(
                || ResolveCache::new(&workspace),
                |cache, path| {
                    let uri = Url::from_file_path(&path).ok()?;
                    let open = open_versions.get(&path);
                    let version = open.copied().flatten();
                    let diagnostics = match workspace.file_id(&path) {
                        Some(file) if open.is_some() || settings.workspace_diagnostics => {
                            // Not a request: no service layer stands above this background work, so a
                            // panic costs only this note's list.
                            let found = catch_unwind(AssertUnwindSafe(|| {
                                ide::diagnostics_with_cache(
                                    &workspace,
                                    file,
                                    &settings.diagnostics,
                                    cache,
                                )
                            }));
                            match found {
                                Ok(found) => found
                                    .iter()
                                    .filter_map(|d| {
                                        convert::diagnostic(&workspace, file, d, encoding)
                                    })
                                    .collect(),
                                Err(_) => {
                                    tracing::error!("diagnostics panicked for {}", path.display());
                                    Vec::new()
                                }
                            }
                        }
                        _ => Vec::new(),
                    };
                    // Nothing to show or clear for a closed note that never had diagnostics (an
                    // open one always gets its list, for its version).
                    if diagnostics.is_empty()
                        && open.is_none()
                        && !lock(&self.state.published).contains(uri.as_str())
                    {
                        return None;
                    }
                    Some((uri, diagnostics, version))
                },
            )
            .flatten()
            .collect::<Vec<_>>()
    }

    async fn publish(&self, batch: Vec<(Url, Vec<Diagnostic>, Option<i32>)>) {
        for (uri, diagnostics, version) in batch {
            let was_published = {
                let mut published = lock(&self.state.published);
                if diagnostics.is_empty() {
                    published.remove(uri.as_str())
                } else {
                    published.insert(uri.as_str());
                    true
                }
            };
            if diagnostics.is_empty() && !was_published && version.is_none() {
                continue; // Nothing shown, nothing to clear.
            }
            self.client
                .publish_diagnostics(uri, diagnostics, version)
                .await;
        }
    }

    /// After indexing or a settings change: every open document, plus every note with problems
    /// when workspace diagnostics are on; clears lists that are now stale. The open documents
    /// come first, in a batch of their own: their lists are what the writer is looking at.
    pub(super) async fn publish_all_diagnostics(&self) {
        let (open, mut others) = {
            let documents = lock(&self.state.documents);
            let workspace = read(&self.state.workspace);
            let mut open: Vec<PathBuf> = documents.uris().filter_map(convert::path_of).collect();
            open.sort();
            open.dedup();
            let is_open = |path: &Path| open.binary_search_by(|p| p.as_path().cmp(path)).is_ok();
            let every_note = read(&self.state.settings).workspace_diagnostics;
            let mut paths: Vec<PathBuf> = lock(&self.state.published)
                .iter()
                .filter_map(|uri| convert::path_of(&Url::parse(uri).ok()?))
                // A note is in `notes` when every note is.
                .filter(|path| !(every_note && workspace.file_id(path).is_some()))
                .filter(|path| !is_open(path))
                .collect();
            paths.sort();
            paths.dedup();
            let mut notes: Vec<FileId> = match every_note {
                true => workspace
                    .notes()
                    .filter(|(_, note)| !is_open(&note.path))
                    .map(|(file, _)| file)
                    .collect(),
                false => Vec::new(),
            };
            let path_of = |file: FileId| workspace.note(file).map(|note| &note.path);
            notes.sort_unstable_by(|&a, &b| path_of(a).cmp(&path_of(b)));
            let others = PathsInOrder {
                paths: paths.into_iter().peekable(),
                notes: notes.into_iter().peekable(),
            };
            (open, others)
        };
        self.publish_diagnostics_for(open).await;
        if !*self.state.index_ready.borrow() {
            // Nothing is published before the index is complete; indexing ends by publishing
            // every note's diagnostics.
            return;
        }
        // Right after indexing the link table is being built for the questions that wait on
        // it (a hover, references): the other notes' diagnostics come after it, not beside it
        // on the same cores. (Once built, this does not wait; an error is only a timeout or an
        // edit meanwhile, and the diagnostics go out all the same.)
        let _ = self.wait_for_links().await;
        loop {
            let chunk = others.next_chunk(&read(&self.state.workspace), PUBLISH_CHUNK);
            if chunk.is_empty() {
                break;
            }
            self.publish_diagnostics_for(chunk).await;
        }
    }
}

/// The documents whose diagnostics [`Backend::publish_all_diagnostics`] publishes after the
/// open ones, in path order: the notes by file id, their paths read from the index a chunk at a
/// time (the paths of 100k notes, copied at once, were 10 MB that stayed resident), and other
/// documents (lists shown for files no longer indexed) by path.
struct PathsInOrder {
    paths: std::iter::Peekable<std::vec::IntoIter<PathBuf>>,
    notes: std::iter::Peekable<std::vec::IntoIter<FileId>>,
}

impl PathsInOrder {
    /// The next paths, at most `size`; none once all were given. A note removed since is
    /// skipped: its removal publishes its own (empty) list.
    fn next_chunk(&mut self, workspace: &Workspace, size: usize) -> Vec<PathBuf> {
        let mut chunk = Vec::new();
        while chunk.len() < size {
            let note = self
                .notes
                .peek()
                .map(|&file| workspace.note(file).map(|note| &note.path));
            let path = match (note, self.paths.peek()) {
                (None, None) => break,
                (Some(None), _) => {
                    self.notes.next();
                    continue;
                }
                (Some(Some(note)), Some(path)) if path < note => self.paths.next(),
                (Some(Some(note)), _) => {
                    self.notes.next();
                    Some(note.clone())
                }
                (None, Some(_)) => self.paths.next(),
            };
            chunk.extend(path);
        }
        chunk
    }
}

/// A set of URIs (the documents whose diagnostics the editor shows) in one buffer: one
/// allocation for all of them, not one for each. After indexing a vault of 100k notes with
/// workspace diagnostics, tens of thousands of URIs are kept; as `Url`s made on the threads
/// that computed the diagnostics they took about 18 MB of resident memory (their own bytes,
/// and the freed memory around them in those threads' malloc arenas that they kept from
/// being returned), as one buffer about 6 MB.
#[derive(Default)]
pub(super) struct UriSet {
    /// The URIs one after the other; a removed one's bytes stay until the next compaction.
    text: String,
    /// Each URI's start and length in `text`.
    table: HashTable<(u32, u32)>,
    /// How many bytes of `text` removed URIs hold.
    dead_bytes: usize,
}

impl UriSet {
    pub(super) fn contains(&self, uri: &str) -> bool {
        self.table
            .find(uri_hash(uri), |&range| self.text_of(range) == uri)
            .is_some()
    }

    /// Adds `uri`; whether it was not in the set.
    pub(super) fn insert(&mut self, uri: &str) -> bool {
        if self.contains(uri) {
            return false;
        }
        let range = (to_u32(self.text.len()), to_u32(uri.len()));
        self.text.push_str(uri);
        let text = &self.text;
        self.table.insert_unique(uri_hash(uri), range, |&range| {
            uri_hash(text_of(text, range))
        });
        true
    }

    /// Takes `uri` out; whether it was in the set.
    pub(super) fn remove(&mut self, uri: &str) -> bool {
        let text = &self.text;
        let Ok(entry) = self
            .table
            .find_entry(uri_hash(uri), |&range| text_of(text, range) == uri)
        else {
            return false;
        };
        entry.remove();
        self.dead_bytes += uri.len();
        if self.dead_bytes > 1 << 16 && self.dead_bytes > self.text.len() / 2 {
            self.compact();
        }
        true
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &str> {
        self.table.iter().map(|&range| self.text_of(range))
    }

    fn text_of(&self, range: (u32, u32)) -> &str {
        text_of(&self.text, range)
    }

    /// Copies the URIs still in the set into a new buffer, without the removed ones' bytes.
    fn compact(&mut self) {
        let mut text = String::with_capacity(self.text.len() - self.dead_bytes);
        for range in self.table.iter_mut() {
            let uri = text_of(&self.text, *range);
            *range = (to_u32(text.len()), range.1);
            text.push_str(uri);
        }
        self.text = text;
        self.dead_bytes = 0;
    }
}

fn text_of(text: &str, (start, len): (u32, u32)) -> &str {
    &text[start as usize..(start + len) as usize]
}

fn uri_hash(uri: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(uri)
}

fn to_u32(len: usize) -> u32 {
    u32::try_from(len).expect("the URIs fit in 4 GiB")
}

#[cfg(test)]
mod tests {
    use super::UriSet;

    #[test]
    fn uri_set_keeps_what_was_inserted_and_not_removed() {
        let mut set = UriSet::default();
        let uri = |i: usize| format!("file:///vault/notes/note-{i}.md");
        for i in 0..20_000 {
            assert!(set.insert(&uri(i)));
        }
        assert!(!set.insert(&uri(7)));
        // Enough removals to compact the buffer on the way.
        for i in (0..20_000).filter(|i| i % 4 != 0) {
            assert!(set.remove(&uri(i)));
        }
        assert!(!set.remove(&uri(1)));
        assert!(set.dead_bytes < set.text.len());
        for i in 0..20_000 {
            assert_eq!(set.contains(&uri(i)), i % 4 == 0, "{i}");
        }
        let mut kept: Vec<&str> = set.iter().collect();
        kept.sort_unstable();
        let mut expected: Vec<String> = (0..20_000).step_by(4).map(uri).collect();
        expected.sort_unstable();
        assert_eq!(kept, expected);
        assert!(set.insert(&uri(1)));
        assert!(set.contains(&uri(1)));
    }
}
