//! Semantic tokens: what the parts of a note's links, tags and frontmatter references mean, so
//! that an editor can colour a broken link differently from one that resolves.
//!
//! Every part of a link gets a token (its `kb:` prefix, the note part, `#heading`, `^block`
//! and the display text) carrying the link's state: resolved (one note, and the heading or
//! block exists), broken (no such note, KB, heading or block) or ambiguous (several notes
//! match). A `kb:` prefix naming no KB is broken even when the whole text names a note. Inline
//! `#tag`s and `tags:` values are tags; a frontmatter value that names a note by id is a note
//! token, resolved, and a value of a field declared as holding ids that names none is broken.
//!
//! Tokens never overlap and come in source order; the shell encodes them relative to each other
//! in the client's position encoding.

use crate::slug::{self, Resolution, SubTarget};
use crate::syntax::Link;
use crate::text::{FileId, TextRange};
use crate::workspace::{Note, Workspace};

/// What a token is; the shell maps each to a standard LSP token type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// The `kb:` prefix of a link.
    KbPrefix,
    /// The note a link or a frontmatter reference names.
    Note,
    /// The `#heading` part of a link (without the `#`).
    Heading,
    /// The `^block` part of a link (without the `^`).
    Block,
    /// The display text after `|`.
    Display,
    /// An inline `#tag` (with its `#`) or a `tags:` value.
    Tag,
}

/// Whether the thing a token names exists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenState {
    /// Not about a target (tags, display text of a link that resolves is `Resolved`).
    Plain,
    Resolved,
    Broken,
    Ambiguous,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SemanticToken {
    pub range: TextRange,
    pub kind: TokenKind,
    pub state: TokenState,
}

/// The tokens of note `file` that touch `range` (the whole note when `None`), in order.
pub fn semantic_tokens(
    workspace: &Workspace,
    file: FileId,
    range: Option<TextRange>,
) -> Vec<SemanticToken> {
    let Some(note) = workspace.note(file) else {
        return Vec::new();
    };
    let wanted =
        |r: TextRange| range.is_none_or(|range| r.start < range.end && range.start < r.end);
    let mut tokens = Vec::new();
    for link in workspace.links_of(note).links() {
        if wanted(link.range) {
            link_tokens(workspace, file, note, link, &mut tokens);
        }
    }
    if let Some(fm) = note.parsed.frontmatter() {
        for tag in fm.tags() {
            tokens.push(SemanticToken {
                range: tag.range,
                kind: TokenKind::Tag,
                state: TokenState::Plain,
            });
        }
        let links: Vec<TextRange> = note.parsed.link_ranges().collect();
        for field in fm.fields() {
            let declared = workspace.is_reference_field(note.kb, field.name);
            for value in field.values {
                let in_link = links
                    .iter()
                    .any(|l| l.start < value.range.end && value.range.start < l.end);
                if value.range.is_empty() || in_link {
                    continue;
                }
                let state = match slug::resolve_reference(workspace, file, value) {
                    Some(_) => TokenState::Resolved,
                    None if declared => TokenState::Broken,
                    None => continue,
                };
                tokens.push(SemanticToken {
                    range: value.range,
                    kind: TokenKind::Note,
                    state,
                });
            }
        }
    }
    for tag in note.parsed.inline_tags() {
        tokens.push(SemanticToken {
            range: tag.range,
            kind: TokenKind::Tag,
            state: TokenState::Plain,
        });
    }
    tokens.retain(|token| wanted(token.range) && !token.range.is_empty());
    tokens.sort_by_key(|token| (token.range.start, token.range.end));
    tokens
}

/// The tokens of one link's parts.
fn link_tokens(
    workspace: &Workspace,
    file: FileId,
    note: &Note,
    link: Link,
    tokens: &mut Vec<SemanticToken>,
) {
    let resolution = slug::resolve_link(workspace, file, link);
    let note_state = match &resolution {
        Resolution::SameNote | Resolution::Found { .. } => TokenState::Resolved,
        Resolution::MissingKbPrefix { candidates } if candidates.len() == 1 => TokenState::Resolved,
        Resolution::MissingKbPrefix { .. } | Resolution::Ambiguous { .. } => TokenState::Ambiguous,
        Resolution::UnknownKb { .. } | Resolution::Broken => TokenState::Broken,
    };
    let target_note = match &resolution {
        Resolution::SameNote => Some(note),
        _ => resolution.file(file).and_then(|f| workspace.note(f)),
    };
    let sub_state = match target_note.map(|target| slug::resolve_subtarget(target, link)) {
        Some(SubTarget::MissingHeading | SubTarget::MissingBlock) => TokenState::Broken,
        Some(_) => TokenState::Resolved,
        None => note_state,
    };
    let mut push = |range: TextRange, kind: TokenKind, state: TokenState| {
        tokens.push(SemanticToken { range, kind, state });
    };
    if let Some(kb) = link.kb {
        let kb_state = match resolution {
            Resolution::UnknownKb { .. } => TokenState::Broken,
            _ if workspace.kb_by_name(kb.text).is_none() => TokenState::Broken,
            _ => note_state,
        };
        push(kb.range, TokenKind::KbPrefix, kb_state);
    }
    push(link.target.range, TokenKind::Note, note_state);
    if let Some(heading) = link.heading {
        push(heading.range, TokenKind::Heading, sub_state);
    }
    if let Some(block) = link.block {
        push(block.range, TokenKind::Block, sub_state);
    }
    if let Some(display) = link.display {
        let state = if sub_state == TokenState::Broken {
            TokenState::Broken
        } else {
            note_state
        };
        push(display.range, TokenKind::Display, state);
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::{Fixture, TWO_KBS};

    /// One token per line: the text it covers, its kind and state; `$0` (if any) and the
    /// end of the line after it bound the range asked for.
    #[track_caller]
    fn check(fixture: &str, path: &str, expect: Expect) {
        let f = Fixture::parse(fixture);
        let file = f.file(path);
        let range = f.cursor.map(|cursor| {
            let text = f.text(cursor.file);
            let end = text[cursor.offset as usize..]
                .find('\n')
                .map_or(text.len(), |i| cursor.offset as usize + i);
            TextRange::new(cursor.offset as usize, end)
        });
        let mut out = String::new();
        for token in semantic_tokens(&f.workspace, file, range) {
            out += &format!(
                "{:?} {:?} {:?}\n",
                &f.text(file)[token.range.as_usize()],
                token.kind,
                token.state
            );
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn link_parts_tags_and_references_with_their_state() {
        check(
            &format!(
                "{TWO_KBS}{}",
                r#"//- /garden/a.md
---
aliases: [Twin]
---
//- /garden/b.md
---
aliases: [Twin]
---
//- /garden/plants/mint.md
---
tags: [herb]
companions: [basil, nothing-here]
source: "[[gd:tomato]]"
---
[[gd:basil#Harvest|pinch it]] [[basil^nope]] [[gone|shown]] [[pantry:salt]] #fresh
[[#Local]] ![[tomato]] [[cellar:x]] [[twin#Any|either]]
## Local
"#
            ),
            "/ws/garden/plants/mint.md",
            expect![[r##"
                "herb" Tag Plain
                "basil" Note Resolved
                "nothing-here" Note Broken
                "gd" KbPrefix Resolved
                "tomato" Note Resolved
                "gd" KbPrefix Resolved
                "basil" Note Resolved
                "Harvest" Heading Resolved
                "pinch it" Display Resolved
                "basil" Note Resolved
                "nope" Block Broken
                "gone" Note Broken
                "shown" Display Broken
                "pantry" KbPrefix Broken
                "salt" Note Broken
                "#fresh" Tag Plain
                "Local" Heading Resolved
                "tomato" Note Resolved
                "cellar" KbPrefix Broken
                "x" Note Broken
                "twin" Note Ambiguous
                "Any" Heading Ambiguous
                "either" Display Ambiguous
            "##]],
        );
    }

    #[test]
    fn only_the_range_asked_for() {
        check(
            &format!(
                "{TWO_KBS}//- /garden/plants/mint.md\n[[basil]] #one\n$0[[gone]] #two\n[[tomato]]\n"
            ),
            "/ws/garden/plants/mint.md",
            expect![[r##"
                "gone" Note Broken
                "#two" Tag Plain
            "##]],
        );
    }
}
