//! Hover from the KB's schema, in frontmatter: on a field name, what the note's type says of it
//! (its kind, required or optional, description, allowed values, bounds, target type); on the
//! `type:` value, the type's description and required fields; on a typed link's `relation:`
//! (or one in `cross-kb-links.yaml`), the relation's description. Anything else is `None`, and
//! [`crate::ide::hover`] answers as before.

use std::fmt::Write;

use super::SourceText;
use crate::ide::kb_schema::SchemaNote;
use crate::ide::kb_schema::lines::top_level_keys;
use crate::ide::navigation::RangeInfo;
use crate::schema::{BUILT_IN_RELATIONS, FieldKind, TypeInfo};
use crate::text::{FilePosition, TextRange};
use crate::workspace::Workspace;

/// The schema's card for what is at `position`, if it is a field name, a `type:` value or a
/// `relation:` value.
pub(crate) fn hover(
    workspace: &Workspace,
    position: FilePosition,
    source: SourceText<'_>,
) -> Option<RangeInfo<String>> {
    let note = workspace.note(position.file)?;
    let frontmatter = note.parsed.frontmatter()?;
    let offset = position.offset;
    if !frontmatter.range().contains_inclusive(offset) {
        return None;
    }
    let kb = workspace.kb(note.kb);
    if let Some(relation) = frontmatter
        .relations()
        .iter()
        .find(|r| r.range.contains_inclusive(offset) && !r.range.is_empty())
    {
        let name = relation.text.trim();
        let info = match kb.config.schema.relation(name) {
            Some(declared) => format!(
                "**{name}** · relation of KB `{}`\n\n{}",
                kb.name, declared.description
            ),
            None if BUILT_IN_RELATIONS.contains(&name) => {
                format!("**{name}** · Pyrite built-in relation")
            }
            None => return None,
        };
        return Some(RangeInfo {
            range: relation.range,
            info: info.trim_end().to_owned(),
        });
    }
    let checked = SchemaNote::of(workspace, note)?;
    if let Some(range) = checked.type_range
        && range.contains_inclusive(offset)
    {
        let info = type_card(checked.info?, &kb.name);
        return Some(RangeInfo { range, info });
    }
    let text = source(position.file)?;
    let fm = frontmatter.range();
    let yaml = TextRange::new(fm.start as usize, (fm.end as usize).min(text.len()));
    let (key, range) = top_level_keys(&text, yaml)
        .into_iter()
        .find(|(_, range)| range.contains_inclusive(offset))?;
    let info = field_card(checked.info?, key)?;
    Some(RangeInfo { range, info })
}

/// The type's name and KB, description, and required fields.
fn type_card(info: TypeInfo<'_>, kb_name: &str) -> String {
    let origin = match info.declared {
        Some(_) => format!("type of KB `{kb_name}`"),
        None => "Pyrite built-in type".to_owned(),
    };
    let mut card = format!("**{}** · {origin}\n", info.name);
    if let Some(description) = info.description {
        let _ = write!(card, "\n{description}\n");
    }
    let required: Vec<String> = info
        .required_fields()
        .iter()
        .map(|name| format!("`{name}`"))
        .collect();
    let _ = write!(card, "\nRequired: {}", required.join(", "));
    if let Some(folder) = info.declared.and_then(|t| t.subdirectory.as_deref()) {
        let _ = write!(card, " · folder `{folder}/`");
    }
    card
}

/// What the type says of field `name`; `None` when it does not name it.
fn field_card(info: TypeInfo<'_>, name: &str) -> Option<String> {
    if !info.all_fields().contains(&name) {
        return None;
    }
    let required = if info.required_fields().contains(&name) {
        "required"
    } else {
        "optional"
    };
    let spec = info.field(name);
    let kind = spec.map_or("text", |spec| spec.kind_name.as_str());
    let mut card = format!("**{name}** · {kind} · {required} in `{}`\n", info.name);
    let Some(spec) = spec else {
        return Some(card.trim_end().to_owned());
    };
    if let Some(description) = &spec.description {
        let _ = write!(card, "\n{description}\n");
    }
    if spec.kind.is_select() && !spec.values.is_empty() {
        let values: Vec<String> = spec.values.iter().map(|v| format!("`{v}`")).collect();
        let others = if spec.allow_other {
            " (others allowed)"
        } else {
            ""
        };
        let _ = write!(card, "\nValues: {}{others}\n", values.join(", "));
    }
    let bound = |b: Option<crate::schema::Bound>| b.map(|b| b.0.to_string());
    match (bound(spec.min), bound(spec.max)) {
        (Some(min), Some(max)) => {
            let _ = write!(card, "\nFrom {min} to {max}\n");
        }
        (Some(min), None) => {
            let _ = write!(card, "\nAt least {min}\n");
        }
        (None, Some(max)) => {
            let _ = write!(card, "\nAt most {max}\n");
        }
        (None, None) => {}
    }
    match spec.kind {
        FieldKind::Date => card += "\nA date: `YYYY-MM-DD`\n",
        FieldKind::Checkbox => card += "\n`true` or `false`\n",
        _ => {}
    }
    if let Some(format) = &spec.format {
        let _ = write!(card, "\nFormat: `{format}`\n");
    }
    if let Some(target) = &spec.target_type {
        let _ = write!(card, "\nThe id of a note of type `{target}`\n");
    }
    Some(card.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use crate::fixture::Fixture;
    use crate::ide::hover;
    use crate::ide::kb_schema::{GARDEN, KITCHEN};

    /// The hovered text and the card.
    #[track_caller]
    fn check(fixture: &str, expect: Expect) {
        let f = Fixture::parse(&format!("{GARDEN}{KITCHEN}{fixture}"));
        let position = f.position();
        let source = f.source();
        let out = match hover(&f.workspace, position, &source) {
            Some(info) => format!(
                "{:?}\n{}\n",
                &f.text(position.file)[info.range.as_usize()],
                info.info.markdown
            ),
            None => "none\n".to_owned(),
        };
        expect.assert_eq(&out);
    }

    #[test]
    fn field_names() {
        check(
            "//- /garden/plants/rue.md\n---\ntype: plant\nfam$0ily: rose\n---\n",
            expect![[r#"
                "family"
                **family** · select · required in `plant`

                Botanical family

                Values: `rose`, `mint`, `nightshade`
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\r\n---\r\ntype: plant\r\nheight_cm$0: 30\r\ngrower: ada\r\n---\r\n",
            expect![[r#"
                "height_cm"
                **height_cm** · number · optional in `plant`

                From 0 to 300
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\n---\ntype: plant\n$0grower: ada\n---\n",
            expect![[r#"
                "grower"
                **grower** · object-ref · required in `plant`

                The id of a note of type `person`
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\n---\nti$0tle: Rue\ntype: plant\n---\n",
            expect![[r#"
                "title"
                **title** · text · required in `plant`
            "#]],
        );
        // A field the type does not name has no card.
        check(
            "//- /garden/plants/rue.md\n---\ntype: plant\nsmell$0: strong\n---\n",
            expect![[r#"
                none
            "#]],
        );
    }

    #[test]
    fn type_values_and_relations() {
        check(
            "//- /garden/plants/rue.md\n---\ntype: pla$0nt\n---\n",
            expect![[r#"
                "plant"
                **plant** · type of KB `garden`

                A plant grown here

                Required: `title`, `family`, `grower` · folder `plants/`
            "#]],
        );
        check(
            "//- /kitchen/bread.md\n---\ntype: ev$0ent\n---\n",
            expect![[r#"
                "event"
                **event** · Pyrite built-in type

                Something that happened, with a date

                Required: `title`
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\n---\ntype: plant\nlinks:\n- target: ada\n  relation: sha$0des\n---\n",
            expect![[r#"
                "shades"
                **shades** · relation of KB `garden`

                Casts shade on
            "#]],
        );
        check(
            "//- /kitchen/bread.md\n---\nlinks: [{target: soup, relation: related_to$0}]\n---\n",
            expect![[r#"
                "related_to"
                **related_to** · Pyrite built-in relation
            "#]],
        );
    }

    #[test]
    fn relations_in_cross_kb_links() {
        check(
            "//- /garden/cross-kb-links.yaml\n- source: ada\n  target: soup\n  target_kb: kitchen\n  relation: grows$0_beside\n",
            expect![[r#"
                "grows_beside"
                **grows_beside** · relation of KB `garden`

                Planted next to
            "#]],
        );
    }
}
