//! Publishing diagnostics: scheduling (debounced after typing, at once after other changes),
//! computing them on blocking threads in chunks (every note's after indexing, on all cores),
//! and sending or clearing each document's list, remembering which lists the editor shows.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tower_lsp::lsp_types::*;

use super::convert;
use super::server::{Backend, lock, read};
use crate::ide;
use crate::slug::ResolveCache;

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
                        && !lock(&self.state.published).contains(&uri)
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
                    published.remove(&uri)
                } else {
                    published.insert(uri.clone());
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
        let (open, others) = {
            let documents = lock(&self.state.documents);
            let workspace = read(&self.state.workspace);
            let mut open: Vec<PathBuf> = documents.uris().filter_map(convert::path_of).collect();
            open.sort();
            open.dedup();
            let mut others: Vec<PathBuf> = lock(&self.state.published)
                .iter()
                .filter_map(convert::path_of)
                .collect();
            if read(&self.state.settings).workspace_diagnostics {
                others.extend(workspace.notes().map(|(_, n)| n.path.clone()));
            }
            others.sort();
            others.dedup();
            others.retain(|path| open.binary_search(path).is_err());
            (open, others)
        };
        self.publish_diagnostics_for(open).await;
        self.publish_diagnostics_for(others).await;
    }
}
