//! Authoring against a KB's schema (its kb.yaml `types` and `relationship_types`, see
//! [`crate::schema`]): the problems [`diagnostics`] reports, completion of types, values,
//! relations and field names in frontmatter ([`completion`]), hover on field names, types and
//! relations ([`hover`]), and the quick fixes for schema problems ([`fixes`]). Each is hooked
//! into the feature of the same name; this module holds what they share: which type a note
//! has, and whether a field is there.

pub mod completion;
pub mod diagnostics;
pub mod fixes;
pub mod hover;
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
