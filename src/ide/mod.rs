//! Features, one module each, as plain functions over the [`Workspace`]: byte ranges in, plain
//! data out. Nothing here knows about LSP; the shell in [`crate::lsp`] converts.

pub mod diagnostics;

pub use diagnostics::{Diagnostic, DiagnosticCode, DiagnosticsConfig, Related, Severity, diagnostics};
