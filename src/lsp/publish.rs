//! Publishing diagnostics: scheduling (debounced after typing, at once after other changes),
//! computing them on blocking threads in chunks (every note's after indexing, on all cores),
//! and sending or clearing each document's list, remembering which lists the editor shows
//! (a [`super::uri_set::UriSet`]).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::Duration;

use tower_lsp::lsp_types::*;

use super::convert;
use super::line_indexes::LineIndexes;
use super::server::{Backend, lock, read};
use crate::ide;
use crate::slug::ResolveCache;
use crate::text::FileId;
use crate::workspace::Workspace;

/// How many notes' diagnostics are computed (in parallel) and published at a time.
const PUBLISH_CHUNK: usize = 512;

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
                                // A closed note's file is read for its links' texts, and its
                                // lines made from the same text when it has something to show.
                                let note = workspace.note(file)?;
                                let links = workspace.links_of(note);
                                let found = ide::diagnostics_with_links(
                                    &workspace,
                                    file,
                                    &links,
                                    &settings.diagnostics,
                                    cache,
                                );
                                let lines = LineIndexes::for_diagnostics(&workspace);
                                if let Some(text) = links.read_text().filter(|_| !found.is_empty())
                                {
                                    lines.know(file, text);
                                }
                                Some((found, lines))
                            }));
                            match found {
                                Ok(None) => Vec::new(),
                                Ok(Some((found, lines))) => found
                                    .iter()
                                    .filter_map(|d| convert::diagnostic(&lines, file, d, encoding))
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
                .filter_map(|uri| convert::path_of(&Url::parse(&uri).ok()?))
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
