//! The schema's problems in one note, found with the note's own diagnostics (no pass over the
//! workspace): an unknown `type:`, required fields missing or empty, values that do not fit
//! their field, object references to a note of the wrong type, and typed links whose
//! `relation:` the KB does not know. Only notes of KBs whose kb.yaml declares types are
//! checked (see [`SchemaNote::of`]).

use super::{DiagnosticCode, Severity};
use crate::ide::kb_schema::{SchemaNote, has_field, is_cross_kb_links};
use crate::schema::{self, DEFAULT_TYPE, check_value};
use crate::slug;
use crate::text::{FileId, TextRange};
use crate::workspace::{Note, Workspace};

/// One problem, before its severity is settled by the settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Problem {
    pub code: DiagnosticCode,
    pub range: TextRange,
    pub message: String,
    /// The value as written, where there is one.
    pub target: Option<String>,
    /// Reported at most this severely (a select value the field allows others than its list).
    pub severity_cap: Option<Severity>,
}

impl Problem {
    fn new(code: DiagnosticCode, range: TextRange, message: String) -> Problem {
        Problem {
            code,
            range,
            message,
            target: None,
            severity_cap: None,
        }
    }

    fn with_target(mut self, target: &str) -> Problem {
        self.target = Some(target.to_owned());
        self
    }
}

/// Every schema problem of note `file`.
pub(crate) fn problems(workspace: &Workspace, file: FileId, note: &Note) -> Vec<Problem> {
    if is_cross_kb_links(note) {
        return cross_kb_links_problems(workspace, file, note);
    }
    let Some(checked) = SchemaNote::of(workspace, note) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let Some(info) = checked.info else {
        out.push(unknown_type(&checked));
        relation_problems(&checked, &mut out);
        return out;
    };
    let missing: Vec<&str> = info
        .required_fields()
        .into_iter()
        .filter(|name| !has_field(checked.frontmatter, name))
        .collect();
    if !missing.is_empty() {
        let names: Vec<String> = missing.iter().map(|name| format!("`{name}`")).collect();
        let message = format!(
            "type `{}` requires {}: missing or empty",
            checked.type_name,
            names.join(", ")
        );
        out.push(Problem::new(
            DiagnosticCode::MissingRequiredField,
            checked.anchor(),
            message,
        ));
    }
    for field in checked.frontmatter.fields() {
        let Some(spec) = info.field(field.name) else {
            continue;
        };
        for value in field.values {
            if let Err(problem) = check_value(spec, value.text) {
                let message = format!(
                    "field `{}`: `{}` is not valid here: expected {}",
                    field.name,
                    value.text,
                    problem.expected(spec)
                );
                let mut problem =
                    Problem::new(DiagnosticCode::InvalidFieldValue, value.range, message)
                        .with_target(value.text);
                if spec.kind.is_select() && spec.allow_other {
                    problem.severity_cap = Some(Severity::Information);
                }
                out.push(problem);
                continue;
            }
            let Some(wanted) = spec.target_type.as_deref() else {
                continue;
            };
            let Some(target) = slug::resolve_reference(workspace, file, value)
                .and_then(|target| workspace.note(target))
            else {
                continue;
            };
            let found = target.note_type().map_or(DEFAULT_TYPE, str::trim);
            if found != wanted {
                let message = format!(
                    "field `{}`: `{}` is a `{found}`, not a `{wanted}`",
                    field.name, value.text
                );
                out.push(
                    Problem::new(DiagnosticCode::WrongTargetType, value.range, message)
                        .with_target(value.text),
                );
            }
        }
    }
    relation_problems(&checked, &mut out);
    out
}

/// The problems of a `cross-kb-links.yaml`: a `source` that is no note of this KB, a `target`
/// missing from a KB the workspace holds (`broken-reference`); a `target_kb` the workspace
/// does not hold (`unknown-kb`, information at most: that KB may simply not be open); a
/// `relation` the KB does not know.
fn cross_kb_links_problems(workspace: &Workspace, file: FileId, note: &Note) -> Vec<Problem> {
    let Some(frontmatter) = note.parsed.frontmatter() else {
        return Vec::new();
    };
    let kb = workspace.kb(note.kb);
    let mut out = Vec::new();
    for field in frontmatter.fields() {
        for value in field.values {
            if slug::resolve_reference(workspace, file, value).is_some() {
                continue;
            }
            let id = value.text.trim();
            let problem = match value.kb {
                Some(name) if workspace.kb_by_name(name).is_none() => {
                    let message = format!(
                        "{} `{id}`: KB `{name}` is not in this workspace (open it to check the link)",
                        field.name
                    );
                    let mut problem = Problem::new(DiagnosticCode::UnknownKb, value.range, message);
                    problem.severity_cap = Some(Severity::Information);
                    problem
                }
                Some(name) => {
                    let kb_name = workspace
                        .kb_by_name(name)
                        .map_or(name, |kb| workspace.kb(kb).name.as_str());
                    let message = format!(
                        "{} `{id}`: no note with id `{id}` in KB `{kb_name}`",
                        field.name
                    );
                    Problem::new(DiagnosticCode::BrokenReference, value.range, message)
                }
                None => {
                    let message = format!(
                        "{} `{id}`: no note with id `{id}` in KB `{}`",
                        field.name, kb.name
                    );
                    Problem::new(DiagnosticCode::BrokenReference, value.range, message)
                }
            };
            out.push(problem.with_target(value.text));
        }
    }
    let schema = &kb.config.schema;
    if schema.checks_relations() {
        for relation in frontmatter.relations() {
            let name = relation.text.trim();
            if !schema.is_known_relation(name) {
                out.push(unknown_relation_in(schema, &kb.name, name, relation.range));
            }
        }
    }
    out
}

fn unknown_type(checked: &SchemaNote<'_>) -> Problem {
    let name = checked.type_name;
    let types = checked.schema.all_types();
    let names: Vec<&str> = types.iter().map(|t| t.name).collect();
    let hint = match schema::did_you_mean(name, &names) {
        Some(candidate) => format!("did you mean `{candidate}`?"),
        None => {
            let declared: Vec<String> = checked
                .schema
                .types
                .iter()
                .map(|t| format!("`{}`", t.name))
                .collect();
            format!("its types are {}", declared.join(", "))
        }
    };
    let message = format!(
        "type `{name}` is not declared in KB `{}` nor built into Pyrite; {hint}",
        checked.kb.name
    );
    Problem::new(DiagnosticCode::UnknownType, checked.anchor(), message).with_target(name)
}

fn relation_problems(checked: &SchemaNote<'_>, out: &mut Vec<Problem>) {
    if !checked.schema.checks_relations() {
        return;
    }
    for relation in checked.frontmatter.relations() {
        let name = relation.text.trim();
        if name.is_empty() || checked.schema.is_known_relation(name) {
            continue;
        }
        out.push(unknown_relation(checked, name, relation.range));
    }
}

/// `unknown-relation` for `name` at `range`, with the nearest declared relation.
pub(crate) fn unknown_relation(
    checked_kb: &SchemaNote<'_>,
    name: &str,
    range: TextRange,
) -> Problem {
    unknown_relation_in(checked_kb.schema, &checked_kb.kb.name, name, range)
}

/// `unknown-relation` for `name` at `range` in KB `kb_name` with `schema`.
pub(crate) fn unknown_relation_in(
    schema: &schema::Schema,
    kb_name: &str,
    name: &str,
    range: TextRange,
) -> Problem {
    let declared: Vec<&str> = schema
        .relationship_types
        .iter()
        .map(|r| r.name.as_str())
        .collect();
    let hint = match schema::did_you_mean(name, &declared) {
        Some(nearest) => format!(": did you mean `{nearest}`?"),
        None => String::new(),
    };
    let message = format!("relation `{name}` is not a relationship type of KB `{kb_name}`{hint}");
    Problem::new(DiagnosticCode::UnknownRelation, range, message).with_target(name)
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    // Every diagnostic of every note, as the feature's own tests render them.
    use super::super::tests::check;
    use crate::fixture::Fixture;
    use crate::ide::kb_schema::GARDEN;
    use crate::ide::{DiagnosticsConfig, diagnostics};

    #[test]
    fn every_schema_code() {
        check(
            &format!(
                "{GARDEN}{}",
                r#"
//- /garden/plants/mint.md
---
title: Mint
type: plant
family: mint
sown: 2024-02-30
height_cm: 400
rows: two
perennial: yes
colours: [white, green]
grower: shed
links:
- target: ada
  relation: grows_beside
- target: shed
  relation: leans_on
- target: ada
  relation: grow_beside
---
//- /garden/plants/basil.md
---
type: plant
family: ""
grower: ada
---
//- /garden/plants/tomato.md
---
title: Tomato
type: plnt
---
//- /garden/people/bo.md
---
title: Bo
---
"#
            ),
            expect![[r#"
                /garden/plants/basil.md 10..15 "plant" warning[missing-required-field]: type `plant` requires `title`, `family`: missing or empty
                /garden/plants/mint.md 47..57 "2024-02-30" warning[invalid-field-value]: field `sown`: `2024-02-30` is not valid here: expected a date as YYYY-MM-DD
                /garden/plants/mint.md 69..72 "400" warning[invalid-field-value]: field `height_cm`: `400` is not valid here: expected at most 300
                /garden/plants/mint.md 79..82 "two" warning[invalid-field-value]: field `rows`: `two` is not valid here: expected a whole number
                /garden/plants/mint.md 94..97 "yes" warning[invalid-field-value]: field `perennial`: `yes` is not valid here: expected `true` or `false`
                /garden/plants/mint.md 115..120 "green" information[invalid-field-value]: field `colours`: `green` is not valid here: expected one of `red`, `white`, `purple`
                /garden/plants/mint.md 130..134 "shed" warning[wrong-target-type]: field `grower`: `shed` is a `structure`, not a `person`
                /garden/plants/mint.md 208..216 "leans_on" warning[unknown-relation]: relation `leans_on` is not a relationship type of KB `garden`
                /garden/plants/mint.md 243..254 "grow_beside" warning[unknown-relation]: relation `grow_beside` is not a relationship type of KB `garden`: did you mean `grows_beside`?
                /garden/plants/shed.md 26..35 "structure" information[unknown-type]: type `structure` is not declared in KB `garden` nor built into Pyrite; its types are `plant`, `person`
                /garden/plants/tomato.md 24..28 "plnt" information[unknown-type]: type `plnt` is not declared in KB `garden` nor built into Pyrite; did you mean `plant`?
            "#]],
        );
    }

    #[test]
    fn only_entries_of_typed_kbs_are_checked() {
        check(
            &format!(
                "{GARDEN}{}",
                "//- /garden/README.md\n---\ntype: nonsense\n---\n\
                 //- /garden/plants/README.md\n---\ntype: nonsense\n---\n\
                 //- /garden/_templates/plant.md\n---\ntype: plant\nfamily: weeds\n---\n\
                 //- /kitchen/kb.yaml\nname: kitchen\n\
                 //- /kitchen/pesto.md\n---\ntype: recipe\n---\n\
                 //- /loose/note.md\n---\ntype: whatever\n---\n\
                 //- /garden/plants/crlf.md\r\n---\r\ntitle: Rue\r\ntype: plant\r\nfamily: ruta\r\ngrower: ada\r\n---\r\n\
                 //- /garden/plants/bare.md\nNo frontmatter, no checks.\n"
            ),
            expect![[r#"
                /garden/plants/crlf.md 38..42 "ruta" warning[invalid-field-value]: field `family`: `ruta` is not valid here: expected one of `rose`, `mint`, `nightshade`
                /garden/plants/shed.md 26..35 "structure" information[unknown-type]: type `structure` is not declared in KB `garden` nor built into Pyrite; its types are `plant`, `person`
            "#]],
        );
    }

    #[test]
    fn a_kb_yaml_edit_changes_the_answers() {
        let mut f = Fixture::parse(&format!(
            "{GARDEN}//- /garden/plants/rue.md\n---\ntitle: Rue\ntype: plant\nfamily: ruta\ngrower: ada\n---\n"
        ));
        let rue = f.file("rue.md");
        let codes = |f: &Fixture| -> Vec<&str> {
            diagnostics(&f.workspace, rue, &DiagnosticsConfig::default())
                .iter()
                .map(|d| d.code.as_str())
                .collect()
        };
        assert_eq!(codes(&f), ["invalid-field-value"]);
        let kb_yaml = std::path::PathBuf::from("/ws/garden/kb.yaml");
        f.workspace.set_kb_config(
            &kb_yaml,
            "name: garden\ntypes:\n  plant:\n    fields:\n      family: {type: select, values: [ruta]}\n",
        );
        assert!(codes(&f).is_empty());
        f.workspace.set_kb_config(
            &kb_yaml,
            "name: garden\ntypes:\n  plant:\n    required: [title, height]\n",
        );
        assert_eq!(codes(&f), ["missing-required-field"]);
        f.workspace.remove_kb_config(&kb_yaml);
        assert!(codes(&f).is_empty());
    }

    #[test]
    fn frontmatter_that_only_pyrite_reads_is_a_hint() {
        check(
            &format!(
                "{GARDEN}{}",
                "//- /garden/plants/qc.md\n---\ntitle: \"Rue in a\nWinter Garden\"\ntype: plant\nfamily: rose\ngrower: ada\n---\n"
            ),
            expect![[r#"
                /garden/plants/qc.md 21..35 "Winter Garden\"" hint[non-strict-yaml]: this quoted value goes on at the start of a line: Pyrite reads it, strict YAML tools do not; indent the lines after the first
                /garden/plants/shed.md 26..35 "structure" information[unknown-type]: type `structure` is not declared in KB `garden` nor built into Pyrite; its types are `plant`, `person`
            "#]],
        );
    }
}
