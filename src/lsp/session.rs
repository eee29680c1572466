//! The session with the client: the roots (from `initialize`, workspace folders, or each
//! opened file when none were named), the settings (from `initializationOptions`, pulled with
//! `workspace/configuration`, pushed with `didChangeConfiguration`, laid over the roots'
//! `.wikilink.toml` files, whose problems are published on them) and the registration of file
//! watchers. Parsing the settings themselves is `config.rs`'s and `config_file.rs`'s.

use std::path::{Path, PathBuf};

use tower_lsp::lsp_types::*;

use super::capabilities;
use super::config::{self, Settings};
use super::config_file;
use super::convert;
use super::server::{Backend, Session, lock, read, write};
use crate::line_index::{LineIndex, PositionEncoding};
use crate::workspace::{IndexConfig, Workspace};

impl Backend {
    pub(super) async fn pull_settings(&self) -> Option<Settings> {
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
                self.read_settings(&config::merge_settings(&initial, pulled))
            }),
            Err(error) => {
                tracing::info!("workspace/configuration failed: {error}");
                None
            }
        }
    }

    /// The settings given `editor` settings (kept as the editor's latest), laid over the
    /// settings files'.
    pub(super) fn read_settings(&self, editor: &serde_json::Value) -> Settings {
        *write(&self.state.editor_settings) = editor.clone();
        self.effective_settings()
    }

    /// The editor's latest settings laid over the settings files'.
    fn effective_settings(&self) -> Settings {
        let files = config_file::merged(&read(&self.state.settings_files));
        let editor = read(&self.state.editor_settings).clone();
        let (settings, warnings) = Settings::from_json(&config::merge_settings(&files, &editor));
        for warning in warnings {
            tracing::warn!("{warning}");
        }
        settings
    }

    /// Reads the roots' settings files again and makes the settings from them (the editor's
    /// laid over); returns whether what they say changed.
    pub(super) fn reload_settings_files(&self) -> bool {
        let roots = read(&self.state.session).roots.clone();
        let files = config_file::load(&roots);
        let changed = {
            let mut current = write(&self.state.settings_files);
            let same = current.len() == files.len()
                && current
                    .iter()
                    .zip(&files)
                    .all(|(a, b)| a.path == b.path && a.text == b.text);
            *current = files;
            !same
        };
        *write(&self.state.settings) = self.effective_settings();
        changed
    }

    /// Publishes the problems of the settings files on them, and clears those now fixed.
    pub(super) async fn publish_settings_problems(&self) {
        let encoding = self.encoding();
        let mut lists = Vec::new();
        for file in read(&self.state.settings_files).iter() {
            let Ok(uri) = Url::from_file_path(&file.path) else {
                continue;
            };
            let index = LineIndex::new(&file.text);
            let diagnostics: Vec<Diagnostic> = file
                .problems
                .iter()
                .map(|problem| Diagnostic {
                    range: convert::range(&index, problem.range, encoding),
                    severity: Some(if problem.is_error {
                        DiagnosticSeverity::ERROR
                    } else {
                        DiagnosticSeverity::WARNING
                    }),
                    code: Some(NumberOrString::String("invalid-settings".to_owned())),
                    source: Some("wikilink-lsp".to_owned()),
                    message: problem.message.clone(),
                    ..Diagnostic::default()
                })
                .collect();
            lists.push((uri, diagnostics));
        }
        let stale: Vec<Url> = {
            let mut published = lock(&self.state.settings_problems_published);
            let stale = published
                .iter()
                .filter(|uri| !lists.iter().any(|(u, d)| u == *uri && !d.is_empty()))
                .cloned()
                .collect();
            published.clear();
            published.extend(
                lists
                    .iter()
                    .filter(|(_, d)| !d.is_empty())
                    .map(|(u, _)| u.clone()),
            );
            stale
        };
        for uri in stale {
            self.client.publish_diagnostics(uri, Vec::new(), None).await;
        }
        for (uri, diagnostics) in lists.into_iter().filter(|(_, d)| !d.is_empty()) {
            self.client
                .publish_diagnostics(uri, diagnostics, None)
                .await;
        }
    }

    /// After a settings file changed on disk: read again, show its problems, apply.
    pub(super) async fn settings_files_changed(&self) {
        let old = read(&self.state.settings).clone();
        self.reload_settings_files();
        self.publish_settings_problems().await;
        let new = std::mem::replace(&mut *write(&self.state.settings), old);
        tracing::info!("settings files changed; settings applied again");
        self.apply_settings(new).await;
    }

    /// Applies new settings; re-indexes when they change what the index holds.
    pub(super) async fn apply_settings(&self, settings: Settings) {
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
            // Backlink counts and hints may have been turned on or off.
            self.refresh_views().await;
        }
    }

    pub(super) async fn register_watchers(&self) {
        if !self.flags().watch_files_dynamically {
            return;
        }
        // Every file: notes, kb.yaml, cross-kb-links.yaml and .wikilink.toml files, and attachments
        // (any other file is a link target).
        let watchers = ["**/*"]
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

    /// `initialize`: the encoding and client flags, the settings from `initializationOptions`,
    /// an empty workspace over the roots. Returns the negotiated encoding.
    pub(super) fn start_session(&self, params: &InitializeParams) -> PositionEncoding {
        let encoding = capabilities::negotiate_encoding(&params.capabilities);
        let flags = capabilities::client_flags(&params.capabilities);
        let roots = roots_from(params);
        tracing::info!("initialize: roots {:?}, encoding {:?}", roots, encoding);
        *write(&self.state.workspace) = Workspace::new(roots.clone(), IndexConfig::default());
        if let Some(root) = roots
            .first()
            .and_then(|root| Url::from_directory_path(root).ok())
        {
            // The URIs of the diagnostics published are kept without it.
            lock(&self.state.published).set_prefix(root.as_str());
        }
        *write(&self.state.session) = Session {
            encoding,
            flags,
            roots_from_files: roots.is_empty(),
            roots,
        };
        let options = params.initialization_options.clone().unwrap_or_default();
        *write(&self.state.initialization_options) = options.clone();
        *write(&self.state.editor_settings) = options;
        // Reads the roots' settings files and makes the settings.
        self.reload_settings_files();
        encoding
    }

    /// Settings pushed with `workspace/didChangeConfiguration` (laid over the initial ones), or
    /// pulled when the notification carries none; applied when there are any.
    pub(super) async fn settings_changed(&self, pushed: &serde_json::Value) {
        let pushed = pushed.get("wikilink").is_some().then(|| {
            let initial = read(&self.state.initialization_options).clone();
            self.read_settings(&config::merge_settings(&initial, pushed))
        });
        let settings = match pushed {
            Some(settings) => Some(settings),
            None => self.pull_settings().await,
        };
        if let Some(settings) = settings {
            self.apply_settings(settings).await;
        }
    }

    /// When the client named no root, the root an opened note at `path` brings (see
    /// [`implicit_root`]), if it is not inside one already: added, and `true`.
    pub(super) fn add_implicit_root(&self, path: &Path) -> bool {
        let needs_root = {
            let session = read(&self.state.session);
            session.roots_from_files && !session.roots.iter().any(|root| path.starts_with(root))
        };
        if needs_root && let Some(root) = implicit_root(path) {
            tracing::info!("no workspace root given; adding {}", root.display());
            write(&self.state.session).roots.push(root);
            return true;
        }
        false
    }

    /// Takes the removed workspace folders out of the roots and adds the new ones.
    pub(super) fn change_roots(&self, event: &WorkspaceFoldersChangeEvent) {
        let mut session = write(&self.state.session);
        let removed: Vec<PathBuf> = event
            .removed
            .iter()
            .filter_map(|f| convert::path_of(&f.uri))
            .collect();
        session.roots.retain(|r| !removed.contains(r));
        for added in event.added.iter().filter_map(|f| convert::path_of(&f.uri)) {
            if !session.roots.contains(&added) {
                session.roots.push(added);
            }
        }
    }
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
