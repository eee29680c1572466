//! `impl LanguageServer`: each handler locks, converts positions with `convert`, calls one
//! `ide` function and converts the answer back. Document changes are applied before the first
//! `.await`; std locks are never held across an `.await`; every feature call goes through
//! [`Backend::guarded`], which turns a panic into an error reply and keeps the server serving.
//!
//! Lock order, everywhere: `documents`, then `workspace`, then `settings`/`session`.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tower_lsp::jsonrpc::{self, Result};
use tower_lsp::lsp_types::notification::Notification;
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer};

use super::capabilities::{self, ClientFlags};
use super::config::Settings;
use super::convert;
use super::documents::Documents;
use crate::ide;
use crate::line_index::PositionEncoding;
use crate::syntax::parse_note;
use crate::text::{FileId, FilePosition};
use crate::vfs::{self, FileKind, LoadOptions};
use crate::workspace::{IndexConfig, Workspace};

#[derive(Clone)]
pub struct Backend {
    client: Client,
    state: Arc<State>,
}

/// What the server learned in `initialize`.
#[derive(Clone, Debug)]
struct Session {
    encoding: PositionEncoding,
    flags: ClientFlags,
    roots: Vec<PathBuf>,
    /// The client named no root: each opened file brings its own (see `implicit_root`).
    roots_from_files: bool,
}

struct State {
    documents: Mutex<Documents>,
    workspace: RwLock<Workspace>,
    settings: RwLock<Settings>,
    session: RwLock<Session>,
    shutdown: Arc<AtomicBool>,
    /// Bumped by every (re)index; a load that finishes after a newer one started is dropped.
    index_generation: AtomicU64,
    indexed: AtomicBool,
    /// Notes whose diagnostics are due, and the debounce generation.
    pending_diagnostics: Mutex<HashSet<PathBuf>>,
    diagnostics_generation: AtomicU64,
    /// The settings from `initialize`; pulled settings are laid over them.
    initialization_options: RwLock<serde_json::Value>,
    /// Documents that currently show a non-empty diagnostic list in the editor.
    published: Mutex<HashSet<Url>>,
}

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

/// How many notes' diagnostics are computed (in parallel) and published at a time.
const PUBLISH_CHUNK: usize = 2048;

impl Notification for StatusNotification {
    type Params = StatusParams;
    const METHOD: &'static str = "wikilink/status";
}

/// LSP's `RequestFailed`: a valid request the server declines, with a message for the user.
const REQUEST_FAILED: i64 = -32803;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|e| e.into_inner())
}

impl Backend {
    pub fn new(client: Client, shutdown: Arc<AtomicBool>) -> Backend {
        Backend {
            client,
            state: Arc::new(State {
                documents: Mutex::new(Documents::default()),
                workspace: RwLock::new(Workspace::default()),
                settings: RwLock::new(Settings::default()),
                session: RwLock::new(Session {
                    encoding: PositionEncoding::Utf16,
                    flags: ClientFlags::default(),
                    roots: Vec::new(),
                    roots_from_files: false,
                }),
                shutdown,
                index_generation: AtomicU64::new(0),
                indexed: AtomicBool::new(false),
                pending_diagnostics: Mutex::new(HashSet::new()),
                diagnostics_generation: AtomicU64::new(0),
                published: Mutex::new(HashSet::new()),
                initialization_options: RwLock::new(serde_json::Value::Null),
            }),
        }
    }

    fn encoding(&self) -> PositionEncoding {
        read(&self.state.session).encoding
    }

    fn flags(&self) -> ClientFlags {
        read(&self.state.session).flags
    }

    /// Runs a feature, turning a panic into an internal-error reply.
    fn guarded<T>(&self, name: &str, feature: impl FnOnce() -> Option<T>) -> Result<Option<T>> {
        match catch_unwind(AssertUnwindSafe(feature)) {
            Ok(answer) => Ok(answer),
            Err(payload) => {
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                tracing::error!("{name} panicked: {message}");
                Err(jsonrpc::Error {
                    code: jsonrpc::ErrorCode::InternalError,
                    message: format!("wikilink-lsp: internal error in {name} ({message}); the server keeps running").into(),
                    data: None,
                })
            }
        }
    }

    /// Like [`Backend::guarded`], for features that can refuse: an `Err(message)` becomes a
    /// `RequestFailed` error reply whose message the editor shows (rename uses it).
    fn guarded_result<T>(
        &self,
        name: &str,
        feature: impl FnOnce() -> std::result::Result<Option<T>, String>,
    ) -> Result<Option<T>> {
        match self.guarded(name, || Some(feature()))? {
            Some(Ok(answer)) => Ok(answer),
            Some(Err(message)) => Err(jsonrpc::Error {
                code: jsonrpc::ErrorCode::ServerError(REQUEST_FAILED),
                message: message.into(),
                data: None,
            }),
            None => Ok(None),
        }
    }

    /// Whether the editor applies `RenameFile`/`CreateFile` operations in workspace edits.
    fn can_change_files(&self) -> bool {
        self.flags().resource_operations
    }

    /// A core change as a `WorkspaceEdit`, with open buffers' versions. File operations exist
    /// only in `documentChanges`, so a client that announces them gets that form even when it
    /// does not announce `documentChanges` (Neovim 0.7 applies it all the same).
    fn workspace_edit(
        &self,
        documents: &Documents,
        workspace: &Workspace,
        change: &ide::SourceChange,
    ) -> Option<WorkspaceEdit> {
        let version = |uri: &Url| documents.get(uri).map(|d| d.version);
        let flags = self.flags();
        let document_changes =
            flags.document_changes || (flags.resource_operations && change.file_system.is_some());
        convert::workspace_edit(
            workspace,
            change,
            &version,
            self.encoding(),
            document_changes,
        )
    }

    /// The test hook behind `wikilink/debugPanic`: panics inside a guarded feature when the
    /// environment variable `WIKILINK_LSP_TEST_HOOKS=1` is set, and is unknown otherwise.
    pub async fn debug_panic(&self, _params: serde_json::Value) -> Result<Option<()>> {
        if std::env::var("WIKILINK_LSP_TEST_HOOKS").as_deref() != Ok("1") {
            return Err(jsonrpc::Error::method_not_found());
        }
        self.guarded("debugPanic", || -> Option<()> {
            panic!("deliberate panic for testing")
        })
    }

    /// Looks up an open or indexed note by URI, logging why when there is none.
    fn file_for(&self, workspace: &Workspace, uri: &Url) -> Option<FileId> {
        let Some(path) = convert::path_of(uri) else {
            tracing::info!("ignoring a request for a non-file URI: {uri}");
            return None;
        };
        let file = workspace.file_id(&path);
        if file.is_none() {
            tracing::info!("no note indexed at {}", path.display());
        }
        file
    }

    fn position(
        &self,
        workspace: &Workspace,
        params: &TextDocumentPositionParams,
    ) -> Option<FilePosition> {
        let file = self.file_for(workspace, &params.text_document.uri)?;
        let index = &workspace.note(file)?.parsed.line_index;
        Some(FilePosition {
            file,
            offset: convert::offset(index, params.position, self.encoding()),
        })
    }

    // ----- keeping the index in step with buffers and the disk -----

    /// Parses `text` as the note at `path` and puts it in the index; returns the paths whose
    /// diagnostics may have changed.
    fn update_note(&self, path: PathBuf, text: &str) -> Vec<PathBuf> {
        let parsed = parse_note(text);
        let mut workspace = write(&self.state.workspace);
        if workspace.root_of(&path).is_none() && !workspace.roots().is_empty() {
            // A note outside every root still gets answers of its own (it joins the first root's
            // implicit KB for lookups) but is not part of anyone's KB.
            tracing::debug!("{} is outside the workspace roots", path.display());
        }
        let (_, affected) = workspace.set_note(path, parsed);
        affected
            .iter()
            .filter_map(|&f| workspace.note(f).map(|n| n.path.clone()))
            .collect()
    }

    /// Re-reads a note from disk (after its buffer closed or failed), or forgets it.
    fn reload_from_disk(&self, path: &Path) -> Vec<PathBuf> {
        let roots = read(&self.state.session).roots.clone();
        if vfs::is_readable_in_roots(path, &roots) {
            match vfs::read_text(path) {
                Ok(text) => return self.update_note(path.to_path_buf(), &text),
                Err(error) => tracing::info!("{error}"),
            }
        }
        let mut workspace = write(&self.state.workspace);
        let affected = workspace.remove_note(path);
        affected
            .iter()
            .filter_map(|&f| workspace.note(f).map(|n| n.path.clone()))
            .collect()
    }

    /// After the editor created, renamed or deleted files or folders: re-reads each path (a
    /// folder with everything below it) or forgets it, then refreshes diagnostics. An open
    /// buffer wins over the disk, unless its file is gone.
    async fn refresh_paths(&self, paths: Vec<PathBuf>) {
        let roots = read(&self.state.session).roots.clone();
        let exclude = read(&self.state.settings).exclude.clone();
        let mut affected = Vec::new();
        let mut kb_changed = false;
        for path in paths
            .into_iter()
            .filter(|p| roots.iter().any(|r| p.starts_with(r)))
        {
            let files = if path.is_dir() {
                vfs::walk(std::slice::from_ref(&path), &exclude).0
            } else if let Some(kind) = vfs::file_kind(&path) {
                vec![(path.clone(), kind)]
            } else {
                // A folder that is gone: everything indexed below it.
                let workspace = read(&self.state.workspace);
                let below = workspace.notes().map(|(_, n)| &n.path);
                below
                    .filter(|p| p.starts_with(&path))
                    .map(|p| (p.clone(), FileKind::Note))
                    .collect()
            };
            for (file, kind) in files {
                match kind {
                    FileKind::KbConfig => {
                        kb_changed = true;
                        // Like notes: never through a symlink, never outside the roots.
                        let readable = vfs::is_readable_in_roots(&file, &roots);
                        let text = readable.then(|| vfs::read_text(&file).ok()).flatten();
                        let mut workspace = write(&self.state.workspace);
                        match text {
                            Some(text) => {
                                for problem in vfs::kb_config_problems(&file, &text) {
                                    tracing::warn!("{problem}");
                                }
                                workspace.set_kb_config(&file, &text)
                            }
                            None => workspace.remove_kb_config(&file),
                        }
                    }
                    FileKind::Note => {
                        let open = Url::from_file_path(&file)
                            .is_ok_and(|uri| lock(&self.state.documents).get(&uri).is_some());
                        if open && file.exists() {
                            continue;
                        }
                        affected.extend(self.reload_from_disk(&file));
                        affected.push(file);
                    }
                }
            }
        }
        let changed = kb_changed || !affected.is_empty();
        if kb_changed {
            self.publish_all_diagnostics().await;
        } else {
            self.schedule_diagnostics(affected, Duration::ZERO);
        }
        if changed {
            self.refresh_inlay_hints().await;
        }
    }

    /// Re-indexes every root in the background, reporting progress; open buffers win over disk.
    async fn reindex(&self) {
        let generation = self.state.index_generation.fetch_add(1, Ordering::SeqCst) + 1;
        self.state.indexed.store(false, Ordering::SeqCst);
        let roots = read(&self.state.session).roots.clone();
        let options = {
            let settings = read(&self.state.settings);
            LoadOptions {
                exclude: settings.exclude.clone(),
                index: IndexConfig {
                    reference_fields: settings.reference_fields.clone(),
                },
            }
        };
        let started = Instant::now();
        let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<vfs::Progress>();
        let existing_roots: Vec<PathBuf> = roots.iter().filter(|r| r.is_dir()).cloned().collect();
        for missing in roots.iter().filter(|r| !r.is_dir()) {
            tracing::warn!(
                "workspace root {} does not exist or is not a folder; skipped",
                missing.display()
            );
        }
        let mut load = tokio::task::spawn_blocking(move || {
            vfs::load(&existing_roots, &options, &move |p| {
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
                return;
            }
        };
        if self.state.index_generation.load(Ordering::SeqCst) != generation {
            return;
        }
        for warning in &loaded.warnings {
            tracing::warn!("{warning}");
        }
        let (notes, kbs) = {
            let documents = lock(&self.state.documents);
            let mut workspace = loaded.workspace;
            for uri in documents.uris() {
                if let (Some(path), Some(document)) = (convert::path_of(uri), documents.get(uri)) {
                    workspace.set_note(path, parse_note(&document.rope.to_string()));
                }
            }
            let counts = (workspace.note_count(), workspace.visible_kbs().len());
            *write(&self.state.workspace) = workspace;
            counts
        };
        self.state.indexed.store(true, Ordering::SeqCst);
        let elapsed = started.elapsed().as_millis();
        tracing::info!("indexed {notes} notes in {kbs} KBs in {elapsed} ms");
        self.end_progress(&token, &format!("{notes} notes in {kbs} KBs"))
            .await;
        self.send_status("ready", notes, notes, notes, kbs).await;
        self.publish_all_diagnostics().await;
        // Hints asked for before the index was ready named no titles.
        self.refresh_inlay_hints().await;
    }

    /// Asks the client to ask again for the inlay hints of the notes it shows (they name other
    /// notes' titles, which may have changed), when it can and hints are on.
    async fn refresh_inlay_hints(&self) {
        if !self.flags().inlay_hint_refresh || !read(&self.state.settings).inlay_hints {
            return;
        }
        if let Err(error) = self.client.inlay_hint_refresh().await {
            tracing::info!("client refused workspace/inlayHint/refresh: {error}");
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

    async fn report_progress(&self, token: &Option<ProgressToken>, progress: vfs::Progress) {
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

    // ----- diagnostics -----

    /// Publishes diagnostics for `paths` after the debounce delay (immediately for `0`).
    fn schedule_diagnostics(&self, paths: Vec<PathBuf>, delay: Duration) {
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
        });
    }

    fn debounce(&self) -> Duration {
        Duration::from_millis(read(&self.state.settings).debounce_ms)
    }

    async fn publish_diagnostics_for(&self, paths: Vec<PathBuf>) {
        if !self.state.indexed.load(Ordering::SeqCst) {
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
        let documents = lock(&self.state.documents);
        let workspace = read(&self.state.workspace);
        let settings = read(&self.state.settings);
        let encoding = self.encoding();
        // Every note's diagnostics after indexing: computed on all cores, in order.
        use rayon::prelude::*;
        paths
            .into_par_iter()
            .filter_map(|path| {
                let uri = Url::from_file_path(&path).ok()?;
                let open = documents.get(&uri);
                let version = open.map(|d| d.version);
                let diagnostics = match workspace.file_id(&path) {
                    Some(file) if open.is_some() || settings.workspace_diagnostics => {
                        let found = catch_unwind(AssertUnwindSafe(|| {
                            ide::diagnostics(&workspace, file, &settings.diagnostics)
                        }));
                        match found {
                            Ok(found) => found
                                .iter()
                                .filter_map(|d| convert::diagnostic(&workspace, file, d, encoding))
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
                    && version.is_none()
                    && !lock(&self.state.published).contains(&uri)
                {
                    return None;
                }
                Some((uri, diagnostics, version))
            })
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
    /// when workspace diagnostics are on; clears lists that are now stale.
    async fn publish_all_diagnostics(&self) {
        let paths: Vec<PathBuf> = {
            let documents = lock(&self.state.documents);
            let workspace = read(&self.state.workspace);
            let mut paths: HashSet<PathBuf> =
                documents.uris().filter_map(convert::path_of).collect();
            paths.extend(
                lock(&self.state.published)
                    .iter()
                    .filter_map(convert::path_of),
            );
            if read(&self.state.settings).workspace_diagnostics {
                paths.extend(workspace.notes().map(|(_, n)| n.path.clone()));
            }
            paths.into_iter().collect()
        };
        self.publish_diagnostics_for(paths).await;
    }

    // ----- settings -----

    async fn pull_settings(&self) -> Option<Settings> {
        if !self.flags().configuration {
            return None;
        }
        let items = vec![ConfigurationItem {
            scope_uri: None,
            section: Some("wikilink".to_owned()),
        }];
        match self.client.configuration(items).await {
            // `null` means the client has nothing for the section: keep what we have.
            Ok(values) => values.first().filter(|v| !v.is_null()).map(|pulled| {
                let initial = read(&self.state.initialization_options).clone();
                self.read_settings(&merge_settings(&initial, pulled))
            }),
            Err(error) => {
                tracing::info!("workspace/configuration failed: {error}");
                None
            }
        }
    }

    fn read_settings(&self, value: &serde_json::Value) -> Settings {
        let (settings, warnings) = Settings::from_json(value);
        for warning in warnings {
            tracing::warn!("{warning}");
        }
        settings
    }

    /// Applies new settings; re-indexes when they change what the index holds.
    async fn apply_settings(&self, settings: Settings) {
        let reindex = {
            let mut current = write(&self.state.settings);
            let reindex = current.exclude != settings.exclude
                || current.reference_fields != settings.reference_fields;
            *current = settings;
            reindex
        };
        if reindex {
            self.reindex().await;
        } else {
            self.publish_all_diagnostics().await;
        }
    }

    async fn register_watchers(&self) {
        if !self.flags().watch_files_dynamically {
            return;
        }
        let watchers = ["**/*.md", "**/*.markdown", "**/kb.yaml"]
            .into_iter()
            .map(|glob| FileSystemWatcher {
                glob_pattern: GlobPattern::String(glob.to_owned()),
                kind: None,
            })
            .collect();
        let registration = Registration {
            id: "wikilink-lsp/watch".to_owned(),
            method: "workspace/didChangeWatchedFiles".to_owned(),
            register_options: serde_json::to_value(DidChangeWatchedFilesRegistrationOptions {
                watchers,
            })
            .ok(),
        };
        if let Err(error) = self.client.register_capability(vec![registration]).await {
            tracing::info!("client refused file watching: {error}");
        }
    }
}

/// Lays `pulled` settings over `initial` ones, key by key (either may be wrapped in a
/// `wikilink` object), so a client that answers `workspace/configuration` with only some keys
/// keeps the rest from `initializationOptions`.
fn merge_settings(initial: &serde_json::Value, pulled: &serde_json::Value) -> serde_json::Value {
    fn section(value: &serde_json::Value) -> &serde_json::Value {
        value.get("wikilink").unwrap_or(value)
    }
    fn merge(base: &mut serde_json::Value, over: &serde_json::Value) {
        match (base, over) {
            (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
                for (key, value) in over {
                    merge(
                        base.entry(key.clone()).or_insert(serde_json::Value::Null),
                        value,
                    );
                }
            }
            (base, over) => *base = over.clone(),
        }
    }
    let mut merged = match section(initial) {
        serde_json::Value::Object(_) => section(initial).clone(),
        _ => serde_json::Value::Object(Default::default()),
    };
    merge(&mut merged, section(pulled));
    merged
}

/// Most workspace symbols answered at once.
const WORKSPACE_SYMBOLS_LIMIT: usize = 100;

/// The path of a `file://` URI given as a string (file operations carry strings).
fn file_path(uri: &str) -> Option<PathBuf> {
    convert::path_of(&Url::parse(uri).ok()?)
}

/// The roots named in `initialize`: workspace folders, else `rootUri`, else `rootPath`.
#[allow(deprecated)]
fn roots_from(params: &InitializeParams) -> Vec<PathBuf> {
    if let Some(folders) = &params.workspace_folders
        && !folders.is_empty()
    {
        return folders
            .iter()
            .filter_map(|f| convert::path_of(&f.uri))
            .collect();
    }
    if let Some(path) = params.root_uri.as_ref().and_then(convert::path_of) {
        return vec![path];
    }
    params.root_path.iter().map(PathBuf::from).collect()
}

/// With no root at all: the folder of the file's nearest `kb.yaml`, else the file's own folder.
fn implicit_root(path: &Path) -> Option<PathBuf> {
    let folder = path.parent()?;
    for dir in folder.ancestors() {
        if dir.join("kb.yaml").is_file() {
            return Some(dir.to_path_buf());
        }
    }
    Some(folder.to_path_buf())
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = capabilities::negotiate_encoding(&params.capabilities);
        let flags = capabilities::client_flags(&params.capabilities);
        let roots = roots_from(&params);
        tracing::info!("initialize: roots {:?}, encoding {:?}", roots, encoding);
        if let Some(options) = &params.initialization_options {
            *write(&self.state.initialization_options) = options.clone();
            let settings = self.read_settings(options);
            *write(&self.state.settings) = settings;
        }
        *write(&self.state.workspace) = Workspace::new(roots.clone(), IndexConfig::default());
        *write(&self.state.session) = Session {
            encoding,
            flags,
            roots_from_files: roots.is_empty(),
            roots,
        };
        Ok(InitializeResult {
            capabilities: capabilities::server_capabilities(encoding),
            server_info: Some(ServerInfo {
                name: "wikilink-lsp".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        // Two independent round trips to the client: both under way at once.
        let ((), pulled) = tokio::join!(self.register_watchers(), self.pull_settings());
        if let Some(settings) = pulled {
            *write(&self.state.settings) = settings;
        }
        if !read(&self.state.session).roots.is_empty() {
            self.reindex().await;
        }
    }

    async fn shutdown(&self) -> Result<()> {
        self.state.shutdown.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let document = params.text_document;
        let Some(path) = convert::path_of(&document.uri) else {
            tracing::info!("not tracking non-file document {}", document.uri);
            return;
        };
        lock(&self.state.documents).open(document.uri.clone(), &document.text, document.version);
        let mut affected = self.update_note(path.clone(), &document.text);
        affected.push(path.clone());
        self.schedule_diagnostics(affected, Duration::ZERO);
        let needs_root = {
            let session = read(&self.state.session);
            session.roots_from_files && !session.roots.iter().any(|root| path.starts_with(root))
        };
        if needs_root && let Some(root) = implicit_root(&path) {
            tracing::info!("no workspace root given; adding {}", root.display());
            write(&self.state.session).roots.push(root);
            self.reindex().await;
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let Some(path) = convert::path_of(&uri) else {
            return;
        };
        let encoding = self.encoding();
        let result = lock(&self.state.documents).apply_changes(
            &uri,
            params.text_document.version,
            &params.content_changes,
            encoding,
        );
        let affected = match result {
            Ok(text) => self.update_note(path, &text),
            Err(error @ super::documents::ChangeError::BadRange { .. }) => {
                tracing::warn!(
                    "cannot apply a change to {uri}: {error}; using the file on disk until the editor sends the full text"
                );
                self.reload_from_disk(&path)
            }
            Err(error) => {
                tracing::warn!("ignored a change to {uri}: {error}");
                return;
            }
        };
        self.schedule_diagnostics(affected, self.debounce());
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {}

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        lock(&self.state.documents).close(&uri);
        let Some(path) = convert::path_of(&uri) else {
            return;
        };
        let mut affected = self.reload_from_disk(&path);
        affected.push(path);
        self.schedule_diagnostics(affected, Duration::ZERO);
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let roots = read(&self.state.session).roots.clone();
        let mut affected = Vec::new();
        let mut kb_changed = false;
        for change in params.changes {
            let Some(path) = convert::path_of(&change.uri) else {
                continue;
            };
            let Some(kind) = vfs::file_kind(&path) else {
                continue;
            };
            if !roots.iter().any(|root| path.starts_with(root)) {
                continue;
            }
            match kind {
                FileKind::KbConfig => {
                    kb_changed = true;
                    let mut workspace = write(&self.state.workspace);
                    // Like notes: never through a symlink, never outside the roots.
                    let text = (change.typ != FileChangeType::DELETED
                        && vfs::is_readable_in_roots(&path, &roots))
                    .then(|| vfs::read_text(&path));
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
                FileKind::Note => {
                    if lock(&self.state.documents).get(&change.uri).is_some() {
                        continue; // The open buffer wins over the disk.
                    }
                    affected.extend(self.reload_from_disk(&path));
                    affected.push(path);
                }
            }
        }
        let changed = kb_changed || !affected.is_empty();
        if kb_changed {
            self.publish_all_diagnostics().await;
        } else {
            self.schedule_diagnostics(affected, Duration::ZERO);
        }
        if changed {
            self.refresh_inlay_hints().await;
        }
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        let pushed = params.settings.get("wikilink").is_some().then(|| {
            let initial = read(&self.state.initialization_options).clone();
            self.read_settings(&merge_settings(&initial, &params.settings))
        });
        let settings = match pushed {
            Some(settings) => Some(settings),
            None => self.pull_settings().await,
        };
        if let Some(settings) = settings {
            self.apply_settings(settings).await;
        }
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        {
            let mut session = write(&self.state.session);
            let removed: Vec<PathBuf> = params
                .event
                .removed
                .iter()
                .filter_map(|f| convert::path_of(&f.uri))
                .collect();
            session.roots.retain(|r| !removed.contains(r));
            for added in params
                .event
                .added
                .iter()
                .filter_map(|f| convert::path_of(&f.uri))
            {
                if !session.roots.contains(&added) {
                    session.roots.push(added);
                }
            }
        }
        self.reindex().await;
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.guarded("completion", || {
            let documents = lock(&self.state.documents);
            let uri = &params.text_document_position.text_document.uri;
            let Some(document) = documents.get(uri) else {
                tracing::info!("completion in a document that is not open: {uri}");
                return None;
            };
            let text = document.rope.to_string();
            let workspace = read(&self.state.workspace);
            let position = self.position(&workspace, &params.text_document_position)?;
            let config = read(&self.state.settings).completion.clone();
            let list = ide::completion(&workspace, position, &text, &config)?;
            let index = &workspace.note(position.file)?.parsed.line_index;
            Some(CompletionResponse::List(convert::completion_list(
                &workspace,
                index,
                list,
                self.encoding(),
            )))
        })
    }

    async fn completion_resolve(&self, mut item: CompletionItem) -> Result<CompletionItem> {
        let documentation = self.guarded("completionItem/resolve", || {
            let path: PathBuf =
                serde_json::from_value(item.data.as_ref()?.get("path")?.clone()).ok()?;
            let workspace = read(&self.state.workspace);
            let file = workspace.file_id(&path)?;
            Some(ide::hover::note_card(&workspace, file))
        })?;
        if let Some(markdown) = documentation {
            item.documentation = Some(Documentation::MarkupContent(MarkupContent {
                kind: MarkupKind::Markdown,
                value: markdown,
            }));
        }
        Ok(item)
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        self.guarded("definition", || {
            let workspace = read(&self.state.workspace);
            let position = self.position(&workspace, &params.text_document_position_params)?;
            let answer = ide::goto_definition(&workspace, position)?;
            convert::goto_response(
                &workspace,
                position.file,
                answer,
                self.encoding(),
                self.flags().location_links,
            )
        })
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.guarded("hover", || {
            let documents = lock(&self.state.documents);
            let workspace = read(&self.state.workspace);
            let position = self.position(&workspace, &params.text_document_position_params)?;
            let roots = read(&self.state.session).roots.clone();
            let source = |file: FileId| {
                let path = &workspace.note(file)?.path;
                let uri = Url::from_file_path(path).ok()?;
                match documents.get(&uri) {
                    Some(document) => Some(document.rope.to_string()),
                    // The file may have become a symlink since it was indexed.
                    None if vfs::is_readable_in_roots(path, &roots) => vfs::read_text(path).ok(),
                    None => None,
                }
            };
            let answer = ide::hover(&workspace, position, &source)?;
            let index = &workspace.note(position.file)?.parsed.line_index;
            let kind = if self.flags().markdown_hover {
                MarkupKind::Markdown
            } else {
                MarkupKind::PlainText
            };
            Some(Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind,
                    value: answer.info,
                }),
                range: Some(convert::range(index, answer.range, self.encoding())),
            })
        })
    }

    // ----- navigation and refactoring -----

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.guarded("references", || {
            let workspace = read(&self.state.workspace);
            let position = self.position(&workspace, &params.text_document_position)?;
            let config = ide::ReferencesConfig {
                include_declaration: params.context.include_declaration,
            };
            let answer = ide::references(&workspace, position, &config)?;
            let encoding = self.encoding();
            let locations = answer.info.iter();
            Some(
                locations
                    .filter_map(|r| convert::location(&workspace, r.file, r.range, encoding))
                    .collect(),
            )
        })
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.guarded_result("prepareRename", || {
            let workspace = read(&self.state.workspace);
            let Some(position) = self.position(&workspace, &params) else {
                return Ok(None);
            };
            let answer = ide::prepare_rename(&workspace, position)?;
            let index = &workspace
                .note(position.file)
                .ok_or("no note")?
                .parsed
                .line_index;
            Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
                range: convert::range(index, answer.range, self.encoding()),
                placeholder: answer.info,
            }))
        })
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        self.guarded_result("rename", || {
            let documents = lock(&self.state.documents);
            let workspace = read(&self.state.workspace);
            let Some(position) = self.position(&workspace, &params.text_document_position) else {
                return Ok(None);
            };
            let config = ide::RenameConfig {
                rename_files: self.can_change_files(),
            };
            let renamed = ide::rename(&workspace, position, &params.new_name, &config)?;
            if let Some((from, to)) = &renamed.kept_file_name {
                tracing::info!(
                    "rename: kept the file name {} (the editor cannot rename files; {} would match the new id)",
                    from.display(),
                    to.display()
                );
            }
            Ok(self.workspace_edit(&documents, &workspace, &renamed.change))
        })
    }

    async fn will_rename_files(&self, params: RenameFilesParams) -> Result<Option<WorkspaceEdit>> {
        self.guarded("willRenameFiles", || {
            let documents = lock(&self.state.documents);
            let workspace = read(&self.state.workspace);
            let moves: Vec<(PathBuf, PathBuf)> = params
                .files
                .iter()
                .filter_map(|f| Some((file_path(&f.old_uri)?, file_path(&f.new_uri)?)))
                .collect();
            let change = ide::will_rename_files(&workspace, &moves);
            (!change.is_empty()).then_some(())?;
            self.workspace_edit(&documents, &workspace, &change)
        })
    }

    async fn did_rename_files(&self, params: RenameFilesParams) {
        let paths = params.files.iter();
        let paths = paths.flat_map(|f| [file_path(&f.old_uri), file_path(&f.new_uri)]);
        self.refresh_paths(paths.flatten().collect()).await;
    }

    async fn did_create_files(&self, params: CreateFilesParams) {
        let paths = params.files.iter().filter_map(|f| file_path(&f.uri));
        self.refresh_paths(paths.collect()).await;
    }

    async fn did_delete_files(&self, params: DeleteFilesParams) {
        let paths = params.files.iter().filter_map(|f| file_path(&f.uri));
        self.refresh_paths(paths.collect()).await;
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let only = params.context.only.as_deref().unwrap_or_default();
        let wants_fixes = only.is_empty()
            || only
                .iter()
                .any(|kind| CodeActionKind::QUICKFIX.as_str().starts_with(kind.as_str()));
        if !wants_fixes {
            return Ok(None);
        }
        self.guarded("codeAction", || {
            let documents = lock(&self.state.documents);
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let index = &workspace.note(file)?.parsed.line_index;
            let range = convert::text_range(index, params.range, self.encoding());
            let config = ide::CodeActionConfig {
                create_files: self.can_change_files(),
                diagnostics: read(&self.state.settings).diagnostics.clone(),
            };
            let actions = ide::code_actions(&workspace, file, range, &config);
            let to_lsp = |action: &ide::CodeAction| {
                let edit = self.workspace_edit(&documents, &workspace, &action.change)?;
                convert::code_action(&workspace, file, action, edit, self.encoding())
            };
            Some(actions.iter().filter_map(to_lsp).collect())
        })
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.guarded("documentSymbol", || {
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let index = &workspace.note(file)?.parsed.line_index;
            let symbols = ide::document_symbols(&workspace, file);
            let encoding = self.encoding();
            let symbols = symbols
                .iter()
                .map(|s| convert::document_symbol(index, s, encoding));
            Some(DocumentSymbolResponse::Nested(symbols.collect()))
        })
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<Vec<SymbolInformation>>> {
        self.guarded("workspace/symbol", || {
            let workspace = read(&self.state.workspace);
            let symbols =
                ide::workspace_symbols(&workspace, &params.query, WORKSPACE_SYMBOLS_LIMIT);
            let encoding = self.encoding();
            let symbols = symbols.iter();
            Some(
                symbols
                    .filter_map(|s| convert::workspace_symbol(&workspace, s, encoding))
                    .collect(),
            )
        })
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        self.guarded("documentLink", || {
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let index = &workspace.note(file)?.parsed.line_index;
            let links = ide::document_links(&workspace, file);
            let encoding = self.encoding();
            let links = links.iter();
            Some(
                links
                    .filter_map(|l| convert::document_link(&workspace, index, l, encoding))
                    .collect(),
            )
        })
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        if !read(&self.state.settings).inlay_hints {
            return Ok(None);
        }
        self.guarded("inlayHint", || {
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let index = &workspace.note(file)?.parsed.line_index;
            let range = convert::text_range(index, params.range, self.encoding());
            let hints = ide::inlay_hints(&workspace, file, range);
            let encoding = self.encoding();
            Some(
                hints
                    .iter()
                    .map(|h| convert::inlay_hint(index, h, encoding))
                    .collect(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::merge_settings;
    use serde_json::json;

    #[test]
    fn pulled_settings_are_laid_over_initialization_options() {
        let initial = json!({"wikilink": {"diagnostics": {"severity": {"broken-link": "error"}, "debounceMs": 50}}});
        let pulled = json!({"diagnostics": {"debounceMs": 10}, "completion": {"maxItems": 5}});
        assert_eq!(
            merge_settings(&initial, &pulled),
            json!({"diagnostics": {"severity": {"broken-link": "error"}, "debounceMs": 10}, "completion": {"maxItems": 5}})
        );
        assert_eq!(merge_settings(&json!(null), &pulled), pulled);
    }
}
