//! Features, one module each, as plain functions over the [`Workspace`]: byte ranges in, plain
//! data out. Nothing here knows about LSP; the shell in [`crate::lsp`] converts.

pub mod diagnostics;

pub use diagnostics::{
    Diagnostic, DiagnosticCode, DiagnosticsConfig, Related, Severity, diagnostics,
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
pub use hover::{SourceText, hover};
pub use navigation::{NavigationTarget, RangeInfo};

#[cfg(test)]
mod tests;
