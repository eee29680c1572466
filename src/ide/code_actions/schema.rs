//! Quick fixes for the schema's problems (see `diagnostics::schema`), offered by
//! [`super::code_actions`] as the other quick fixes are:
//! - `missing-required-field`: "Add the missing fields" writes an empty `name: ` line for each
//!   required field not written at all, in the type's order, before the closing `---` (with
//!   the note's own line ending);
//! - `invalid-field-value` on a select or multi-select field: "Change to `x`" for the (up to 3)
//!   nearest allowed values;
//! - `unknown-type`: "Change the type to `x`" for the (up to 3) nearest types of the KB;
//! - `unknown-relation`: "Change to `x`" for the (up to 3) nearest declared relations.
//!
//! Also [`required_field_lines`], the empty fields the "Create note" fix writes.

use crate::ide::diagnostics::{Diagnostic, DiagnosticCode};
use crate::ide::kb_schema::{SchemaNote, has_field};
use crate::ide::source_change::{SourceChange, SourceChangeBuilder};
use crate::schema::{self, Schema};
use crate::syntax::Frontmatter;
use crate::text::{FileId, TextRange};
use crate::workspace::{Note, Workspace};

/// Most "Change to" fixes for one value.
const MAX_CHOICES: usize = 3;

/// A fix: its title, whether it is preferred, and its change.
pub(crate) type SchemaFix = (String, bool, SourceChange);

/// The fixes for `diagnostic` of note `file`; `None` when it is not a schema problem.
pub(crate) fn fixes(
    workspace: &Workspace,
    file: FileId,
    note: &Note,
    diagnostic: &Diagnostic,
) -> Option<Vec<SchemaFix>> {
    let replace = |title: String, range: TextRange, text: &str| {
        let mut builder = SourceChangeBuilder::default();
        builder.replace(file, range, text);
        (title, false, builder.finish())
    };
    match diagnostic.code {
        DiagnosticCode::MissingRequiredField => {
            let checked = SchemaNote::of(workspace, note)?;
            let missing: Vec<&str> = checked
                .info?
                .required_fields()
                .into_iter()
                .filter(|name| !is_written(checked.frontmatter, name))
                .collect();
            if missing.is_empty() {
                return Some(Vec::new());
            }
            // A quick fix is asked for in an open note, parsed with its lines.
            let index = note.parsed.line_index()?;
            let closing_line = index.line_of(checked.frontmatter.range().end);
            let at = index.line_start(closing_line);
            let crlf = index.line_count() > 1 && index.line_end(0) + 2 == index.line_start(1);
            let eol = if crlf { "\r\n" } else { "\n" };
            let lines: String = missing
                .iter()
                .map(|name| format!("{name}: {eol}"))
                .collect();
            let names: Vec<String> = missing.iter().map(|name| format!("`{name}`")).collect();
            let mut builder = SourceChangeBuilder::default();
            builder.insert(file, at, lines);
            let title = format!("Add the missing {}", names.join(", "));
            Some(vec![(title, true, builder.finish())])
        }
        DiagnosticCode::InvalidFieldValue => {
            let checked = SchemaNote::of(workspace, note)?;
            let info = checked.info?;
            let (field, value) = checked.frontmatter.fields().find_map(|field| {
                let value = field.values.iter().find(|v| v.range == diagnostic.range)?;
                Some((field, value))
            })?;
            let spec = info
                .field(field.name)
                .filter(|spec| spec.kind.is_select())?;
            // A multi-select list does not get a value twice.
            let allowed: Vec<&str> = spec
                .values
                .iter()
                .map(String::as_str)
                .filter(|allowed| !field.values.iter().any(|v| v.text == *allowed))
                .collect();
            let choices = schema::nearest(value.text, &allowed, MAX_CHOICES);
            Some(
                choices
                    .into_iter()
                    .map(|choice| replace(format!("Change to `{choice}`"), value.range, choice))
                    .collect(),
            )
        }
        DiagnosticCode::UnknownType => {
            let checked = SchemaNote::of(workspace, note)?;
            let range = checked.type_range?;
            let types = checked.schema.all_types();
            let names: Vec<&str> = types.iter().map(|t| t.name).collect();
            let choices = schema::nearest(checked.type_name, &names, MAX_CHOICES);
            Some(
                choices
                    .into_iter()
                    .map(|choice| replace(format!("Change the type to `{choice}`"), range, choice))
                    .collect(),
            )
        }
        DiagnosticCode::UnknownRelation => {
            let frontmatter = note.parsed.frontmatter()?;
            let relation = frontmatter
                .relations()
                .iter()
                .find(|r| r.range == diagnostic.range)?;
            let schema = &workspace.kb(note.kb).config.schema;
            let declared: Vec<&str> = schema
                .relationship_types
                .iter()
                .map(|r| r.name.as_str())
                .collect();
            let choices = schema::nearest(relation.text, &declared, MAX_CHOICES);
            Some(
                choices
                    .into_iter()
                    .map(|choice| replace(format!("Change to `{choice}`"), relation.range, choice))
                    .collect(),
            )
        }
        _ => None,
    }
}

/// The `name: ` lines of the fields type `type_name` requires, besides `id`, `title` and `type`
/// (which a new note's frontmatter has already), for a note created from a link.
pub(crate) fn required_field_lines(schema: &Schema, type_name: &str) -> String {
    let Some(info) = schema.type_info(type_name) else {
        return String::new();
    };
    info.required_fields()
        .into_iter()
        .filter(|name| !matches!(*name, "id" | "title" | "type"))
        .map(|name| format!("{name}: \n"))
        .collect()
}

/// Whether key `name` is written in the frontmatter at all, even with an empty value.
fn is_written(frontmatter: Frontmatter<'_>, name: &str) -> bool {
    let written = match name {
        "id" => frontmatter.id().is_some(),
        "title" => frontmatter.title().is_some(),
        "type" => frontmatter.note_type().is_some(),
        _ => false,
    };
    written || has_field(frontmatter, name) || frontmatter.empty_keys().any(|key| key == name)
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use crate::fixture::Fixture;
    use crate::ide::kb_schema::{GARDEN, KITCHEN};
    use crate::ide::{CodeActionConfig, code_actions};
    use crate::text::TextRange;

    /// Every fix at the cursor, as the feature's own tests render them, in a workspace of
    /// [`GARDEN`] and [`KITCHEN`] where files may be created.
    #[track_caller]
    fn check(fixture: &str, expect: Expect) {
        super::super::tests::check(&format!("{GARDEN}{KITCHEN}{fixture}"), true, expect);
    }

    #[test]
    fn missing_fields_are_added_in_the_types_order() {
        check(
            "//- /garden/plants/rue.md\n---\ntype: pl$0ant\nsown: 2024-04-01\n---\nBody.\n",
            expect![[r#"
                # Add the missing `title`, `family`, `grower` [missing-required-field] preferred
                //- /garden/plants/rue.md
                ---
                type: plant
                sown: 2024-04-01
                title: 
                family: 
                grower: 
                ---
                Body.
            "#]],
        );
        // An empty field is missing, but not added twice; CRLF stays CRLF.
        check(
            "//- /garden/plants/rue.md\r\n---\r\ntitle: Rue\r\ntype: plant$0\r\nfamily: \"\"\r\n---\r\n",
            expect![[r##"
                # Add the missing `grower` [missing-required-field] preferred
                //- /garden/plants/rue.md
                ---\r
                title: Rue\r
                type: plant\r
                family: ""\r
                grower: \r
                ---\r
            "##]],
        );
        // Without `type:`, on the opening `---`.
        check(
            "//- /kitchen/notes/n.md\n-$0--\ntags: [x]\n---\n",
            expect![[r#"
                # Add the missing `title` [missing-required-field] preferred
                //- /kitchen/notes/n.md
                ---
                tags: [x]
                title: 
                ---
            "#]],
        );
    }

    #[test]
    fn values_types_and_relations_change_to_the_nearest() {
        check(
            "//- /garden/plants/rue.md\n---\ntitle: Rue\ntype: plant\nfamily: min$0ty\ngrower: ada\n---\n",
            expect![[r#"
                # Change to `mint` [invalid-field-value]
                //- /garden/plants/rue.md
                ---
                title: Rue
                type: plant
                family: mint
                grower: ada
                ---
                # Change to `rose` [invalid-field-value]
                //- /garden/plants/rue.md
                ---
                title: Rue
                type: plant
                family: rose
                grower: ada
                ---
                # Change to `nightshade` [invalid-field-value]
                //- /garden/plants/rue.md
                ---
                title: Rue
                type: plant
                family: nightshade
                grower: ada
                ---
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\n---\ntitle: Rue\ntype: plant\ncolours:\n- red\n- purpel$0\ngrower: ada\nfamily: rose\n---\n",
            expect![[r#"
                # Change to `purple` [invalid-field-value]
                //- /garden/plants/rue.md
                ---
                title: Rue
                type: plant
                colours:
                - red
                - purple
                grower: ada
                family: rose
                ---
                # Change to `white` [invalid-field-value]
                //- /garden/plants/rue.md
                ---
                title: Rue
                type: plant
                colours:
                - red
                - white
                grower: ada
                family: rose
                ---
            "#]],
        );
        check(
            "//- /kitchen/stew.md\n---\ntitle: Stew\ntype: recipie$0\n---\n",
            expect![[r#"
                # Change the type to `recipe` [unknown-type]
                //- /kitchen/stew.md
                ---
                title: Stew
                type: recipe
                ---
                # Change the type to `topic` [unknown-type]
                //- /kitchen/stew.md
                ---
                title: Stew
                type: topic
                ---
                # Change the type to `note` [unknown-type]
                //- /kitchen/stew.md
                ---
                title: Stew
                type: note
                ---
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\n---\ntitle: Rue\ntype: plant\nfamily: rose\ngrower: ada\nlinks: [{target: ada, relation: shade$0}]\n---\n",
            expect![[r#"
                # Change to `shades` [unknown-relation]
                //- /garden/plants/rue.md
                ---
                title: Rue
                type: plant
                family: rose
                grower: ada
                links: [{target: ada, relation: shades}]
                ---
                # Change to `grows_beside` [unknown-relation]
                //- /garden/plants/rue.md
                ---
                title: Rue
                type: plant
                family: rose
                grower: ada
                links: [{target: ada, relation: grows_beside}]
                ---
            "#]],
        );
    }

    #[test]
    fn a_created_note_gets_its_types_required_fields() {
        check(
            "//- /garden/plants/rue.md\n---\ntitle: Rue\ntype: plant\nfamily: rose\ngrower: ada\n---\nNext to [[fennel$0]].\n",
            expect![[r##"
                # Create note `fennel` (garden/plants/fennel.md) [broken-link]
                create /garden/plants/fennel.md
                ---
                id: fennel
                title: "Fennel"
                type: plant
                family: 
                grower: 
                ---

            "##]],
        );
    }

    #[test]
    fn added_lines_end_like_the_notes_lines() {
        let f = Fixture::parse(&format!(
            "{GARDEN}//- /garden/plants/rue.md\r\n---\r\ntype: plant\r\n---\r\n"
        ));
        let file = f.file("rue.md");
        let config = CodeActionConfig::default();
        let actions = code_actions(&f.workspace, file, TextRange::new(0, 30), &config);
        assert_eq!(actions.len(), 1);
        assert_eq!(
            actions[0].change.edits[0].new_text,
            "title: \r\nfamily: \r\ngrower: \r\n"
        );
    }
}
