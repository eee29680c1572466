//! Keeping the index in step with buffers and the disk: a buffer's text into the index, the
//! one path after files change on disk ([`Backend::after_disk_change`]), the background
//! (re)index of every root with its progress reports and `wikilink/status` notifications.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tower_lsp::lsp_types::notification::Notification;
use tower_lsp::lsp_types::*;

use super::convert;
use super::server::{Backend, TextSource, lock, read, write};
use crate::ide::{self, DiagnosticCode, navigation};
use crate::load::{self, LoadOptions};
use crate::syntax::{Retention, parse_file};
use crate::text::FileId;
use crate::vfs::{self, FileKind};
use crate::workspace::IndexConfig;
use crate::workspace::Workspace;

/// `wikilink/status`: indexing progress and the note count, for status bars.
pub enum StatusNotification {}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusParams {
    pub state: String,
    pub indexed: usize,
    pub total: usize,
    pub notes: usize,
    pub kbs: usize,
}

impl Notification for StatusNotification {
    type Params = StatusParams;
    const METHOD: &'static str = "wikilink/status";
}

/// What a note's links lead to, as written (KB prefix and target): when they change, the
/// backlink counts of other notes may too. `None` when the links the note was indexed with
/// cannot be read any more (a closed note whose file changed since).
fn link_targets(workspace: &Workspace, file: FileId) -> Option<Vec<(Option<String>, String)>> {
    let Some(note) = workspace.note(file) else {
        return Some(Vec::new());
    };
    let links = workspace.indexed_links_of(note)?;
    let mut targets: Vec<(Option<String>, String)> = links
        .links()
        .iter()
        .map(|l| (l.kb.map(|kb| kb.text.to_owned()), l.target.text.to_owned()))
        .collect();
    targets.sort_unstable();
    Some(targets)
}

/// A file that changed on disk, as the editor reported it.
pub(super) struct DiskChange {
    pub(super) path: PathBuf,
    /// The URI an open buffer of the file would have.
    pub(super) uri: Option<Url>,
    pub(super) kind: FileKind,
    /// The file is gone (deleted, or moved away): it is not read.
    pub(super) deleted: bool,
    /// An open buffer keeps the note's text even when the file is gone (a watcher event while
    /// the editor still shows the buffer); after the editor's own deletion or move it does not.
    pub(super) keep_open_buffer: bool,
}

impl Backend {
    /// Parses `text` as the note at `path` and puts it in the index; returns the paths whose
    /// diagnostics may have changed.
    pub(super) fn update_note(
        &self,
        path: PathBuf,
        text: &str,
        source: TextSource,
    ) -> Vec<PathBuf> {
        // A note the editor shows keeps its line index; one read from disk for no buffer does
        // not (see `Retention`).
        let lines = match source {
            TextSource::Buffer(_) | TextSource::DiskWhileOpen => Retention::Full,
            TextSource::Disk => Retention::Compact,
        };
        let parsed = parse_file(&path, text, lines);
        let mut workspace = write(&self.state.workspace);
        if workspace.root_of(&path).is_none() && !workspace.roots().is_empty() {
            // A note outside every root still gets answers of its own (it joins the first root's
            // implicit KB for lookups) but is not part of anyone's KB.
            tracing::debug!("{} is outside the workspace roots", path.display());
        }
        self.note_source(&path, source);
        let old = workspace.file_id(&path);
        let old_targets = old.map(|file| link_targets(&workspace, file));
        // Orphans: the notes this one linked to may have lost their last backlink.
        let orphans = read(&self.state.settings)
            .diagnostics
            .severity_of(DiagnosticCode::OrphanNote)
            .is_some();
        let mut linked = match (orphans, old) {
            (true, Some(file)) => ide::navigation::linked_notes(&workspace, file),
            _ => Vec::new(),
        };
        let (file, mut affected) = workspace.set_note(path, parsed);
        let targets_changed = match old_targets {
            Some(Some(old)) => Some(old) != link_targets(&workspace, file),
            // A new note, or one whose old links cannot be read any more.
            _ => true,
        };
        if targets_changed || affected.len() > 1 {
            // Other notes' backlink counts, or how this note's names resolve, changed.
            self.state.views_stale.store(true, Ordering::SeqCst);
        }
        if orphans {
            linked.extend(ide::navigation::linked_notes(&workspace, file));
            affected.extend(linked);
            affected.sort_unstable();
            affected.dedup();
        }
        affected
            .iter()
            .filter_map(|&f| workspace.note(f).map(|n| n.path.clone()))
            .collect()
    }

    /// Re-reads a note from disk (after its buffer closed or failed), or forgets it.
    pub(super) fn reload_from_disk(&self, path: &Path, source: TextSource) -> Vec<PathBuf> {
        let roots = read(&self.state.session).roots.clone();
        if vfs::is_readable_in_roots(path, &roots) {
            match vfs::read_text(path) {
                Ok(text) => return self.update_note(path.to_path_buf(), &text, source),
                Err(error) => tracing::info!("{error}"),
            }
        }
        let mut workspace = write(&self.state.workspace);
        self.note_source(path, source);
        let affected = workspace.remove_note(path);
        affected
            .iter()
            .filter_map(|&f| workspace.note(f).map(|n| n.path.clone()))
            .collect()
    }

    /// Records where the index's text of `path` comes from; the caller holds the workspace
    /// write lock (see [`State::indexed_versions`]).
    fn note_source(&self, path: &Path, source: TextSource) {
        let mut versions = lock(&self.state.indexed_versions);
        match source {
            TextSource::Buffer(version) => versions.insert(path.to_path_buf(), Some(version)),
            TextSource::DiskWhileOpen => versions.insert(path.to_path_buf(), None),
            TextSource::Disk => versions.remove(path),
        };
    }

    /// After the editor created, renamed or deleted files or folders: re-reads each path (a
    /// folder with everything below it) or forgets it, then refreshes diagnostics. An open
    /// buffer wins over the disk, unless its file is gone.
    pub(super) async fn refresh_paths(&self, paths: Vec<PathBuf>) {
        let roots = read(&self.state.session).roots.clone();
        let exclude = read(&self.state.settings).exclude.clone();
        let mut changes = Vec::new();
        for path in paths
            .into_iter()
            .filter(|p| roots.iter().any(|r| p.starts_with(r)))
        {
            let kind = vfs::file_kind(&path);
            let known = {
                let workspace = read(&self.state.workspace);
                workspace.file_id(&path).is_some() || workspace.attachment_id(&path).is_some()
            };
            let files = if path.is_dir() {
                vfs::walk(std::slice::from_ref(&path), &exclude).0
            } else if let Some(kind) = kind.filter(|&k| {
                // A path that is gone and was no attachment may have been a folder.
                k != FileKind::Attachment || known || path.exists()
            }) {
                vec![(path.clone(), kind)]
            } else {
                self.indexed_below(&path)
            };
            changes.extend(files.into_iter().map(|(path, kind)| DiskChange {
                uri: Url::from_file_path(&path).ok(),
                deleted: !path.exists(),
                keep_open_buffer: false,
                path,
                kind,
            }));
        }
        self.after_disk_change(changes).await;
    }

    /// Every note and attachment indexed below `folder` (a folder that is gone).
    fn indexed_below(&self, folder: &Path) -> Vec<(PathBuf, FileKind)> {
        let workspace = read(&self.state.workspace);
        let notes = workspace.notes().map(|(_, n)| (&n.path, FileKind::Note));
        let attachments = workspace
            .attachments()
            .map(|(_, a)| (&a.path, FileKind::Attachment));
        notes
            .chain(attachments)
            .filter(|(p, _)| p.starts_with(folder) && *p != folder)
            .map(|(p, kind)| (p.clone(), kind))
            .collect()
    }

    /// A watched deletion of a path that is no indexed file: a folder, and so everything
    /// indexed below it.
    pub(super) fn expand_deleted_folders(&self, changes: Vec<DiskChange>) -> Vec<DiskChange> {
        let mut out = Vec::with_capacity(changes.len());
        for change in changes {
            let unknown = change.deleted && change.kind == FileKind::Attachment && {
                let workspace = read(&self.state.workspace);
                workspace.attachment_id(&change.path).is_none()
            };
            if !unknown {
                out.push(change);
                continue;
            }
            for (path, kind) in self.indexed_below(&change.path) {
                out.push(DiskChange {
                    uri: Url::from_file_path(&path).ok(),
                    kind,
                    deleted: true,
                    keep_open_buffer: change.keep_open_buffer,
                    path,
                });
            }
        }
        out
    }

    /// The one path after files changed on disk (the editor's file operations, through
    /// [`Backend::refresh_paths`], and watched-file events): each file inside the roots is
    /// re-read or forgotten, then diagnostics and inlay hints are refreshed, every note's when
    /// a `kb.yaml` changed.
    pub(super) async fn after_disk_change(&self, changes: Vec<DiskChange>) {
        let roots = read(&self.state.session).roots.clone();
        let mut affected = Vec::new();
        let mut kb_changed = false;
        let mut settings_changed = false;
        for change in changes
            .into_iter()
            .filter(|c| roots.iter().any(|root| c.path.starts_with(root)))
        {
            let path = change.path;
            match change.kind {
                FileKind::KbConfig => {
                    kb_changed = true;
                    // Like notes: never through a symlink, never outside the roots.
                    let text = (!change.deleted && vfs::is_readable_in_roots(&path, &roots))
                        .then(|| vfs::read_text(&path));
                    let mut workspace = write(&self.state.workspace);
                    match text {
                        Some(Ok(text)) => {
                            for problem in vfs::kb_config_problems(&path, &text) {
                                tracing::warn!("{problem}");
                            }
                            workspace.set_kb_config(&path, &text)
                        }
                        Some(Err(error)) => {
                            tracing::info!("{error}");
                            workspace.remove_kb_config(&path)
                        }
                        None => workspace.remove_kb_config(&path),
                    }
                }
                FileKind::Attachment => {
                    let size = match change.deleted {
                        true => None,
                        false => vfs::attachment_size(&path, &roots),
                    };
                    let mut workspace = write(&self.state.workspace);
                    let notes = match size {
                        Some(size) => workspace.set_attachment(path, size).1,
                        None => workspace.remove_attachment(&path),
                    };
                    affected.extend(
                        notes
                            .iter()
                            .filter_map(|&f| workspace.note(f).map(|n| n.path.clone())),
                    );
                }
                FileKind::Settings => settings_changed = true,
                FileKind::Note => {
                    let open = change
                        .uri
                        .is_some_and(|uri| lock(&self.state.documents).get(&uri).is_some());
                    if open && (change.keep_open_buffer || !change.deleted) {
                        continue; // The open buffer wins over the disk.
                    }
                    affected.extend(self.reload_from_disk(&path, TextSource::Disk));
                    affected.push(path);
                }
            }
        }
        if settings_changed {
            self.settings_files_changed().await;
        }
        let changed = kb_changed || !affected.is_empty();
        if kb_changed {
            self.publish_all_diagnostics().await;
        } else {
            self.schedule_diagnostics(affected, Duration::ZERO);
        }
        if changed {
            self.refresh_views().await;
        }
    }

    /// Re-indexes every root in the background, reporting progress; open buffers win over disk.
    pub(super) async fn reindex(&self) {
        let generation = self.state.index_generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.state.index_ready.send_replace(false);
        self.state.links_ready.send_replace(false);
        // The roots may have changed, and with them their settings files.
        if self.reload_settings_files() {
            self.publish_settings_problems().await;
        }
        let roots = read(&self.state.session).roots.clone();
        let options = {
            let settings = read(&self.state.settings);
            LoadOptions {
                exclude: settings.exclude.clone(),
                index: IndexConfig {
                    reference_fields: settings.reference_fields.clone(),
                },
                // A closed note's lines are made again from its file when an answer names it.
                retention: Retention::Compact,
            }
        };
        let started = Instant::now();
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<load::Progress>();
        let existing_roots: Vec<PathBuf> = roots.iter().filter(|r| r.is_dir()).cloned().collect();
        for missing in roots.iter().filter(|r| !r.is_dir()) {
            tracing::warn!(
                "workspace root {} does not exist or is not a folder; skipped",
                missing.display()
            );
        }
        let delay = super::server::test_index_delay();
        let mut load = tokio::task::spawn_blocking(move || {
            if let Some(delay) = delay {
                std::thread::sleep(delay);
            }
            load::load(&existing_roots, &options, &move |p| {
                let _ = sender.send(p);
            })
        });
        // The client creates the progress token while the notes load, not before.
        let token = self.begin_progress(generation).await;
        let mut last_report = Instant::now();
        let loaded = loop {
            tokio::select! {
                result = &mut load => break result,
                Some(progress) = receiver.recv() => {
                    if last_report.elapsed() >= Duration::from_millis(100) {
                        last_report = Instant::now();
                        self.report_progress(&token, progress).await;
                    }
                }
            }
        };
        let loaded = match loaded {
            Ok(loaded) => loaded,
            Err(error) => {
                tracing::error!("indexing failed: {error}");
                self.end_progress(&token, "indexing failed; see the server log")
                    .await;
                // Answer from what the index holds rather than keep every request waiting.
                if self.state.index_generation.load(Ordering::SeqCst) == generation {
                    self.state.index_ready.send_replace(true);
                    self.state.links_ready.send_replace(true);
                }
                return;
            }
        };
        if self.state.index_generation.load(Ordering::SeqCst) != generation {
            return;
        }
        for warning in &loaded.warnings {
            tracing::warn!("{warning}");
        }
        let (notes, kbs, summary) = {
            let documents = lock(&self.state.documents);
            let mut workspace = loaded.workspace;
            let mut versions = HashMap::new();
            for uri in documents.uris() {
                if let (Some(path), Some(document)) = (convert::path_of(uri), documents.get(uri)) {
                    versions.insert(path.clone(), Some(document.version));
                    let parsed = parse_file(&path, &document.rope.to_string(), Retention::Full);
                    workspace.put_note(path, parsed);
                }
            }
            let counts = (
                workspace.note_count(),
                workspace.visible_kbs().len(),
                format!(
                    "{} in {}",
                    navigation::plural(workspace.note_count(), "note"),
                    navigation::places(&workspace)
                ),
            );
            let mut current = write(&self.state.workspace);
            *current = workspace;
            *lock(&self.state.indexed_versions) = versions;
            drop(current);
            counts
        };
        self.state.index_ready.send_replace(true);
        self.build_link_table_in_background(generation);
        let elapsed = started.elapsed().as_millis();
        tracing::info!("indexed {summary} in {elapsed} ms");
        self.end_progress(&token, &summary).await;
        self.send_status("ready", notes, notes, notes, kbs).await;
        self.publish_all_diagnostics().await;
        // Hints, lenses and tokens asked for before the index was ready knew no other note.
        self.refresh_views().await;
    }

    /// Builds the workspace's link table (who links where: references, backlinks, rename, the
    /// notes an edit affects) on a blocking thread once the index is ready, then says so
    /// (`links_ready`) unless a newer index started meanwhile. The requests that read it wait
    /// for that (see [`Backend::guarded_links`]); an edit meanwhile builds it under the write
    /// lock if it is not built yet (the table is built once, whoever asks first).
    fn build_link_table_in_background(&self, generation: u64) {
        let state = self.state.clone();
        let delay = super::server::test_link_table_delay();
        tokio::task::spawn_blocking(move || {
            if let Some(delay) = delay {
                std::thread::sleep(delay);
            }
            let built = std::panic::catch_unwind(|| read(&state.workspace).build_link_table());
            if built.is_err() {
                // The requests waiting for it go on: each builds the table again, or fails on
                // its own.
                tracing::error!("building the link table panicked");
            }
            if state.index_generation.load(Ordering::SeqCst) == generation {
                state.links_ready.send_replace(true);
            }
        });
    }

    /// Asks the client to ask again for what it shows of other notes, when it can and the
    /// feature is on: inlay hints (other notes' titles, backlink counts), code lenses (backlink
    /// counts) and semantic tokens (whether links resolve).
    pub(super) async fn refresh_views(&self) {
        self.state.views_stale.store(false, Ordering::SeqCst);
        let flags = self.flags();
        let (hints, lenses) = {
            let settings = read(&self.state.settings);
            (
                settings.inlay_hints || settings.inlay_hint_backlinks,
                settings.code_lens_backlinks,
            )
        };
        if flags.inlay_hint_refresh
            && hints
            && let Err(error) = self.client.inlay_hint_refresh().await
        {
            tracing::info!("client refused workspace/inlayHint/refresh: {error}");
        }
        if flags.code_lens_refresh
            && lenses
            && let Err(error) = self.client.code_lens_refresh().await
        {
            tracing::info!("client refused workspace/codeLens/refresh: {error}");
        }
        if flags.semantic_tokens_refresh
            && let Err(error) = self.client.semantic_tokens_refresh().await
        {
            tracing::info!("client refused workspace/semanticTokens/refresh: {error}");
        }
    }

    async fn begin_progress(&self, generation: u64) -> Option<ProgressToken> {
        self.send_status("indexing", 0, 0, 0, 0).await;
        if !self.flags().work_done_progress {
            return None;
        }
        let token = ProgressToken::String(format!("wikilink-lsp/index/{generation}"));
        let created = self
            .client
            .send_request::<request::WorkDoneProgressCreate>(WorkDoneProgressCreateParams {
                token: token.clone(),
            })
            .await;
        if let Err(error) = created {
            tracing::info!("client refused a progress token: {error}");
            return None;
        }
        self.client
            .send_notification::<notification::Progress>(ProgressParams {
                token: token.clone(),
                value: ProgressParamsValue::WorkDone(WorkDoneProgress::Begin(
                    WorkDoneProgressBegin {
                        title: "Indexing notes".to_owned(),
                        cancellable: Some(false),
                        message: Some("walking the workspace".to_owned()),
                        percentage: Some(0),
                    },
                )),
            })
            .await;
        Some(token)
    }

    async fn report_progress(&self, token: &Option<ProgressToken>, progress: load::Progress) {
        self.send_status("indexing", progress.done, progress.total, 0, 0)
            .await;
        let Some(token) = token else { return };
        let percentage = (progress.done * 100)
            .checked_div(progress.total)
            .unwrap_or(0) as u32;
        self.client
            .send_notification::<notification::Progress>(ProgressParams {
                token: token.clone(),
                value: ProgressParamsValue::WorkDone(WorkDoneProgress::Report(
                    WorkDoneProgressReport {
                        cancellable: Some(false),
                        message: Some(format!("{}/{} notes", progress.done, progress.total)),
                        percentage: Some(percentage),
                    },
                )),
            })
            .await;
    }

    async fn end_progress(&self, token: &Option<ProgressToken>, message: &str) {
        let Some(token) = token else { return };
        self.client
            .send_notification::<notification::Progress>(ProgressParams {
                token: token.clone(),
                value: ProgressParamsValue::WorkDone(WorkDoneProgress::End(WorkDoneProgressEnd {
                    message: Some(message.to_owned()),
                })),
            })
            .await;
    }

    async fn send_status(
        &self,
        state: &str,
        indexed: usize,
        total: usize,
        notes: usize,
        kbs: usize,
    ) {
        let params = StatusParams {
            state: state.to_owned(),
            indexed,
            total,
            notes,
            kbs,
        };
        self.client
            .send_notification::<StatusNotification>(params)
            .await;
    }
}
