//! The only code that turns LSP positions into byte offsets and core answers into LSP types.
//! Every range is converted with the line index of the file it belongs to.

use std::path::PathBuf;

use tower_lsp::lsp_types as lsp;

use crate::ide::{self, CompletionKind, NavigationTarget, Severity};
use crate::line_index::{LineCol, LineIndex, PositionEncoding};
use crate::text::{FileId, TextRange};
use crate::workspace::Workspace;

pub fn path_of(uri: &lsp::Url) -> Option<PathBuf> {
    if uri.scheme() != "file" {
        return None;
    }
    uri.to_file_path().ok()
}

pub fn uri_of(workspace: &Workspace, file: FileId) -> Option<lsp::Url> {
    lsp::Url::from_file_path(&workspace.note(file)?.path).ok()
}

pub fn offset(index: &LineIndex, position: lsp::Position, encoding: PositionEncoding) -> u32 {
    index.offset(
        LineCol {
            line: position.line,
            col: position.character,
        },
        encoding,
    )
}

pub fn position(index: &LineIndex, offset: u32, encoding: PositionEncoding) -> lsp::Position {
    let p = index.line_col(offset, encoding);
    lsp::Position::new(p.line, p.col)
}

pub fn range(index: &LineIndex, range: TextRange, encoding: PositionEncoding) -> lsp::Range {
    lsp::Range::new(
        position(index, range.start, encoding),
        position(index, range.end, encoding),
    )
}

/// A range in `file`, converted with that file's own line index.
pub fn file_range(
    workspace: &Workspace,
    file: FileId,
    text_range: TextRange,
    encoding: PositionEncoding,
) -> Option<lsp::Range> {
    Some(range(
        &workspace.note(file)?.parsed.line_index,
        text_range,
        encoding,
    ))
}

pub fn location(
    workspace: &Workspace,
    file: FileId,
    text_range: TextRange,
    encoding: PositionEncoding,
) -> Option<lsp::Location> {
    Some(lsp::Location::new(
        uri_of(workspace, file)?,
        file_range(workspace, file, text_range, encoding)?,
    ))
}

pub fn severity(severity: Severity) -> lsp::DiagnosticSeverity {
    match severity {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Information => lsp::DiagnosticSeverity::INFORMATION,
        Severity::Hint => lsp::DiagnosticSeverity::HINT,
    }
}

pub fn diagnostic(
    workspace: &Workspace,
    file: FileId,
    d: &ide::Diagnostic,
    encoding: PositionEncoding,
) -> Option<lsp::Diagnostic> {
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            Some(lsp::DiagnosticRelatedInformation {
                location: location(workspace, r.file, r.range, encoding)?,
                message: r.message.clone(),
            })
        })
        .collect();
    Some(lsp::Diagnostic {
        range: file_range(workspace, file, d.range, encoding)?,
        severity: Some(severity(d.severity)),
        code: Some(lsp::NumberOrString::String(d.code.as_str().to_owned())),
        code_description: None,
        source: Some("wikilink-lsp".to_owned()),
        message: d.message.clone(),
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: d
            .target
            .as_ref()
            .map(|t| serde_json::json!({ "target": t })),
    })
}

/// Definition targets as `LocationLink`s (with the link as origin) or plain `Location`s.
pub fn goto_response(
    workspace: &Workspace,
    origin_file: FileId,
    answer: ide::RangeInfo<Vec<NavigationTarget>>,
    encoding: PositionEncoding,
    location_links: bool,
) -> Option<lsp::GotoDefinitionResponse> {
    if location_links {
        let origin = file_range(workspace, origin_file, answer.range, encoding)?;
        let links = answer
            .info
            .iter()
            .filter_map(|t| {
                Some(lsp::LocationLink {
                    origin_selection_range: Some(origin),
                    target_uri: uri_of(workspace, t.file)?,
                    target_range: file_range(workspace, t.file, t.full_range, encoding)?,
                    target_selection_range: file_range(workspace, t.file, t.focus_range, encoding)?,
                })
            })
            .collect();
        return Some(lsp::GotoDefinitionResponse::Link(links));
    }
    let locations = answer
        .info
        .iter()
        .filter_map(|t| location(workspace, t.file, t.focus_range, encoding))
        .collect();
    Some(lsp::GotoDefinitionResponse::Array(locations))
}

pub fn completion_kind(kind: CompletionKind) -> lsp::CompletionItemKind {
    match kind {
        CompletionKind::Note => lsp::CompletionItemKind::FILE,
        CompletionKind::WantedPage => lsp::CompletionItemKind::REFERENCE,
        CompletionKind::Kb => lsp::CompletionItemKind::MODULE,
        CompletionKind::Heading => lsp::CompletionItemKind::CONSTANT,
        CompletionKind::Block => lsp::CompletionItemKind::CONSTANT,
        CompletionKind::Tag => lsp::CompletionItemKind::KEYWORD,
    }
}

/// A completion list with plain-text edits (never snippets) over the list's replace range.
pub fn completion_list(
    workspace: &Workspace,
    index: &LineIndex,
    list: ide::CompletionList,
    encoding: PositionEncoding,
) -> lsp::CompletionList {
    let edit_range = range(index, list.replace_range, encoding);
    let items = list
        .items
        .into_iter()
        .map(|item| lsp::CompletionItem {
            label: item.label,
            kind: Some(completion_kind(item.kind)),
            detail: item.detail,
            sort_text: Some(item.sort_text),
            filter_text: Some(item.filter_text),
            insert_text_format: Some(lsp::InsertTextFormat::PLAIN_TEXT),
            text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
                edit_range,
                item.insert_text,
            ))),
            data: item
                .note
                .and_then(|f| workspace.note(f))
                .map(|n| serde_json::json!({ "path": n.path })),
            ..lsp::CompletionItem::default()
        })
        .collect();
    lsp::CompletionList {
        is_incomplete: list.is_incomplete,
        items,
    }
}
