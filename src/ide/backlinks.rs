//! Backlinks of a note, for what editors show beside its identity: the code lens "N backlinks"
//! (whose command lists them) and the same count as an inlay hint for editors without code
//! lenses. The count is that of the hover card: every link and frontmatter reference, in any
//! KB, that resolves to the note ([`slug::pointers_to`]).

use super::navigation::{identity_anchor, pointer_range};
use crate::slug;
use crate::text::{FileId, FileRange, TextRange};
use crate::workspace::Workspace;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backlinks {
    /// Where the note's identity is written (its `id:` or `title:` value, its `#` title, else
    /// the start of the file): the count shows on that line.
    pub anchor: TextRange,
    /// Every link and reference to the note, sorted by path and position.
    pub places: Vec<FileRange>,
}

/// The backlinks of note `file`.
pub fn backlinks(workspace: &Workspace, file: FileId) -> Option<Backlinks> {
    let note = workspace.note(file)?;
    let mut places: Vec<FileRange> = slug::pointers_to(workspace, file)
        .iter()
        .filter_map(|pointer| pointer_range(workspace, pointer))
        .collect();
    let path = |f: FileId| workspace.note(f).map(|n| n.path.as_path());
    places.sort_by(|a, b| (path(a.file), a.range.start).cmp(&(path(b.file), b.range.start)));
    Some(Backlinks {
        anchor: identity_anchor(note),
        places,
    })
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::{Fixture, TWO_KBS};

    /// The anchor, then each backlink.
    #[track_caller]
    fn check(fixture: &str, path: &str, expect: Expect) {
        let f = Fixture::parse(fixture);
        let file = f.file(path);
        let answer = backlinks(&f.workspace, file).unwrap();
        let mut out = format!("anchor {}\n", f.render(file, answer.anchor));
        for place in answer.places {
            out += &format!("{}\n", f.render(place.file, place.range));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn on_the_id_line_or_the_title() {
        check(
            &format!("{TWO_KBS}//- /kitchen/pesto.md\n[[gd:basil]] and [[gd:Genovese|it]]\n"),
            "/ws/garden/plants/basil.md",
            expect![[r#"
                anchor /garden/plants/basil.md 8..13 "basil"
                /garden/plants/tomato-notes.md 58..75 "[[basil#Harvest]]"
                /garden/plants/tomato-notes.md 80..92 "[[Genovese]]"
                /kitchen/pesto.md 0..12 "[[gd:basil]]"
                /kitchen/pesto.md 17..35 "[[gd:Genovese|it]]"
            "#]],
        );
        check(
            "//- /kb/plain.md\n# Plain Title\n//- /kb/other.md\nnothing\n",
            "/ws/kb/plain.md",
            expect![[r#"
                anchor /kb/plain.md 2..13 "Plain Title"
            "#]],
        );
    }
}
