//! The only code that turns LSP positions into byte offsets and core answers into LSP types.
//! Every range is converted with the line index of the file it belongs to.

use std::path::PathBuf;

use tower_lsp::lsp_types as lsp;

use crate::ide::{self, CompletionKind, NavigationTarget, Severity};
use crate::line_index::{LineCol, LineIndex, PositionEncoding};
use crate::text::{FileId, TextRange};
use crate::workspace::Workspace;

use super::line_indexes::LineIndexes;

pub fn path_of(uri: &lsp::Url) -> Option<PathBuf> {
    if uri.scheme() != "file" {
        return None;
    }
    uri.to_file_path().ok()
}

/// The URI of a note or an attachment.
pub fn uri_of(workspace: &Workspace, file: FileId) -> Option<lsp::Url> {
    lsp::Url::from_file_path(workspace.path(file)?).ok()
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

/// A range in `file`, converted with that file's own line index; an attachment (not text the
/// index knows) is pointed at from its start.
pub fn file_range(
    lines: &LineIndexes,
    file: FileId,
    text_range: TextRange,
    encoding: PositionEncoding,
) -> Option<lsp::Range> {
    let workspace = lines.workspace();
    match workspace.note(file) {
        Some(_) => {
            let index = lines.get(file)?;
            Some(range(&index, text_range, encoding))
        }
        None => workspace
            .attachment(file)
            .map(|_| lsp::Range::new(lsp::Position::new(0, 0), lsp::Position::new(0, 0))),
    }
}

pub fn location(
    lines: &LineIndexes,
    file: FileId,
    text_range: TextRange,
    encoding: PositionEncoding,
) -> Option<lsp::Location> {
    Some(lsp::Location::new(
        uri_of(lines.workspace(), file)?,
        file_range(lines, file, text_range, encoding)?,
    ))
}

/// A hover card over `range`, as markdown when the client shows it (with the card's image, as
/// a markdown image of the file's URI), else as plain text.
pub fn hover(
    index: &LineIndex,
    answer: ide::RangeInfo<ide::HoverCard>,
    markdown: bool,
    encoding: PositionEncoding,
) -> lsp::Hover {
    let kind = if markdown {
        lsp::MarkupKind::Markdown
    } else {
        lsp::MarkupKind::PlainText
    };
    let mut value = answer.info.markdown;
    if markdown
        && let Some(image) = &answer.info.image
        && let Ok(uri) = lsp::Url::from_file_path(image)
    {
        let name = image.file_name().map(|n| n.to_string_lossy().into_owned());
        let alt = name.unwrap_or_default().replace([']', '['], "");
        value += &format!("\n\n![{alt}]({uri})");
    }
    lsp::Hover {
        contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind, value }),
        range: Some(range(index, answer.range, encoding)),
    }
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
    lines: &LineIndexes,
    file: FileId,
    d: &ide::Diagnostic,
    encoding: PositionEncoding,
) -> Option<lsp::Diagnostic> {
    let related: Vec<lsp::DiagnosticRelatedInformation> = d
        .related
        .iter()
        .filter_map(|r| {
            Some(lsp::DiagnosticRelatedInformation {
                location: location(lines, r.file, r.range, encoding)?,
                message: r.message.clone(),
            })
        })
        .collect();
    Some(lsp::Diagnostic {
        range: file_range(lines, file, d.range, encoding)?,
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
    lines: &LineIndexes,
    origin_file: FileId,
    answer: ide::RangeInfo<Vec<NavigationTarget>>,
    encoding: PositionEncoding,
    location_links: bool,
) -> Option<lsp::GotoDefinitionResponse> {
    if location_links {
        let origin = file_range(lines, origin_file, answer.range, encoding)?;
        let links = answer
            .info
            .iter()
            .filter_map(|t| {
                Some(lsp::LocationLink {
                    origin_selection_range: Some(origin),
                    target_uri: uri_of(lines.workspace(), t.file)?,
                    target_range: file_range(lines, t.file, t.full_range, encoding)?,
                    target_selection_range: file_range(lines, t.file, t.focus_range, encoding)?,
                })
            })
            .collect();
        return Some(lsp::GotoDefinitionResponse::Link(links));
    }
    let locations = answer
        .info
        .iter()
        .filter_map(|t| location(lines, t.file, t.focus_range, encoding))
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
        CompletionKind::Attachment => lsp::CompletionItemKind::FILE,
        CompletionKind::Field => lsp::CompletionItemKind::FIELD,
        CompletionKind::Type => lsp::CompletionItemKind::CLASS,
        CompletionKind::Value => lsp::CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Relation => lsp::CompletionItemKind::PROPERTY,
    }
}

/// A completion list with plain-text edits (never snippets) over the list's replace range. An
/// item that gives a paragraph a block id carries that edit: as an additional edit when the
/// paragraph is in `file` itself, else as the server command `wikilink.addBlockId`.
pub fn completion_list(
    workspace: &Workspace,
    index: &LineIndex,
    file: FileId,
    list: ide::CompletionList,
    encoding: PositionEncoding,
) -> Option<lsp::CompletionList> {
    let edit_range = range(index, list.replace_range, encoding);
    let items = list
        .items
        .into_iter()
        .map(|item| {
            let (additional_text_edits, command) = match &item.new_block_id {
                Some(new) if new.file == file => {
                    let at = range(index, TextRange::empty(new.end as usize), encoding);
                    (
                        Some(vec![lsp::TextEdit::new(at, format!(" ^{}", new.id))]),
                        None,
                    )
                }
                Some(new) => (None, block_id_command(workspace, new)),
                None => (None, None),
            };
            lsp::CompletionItem {
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
                additional_text_edits,
                command,
                data: item
                    .note
                    .and_then(|f| workspace.note(f))
                    .map(|n| serde_json::json!({ "path": n.path })),
                ..lsp::CompletionItem::default()
            }
        })
        .collect();
    Some(lsp::CompletionList {
        is_incomplete: list.is_incomplete,
        items,
    })
}

/// The command that adds a promised block id to a paragraph of another note.
fn block_id_command(workspace: &Workspace, new: &ide::NewBlockId) -> Option<lsp::Command> {
    let argument = serde_json::json!({
        "uri": uri_of(workspace, new.file)?,
        "paragraph": new.paragraph,
        "end": new.end,
        "id": new.id,
    });
    Some(lsp::Command {
        title: format!("Add ^{} to the paragraph", new.id),
        command: super::capabilities::ADD_BLOCK_ID.to_owned(),
        arguments: Some(vec![argument]),
    })
}

/// The argument of `wikilink.addBlockId` back as a promised block id.
pub fn new_block_id(
    workspace: &Workspace,
    argument: &serde_json::Value,
) -> Option<ide::NewBlockId> {
    let uri = lsp::Url::parse(argument.get("uri")?.as_str()?).ok()?;
    Some(ide::NewBlockId {
        file: workspace.file_id(&path_of(&uri)?)?,
        paragraph: argument.get("paragraph")?.as_str()?.to_owned(),
        end: u32::try_from(argument.get("end")?.as_u64()?).ok()?,
        id: argument.get("id")?.as_str()?.to_owned(),
    })
}

// ----- navigation and refactoring (references, rename, code actions, symbols, links, hints) -----

/// A core change as a `WorkspaceEdit`. With `document_changes`, text edits come first as
/// `TextDocumentEdit`s carrying the open buffer's version (`version(uri)`), then the file
/// operation (a `RenameFile`, or a `CreateFile` followed by the edit that fills the new file).
/// Without it, only the `changes` map (the core leaves file operations out for such clients).
pub fn workspace_edit(
    lines: &LineIndexes,
    change: &ide::SourceChange,
    version: &dyn Fn(&lsp::Url) -> Option<i32>,
    encoding: PositionEncoding,
    document_changes: bool,
) -> Option<lsp::WorkspaceEdit> {
    let mut by_file: Vec<(lsp::Url, Vec<lsp::TextEdit>)> = Vec::new();
    lines.prefetch(change.files());
    for file in change.files() {
        let uri = uri_of(lines.workspace(), file)?;
        let edits = change
            .edits
            .iter()
            .filter(|e| e.file == file)
            .map(|e| {
                Some(lsp::TextEdit::new(
                    file_range(lines, file, e.range, encoding)?,
                    e.new_text.clone(),
                ))
            })
            .collect::<Option<Vec<_>>>()?;
        by_file.push((uri, edits));
    }
    if !document_changes {
        return Some(lsp::WorkspaceEdit {
            changes: Some(by_file.into_iter().collect()),
            ..lsp::WorkspaceEdit::default()
        });
    }
    let text_edit = |uri: lsp::Url, edits: Vec<lsp::TextEdit>, version: Option<i32>| {
        lsp::DocumentChangeOperation::Edit(lsp::TextDocumentEdit {
            text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version },
            edits: edits.into_iter().map(lsp::OneOf::Left).collect(),
        })
    };
    let mut operations: Vec<lsp::DocumentChangeOperation> = by_file
        .into_iter()
        .map(|(uri, edits)| {
            let open_version = version(&uri);
            text_edit(uri, edits, open_version)
        })
        .collect();
    // Never clobber a file: a file that exists after all is kept as it is (and gets the
    // frontmatter inserted at its top). `ignoreIfExists: false` would ask the editor to fail
    // instead, but some editors (Neovim 0.7) then truncate the existing file.
    let no_overwrite = Some(lsp::CreateFileOptions {
        overwrite: Some(false),
        ignore_if_exists: Some(true),
    });
    match &change.file_system {
        Some(ide::FileSystemEdit::MoveFile { from, to }) => {
            operations.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Rename(
                lsp::RenameFile {
                    old_uri: lsp::Url::from_file_path(from).ok()?,
                    new_uri: lsp::Url::from_file_path(to).ok()?,
                    options: Some(lsp::RenameFileOptions {
                        overwrite: Some(false),
                        ignore_if_exists: Some(false),
                    }),
                    annotation_id: None,
                },
            )));
        }
        Some(ide::FileSystemEdit::CreateFile { path, text }) => {
            let uri = lsp::Url::from_file_path(path).ok()?;
            operations.push(lsp::DocumentChangeOperation::Op(lsp::ResourceOp::Create(
                lsp::CreateFile {
                    uri: uri.clone(),
                    options: no_overwrite,
                    annotation_id: None,
                },
            )));
            let start = lsp::Position::new(0, 0);
            let fill = lsp::TextEdit::new(lsp::Range::new(start, start), text.clone());
            operations.push(text_edit(uri, vec![fill], None));
        }
        None => {}
    }
    Some(lsp::WorkspaceEdit {
        document_changes: Some(lsp::DocumentChanges::Operations(operations)),
        ..lsp::WorkspaceEdit::default()
    })
}

/// A quick fix with its diagnostic and its edit.
pub fn code_action(
    lines: &LineIndexes,
    file: FileId,
    action: &ide::CodeAction,
    edit: lsp::WorkspaceEdit,
    encoding: PositionEncoding,
) -> Option<lsp::CodeActionOrCommand> {
    Some(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title: action.title.clone(),
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic(lines, file, &action.diagnostic, encoding)?]),
        edit: Some(edit),
        is_preferred: action.is_preferred.then_some(true),
        ..lsp::CodeAction::default()
    }))
}

fn symbol_kind(kind: ide::SymbolKind) -> lsp::SymbolKind {
    match kind {
        ide::SymbolKind::Note => lsp::SymbolKind::FILE,
        // What VS Code's own markdown outline uses for headings.
        ide::SymbolKind::Heading => lsp::SymbolKind::STRING,
        ide::SymbolKind::Tag => lsp::SymbolKind::KEY,
    }
}

#[allow(deprecated)] // `DocumentSymbol::deprecated` must still be written.
pub fn document_symbol(
    index: &LineIndex,
    symbol: &ide::DocumentSymbol,
    encoding: PositionEncoding,
) -> lsp::DocumentSymbol {
    lsp::DocumentSymbol {
        name: symbol.name.clone(),
        detail: symbol.detail.clone(),
        kind: symbol_kind(symbol.kind),
        tags: None,
        deprecated: None,
        range: range(index, symbol.full_range, encoding),
        selection_range: range(index, symbol.focus_range, encoding),
        children: Some(
            symbol
                .children
                .iter()
                .map(|child| document_symbol(index, child, encoding))
                .collect(),
        ),
    }
}

#[allow(deprecated)] // `SymbolInformation::deprecated` must still be written.
pub fn workspace_symbol(
    lines: &LineIndexes,
    symbol: &ide::WorkspaceSymbol,
    encoding: PositionEncoding,
) -> Option<lsp::SymbolInformation> {
    Some(lsp::SymbolInformation {
        name: symbol.name.clone(),
        kind: symbol_kind(symbol.kind),
        tags: None,
        deprecated: None,
        location: location(lines, symbol.file, symbol.focus_range, encoding)?,
        container_name: Some(symbol.container.clone()),
    })
}

/// A document link to the target file; a heading or block target adds `#L<line>` (1-based),
/// which VS Code opens at that line.
pub fn document_link(
    lines: &LineIndexes,
    index: &LineIndex,
    link: &ide::DocumentLink,
    encoding: PositionEncoding,
) -> Option<lsp::DocumentLink> {
    let mut target = uri_of(lines.workspace(), link.target.file)?;
    if link.in_note {
        let target_index = lines.get(link.target.file)?;
        let line = target_index
            .line_col(link.target.focus_range.start, encoding)
            .line;
        target.set_fragment(Some(&format!("L{}", line + 1)));
    }
    Some(lsp::DocumentLink {
        range: range(index, link.range, encoding),
        target: Some(target),
        tooltip: Some(link.tooltip.clone()),
        data: None,
    })
}

pub fn inlay_hint(
    index: &LineIndex,
    hint: &ide::InlayHint,
    encoding: PositionEncoding,
) -> lsp::InlayHint {
    lsp::InlayHint {
        position: position(index, hint.offset, encoding),
        label: lsp::InlayHintLabel::String(hint.label.clone()),
        kind: None,
        text_edits: None,
        tooltip: Some(lsp::InlayHintTooltip::String(
            "title of the linked note".to_owned(),
        )),
        padding_left: Some(true),
        padding_right: None,
        data: None,
    }
}

/// An LSP range in a note as a byte range.
pub fn text_range(index: &LineIndex, range: lsp::Range, encoding: PositionEncoding) -> TextRange {
    let start = offset(index, range.start, encoding);
    let end = offset(index, range.end, encoding).max(start);
    TextRange { start, end }
}

// ----- what the peers offer (folding, highlights, backlinks, semantic tokens) -----

/// A fold as lines; `None` when it fits on one line (nothing to fold).
pub fn folding_range(index: &LineIndex, fold: &ide::Fold) -> Option<lsp::FoldingRange> {
    let start_line = index.line_of(fold.range.start);
    let end_line = index.line_of(fold.range.end);
    (end_line > start_line).then_some(lsp::FoldingRange {
        start_line,
        start_character: None,
        end_line,
        end_character: None,
        kind: Some(lsp::FoldingRangeKind::Region),
        collapsed_text: None,
    })
}

pub fn document_highlight(
    index: &LineIndex,
    highlight: &ide::Highlight,
    encoding: PositionEncoding,
) -> lsp::DocumentHighlight {
    lsp::DocumentHighlight {
        range: range(index, highlight.range, encoding),
        kind: Some(match highlight.kind {
            ide::HighlightKind::Read => lsp::DocumentHighlightKind::READ,
            ide::HighlightKind::Write => lsp::DocumentHighlightKind::WRITE,
        }),
    }
}

fn backlinks_label(count: usize) -> String {
    crate::ide::navigation::plural(count, "backlink")
}

/// The code lens "N backlinks" over the note's identity. Its command is the client's
/// `wikilink.showReferences` with the arguments of VS Code's `editor.action.showReferences`
/// (the note's URI, the lens position, the locations), as LSP JSON for the client to convert.
pub fn backlinks_lens(
    lines: &LineIndexes,
    file: FileId,
    backlinks: &ide::Backlinks,
    encoding: PositionEncoding,
) -> Option<lsp::CodeLens> {
    let lens_range = file_range(lines, file, backlinks.anchor, encoding)?;
    lines.prefetch(backlinks.places.iter().map(|place| place.file));
    let locations: Vec<lsp::Location> = backlinks
        .places
        .iter()
        .filter_map(|place| location(lines, place.file, place.range, encoding))
        .collect();
    let arguments = vec![
        serde_json::json!(uri_of(lines.workspace(), file)?),
        serde_json::json!(lens_range.start),
        serde_json::json!(locations),
    ];
    Some(lsp::CodeLens {
        range: lens_range,
        command: Some(lsp::Command {
            title: backlinks_label(backlinks.places.len()),
            command: super::capabilities::SHOW_REFERENCES.to_owned(),
            arguments: Some(arguments),
        }),
        data: None,
    })
}

/// The backlink count as an inlay hint at the end of the note's identity line.
pub fn backlinks_hint(
    index: &LineIndex,
    backlinks: &ide::Backlinks,
    encoding: PositionEncoding,
) -> lsp::InlayHint {
    let line_end = index.line_end(index.line_of(backlinks.anchor.start));
    lsp::InlayHint {
        position: position(index, line_end, encoding),
        label: lsp::InlayHintLabel::String(backlinks_label(backlinks.places.len())),
        kind: None,
        text_edits: None,
        tooltip: Some(lsp::InlayHintTooltip::String(
            "links and frontmatter references to this note".to_owned(),
        )),
        padding_left: Some(true),
        padding_right: None,
        data: None,
    }
}

/// The index of a token kind in the legend (`capabilities::TOKEN_TYPES`).
fn token_type(kind: ide::TokenKind) -> u32 {
    match kind {
        ide::TokenKind::KbPrefix => 0,
        ide::TokenKind::Note => 1,
        ide::TokenKind::Heading => 2,
        ide::TokenKind::Block => 3,
        ide::TokenKind::Display => 4,
        ide::TokenKind::Tag => 5,
    }
}

/// The modifier bits of a token state (`capabilities::TOKEN_MODIFIERS`).
fn token_modifiers(state: ide::TokenState) -> u32 {
    match state {
        ide::TokenState::Plain => 0,
        ide::TokenState::Resolved => 1,
        ide::TokenState::Broken => 1 << 1,
        ide::TokenState::Ambiguous => 1 << 2,
    }
}

/// Tokens in LSP's relative encoding (each position after the previous token's start), lengths
/// in the negotiated encoding. A token that spans lines is left out: clients need not take them.
pub fn semantic_tokens(
    index: &LineIndex,
    tokens: &[ide::SemanticToken],
    encoding: PositionEncoding,
) -> lsp::SemanticTokens {
    let mut data = Vec::with_capacity(tokens.len());
    let (mut previous_line, mut previous_col) = (0, 0);
    for token in tokens {
        let start = index.line_col(token.range.start, encoding);
        let end = index.line_col(token.range.end, encoding);
        if end.line != start.line || end.col <= start.col {
            continue;
        }
        let delta_line = start.line - previous_line;
        let delta_start = if delta_line == 0 {
            start.col - previous_col
        } else {
            start.col
        };
        data.push(lsp::SemanticToken {
            delta_line,
            delta_start,
            length: end.col - start.col,
            token_type: token_type(token.kind),
            token_modifiers_bitset: token_modifiers(token.state),
        });
        (previous_line, previous_col) = (start.line, start.col);
    }
    lsp::SemanticTokens {
        result_id: None,
        data,
    }
}
