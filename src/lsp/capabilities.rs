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
    /// The client applies `RenameFile`/`CreateFile` in workspace edits (read by rename).
    #[allow(dead_code)]
    pub resource_operations: bool,
    #[allow(dead_code)]
    pub document_changes: bool,
    pub markdown_hover: bool,
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
    }
}

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
        workspace: Some(WorkspaceServerCapabilities {
            workspace_folders: Some(WorkspaceFoldersServerCapabilities {
                supported: Some(true),
                change_notifications: Some(OneOf::Left(true)),
            }),
            file_operations: None,
        }),
        ..ServerCapabilities::default()
    }
}
