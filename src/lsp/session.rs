//! The session with the client: the roots (from `initialize`, workspace folders, or each
//! opened file when none were named), the settings (from `initializationOptions`, pulled with
//! `workspace/configuration`, pushed with `didChangeConfiguration`) and the registration of
//! file watchers. Parsing the settings themselves is `config.rs`'s.

use std::path::{Path, PathBuf};

use tower_lsp::lsp_types::*;

use super::capabilities;
use super::config::{self, Settings};
use super::convert;
use super::server::{Backend, Session, read, write};
use crate::line_index::PositionEncoding;
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

    pub(super) fn read_settings(&self, value: &serde_json::Value) -> Settings {
        let (settings, warnings) = Settings::from_json(value);
        for warning in warnings {
            tracing::warn!("{warning}");
        }
        settings
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

    /// `initialize`: the encoding and client flags, the settings from `initializationOptions`,
    /// an empty workspace over the roots. Returns the negotiated encoding.
    pub(super) fn start_session(&self, params: &InitializeParams) -> PositionEncoding {
        let encoding = capabilities::negotiate_encoding(&params.capabilities);
        let flags = capabilities::client_flags(&params.capabilities);
        let roots = roots_from(params);
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
