//! The command behind "block links made for you": completion after `[[note^` offers the
//! paragraphs of `note` that have no block id yet, and accepting one links to a fresh id that
//! the paragraph does not have yet. This gives it that id: ` ^id` at the end of the paragraph,
//! found again in the note's text of the moment (by its text, the nearest to where it was), so
//! that an edit made meanwhile does not put the id in the wrong place.

use std::fmt;

use super::source_change::{NewBlockId, SourceChange, SourceChangeBuilder};
use crate::syntax::{paragraphs, parse_note};
use crate::text::TextRange;

/// Why the promised id could not be added; `Display` is the message for the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddBlockIdError {
    /// No paragraph with the promised text is left.
    ParagraphGone,
    /// Another line of the note has that id now.
    IdTaken { id: String },
}

impl fmt::Display for AddBlockIdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AddBlockIdError::ParagraphGone => {
                write!(f, "the paragraph to give a block id to has changed")
            }
            AddBlockIdError::IdTaken { id } => write!(f, "the block id `^{id}` is taken now"),
        }
    }
}

/// The edit that gives the paragraph of `request` its id, in `text` (the note's current text);
/// an empty change when the paragraph has it already.
pub fn add_block_id(text: &str, request: &NewBlockId) -> Result<SourceChange, AddBlockIdError> {
    let done = format!("{} ^{}", request.paragraph, request.id);
    let paragraph = paragraphs(text)
        .into_iter()
        .filter(|p| {
            let written = text.get(p.as_usize());
            written == Some(request.paragraph.as_str()) || written == Some(done.as_str())
        })
        .min_by_key(|p| p.end.abs_diff(request.end))
        .ok_or(AddBlockIdError::ParagraphGone)?;
    let note = parse_note(text);
    let has_id = note.block_ids().iter().find(|b| b.id == request.id);
    let mut change = SourceChangeBuilder::default();
    match has_id {
        Some(block) if paragraph.contains_range(block.range) => {}
        Some(_) => {
            return Err(AddBlockIdError::IdTaken {
                id: request.id.clone(),
            });
        }
        None => change.replace(
            request.file,
            TextRange::empty(paragraph.end as usize),
            format!(" ^{}", request.id),
        ),
    }
    Ok(change.finish())
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::ide::source_change::apply_edits;
    use crate::text::FileId;

    /// The text after the edit, or the error.
    #[track_caller]
    fn check(text: &str, paragraph: &str, end: u32, id: &str, expect: Expect) {
        let request = NewBlockId {
            file: FileId(0),
            paragraph: paragraph.to_owned(),
            end,
            id: id.to_owned(),
        };
        let out = match add_block_id(text, &request) {
            Ok(change) => apply_edits(text, &change.edits.iter().collect::<Vec<_>>()),
            Err(error) => format!("error: {error}\n"),
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn at_the_end_of_the_paragraph_found_again() {
        let text =
            "---\nid: n\n---\n# Top\n\nSame words.\n\nFirst line\nsecond line.  \n\nSame words.\n";
        check(
            text,
            "First line\nsecond line.",
            30,
            "first-line",
            expect![[r#"
                ---
                id: n
                ---
                # Top

                Same words.

                First line
                second line. ^first-line  

                Same words.
            "#]],
        );
        // Of two equal paragraphs, the one nearest where it was.
        check(
            text,
            "Same words.",
            70,
            "same",
            expect![[r#"
                ---
                id: n
                ---
                # Top

                Same words.

                First line
                second line.  

                Same words. ^same
            "#]],
        );
    }

    #[test]
    fn gone_taken_or_done_already() {
        check(
            "Other text.\n",
            "Gone.",
            5,
            "gone",
            expect![[r#"
                error: the paragraph to give a block id to has changed
            "#]],
        );
        check(
            "Words here.\n\nMore. ^words\n",
            "Words here.",
            11,
            "words",
            expect![[r#"
                error: the block id `^words` is taken now
            "#]],
        );
        check(
            "Words here. ^words\n",
            "Words here.",
            11,
            "words",
            expect![[r#"
                Words here. ^words
            "#]],
        );
    }
}
