//! Reads a kb.yaml's `types` and `relationship_types` into a [`Schema`]. Lenient like Pyrite:
//! a part of the wrong shape (a type that is not a mapping, a field list that is not a list of
//! names) is skipped, never an error.

use super::Yaml;
use crate::schema::{Bound, FieldKind, FieldSchema, RelationType, Schema, TypeSchema};

/// The schema of a kb.yaml whose top-level mapping is `top`.
pub(super) fn read(top: &[(String, Yaml)]) -> Schema {
    let mut schema = Schema::default();
    for (key, value) in top {
        match (key.as_str(), value) {
            ("types", Yaml::Map(types)) => {
                schema.types = types
                    .iter()
                    .map(|(name, def)| read_type(name, def))
                    .collect();
            }
            ("relationship_types", Yaml::Map(relations)) => {
                schema.relationship_types = relations
                    .iter()
                    .map(|(name, def)| RelationType {
                        name: name.clone(),
                        description: match def {
                            Yaml::Scalar(text) => text.trim().to_owned(),
                            Yaml::Map(entries) => scalar(entries, "description")
                                .map(|d| d.trim().to_owned())
                                .unwrap_or_default(),
                            _ => String::new(),
                        },
                    })
                    .collect();
            }
            _ => {}
        }
    }
    schema
}

fn read_type(name: &str, def: &Yaml) -> TypeSchema {
    let mut kb_type = TypeSchema {
        name: name.to_owned(),
        required: vec!["title".to_owned()],
        ..TypeSchema::default()
    };
    let Yaml::Map(entries) = def else {
        return kb_type;
    };
    for (key, value) in entries {
        match (key.as_str(), value) {
            ("description", Yaml::Scalar(text)) => {
                kb_type.description = Some(collapse_space(text));
            }
            ("subdirectory", Yaml::Scalar(dir)) => {
                kb_type.subdirectory = Some(dir.trim_matches('/').to_owned());
            }
            ("required", value) => kb_type.required = names(value),
            ("optional", value) => kb_type.optional = names(value),
            ("fields", Yaml::Map(fields)) => {
                kb_type.fields = fields
                    .iter()
                    .map(|(name, spec)| read_field(name, spec))
                    .collect();
            }
            _ => {}
        }
    }
    kb_type
}

fn read_field(name: &str, spec: &Yaml) -> FieldSchema {
    let mut field = FieldSchema {
        name: name.to_owned(),
        kind_name: "text".to_owned(),
        ..FieldSchema::default()
    };
    let Yaml::Map(entries) = spec else {
        return field;
    };
    let mut options = Vec::new();
    let mut values = Vec::new();
    for (key, value) in entries {
        match (key.as_str(), value) {
            ("type", Yaml::Scalar(kind)) => {
                field.kind = FieldKind::from_name(kind);
                field.kind_name = kind.trim().to_owned();
            }
            ("description", Yaml::Scalar(text)) => field.description = Some(collapse_space(text)),
            ("required", Yaml::Scalar(flag)) => field.required = is_true(flag),
            ("allow_other", Yaml::Scalar(flag)) => field.allow_other = is_true(flag),
            ("options", value) => options = names(value),
            ("values", value) => values = names(value),
            ("min", Yaml::Scalar(number)) => field.min = Bound::parse(number),
            ("max", Yaml::Scalar(number)) => field.max = Bound::parse(number),
            ("format", Yaml::Scalar(format)) => field.format = Some(format.trim().to_owned()),
            ("target_type", Yaml::Scalar(kind)) => field.target_type = Some(kind.trim().to_owned()),
            _ => {}
        }
    }
    // Pyrite reads `options`; many kb.yaml files write `values`.
    field.values = if options.is_empty() { values } else { options };
    field
}

/// A list of names (`[a, b]` or a block list); a single name counts as a list of one.
fn names(value: &Yaml) -> Vec<String> {
    match value {
        Yaml::List(items) => items
            .iter()
            .filter_map(|item| match item {
                Yaml::Scalar(name) if !name.trim().is_empty() => Some(name.trim().to_owned()),
                _ => None,
            })
            .collect(),
        Yaml::Scalar(name) if !name.trim().is_empty() => vec![name.trim().to_owned()],
        _ => Vec::new(),
    }
}

fn scalar<'a>(entries: &'a [(String, Yaml)], key: &str) -> Option<&'a str> {
    entries.iter().find_map(|(k, v)| match v {
        Yaml::Scalar(text) if k == key => Some(text.as_str()),
        _ => None,
    })
}

fn is_true(flag: &str) -> bool {
    matches!(flag.trim(), "true" | "True" | "TRUE" | "yes" | "Yes")
}

fn collapse_space(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use crate::syntax::parse_kb_config;

    #[test]
    fn reads_types_fields_and_relations() {
        let config = parse_kb_config(
            r#"name: garden
types:
  plant:
    description: >
      A plant grown
      in the garden
    subdirectory: plants/
    required: [title, family]
    optional:
      - sown
    fields:
      family: {type: select, values: [rose, mint], description: "Botanical family"}
      sown: {type: date}
      height: {type: number, min: 0, max: 300}
      grower: {type: object-ref, target_type: person, required: true}
      colour: {type: select, options: [red], values: [blue], allow_other: true}
      notes: {description: "no type"}
      geo: {type: geo-point}
  bare: just a string
relationship_types:
  grows_beside: "Grown next to"
  shades: {description: "Casts shade on"}
  odd: [1, 2]
"#,
        );
        expect_test::expect![[r#"
            Schema {
                types: [
                    TypeSchema {
                        name: "plant",
                        description: Some(
                            "A plant grown in the garden",
                        ),
                        subdirectory: Some(
                            "plants",
                        ),
                        required: [
                            "title",
                            "family",
                        ],
                        optional: [
                            "sown",
                        ],
                        fields: [
                            FieldSchema {
                                name: "family",
                                kind: Select,
                                kind_name: "select",
                                description: Some(
                                    "Botanical family",
                                ),
                                required: false,
                                values: [
                                    "rose",
                                    "mint",
                                ],
                                allow_other: false,
                                min: None,
                                max: None,
                                format: None,
                                target_type: None,
                            },
                            FieldSchema {
                                name: "sown",
                                kind: Date,
                                kind_name: "date",
                                description: None,
                                required: false,
                                values: [],
                                allow_other: false,
                                min: None,
                                max: None,
                                format: None,
                                target_type: None,
                            },
                            FieldSchema {
                                name: "height",
                                kind: Number,
                                kind_name: "number",
                                description: None,
                                required: false,
                                values: [],
                                allow_other: false,
                                min: Some(
                                    Bound(
                                        0.0,
                                    ),
                                ),
                                max: Some(
                                    Bound(
                                        300.0,
                                    ),
                                ),
                                format: None,
                                target_type: None,
                            },
                            FieldSchema {
                                name: "grower",
                                kind: ObjectRef,
                                kind_name: "object-ref",
                                description: None,
                                required: true,
                                values: [],
                                allow_other: false,
                                min: None,
                                max: None,
                                format: None,
                                target_type: Some(
                                    "person",
                                ),
                            },
                            FieldSchema {
                                name: "colour",
                                kind: Select,
                                kind_name: "select",
                                description: None,
                                required: false,
                                values: [
                                    "red",
                                ],
                                allow_other: true,
                                min: None,
                                max: None,
                                format: None,
                                target_type: None,
                            },
                            FieldSchema {
                                name: "notes",
                                kind: Text,
                                kind_name: "text",
                                description: Some(
                                    "no type",
                                ),
                                required: false,
                                values: [],
                                allow_other: false,
                                min: None,
                                max: None,
                                format: None,
                                target_type: None,
                            },
                            FieldSchema {
                                name: "geo",
                                kind: Other,
                                kind_name: "geo-point",
                                description: None,
                                required: false,
                                values: [],
                                allow_other: false,
                                min: None,
                                max: None,
                                format: None,
                                target_type: None,
                            },
                        ],
                    },
                    TypeSchema {
                        name: "bare",
                        description: None,
                        subdirectory: None,
                        required: [
                            "title",
                        ],
                        optional: [],
                        fields: [],
                    },
                ],
                relationship_types: [
                    RelationType {
                        name: "grows_beside",
                        description: "Grown next to",
                    },
                    RelationType {
                        name: "shades",
                        description: "Casts shade on",
                    },
                    RelationType {
                        name: "odd",
                        description: "",
                    },
                ],
            }
        "#]]
        .assert_debug_eq(&config.schema);
    }

    #[test]
    fn a_kb_yaml_without_types_checks_nothing() {
        assert!(!parse_kb_config("name: plain\n").schema.is_checked());
        assert!(
            !parse_kb_config("name: plain\ntypes: {}\n")
                .schema
                .is_checked()
        );
        assert!(!parse_kb_config("types: [a, b]\n").schema.is_checked());
    }
}
