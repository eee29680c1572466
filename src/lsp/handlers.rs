//! `impl LanguageServer`: each request handler locks, converts positions with `convert`, calls
//! one `ide` function through [`Backend::guarded`] and converts the answer back; each
//! notification hands its work to `indexing.rs`, `publish.rs` or `session.rs`.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tower_lsp::LanguageServer;
use tower_lsp::jsonrpc::Result;
use tower_lsp::lsp_types::*;

use super::capabilities;
use super::convert;
use super::documents::ChangeError;
use super::indexing::DiskChange;
use super::line_indexes::LineIndexes;
use super::server::{Backend, TextSource, lock, read, write};
use crate::ide;
use crate::text::FileId;
use crate::vfs;

/// Most workspace symbols answered at once.
const WORKSPACE_SYMBOLS_LIMIT: usize = 100;

/// The path of a `file://` URI given as a string (file operations carry strings).
fn file_path(uri: &str) -> Option<PathBuf> {
    convert::path_of(&Url::parse(uri).ok()?)
}

/// Whether a code action request lets quick fixes through its `only` filter.
fn wants_quick_fixes(context: &CodeActionContext) -> bool {
    let only = context.only.as_deref().unwrap_or_default();
    only.is_empty()
        || only
            .iter()
            .any(|kind| CodeActionKind::QUICKFIX.as_str().starts_with(kind.as_str()))
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = self.start_session(&params);
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
        self.publish_settings_problems().await;
        if read(&self.state.session).roots.is_empty() {
            // Nothing to index until an opened file brings a root (see `add_implicit_root`).
            self.state.index_ready.send_replace(true);
            self.state.links_ready.send_replace(true);
        } else {
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
        let source = TextSource::Buffer(document.version);
        let mut affected = self.update_note(path.clone(), &document.text, source);
        affected.push(path.clone());
        self.schedule_diagnostics(affected, Duration::ZERO);
        if self.add_implicit_root(&path) {
            self.reindex().await;
        }
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        self.state.document_edits.fetch_add(1, Ordering::SeqCst);
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
            Ok(text) => {
                let source = TextSource::Buffer(params.text_document.version);
                self.update_note(path, &text, source)
            }
            Err(error @ ChangeError::BadRange { .. }) => {
                tracing::warn!(
                    "cannot apply a change to {uri}: {error}; using the file on disk until the editor sends the full text"
                );
                self.reload_from_disk(&path, TextSource::DiskWhileOpen)
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
        let mut affected = self.reload_from_disk(&path, TextSource::Disk);
        affected.push(path);
        self.schedule_diagnostics(affected, Duration::ZERO);
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let changes = params.changes.into_iter().filter_map(|change| {
            let path = convert::path_of(&change.uri)?;
            Some(DiskChange {
                kind: vfs::file_kind(&path)?,
                deleted: change.typ == FileChangeType::DELETED,
                keep_open_buffer: true,
                uri: Some(change.uri),
                path,
            })
        });
        let changes = self.expand_deleted_folders(changes.collect());
        self.after_disk_change(changes).await;
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.settings_changed(&params.settings).await;
    }

    async fn did_change_workspace_folders(&self, params: DidChangeWorkspaceFoldersParams) {
        self.change_roots(&params.event);
        self.reindex().await;
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        self.guarded(|| {
            let documents = lock(&self.state.documents);
            let uri = &params.text_document_position.text_document.uri;
            let Some(document) = documents.get(uri) else {
                tracing::info!("completion in a document that is not open: {uri}");
                return None;
            };
            let text = document.rope.to_string();
            let workspace = read(&self.state.workspace);
            let position = self.position(&workspace, &params.text_document_position)?;
            let mut config = read(&self.state.settings).completion.clone();
            config.block_links = self.flags().apply_edit;
            // Wanted notes come from the link table: not offered in the moment after indexing
            // while a blocking thread still builds it (building it here would hold up every
            // other message), offered as soon as it is built.
            config.wanted_notes = *self.state.links_ready.borrow();
            let roots = read(&self.state.session).roots.clone();
            let source = |file: FileId| self.note_text(&documents, &workspace, &roots, file);
            let list = ide::completion(&workspace, position, &text, &config, &source)?;
            let file = position.file;
            let lines = LineIndexes::new(&workspace);
            let index = lines.get(file)?;
            let list = convert::completion_list(&workspace, &index, file, list, self.encoding())?;
            Some(CompletionResponse::List(list))
        })
        .await
    }

    async fn completion_resolve(&self, mut item: CompletionItem) -> Result<CompletionItem> {
        let documentation = self
            .guarded(|| {
                let path: PathBuf =
                    serde_json::from_value(item.data.as_ref()?.get("path")?.clone()).ok()?;
                let documents = lock(&self.state.documents);
                let workspace = read(&self.state.workspace);
                let file = workspace.file_id(&path)?;
                let roots = read(&self.state.session).roots.clone();
                let source = |file: FileId| self.note_text(&documents, &workspace, &roots, file);
                Some(ide::hover::note_card(&workspace, file, &source))
            })
            .await?;
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
        self.guarded(|| {
            let workspace = read(&self.state.workspace);
            let position = self.position(&workspace, &params.text_document_position_params)?;
            let answer = ide::goto_definition(&workspace, position)?;
            let (encoding, links) = (self.encoding(), self.flags().location_links);
            let lines = LineIndexes::new(&workspace);
            convert::goto_response(&lines, position.file, answer, encoding, links)
        })
        .await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        self.guarded_links(|| {
            let documents = lock(&self.state.documents);
            let workspace = read(&self.state.workspace);
            let position = self.position(&workspace, &params.text_document_position_params)?;
            let roots = read(&self.state.session).roots.clone();
            let source = |file: FileId| self.note_text(&documents, &workspace, &roots, file);
            let answer = ide::hover(&workspace, position, &source)?;
            let lines = LineIndexes::new(&workspace);
            let index = &*lines.get(position.file)?;
            let markdown = self.flags().markdown_hover;
            Some(convert::hover(index, answer, markdown, self.encoding()))
        })
        .await
    }

    // ----- navigation and refactoring -----

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        self.guarded_links(|| {
            let workspace = read(&self.state.workspace);
            let position = self.position(&workspace, &params.text_document_position)?;
            let config = ide::ReferencesConfig {
                include_declaration: params.context.include_declaration,
            };
            let answer = ide::references(&workspace, position, &config)?;
            let encoding = self.encoding();
            let lines = LineIndexes::new(&workspace);
            lines.prefetch(answer.info.iter().map(|r| r.file));
            let locations = answer.info.iter();
            let locations =
                locations.filter_map(|r| convert::location(&lines, r.file, r.range, encoding));
            Some(locations.collect())
        })
        .await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.guarded_result(|| -> std::result::Result<_, ide::RenameError> {
            let workspace = read(&self.state.workspace);
            let Some(position) = self.position(&workspace, &params) else {
                return Ok(None);
            };
            let answer = ide::prepare_rename(&workspace, position)?;
            // `position` found the note under this same lock.
            let lines = LineIndexes::new(&workspace);
            let Some(index) = lines.get(position.file) else {
                return Ok(None);
            };
            Ok(Some(PrepareRenameResponse::RangeWithPlaceholder {
                range: convert::range(&index, answer.range, self.encoding()),
                placeholder: answer.info,
            }))
        })
        .await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        self.guarded_result(|| -> std::result::Result<_, ide::RenameError> {
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
        .await
    }

    async fn will_rename_files(&self, params: RenameFilesParams) -> Result<Option<WorkspaceEdit>> {
        self.guarded_links(|| {
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
        .await
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
        if !wants_quick_fixes(&params.context) {
            return Ok(None);
        }
        self.guarded(|| {
            let documents = lock(&self.state.documents);
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let lines = LineIndexes::new(&workspace);
            let index = &*lines.get(file)?;
            let range = convert::text_range(index, params.range, self.encoding());
            let config = ide::CodeActionConfig {
                create_files: self.can_change_files(),
                diagnostics: read(&self.state.settings).diagnostics.clone(),
            };
            let actions = ide::code_actions(&workspace, file, range, &config);
            let to_lsp = |action: &ide::CodeAction| {
                let edit = self.workspace_edit(&documents, &workspace, &action.change)?;
                convert::code_action(&lines, file, action, edit, self.encoding())
            };
            Some(actions.iter().filter_map(to_lsp).collect())
        })
        .await
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        self.answer_from_note(|| {
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let lines = LineIndexes::new(&workspace);
            let index = &*lines.get(file)?;
            let symbols = ide::document_symbols(&workspace, file);
            let encoding = self.encoding();
            let symbols = symbols
                .iter()
                .map(|s| convert::document_symbol(index, s, encoding));
            Some(DocumentSymbolResponse::Nested(symbols.collect()))
        })
        .await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<Vec<SymbolInformation>>> {
        self.guarded(|| {
            let workspace = read(&self.state.workspace);
            let symbols =
                ide::workspace_symbols(&workspace, &params.query, WORKSPACE_SYMBOLS_LIMIT);
            let encoding = self.encoding();
            let lines = LineIndexes::new(&workspace);
            lines.prefetch(symbols.iter().map(|s| s.file));
            let symbols = symbols.iter();
            let symbols = symbols.filter_map(|s| convert::workspace_symbol(&lines, s, encoding));
            Some(symbols.collect())
        })
        .await
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        self.guarded(|| {
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let lines = LineIndexes::new(&workspace);
            let index = &*lines.get(file)?;
            let links = ide::document_links(&workspace, file);
            lines.prefetch(links.iter().filter(|l| l.in_note).map(|l| l.target.file));
            let encoding = self.encoding();
            let links = links.iter();
            let links = links.filter_map(|l| convert::document_link(&lines, index, l, encoding));
            Some(links.collect())
        })
        .await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let (titles, backlinks) = {
            let settings = read(&self.state.settings);
            (settings.inlay_hints, settings.inlay_hint_backlinks)
        };
        if !titles && !backlinks {
            return Ok(None);
        }
        if backlinks {
            self.wait_for_links().await?;
        }
        self.guarded(|| {
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let lines = LineIndexes::new(&workspace);
            let index = &*lines.get(file)?;
            let range = convert::text_range(index, params.range, self.encoding());
            let encoding = self.encoding();
            let mut hints: Vec<InlayHint> = Vec::new();
            if titles {
                let found = ide::inlay_hints(&workspace, file, range);
                hints.extend(
                    found
                        .iter()
                        .map(|h| convert::inlay_hint(index, h, encoding)),
                );
            }
            if backlinks
                && let Some(found) = ide::backlinks(&workspace, file)
                && range.contains_inclusive(found.anchor.start)
            {
                hints.push(convert::backlinks_hint(index, &found, encoding));
            }
            Some(hints)
        })
        .await
    }

    // ----- what the peers offer -----

    async fn execute_command(
        &self,
        params: ExecuteCommandParams,
    ) -> Result<Option<serde_json::Value>> {
        if params.command != capabilities::ADD_BLOCK_ID {
            tracing::warn!("unknown command {}", params.command);
            return Err(tower_lsp::jsonrpc::Error::method_not_found());
        }
        let edit = self
            .guarded(|| {
                let documents = lock(&self.state.documents);
                let workspace = read(&self.state.workspace);
                let argument = params.arguments.first()?;
                let Some(request) = convert::new_block_id(&workspace, argument) else {
                    tracing::warn!("{}: bad arguments {argument}", params.command);
                    return None;
                };
                let roots = read(&self.state.session).roots.clone();
                let text = self.note_text(&documents, &workspace, &roots, request.file)?;
                match ide::add_block_id(&text, &request) {
                    Ok(change) if !change.is_empty() => {
                        self.workspace_edit(&documents, &workspace, &change)
                    }
                    Ok(_) => None,
                    Err(error) => {
                        tracing::info!("{}: {error}", params.command);
                        None
                    }
                }
            })
            .await?;
        if let Some(edit) = edit {
            match self.client.apply_edit(edit).await {
                Ok(response) if !response.applied => tracing::info!(
                    "the editor did not add the block id: {}",
                    response.failure_reason.unwrap_or_default()
                ),
                Ok(_) => {}
                Err(error) => tracing::info!("workspace/applyEdit failed: {error}"),
            }
        }
        Ok(None)
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        self.answer_from_note(|| {
            let documents = lock(&self.state.documents);
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let roots = read(&self.state.session).roots.clone();
            let text = self.note_text(&documents, &workspace, &roots, file)?;
            let lines = LineIndexes::new(&workspace);
            let index = &*lines.get(file)?;
            let folds = ide::folding_ranges(&workspace, file, &text);
            Some(
                folds
                    .iter()
                    .filter_map(|f| convert::folding_range(index, f))
                    .collect(),
            )
        })
        .await
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        self.guarded(|| {
            let workspace = read(&self.state.workspace);
            let position = self.position(&workspace, &params.text_document_position_params)?;
            let lines = LineIndexes::new(&workspace);
            let index = &*lines.get(position.file)?;
            let highlights = ide::document_highlight(&workspace, position);
            let encoding = self.encoding();
            let highlights = highlights.iter();
            Some(
                highlights
                    .map(|h| convert::document_highlight(index, h, encoding))
                    .collect(),
            )
        })
        .await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        if !read(&self.state.settings).code_lens_backlinks {
            return Ok(Some(Vec::new()));
        }
        self.guarded_links(|| {
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let backlinks = ide::backlinks(&workspace, file)?;
            let lines = LineIndexes::new(&workspace);
            let lens = convert::backlinks_lens(&lines, file, &backlinks, self.encoding());
            Some(lens.into_iter().collect())
        })
        .await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        self.guarded(|| {
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let lines = LineIndexes::new(&workspace);
            let index = &*lines.get(file)?;
            let tokens = ide::semantic_tokens(&workspace, file, None);
            let tokens = convert::semantic_tokens(index, &tokens, self.encoding());
            Some(SemanticTokensResult::Tokens(tokens))
        })
        .await
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        self.guarded(|| {
            let workspace = read(&self.state.workspace);
            let file = self.file_for(&workspace, &params.text_document.uri)?;
            let lines = LineIndexes::new(&workspace);
            let index = &*lines.get(file)?;
            let range = convert::text_range(index, params.range, self.encoding());
            let tokens = ide::semantic_tokens(&workspace, file, Some(range));
            let tokens = convert::semantic_tokens(index, &tokens, self.encoding());
            Some(SemanticTokensRangeResult::Tokens(tokens))
        })
        .await
    }
}
