//! `kb.yaml`: a knowledge base's name, shortname, and the parts of its type schema the index
//! uses (each type's subdirectory, and which fields hold note ids).
//!
//! A field holds note ids when the schema says `type: object-ref`, or when it is a `list` or
//! `string` field whose description says it holds entry ids (`"Related concepts (entry IDs)"`);
//! a description that also allows names (`"entry IDs or names"`, `"entry ID where possible"`)
//! does not count, since a plain name there is no broken reference.

use saphyr_parser::{Event, Parser};

use super::SyntaxError;
use crate::schema::Schema;
use crate::text::TextRange;

mod schema;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KbConfig {
    pub name: Option<String>,
    pub shortname: Option<String>,
    pub description: Option<String>,
    pub types: Vec<KbType>,
    /// The types with their fields, and the relationship types (see [`crate::schema`]).
    pub schema: Schema,
    pub errors: Vec<SyntaxError>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KbType {
    pub name: String,
    pub subdirectory: Option<String>,
    /// Fields of this type whose values are note ids.
    pub reference_fields: Vec<String>,
}

impl KbConfig {
    /// Whether any type declares `field` as holding note ids.
    pub fn is_reference_field(&self, field: &str) -> bool {
        self.types
            .iter()
            .any(|t| t.reference_fields.iter().any(|f| f == field))
    }
}

/// A small YAML tree; only what kb.yaml needs, depth-limited.
enum Yaml {
    Scalar(String),
    Map(Vec<(String, Yaml)>),
    List(Vec<Yaml>),
    Other,
}

const MAX_DEPTH: usize = 8;
const MAX_EVENTS: usize = 500_000;

pub fn parse_kb_config(text: &str) -> KbConfig {
    let mut config = KbConfig::default();
    let mut events = Vec::new();
    for item in Parser::new_from_str(text) {
        match item {
            Ok((event, _)) => events.push(event),
            Err(error) => {
                let at = text
                    .char_indices()
                    .nth(error.marker().index())
                    .map_or(text.len(), |(i, _)| i);
                config.errors.push(SyntaxError {
                    range: TextRange::empty(at),
                    message: format!("invalid YAML in kb.yaml: {}", error.info()),
                    lenient: false,
                });
                return config;
            }
        }
        if events.len() > MAX_EVENTS {
            break;
        }
    }
    let mut pos = events
        .iter()
        .position(|e| !matches!(e, Event::StreamStart | Event::DocumentStart(_)))
        .unwrap_or(events.len());
    let Yaml::Map(top) = read(&events, &mut pos, 0) else {
        return config;
    };
    for (key, value) in &top {
        match (key.as_str(), value) {
            ("name", Yaml::Scalar(s)) => config.name = Some(s.clone()),
            ("shortname", Yaml::Scalar(s)) => config.shortname = Some(s.clone()),
            ("description", Yaml::Scalar(s)) => config.description = Some(s.trim().to_owned()),
            ("types", Yaml::Map(types)) => {
                config.types = types
                    .iter()
                    .map(|(name, def)| read_type(name, def))
                    .collect()
            }
            _ => {}
        }
    }
    config.schema = schema::read(&top);
    config
}

fn read_type(name: &str, def: &Yaml) -> KbType {
    let mut kb_type = KbType {
        name: name.to_owned(),
        ..KbType::default()
    };
    let Yaml::Map(entries) = def else {
        return kb_type;
    };
    for (key, value) in entries {
        match (key.as_str(), value) {
            ("subdirectory", Yaml::Scalar(dir)) => {
                kb_type.subdirectory = Some(dir.trim_matches('/').to_owned())
            }
            ("fields", Yaml::Map(fields)) => {
                for (field, spec) in fields {
                    if holds_note_ids(spec) {
                        kb_type.reference_fields.push(field.clone());
                    }
                }
            }
            _ => {}
        }
    }
    kb_type
}

fn holds_note_ids(spec: &Yaml) -> bool {
    let Yaml::Map(entries) = spec else {
        return false;
    };
    let get = |name: &str| {
        entries.iter().find_map(|(k, v)| match v {
            Yaml::Scalar(s) if k == name => Some(s.to_ascii_lowercase()),
            _ => None,
        })
    };
    let field_type = get("type").unwrap_or_default();
    let description = get("description").unwrap_or_default();
    match field_type.as_str() {
        "object-ref" | "object_ref" | "ref" | "reference" => true,
        "list" | "string" | "" => {
            (description.contains("entry id") || description.contains("entry-id"))
                && !description.contains("or name")
                && !description.contains("where possible")
                && !description.contains("if possible")
        }
        _ => false,
    }
}

fn read(events: &[Event<'_>], pos: &mut usize, depth: usize) -> Yaml {
    let Some(event) = events.get(*pos) else {
        return Yaml::Other;
    };
    *pos += 1;
    match event {
        Event::Scalar(value, ..) => Yaml::Scalar(value.to_string()),
        Event::MappingStart(..) if depth < MAX_DEPTH => {
            let mut entries = Vec::new();
            while let Some(event) = events.get(*pos) {
                match event {
                    Event::MappingEnd => {
                        *pos += 1;
                        break;
                    }
                    Event::Scalar(key, ..) => {
                        *pos += 1;
                        let value = read(events, pos, depth + 1);
                        entries.push((key.to_string(), value));
                    }
                    _ => {
                        skip(events, pos);
                        skip(events, pos);
                    }
                }
            }
            Yaml::Map(entries)
        }
        Event::SequenceStart(..) if depth < MAX_DEPTH => {
            let mut items = Vec::new();
            while let Some(event) = events.get(*pos) {
                if let Event::SequenceEnd = event {
                    *pos += 1;
                    break;
                }
                items.push(read(events, pos, depth + 1));
            }
            Yaml::List(items)
        }
        Event::SequenceStart(..) | Event::MappingStart(..) => {
            *pos -= 1;
            skip(events, pos);
            Yaml::Other
        }
        _ => Yaml::Other,
    }
}

fn skip(events: &[Event<'_>], pos: &mut usize) {
    let mut depth = 0usize;
    while let Some(event) = events.get(*pos) {
        *pos += 1;
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => depth += 1,
            Event::SequenceEnd | Event::MappingEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_names_types_and_reference_fields() {
        let config = parse_kb_config(
            "name: garden\nshortname: gd\ntypes:\n  plant:\n    subdirectory: plants/\n    fields:\n      companions: {type: list, description: \"Plants (entry IDs)\"}\n      helpers: {type: list, description: \"Entry IDs or names\"}\n      family: {type: string}\n      grower: {type: object-ref}\n",
        );
        assert_eq!(config.name.as_deref(), Some("garden"));
        assert_eq!(config.shortname.as_deref(), Some("gd"));
        assert_eq!(config.types[0].subdirectory.as_deref(), Some("plants"));
        assert_eq!(config.types[0].reference_fields, ["companions", "grower"]);
        assert!(config.is_reference_field("grower"));
    }

    #[test]
    fn invalid_yaml_is_an_error_not_a_panic() {
        let config = parse_kb_config("name: [oops\n");
        assert_eq!(config.name, None);
        assert_eq!(config.errors.len(), 1);
    }
}
