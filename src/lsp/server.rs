//! The server's state and the helpers every handler shares: [`Backend`] (the client and the
//! shared `State`), the lock helpers, the lookups from a URI or a position to the core's file
//! ids and byte offsets, and [`Backend::guarded`], the one async choke point that every feature
//! request goes through. The handlers are in `handlers.rs`; indexing (`indexing.rs`), publishing
//! diagnostics (`publish.rs`) and the session with the client (`session.rs`: settings, roots,
//! file watching) each have a file of their own.
//!
//! Document changes are applied before the first `.await`; std locks are never held across an
//! `.await`. Lock order, everywhere: `documents`, then `workspace`, then `settings`/`session`; the small
//! bookkeeping locks (`indexed_versions`, `published`, `pending_diagnostics`) are taken last and
//! never hold another.
//! A panic anywhere in a handler is caught once, by the service layer in `lsp/mod.rs`.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tower_lsp::Client;
use tower_lsp::jsonrpc::{self, Result};
use tower_lsp::lsp_types::*;

use super::capabilities::ClientFlags;
use super::config::Settings;
use super::convert;
use super::documents::Documents;
use super::line_indexes::LineIndexes;
use super::uri_set::UriSet;
use crate::ide;
use crate::line_index::PositionEncoding;
use crate::text::{FileId, FilePosition};
use crate::vfs;
use crate::workspace::Workspace;

#[derive(Clone)]
pub struct Backend {
    pub(super) client: Client,
    pub(super) state: Arc<State>,
}

/// What the server learned in `initialize`.
#[derive(Clone, Debug)]
pub(super) struct Session {
    pub(super) encoding: PositionEncoding,
    pub(super) flags: ClientFlags,
    pub(super) roots: Vec<PathBuf>,
    /// The client named no root: each opened file brings its own (see `implicit_root`).
    pub(super) roots_from_files: bool,
}

pub(super) struct State {
    pub(super) documents: Mutex<Documents>,
    pub(super) workspace: RwLock<Workspace>,
    pub(super) settings: RwLock<Settings>,
    pub(super) session: RwLock<Session>,
    pub(super) shutdown: Arc<AtomicBool>,
    /// Bumped by every (re)index; a load that finishes after a newer one started is dropped.
    pub(super) index_generation: AtomicU64,
    /// Whether the index holds every note of the roots: false from the start and during every
    /// (re)index, true once it is complete. Requests that need the workspace wait for it (see
    /// [`Backend::guarded`]); diagnostics are not published before it.
    pub(super) index_ready: watch::Sender<bool>,
    /// Whether the index's link table (who links where) is built: false with `index_ready`,
    /// true once a blocking thread has built it after indexing. Requests that read it wait
    /// for it too (see [`Backend::guarded_links`]) rather than build it inside the handler,
    /// which would hold up every other message (tower-lsp polls all handlers on one task).
    pub(super) links_ready: watch::Sender<bool>,
    /// Bumped by every change to an open document: a request that had to wait for the index
    /// answers only when no document changed meanwhile.
    pub(super) document_edits: AtomicU64,
    /// Notes whose diagnostics are due, and the debounce generation.
    pub(super) pending_diagnostics: Mutex<HashSet<PathBuf>>,
    pub(super) diagnostics_generation: AtomicU64,
    /// The settings from `initialize`; pulled settings are laid over them.
    pub(super) initialization_options: RwLock<serde_json::Value>,
    /// The editor's settings as last received (initialization options with pulled or pushed
    /// ones laid over them), laid over the settings files' to make [`State::settings`].
    pub(super) editor_settings: RwLock<serde_json::Value>,
    /// The settings files of the roots (`.wikilink.toml`), as last read.
    pub(super) settings_files: RwLock<Vec<super::config_file::SettingsFile>>,
    /// Settings files that currently show problems in the editor.
    pub(super) settings_problems_published: Mutex<HashSet<Url>>,
    /// A change since the last refresh may have changed what editors show of other notes
    /// (backlink counts, whether links resolve): see `Backend::refresh_views`.
    pub(super) views_stale: AtomicBool,
    /// Documents that currently show a non-empty diagnostic list in the editor.
    pub(super) published: Mutex<UriSet>,
    /// The open documents, with the buffer version whose text the index holds (`None` while it
    /// holds the file on disk instead, after a change could not be applied). Changed only under
    /// the workspace write lock and read under its read lock, so that diagnostics computed from
    /// the index carry the version they were computed from without locking `documents`.
    pub(super) indexed_versions: Mutex<HashMap<PathBuf, Option<i32>>>,
}

/// Where the index's text of a note comes from (see [`State::indexed_versions`]).
#[derive(Clone, Copy, Debug)]
pub(super) enum TextSource {
    /// An open buffer, at this version.
    Buffer(i32),
    /// The file on disk, while a buffer is open whose changes could not be applied.
    DiskWhileOpen,
    /// The file on disk; no buffer is open.
    Disk,
}

/// LSP's `RequestFailed`: a valid request the server declines, with a message for the user.
const REQUEST_FAILED: i64 = -32803;
/// LSP's `ContentModified`: the document changed while the request waited; the client drops
/// the answer (and asks again if it still wants one).
const CONTENT_MODIFIED: i64 = -32801;

/// Whether the test hooks (`wikilink/debugPanic...`) are on: `WIKILINK_LSP_TEST_HOOKS=1`.
pub(super) fn test_hooks() -> bool {
    std::env::var("WIKILINK_LSP_TEST_HOOKS").as_deref() == Ok("1")
}

/// With the test hooks on, `WIKILINK_LSP_TEST_INDEX_DELAY_MS` holds every (re)index back by
/// that long, so that end-to-end tests can send requests that surely arrive before it ends.
pub(super) fn test_index_delay() -> Option<Duration> {
    test_delay("WIKILINK_LSP_TEST_INDEX_DELAY_MS")
}

/// With the test hooks on, `WIKILINK_LSP_TEST_LINK_TABLE_DELAY_MS` holds the link table's
/// background build back by that long, so that end-to-end tests can ask while it is not built.
pub(super) fn test_link_table_delay() -> Option<Duration> {
    test_delay("WIKILINK_LSP_TEST_LINK_TABLE_DELAY_MS")
}

/// The milliseconds in the environment variable `name`, with the test hooks on.
fn test_delay(name: &str) -> Option<Duration> {
    if !test_hooks() {
        return None;
    }
    let millis = std::env::var(name).ok()?;
    millis.parse().ok().map(Duration::from_millis)
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn read<T>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|e| e.into_inner())
}

pub(super) fn write<T>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
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
                index_ready: watch::Sender::new(false),
                links_ready: watch::Sender::new(false),
                document_edits: AtomicU64::new(0),
                pending_diagnostics: Mutex::new(HashSet::new()),
                diagnostics_generation: AtomicU64::new(0),
                published: Mutex::new(UriSet::default()),
                views_stale: AtomicBool::new(false),
                indexed_versions: Mutex::new(HashMap::new()),
                initialization_options: RwLock::new(serde_json::Value::Null),
                editor_settings: RwLock::new(serde_json::Value::Null),
                settings_files: RwLock::new(Vec::new()),
                settings_problems_published: Mutex::new(HashSet::new()),
            }),
        }
    }

    pub(super) fn encoding(&self) -> PositionEncoding {
        read(&self.state.session).encoding
    }

    pub(super) fn flags(&self) -> ClientFlags {
        read(&self.state.session).flags
    }

    /// Runs a feature that needs the whole workspace: the one place every such request passes
    /// through on its way to the core. Before the first index is complete (or while a new root
    /// or a settings change re-indexes) the request waits for it, so that no answer says "no
    /// note" about a note that is merely not indexed yet; a `$/cancelRequest` ends the wait
    /// (tower-lsp drops the future), and so does the `index.waitSeconds` limit, with an error.
    /// A panic inside is not caught here but by the service layer (`lsp/mod.rs`), which turns
    /// it into an error reply.
    pub(super) async fn guarded<T>(
        &self,
        feature: impl FnOnce() -> Option<T>,
    ) -> Result<Option<T>> {
        self.wait_for(&self.state.index_ready).await?;
        Ok(feature())
    }

    /// [`Backend::guarded`] for a feature that reads who links where (references, backlinks,
    /// rename, the hover's backlink count): it also waits for the link table, which a blocking
    /// thread builds once indexing ends.
    pub(super) async fn guarded_links<T>(
        &self,
        feature: impl FnOnce() -> Option<T>,
    ) -> Result<Option<T>> {
        self.wait_for_links().await?;
        Ok(feature())
    }

    /// Runs a feature whose answer comes from the note alone (its outline): no wait for the
    /// index, since an open note is parsed as soon as it is opened.
    pub(super) async fn answer_from_note<T>(
        &self,
        feature: impl FnOnce() -> Option<T>,
    ) -> Result<Option<T>> {
        Ok(feature())
    }

    /// Returns once the index and its link table are ready (see [`Backend::guarded_links`]).
    pub(super) async fn wait_for_links(&self) -> Result<()> {
        self.wait_for(&self.state.index_ready).await?;
        self.wait_for(&self.state.links_ready).await
    }

    /// Returns once `flag` (the index, or its link table) is ready. Without a wait this never
    /// yields, so a request that arrives after it is ready sees exactly the documents as of its
    /// arrival; after a wait, a change to any open document meanwhile makes the answer
    /// `ContentModified`, since the request's positions may no longer fit the text.
    async fn wait_for(&self, flag: &watch::Sender<bool>) -> Result<()> {
        if *flag.borrow() {
            return Ok(());
        }
        let edits = self.state.document_edits.load(Ordering::SeqCst);
        let limit = Duration::from_secs(read(&self.state.settings).index_wait_seconds);
        let mut ready = flag.subscribe();
        let started = Instant::now();
        if tokio::time::timeout(limit, ready.wait_for(|ready| *ready))
            .await
            .is_err()
        {
            tracing::warn!(
                "a request waited {} s for the index; answered with an error",
                limit.as_secs()
            );
            return Err(jsonrpc::Error {
                code: jsonrpc::ErrorCode::ServerError(REQUEST_FAILED),
                message: format!(
                    "wikilink-lsp: the index is not ready after {} s (still indexing); try again when indexing ends",
                    limit.as_secs()
                )
                .into(),
                data: None,
            });
        }
        tracing::debug!("a request waited {:?} for the index", started.elapsed());
        if self.state.document_edits.load(Ordering::SeqCst) != edits {
            return Err(jsonrpc::Error {
                code: jsonrpc::ErrorCode::ServerError(CONTENT_MODIFIED),
                message: "a document changed while the request waited for the index".into(),
                data: None,
            });
        }
        Ok(())
    }

    /// Like [`Backend::guarded`], for features that can refuse: an `Err` becomes a
    /// `RequestFailed` error reply whose message (the error's `Display`) the editor shows.
    pub(super) async fn guarded_result<T, E: Display>(
        &self,
        feature: impl FnOnce() -> std::result::Result<Option<T>, E>,
    ) -> Result<Option<T>> {
        match self.guarded_links(|| Some(feature())).await? {
            Some(Ok(answer)) => Ok(answer),
            Some(Err(error)) => Err(jsonrpc::Error {
                code: jsonrpc::ErrorCode::ServerError(REQUEST_FAILED),
                message: error.to_string().into(),
                data: None,
            }),
            None => Ok(None),
        }
    }

    /// Whether the editor applies `RenameFile`/`CreateFile` operations in workspace edits.
    pub(super) fn can_change_files(&self) -> bool {
        self.flags().resource_operations
    }

    /// A core change as a `WorkspaceEdit`, with open buffers' versions. File operations exist
    /// only in `documentChanges`, so a client that announces them gets that form even when it
    /// does not announce `documentChanges` (Neovim 0.7 applies it all the same).
    pub(super) fn workspace_edit(
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
            &LineIndexes::new(workspace),
            change,
            &version,
            self.encoding(),
            document_changes,
        )
    }

    /// The test hook behind `wikilink/debugPanic`: panics inside a guarded feature when the
    /// environment variable `WIKILINK_LSP_TEST_HOOKS=1` is set, and is unknown otherwise.
    pub async fn debug_panic(&self, _params: serde_json::Value) -> Result<Option<()>> {
        if !test_hooks() {
            return Err(jsonrpc::Error::method_not_found());
        }
        self.guarded(|| -> Option<()> { panic!("deliberate panic for testing") })
            .await
    }

    /// Looks up an open or indexed note by URI, logging why when there is none.
    pub(super) fn file_for(&self, workspace: &Workspace, uri: &Url) -> Option<FileId> {
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

    pub(super) fn position(
        &self,
        workspace: &Workspace,
        params: &TextDocumentPositionParams,
    ) -> Option<FilePosition> {
        let file = self.file_for(workspace, &params.text_document.uri)?;
        let index = LineIndexes::new(workspace).get(file)?;
        Some(FilePosition {
            file,
            offset: convert::offset(&index, params.position, self.encoding()),
        })
    }

    /// A note's text for hover previews: its open buffer, else the file on disk (read only
    /// inside the roots, never through a symlink).
    pub(super) fn note_text(
        &self,
        documents: &Documents,
        workspace: &Workspace,
        roots: &[PathBuf],
        file: FileId,
    ) -> Option<String> {
        let path = &workspace.note(file)?.path;
        let uri = Url::from_file_path(path).ok()?;
        match documents.get(&uri) {
            Some(document) => Some(document.rope.to_string()),
            // The file may have become a symlink since it was indexed.
            None if vfs::is_readable_in_roots(path, roots) => vfs::read_text(path).ok(),
            None => None,
        }
    }
}
