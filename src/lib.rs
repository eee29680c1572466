//! wikilink-lsp: a language server and checker for linked markdown knowledge bases.
//!
//! The crate is a pure core plus two thin shells. Reading order:
//! - [`text`] and [`line_index`]: byte ranges, and their conversion to line/column positions;
//! - [`schema`]: a KB's types and fields as its kb.yaml declares them, and the value rules;
//! - [`syntax`]: one note's text to facts (frontmatter, links, headings, block ids);
//! - [`keys`]: how ids, titles, headings and link targets are normalised (folding, link keys);
//! - [`workspace`]: knowledge bases and every note's facts, updated one file at a time;
//! - [`slug`]: the one definition of which note a link means;
//! - [`ide`]: one module per feature, plain functions over the workspace;
//! - [`vfs`]: the only code that reads the disk (walking roots, reading notes);
//! - [`load`]: a whole workspace loaded from disk, in parallel;
//! - [`check`]: the `wikilink-lsp check` report;
//! - [`lsp`]: the language server, converting between LSP and the core.

pub mod check;
pub mod ide;
pub mod keys;
pub mod line_index;
pub mod load;
pub mod lsp;

#[cfg(test)]
mod fixture;
pub mod schema;
pub mod slug;
pub mod syntax;
pub mod text;
pub mod vfs;
pub mod workspace;
