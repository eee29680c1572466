//! What the server offers, and what it learns about the client in `initialize`.

use tower_lsp::lsp_types::*;

use crate::line_index::PositionEncoding;

/// The client abilities the server adapts to.
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientFlags {
    pub location_links: bool,
    pub work_done_progress: bool,
    pub watch_files_dynamically: bool,
    pub configuration: bool,
    /// The client applies `RenameFile`/`CreateFile` in workspace edits (read by rename and the
    /// quick fixes; such a client also takes `documentChanges`, where they live).
    pub resource_operations: bool,
    pub document_changes: bool,
    pub markdown_hover: bool,
    /// The client re-requests inlay hints on `workspace/inlayHint/refresh`.
    pub inlay_hint_refresh: bool,
    /// The client re-requests code lenses on `workspace/codeLens/refresh`.
    pub code_lens_refresh: bool,
    /// The client re-requests semantic tokens on `workspace/semanticTokens/refresh`.
    pub semantic_tokens_refresh: bool,
    /// The client applies edits the server sends with `workspace/applyEdit`.
    pub apply_edit: bool,
}

pub fn client_flags(caps: &ClientCapabilities) -> ClientFlags {
    let text = caps.text_document.as_ref();
    let workspace = caps.workspace.as_ref();
    ClientFlags {
        location_links: text
            .and_then(|t| t.definition.as_ref())
            .and_then(|d| d.link_support)
            .unwrap_or(false),
        work_done_progress: caps
            .window
            .as_ref()
            .and_then(|w| w.work_done_progress)
            .unwrap_or(false),
        watch_files_dynamically: workspace
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false),
        configuration: workspace.and_then(|w| w.configuration).unwrap_or(false),
        resource_operations: workspace
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.resource_operations.as_ref())
            .is_some_and(|ops| {
                ops.contains(&ResourceOperationKind::Rename)
                    && ops.contains(&ResourceOperationKind::Create)
            }),
        document_changes: workspace
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.document_changes)
            .unwrap_or(false),
        markdown_hover: text
            .and_then(|t| t.hover.as_ref())
            .and_then(|h| h.content_format.as_ref())
            .is_none_or(|formats| formats.contains(&MarkupKind::Markdown)),
        inlay_hint_refresh: workspace
            .and_then(|w| w.inlay_hint.as_ref())
            .and_then(|h| h.refresh_support)
            .unwrap_or(false),
        code_lens_refresh: workspace
            .and_then(|w| w.code_lens.as_ref())
            .and_then(|c| c.refresh_support)
            .unwrap_or(false),
        semantic_tokens_refresh: workspace
            .and_then(|w| w.semantic_tokens.as_ref())
            .and_then(|s| s.refresh_support)
            .unwrap_or(false),
        apply_edit: workspace.and_then(|w| w.apply_edit).unwrap_or(false),
    }
}

/// The semantic token types, in the legend's order: standard LSP types that editors colour
/// out of the box (see `convert::token_type`).
pub const TOKEN_TYPES: [SemanticTokenType; 6] = [
    SemanticTokenType::NAMESPACE,
    SemanticTokenType::CLASS,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::DECORATOR,
];

/// The semantic token modifiers, in the legend's order (bit 0 first): whether what a link names
/// exists. Not standard: the VS Code extension declares them and maps them to colours.
pub const TOKEN_MODIFIERS: [&str; 3] = ["resolved", "broken", "ambiguous"];

/// The commands the server carries out with `workspace/executeCommand`.
pub const COMMANDS: [&str; 1] = [ADD_BLOCK_ID];

/// Gives a paragraph of another note a block id (see `ide::completion`'s block links).
pub const ADD_BLOCK_ID: &str = "wikilink.addBlockId";

/// The client-side command a backlinks code lens runs: it shows the locations it carries
/// (VS Code's extension turns it into `editor.action.showReferences`; the Neovim config
/// fills the quickfix list). Not a server command.
pub const SHOW_REFERENCES: &str = "wikilink.showReferences";

/// UTF-8 when the client offers it, else UTF-16 (the protocol's default).
pub fn negotiate_encoding(caps: &ClientCapabilities) -> PositionEncoding {
    let offered = caps
        .general
        .as_ref()
        .and_then(|g| g.position_encodings.as_ref());
    if offered.is_some_and(|encodings| encodings.contains(&PositionEncodingKind::UTF8)) {
        PositionEncoding::Utf8
    } else {
        PositionEncoding::Utf16
    }
}

pub fn server_capabilities(encoding: PositionEncoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            PositionEncoding::Utf8 => PositionEncodingKind::UTF8,
            PositionEncoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                will_save: None,
                will_save_wait_until: None,
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            },
        )),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(["[", "#", "^", ":", "|"].map(String::from).to_vec()),
            resolve_provider: Some(true),
            ..CompletionOptions::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        references_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_link_provider: Some(DocumentLinkOptions {
            resolve_provider: Some(false),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        inlay_hint_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        document_highlight_provider: Some(OneOf::Left(true)),
        code_lens_provider: Some(CodeLensOptions {
            resolve_provider: Some(false),
        }),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: SemanticTokensLegend {
                    token_types: TOKEN_TYPES.to_vec(),
                    token_modifiers: TOKEN_MODIFIERS
                        .iter()
                        .map(|&m| SemanticTokenModifier::new(m))
                        .collect(),
                },
                range: Some(true),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                work_done_progress_options: WorkDoneProgressOptions::default(),
            },
        )),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: COMMANDS.iter().map(|&c| c.to_owned()).collect(),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: Some(file_operations()),
        }),
        ..ServerCapabilities::default()
    }
}

/// File operations the server follows: renames of notes, attachments and folders (to keep
/// links working, before the move) and, after the fact, notes, attachments, folders or
/// `kb.yaml` files created, renamed or deleted in the editor.
fn file_operations() -> WorkspaceFileOperationsServerCapabilities {
    let filter = |glob: &str, matches| FileOperationFilter {
        scheme: Some("file".to_owned()),
        pattern: FileOperationPattern {
            glob: glob.to_owned(),
            matches: Some(matches),
            options: None,
        },
    };
    // Notes, and every other file: attachments are link targets too.
    let notes = vec![
        filter("**/*.md", FileOperationPatternKind::File),
        filter("**/*.markdown", FileOperationPatternKind::File),
        filter("**/*", FileOperationPatternKind::File),
    ];
    let mut notes_and_folders = notes.clone();
    notes_and_folders.push(filter("**", FileOperationPatternKind::Folder));
    let mut everything = notes_and_folders.clone();
    everything.push(filter("**/kb.yaml", FileOperationPatternKind::File));
    let options = |filters| Some(FileOperationRegistrationOptions { filters });
    WorkspaceFileOperationsServerCapabilities {
        will_rename: options(notes_and_folders),
        did_rename: options(everything.clone()),
        did_create: options(everything.clone()),
        did_delete: options(everything),
        ..WorkspaceFileOperationsServerCapabilities::default()
    }
}
