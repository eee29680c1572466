//! What a KB's schema (its kb.yaml `types` and `relationship_types`, see [`crate::schema`])
//! says about a note, shared by the features that author against it (each in a `schema`
//! module of its own: `diagnostics::schema`, `completion::schema`, `hover::schema`,
//! `code_actions::schema`): which type a note has, whether a field is written, whether a file
//! is a KB's `cross-kb-links.yaml`, and the frontmatter read as typed lines ([`lines`]).

pub(crate) mod lines;

use crate::schema::{DEFAULT_TYPE, Schema, TypeInfo};
use crate::syntax::Frontmatter;
use crate::text::TextRange;
use crate::workspace::{Kb, Note, Workspace};

/// A note as its KB's schema sees it.
#[derive(Clone, Copy)]
pub(crate) struct SchemaNote<'a> {
    pub kb: &'a Kb,
    pub schema: &'a Schema,
    pub frontmatter: Frontmatter<'a>,
    /// The `type:` value as written (trimmed), or [`DEFAULT_TYPE`] when there is none.
    pub type_name: &'a str,
    /// The range of the `type:` value, when there is one.
    pub type_range: Option<TextRange>,
    /// The type, when the KB or Pyrite knows it.
    pub info: Option<TypeInfo<'a>>,
}

impl<'a> SchemaNote<'a> {
    /// `note` when it is checked against a schema: an entry with frontmatter in a KB whose
    /// kb.yaml declares types.
    pub fn of(workspace: &'a Workspace, note: &'a Note) -> Option<SchemaNote<'a>> {
        let kb = workspace.kb(note.kb);
        let schema = &kb.config.schema;
        if !note.entry || !schema.is_checked() {
            return None;
        }
        let frontmatter = note.parsed.frontmatter()?;
        let written = frontmatter
            .note_type()
            .filter(|value| !value.text.trim().is_empty());
        let type_name = written.map_or(DEFAULT_TYPE, |value| value.text.trim());
        Some(SchemaNote {
            kb,
            schema,
            frontmatter,
            type_name,
            type_range: written.map(|value| value.range),
            info: schema.type_info(type_name),
        })
    }

    /// The range a problem about the whole note is reported on: the `type:` value, else the
    /// opening `---`.
    pub fn anchor(&self) -> TextRange {
        self.type_range.unwrap_or_else(|| {
            let start = self.frontmatter.range().start as usize;
            TextRange::new(start, start + 3)
        })
    }
}

/// Whether `note` is a KB's `cross-kb-links.yaml` (see `syntax::parse_cross_kb_links`).
pub(crate) fn is_cross_kb_links(note: &Note) -> bool {
    note.path
        .file_name()
        .is_some_and(|name| name == crate::syntax::CROSS_KB_LINKS)
}

/// Whether field `name` is in the frontmatter with a value that is not empty (`""`, `[]`,
/// null), as Pyrite's required-field check has it.
pub(crate) fn has_field(frontmatter: Frontmatter<'_>, name: &str) -> bool {
    let filled = |text: &str| !is_null(text);
    match name {
        "id" => frontmatter.id().is_some_and(|v| filled(v.text)),
        "title" => frontmatter.title().is_some_and(|v| filled(v.text)),
        "type" => frontmatter.note_type().is_some_and(|v| filled(v.text)),
        "tags" => frontmatter.tags().iter().any(|v| filled(v.text)),
        "aliases" | "alias" => frontmatter.aliases().iter().any(|v| filled(v.text)),
        _ => frontmatter.fields().any(|field| {
            // A field kept without plain values holds something (a mapping, links).
            field.name == name
                && (field.values.is_empty() || field.values.iter().any(|v| filled(v.text)))
        }),
    }
}

/// An empty or null YAML value.
fn is_null(text: &str) -> bool {
    matches!(text.trim(), "" | "~" | "null" | "Null" | "NULL")
}

/// A typed KB for the tests of this module's features.
#[cfg(test)]
pub(crate) const GARDEN: &str = r#"
//- /garden/kb.yaml
name: garden
types:
  plant:
    description: "A plant grown here"
    subdirectory: plants
    required: [title, family]
    fields:
      family: {type: select, values: [rose, mint, nightshade], description: "Botanical family"}
      sown: {type: date}
      height_cm: {type: number, min: 0, max: 300}
      rows: {type: integer}
      perennial: {type: checkbox}
      colours: {type: multi-select, options: [red, white, purple], allow_other: true}
      grower: {type: object-ref, target_type: person, required: true}
  person:
    subdirectory: people
relationship_types:
  grows_beside: "Planted next to"
  shades: "Casts shade on"
//- /garden/people/ada.md
---
title: Ada
type: person
---
//- /garden/plants/shed.md
---
title: The shed
type: structure
---
"#;

/// A second typed KB, beside [`GARDEN`].
#[cfg(test)]
pub(crate) const KITCHEN: &str = r#"
//- /kitchen/kb.yaml
name: kitchen
description: "What we cook"
types:
  recipe:
    description: "How to make a dish"
    required: [title, course]
    fields:
      course: {type: select, values: [starter, main, dessert]}
      serves: {type: integer, min: 1}
relationship_types:
  uses: "Cooks with"
//- /kitchen/soup.md
---
title: Soup
type: recipe
course: starter
---
"#;

/// `cross-kb-links.yaml` for the tests: links from [`GARDEN`] into [`KITCHEN`] and beyond.
#[cfg(test)]
pub(crate) const GARDEN_LINKS: &str = r#"
//- /garden/cross-kb-links.yaml
# garden → kitchen
- source: ada
  target: soup
  target_kb: kitchen
  relation: grows_beside
  note: "Ada grows what the soup needs"
- source: nobody
  target: stew
  target_kb: kitchen
  relation: feeds
- source: shed
  target: cider-press
  target_kb: orchard
"#;

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::{GARDEN, GARDEN_LINKS, KITCHEN};
    use crate::fixture::Fixture;
    use crate::ide::{
        DiagnosticsConfig, ReferencesConfig, RenameConfig, diagnostics, goto_definition, hover,
        references, rename,
    };

    fn fixture(cursor_in: &str) -> Fixture {
        Fixture::parse(&format!("{GARDEN}{KITCHEN}{GARDEN_LINKS}{cursor_in}"))
    }

    /// The diagnostics of the `cross-kb-links.yaml`.
    #[track_caller]
    fn check_diagnostics(f: &Fixture, expect: Expect) {
        let file = f.file("cross-kb-links.yaml");
        expect.assert_eq(&f.render_diagnostics(file, &DiagnosticsConfig::default()));
    }

    #[test]
    fn cross_kb_links_are_checked() {
        check_diagnostics(
            &fixture(""),
            expect![[r#"
                /garden/cross-kb-links.yaml 146..152 "nobody" warning[broken-reference]: source `nobody`: no note with id `nobody` in KB `garden`
                /garden/cross-kb-links.yaml 163..167 "stew" warning[broken-reference]: target `stew`: no note with id `stew` in KB `kitchen`
                /garden/cross-kb-links.yaml 201..206 "feeds" warning[unknown-relation]: relation `feeds` is not a relationship type of KB `garden`
                /garden/cross-kb-links.yaml 232..243 "cider-press" information[unknown-kb]: target `cider-press`: KB `orchard` is not in this workspace (open it to check the link)
            "#]],
        );
    }

    #[test]
    fn cross_kb_links_navigate_count_as_backlinks_and_follow_renames() {
        // From the file to the notes.
        let f = Fixture::parse(&format!(
            "{GARDEN}{KITCHEN}{}",
            GARDEN_LINKS.replace("target: soup", "target: so$0up")
        ));
        let position = f.position();
        let targets = goto_definition(&f.workspace, position).unwrap();
        let shown: Vec<String> = targets.info.iter().map(|t| f.path(t.file)).collect();
        assert_eq!(shown, ["/kitchen/soup.md"]);
        let source = f.source();
        let card = hover(&f.workspace, position, &source)
            .unwrap()
            .info
            .markdown;
        assert!(card.starts_with("**Soup**"), "{card}");
        assert!(card.contains("1 backlink"), "{card}");

        // The references of `soup`, from the note, include the file's entry.
        let f = Fixture::parse(&format!(
            "{GARDEN}{}{GARDEN_LINKS}",
            KITCHEN.replace("title: Soup", "title: So$0up")
        ));
        let found = references(
            &f.workspace,
            f.position(),
            &ReferencesConfig {
                include_declaration: false,
            },
        )
        .unwrap();
        let shown: Vec<String> = found
            .info
            .iter()
            .map(|r| f.render(r.file, r.range))
            .collect();
        expect![[r#"
            [
                "/garden/cross-kb-links.yaml 45..49 \"soup\"",
            ]
        "#]]
        .assert_debug_eq(&shown);

        // Renaming `ada` (a source) and `soup` (a target) rewrites the file.
        let mut out = String::new();
        for (fixture, new_name) in [
            (
                format!(
                    "{GARDEN}{KITCHEN}{}",
                    GARDEN_LINKS.replace("source: ada", "source: a$0da")
                ),
                "ada-lovelace",
            ),
            (
                format!(
                    "{GARDEN}{KITCHEN}{}",
                    GARDEN_LINKS.replace("target: soup", "target: so$0up")
                ),
                "broth",
            ),
        ] {
            let f = Fixture::parse(&fixture);
            let config = RenameConfig { rename_files: true };
            let renamed = rename(&f.workspace, f.position(), new_name, &config).unwrap();
            out += &format!("# {new_name}\n{}", f.render_change(&renamed.change));
        }
        expect![[r##"
            # ada-lovelace
            //- /garden/cross-kb-links.yaml
            # garden → kitchen
            - source: ada-lovelace
              target: soup
              target_kb: kitchen
              relation: grows_beside
              note: "Ada grows what the soup needs"
            - source: nobody
              target: stew
              target_kb: kitchen
              relation: feeds
            - source: shed
              target: cider-press
              target_kb: orchard
            rename /garden/people/ada.md -> /garden/people/ada-lovelace.md
            # broth
            //- /garden/cross-kb-links.yaml
            # garden → kitchen
            - source: ada
              target: broth
              target_kb: kitchen
              relation: grows_beside
              note: "Ada grows what the soup needs"
            - source: nobody
              target: stew
              target_kb: kitchen
              relation: feeds
            - source: shed
              target: cider-press
              target_kb: orchard
            rename /kitchen/soup.md -> /kitchen/broth.md
        "##]]
        .assert_eq(&out);
    }

    #[test]
    fn readmes_and_templates_are_files_not_entries() {
        let f = Fixture::parse(&format!(
            "{GARDEN}{}",
            "//- /garden/README.md\n# The garden\n\
             //- /garden/people/README.md\n# People\n\
             //- /garden/_templates/person.md\n---\nid: ada\ntitle: Someone\ntype: person\n---\n\
             //- /loose/README.md\n# Loose notes\n\
             //- /garden/plants/basil.md\n---\ntitle: Basil\ntype: plant\nfamily: mint\ngrower: ada\n---\n\
             See [[people/README]] and [[REA$0\n"
        ));
        let mut out = String::new();
        for file in f.files() {
            for d in diagnostics(&f.workspace, file, &DiagnosticsConfig::default()) {
                out += &format!("{} {}\n", f.render(file, d.range), d.code.as_str());
            }
        }
        let position = f.position();
        let config = crate::ide::CompletionConfig::default();
        let list = crate::ide::completion(
            &f.workspace,
            position,
            f.text(position.file),
            &config,
            &|_| None,
        )
        .unwrap();
        for item in list.items {
            out += &format!("offered {}\n", item.label);
        }
        // No duplicate `ada`, no broken `[[people/README]]`, and only the loose README (no
        // kb.yaml there: every markdown file is a note) is offered.
        expect![[r#"
            /garden/plants/shed.md 26..35 "structure" unknown-type
            offered ws:README
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn every_offset_answers_without_panicking_even_with_stale_text() {
        let note = "---\r\ntitle: \"Rué 😀\"\r\ntype: plant\r\nfamily: m\r\ncolours: [red, \"wh\r\nlinks:\r\n- target: ada\r\n  relation: sh\r\n---\r\nBody [[x\r\n";
        let f = Fixture::parse(&format!(
            "{GARDEN}{KITCHEN}{GARDEN_LINKS}//- /garden/plants/rue.md\n{note}"
        ));
        let file = f.file("rue.md");
        let links = f.file("cross-kb-links.yaml");
        let config = crate::ide::CompletionConfig::default();
        for (file, text) in [(file, f.text(file)), (links, f.text(links))] {
            let stale = "😀é\n".repeat(3);
            for candidate in [text, stale.as_str(), ""] {
                let source = |_| Some(candidate.to_owned());
                for offset in 0..=text.len() as u32 + 2 {
                    let position = crate::text::FilePosition { file, offset };
                    let _ =
                        crate::ide::completion(&f.workspace, position, candidate, &config, &|_| {
                            None
                        });
                    let _ = hover(&f.workspace, position, &source);
                }
            }
        }
    }
}
