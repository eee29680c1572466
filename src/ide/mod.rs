//! Features, one module each, as plain functions over the [`Workspace`]: byte ranges in, plain
//! data out. Nothing here knows about LSP; the shell in [`crate::lsp`] converts.

use crate::text::FileId;

/// Reads a note's current text (the open buffer, else the disk); the shell provides it.
pub type SourceText<'a> = &'a dyn Fn(FileId) -> Option<String>;

pub mod diagnostics;

pub use diagnostics::{
    Diagnostic, DiagnosticCode, DiagnosticsConfig, Related, Severity, diagnostics,
    diagnostics_with_cache, diagnostics_with_links,
};

pub mod completion;
pub mod cursor;
pub mod goto_definition;
pub mod hover;
pub mod navigation;
pub mod suggest;

pub use completion::{
    CompletionConfig, CompletionItem, CompletionKind, CompletionList, completion,
};
pub use goto_definition::goto_definition;
pub use hover::{HoverCard, hover};
pub use navigation::{NavigationTarget, RangeInfo, SymbolKind};

// Navigation and refactoring across KBs (issue #4).
pub mod code_actions;
pub mod document_links;
pub mod document_symbols;
pub mod file_rename;
pub mod inlay_hints;
mod kb_schema;
mod rank;
pub mod references;
pub mod rename;
mod retarget;
pub mod source_change;
pub mod workspace_symbols;

pub use code_actions::{CodeAction, CodeActionConfig, code_actions};
pub use document_links::{DocumentLink, document_links};
pub use document_symbols::{DocumentSymbol, document_symbols};
pub use file_rename::will_rename_files;
pub use inlay_hints::{InlayHint, inlay_hints};
pub use references::{ReferencesConfig, references};
pub use rename::{InvalidHeading, RenameConfig, RenameError, Renamed, prepare_rename, rename};
pub use retarget::{Clash, InvalidId};
pub use source_change::{FileEdit, FileSystemEdit, NewBlockId, SourceChange};
pub use workspace_symbols::{WorkspaceSymbol, workspace_symbols};

// What the peers offer (issue #14).
pub mod add_block_id;
pub mod backlinks;
pub mod document_highlight;
pub mod folding_ranges;
pub mod semantic_tokens;

pub use add_block_id::{AddBlockIdError, add_block_id};
pub use backlinks::{Backlinks, backlinks};
pub use document_highlight::{Highlight, HighlightKind, document_highlight};
pub use folding_ranges::{Fold, FoldKind, folding_ranges};
pub use semantic_tokens::{SemanticToken, TokenKind, TokenState, semantic_tokens};
