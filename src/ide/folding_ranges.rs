//! Folding ranges: the frontmatter, each heading's section (nested: a section runs to the next
//! heading of the same or a higher level), code blocks and lists. A section ends at the end of
//! its last non-blank text, so the blank lines before the next heading stay visible.
//!
//! The answer holds byte ranges; the shell turns them into lines and drops those that fit on
//! one line.

use crate::syntax::RegionKind;
use crate::text::{FileId, TextRange};
use crate::workspace::Workspace;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    Frontmatter,
    Section,
    Code,
    List,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub kind: FoldKind,
    /// From the first character of the first line to the end of the last line's text.
    pub range: TextRange,
}

/// The folds of note `file`, whose current text is `text`, in order of their start.
pub fn folding_ranges(workspace: &Workspace, file: FileId, text: &str) -> Vec<Fold> {
    let Some(note) = workspace.note(file) else {
        return Vec::new();
    };
    let trimmed_end = |end: u32| {
        let end = (end as usize).min(text.len());
        // `get`: a stale range may not fall on a character boundary.
        text.get(..end)
            .map_or(end, |before| before.trim_end().len()) as u32
    };
    let mut folds = Vec::new();
    if let Some(fm) = note.parsed.frontmatter() {
        folds.push(Fold {
            kind: FoldKind::Frontmatter,
            range: TextRange {
                start: fm.range().start,
                end: trimmed_end(fm.range().end),
            },
        });
    }
    let headings: Vec<_> = note.parsed.headings().iter().collect();
    for (index, heading) in headings.iter().enumerate() {
        let next = headings[index + 1..]
            .iter()
            .find(|later| later.level <= heading.level)
            .map_or(text.len() as u32, |later| later.range.start);
        folds.push(Fold {
            kind: FoldKind::Section,
            range: TextRange {
                start: heading.range.start,
                end: trimmed_end(next).max(heading.range.start),
            },
        });
    }
    for region in note.parsed.regions() {
        let kind = match region.kind {
            RegionKind::Code => FoldKind::Code,
            RegionKind::List => FoldKind::List,
        };
        folds.push(Fold {
            kind,
            range: region.range,
        });
    }
    folds.sort_by_key(|fold| (fold.range.start, std::cmp::Reverse(fold.range.end)));
    folds
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::Fixture;

    /// Each fold as its kind and first and last lines (1-based), folds of one line left out as
    /// the shell leaves them out.
    #[track_caller]
    fn check(text: &str, expect: Expect) {
        let f = Fixture::parse(&format!("//- /kb/note.md\n{text}"));
        let file = f.file("/ws/kb/note.md");
        let index = &f.workspace.note(file).unwrap().parsed.line_index().unwrap();
        let mut out = String::new();
        for fold in folding_ranges(&f.workspace, file, f.text(file)) {
            let (first, last) = (
                index.line_of(fold.range.start),
                index.line_of(fold.range.end),
            );
            if last > first {
                out += &format!("{:?} {}..{}\n", fold.kind, first + 1, last + 1);
            }
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn frontmatter_sections_code_and_lists() {
        check(
            r#"---
id: note
tags: [a]
---
# Title

Intro.

## One

- first
- second
  - nested

```rust
let x = 1;
```

### One and a half
Text.

## Two
Last line.


"#,
            expect![[r#"
                Frontmatter 1..4
                Section 5..23
                Section 9..20
                List 11..13
                Code 15..17
                Section 19..20
                Section 22..23
            "#]],
        );
    }
}
