//! A knowledge base's type schema, as its `kb.yaml` declares it, and the rules Pyrite checks
//! entries against: which types exist, which fields each type requires, and which values a
//! field accepts. Plain data and pure functions: `syntax::kb_config` fills a [`Schema`] from
//! kb.yaml, the features in `ide` read it (diagnostics, completion, hover, quick fixes).
//!
//! The rules follow Pyrite's own validation: a type without a `required` list requires
//! `title`; a field without a `type` is text; `options` (Pyrite's spelling) or `values` (the
//! spelling of many kb.yaml files) list what a select field accepts; a date is `YYYY-MM-DD` and
//! a real day. Pyrite's built-in types ([`BUILT_IN_TYPES`]) and relations
//! ([`BUILT_IN_RELATIONS`]) are valid in every KB. Shapes this model does not understand are
//! skipped by the reader, never an error.

/// Everything a KB's kb.yaml says about the shape of its entries.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Schema {
    /// The types of `types:`, in the order written.
    pub types: Vec<TypeSchema>,
    /// `relationship_types:` (name and description), in the order written.
    pub relationship_types: Vec<RelationType>,
}

/// One entry type of `types:`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeSchema {
    pub name: String,
    pub description: Option<String>,
    pub subdirectory: Option<String>,
    /// The `required:` list; `[title]` when the type has none (as in Pyrite).
    pub required: Vec<String>,
    pub optional: Vec<String>,
    /// The `fields:` map, in the order written.
    pub fields: Vec<FieldSchema>,
}

/// One field of a type's `fields:` map.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FieldSchema {
    pub name: String,
    pub kind: FieldKind,
    /// The `type:` as written (`string`, `multi-select`, …); `text` when absent.
    pub kind_name: String,
    pub description: Option<String>,
    /// `required: true`.
    pub required: bool,
    /// What a select or multi-select field accepts (`options:` or `values:`).
    pub values: Vec<String>,
    /// A value outside [`FieldSchema::values`] is information, not a problem.
    pub allow_other: bool,
    pub min: Option<Bound>,
    pub max: Option<Bound>,
    pub format: Option<String>,
    /// For object references: the type the referenced note must have.
    pub target_type: Option<String>,
}

/// A `min:` or `max:` of a number field.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Bound(pub f64);

// Bounds come from parsing text, never NaN (see `Bound::parse`), so equality is total.
impl Eq for Bound {}

impl Bound {
    /// A bound written as a number; `None` for anything else.
    pub fn parse(text: &str) -> Option<Bound> {
        parse_number(text).map(Bound)
    }
}

/// What a field holds, by its `type:` (Pyrite's spellings and those kb.yaml files use).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FieldKind {
    /// `text`, `string`.
    #[default]
    Text,
    /// `number`, `float`.
    Number,
    /// `integer`, `int`.
    Integer,
    /// `date`: `YYYY-MM-DD`.
    Date,
    /// `datetime`: an ISO 8601 date and time.
    Datetime,
    /// `checkbox`, `boolean`, `bool`: `true` or `false`.
    Checkbox,
    Select,
    /// `multi-select`.
    MultiSelect,
    /// `object-ref`: the id of another note.
    ObjectRef,
    List,
    Tags,
    /// A type this model does not know (a plugin's, say): never checked.
    Other,
}

impl FieldKind {
    /// The kind of a field whose `type:` is `name`.
    pub fn from_name(name: &str) -> FieldKind {
        match name.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "text" | "string" | "str" => FieldKind::Text,
            "number" | "float" => FieldKind::Number,
            "integer" | "int" => FieldKind::Integer,
            "date" => FieldKind::Date,
            "datetime" => FieldKind::Datetime,
            "checkbox" | "boolean" | "bool" => FieldKind::Checkbox,
            "select" => FieldKind::Select,
            "multi-select" | "multiselect" => FieldKind::MultiSelect,
            "object-ref" | "ref" | "reference" => FieldKind::ObjectRef,
            "list" => FieldKind::List,
            "tags" => FieldKind::Tags,
            _ => FieldKind::Other,
        }
    }

    /// Whether the field takes one of a list of values.
    pub fn is_select(&self) -> bool {
        matches!(self, FieldKind::Select | FieldKind::MultiSelect)
    }
}

/// One relationship type: `name: "description"`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RelationType {
    pub name: String,
    pub description: String,
}

/// Pyrite's built-in entry types, valid in every KB, with a short description of each.
pub const BUILT_IN_TYPES: [(&str, &str); 9] = [
    ("note", "A general note"),
    ("person", "A person"),
    ("organization", "A group, company or institution"),
    ("event", "Something that happened, with a date"),
    ("document", "A document to refer to"),
    ("topic", "A subject that entries gather around"),
    ("relationship", "A relationship between two entries"),
    ("timeline", "An ordered series of events"),
    ("collection", "A folder of entries shown as one"),
];

/// The type of an entry without `type:` (Pyrite's default).
pub const DEFAULT_TYPE: &str = "note";

/// Pyrite's built-in relationship types, valid in every KB besides those its kb.yaml declares.
pub const BUILT_IN_RELATIONS: [&str; 41] = [
    "owns",
    "owned_by",
    "controls",
    "controlled_by",
    "directs",
    "directed_by",
    "advises",
    "advised_by",
    "member_of",
    "has_member",
    "employed_by",
    "employs",
    "funds",
    "funded_by",
    "authored",
    "authored_by",
    "mentions",
    "mentioned_by",
    "involves",
    "involved_in",
    "located_at",
    "location_of",
    "related_to",
    "supports",
    "supported_by",
    "contradicts",
    "contradicted_by",
    "extends",
    "extended_by",
    "refines",
    "refined_by",
    "is_example_of",
    "has_example",
    "causally_precedes",
    "causally_follows",
    "asks_question",
    "answers_question",
    "is_part_of",
    "contains_part",
    "wikilink",
    "wikilinked_by",
];

/// A type as the schema sees it: declared in kb.yaml, or built in.
#[derive(Clone, Copy, Debug)]
pub struct TypeInfo<'a> {
    pub name: &'a str,
    pub description: Option<&'a str>,
    /// The kb.yaml declaration; `None` for a built-in type the KB does not declare.
    pub declared: Option<&'a TypeSchema>,
}

impl<'a> TypeInfo<'a> {
    /// The fields the type requires, in order: its `required:` list, then the fields marked
    /// `required: true`.
    pub fn required_fields(self) -> Vec<&'a str> {
        let Some(declared) = self.declared else {
            return vec!["title"];
        };
        let mut names: Vec<&str> = declared.required.iter().map(String::as_str).collect();
        for field in declared.fields.iter().filter(|f| f.required) {
            if !names.contains(&field.name.as_str()) {
                names.push(&field.name);
            }
        }
        names
    }

    /// Every field the type names, required ones first (see [`TypeInfo::required_fields`]),
    /// then its `optional:` list, then the other fields of `fields:`.
    pub fn all_fields(self) -> Vec<&'a str> {
        let mut names = self.required_fields();
        if let Some(declared) = self.declared {
            let more = declared
                .optional
                .iter()
                .chain(declared.fields.iter().map(|f| &f.name));
            for name in more {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// The declaration of field `name`, if the type has one.
    pub fn field(self, name: &str) -> Option<&'a FieldSchema> {
        self.declared?.fields.iter().find(|f| f.name == name)
    }
}

impl Schema {
    /// Whether notes of this KB are checked: its kb.yaml declares types.
    pub fn is_checked(&self) -> bool {
        !self.types.is_empty()
    }

    /// Type `name`: declared in kb.yaml (which wins), else built in.
    pub fn type_info(&self, name: &str) -> Option<TypeInfo<'_>> {
        if let Some(declared) = self.types.iter().find(|t| t.name == name) {
            return Some(TypeInfo {
                name: &declared.name,
                description: declared.description.as_deref(),
                declared: Some(declared),
            });
        }
        BUILT_IN_TYPES
            .iter()
            .find(|(built_in, _)| *built_in == name)
            .map(|(name, description)| TypeInfo {
                name,
                description: Some(description),
                declared: None,
            })
    }

    /// Every type valid here: the declared ones in order, then the built-in ones not declared.
    pub fn all_types(&self) -> Vec<TypeInfo<'_>> {
        let mut types: Vec<TypeInfo<'_>> = self
            .types
            .iter()
            .map(|t| TypeInfo {
                name: &t.name,
                description: t.description.as_deref(),
                declared: Some(t),
            })
            .collect();
        for (name, description) in BUILT_IN_TYPES {
            if !self.types.iter().any(|t| t.name == name) {
                types.push(TypeInfo {
                    name,
                    description: Some(description),
                    declared: None,
                });
            }
        }
        types
    }

    /// Whether relations are checked: the kb.yaml declares some.
    pub fn checks_relations(&self) -> bool {
        !self.relationship_types.is_empty()
    }

    /// The declared relation `name`.
    pub fn relation(&self, name: &str) -> Option<&RelationType> {
        self.relationship_types.iter().find(|r| r.name == name)
    }

    /// Whether `name` is a relation of this KB: declared, or built into Pyrite.
    pub fn is_known_relation(&self, name: &str) -> bool {
        self.relation(name).is_some() || BUILT_IN_RELATIONS.contains(&name)
    }
}

/// Why a value does not fit its field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueProblem {
    /// A select or multi-select value outside the field's list.
    NotAnOption,
    NotANumber,
    NotAnInteger,
    BelowMin(String),
    AboveMax(String),
    NotADate,
    NotADatetime,
    NotABoolean,
}

impl ValueProblem {
    /// What the field expects, as a phrase (`a date as YYYY-MM-DD`).
    pub fn expected(&self, field: &FieldSchema) -> String {
        match self {
            ValueProblem::NotAnOption => {
                let values: Vec<String> = field.values.iter().map(|v| format!("`{v}`")).collect();
                format!("one of {}", values.join(", "))
            }
            ValueProblem::NotANumber => "a number".to_owned(),
            ValueProblem::NotAnInteger => "a whole number".to_owned(),
            ValueProblem::BelowMin(min) => format!("at least {min}"),
            ValueProblem::AboveMax(max) => format!("at most {max}"),
            ValueProblem::NotADate => "a date as YYYY-MM-DD".to_owned(),
            ValueProblem::NotADatetime => "an ISO 8601 date and time".to_owned(),
            ValueProblem::NotABoolean => "`true` or `false`".to_owned(),
        }
    }
}

/// Checks one value (a scalar, or one item of a list) of field `field`.
pub fn check_value(field: &FieldSchema, value: &str) -> Result<(), ValueProblem> {
    let value = value.trim();
    match field.kind {
        FieldKind::Select | FieldKind::MultiSelect => {
            if field.values.is_empty() || field.values.iter().any(|v| v == value) {
                Ok(())
            } else {
                Err(ValueProblem::NotAnOption)
            }
        }
        FieldKind::Number => {
            let number = parse_number(value).ok_or(ValueProblem::NotANumber)?;
            check_bounds(field, number)
        }
        FieldKind::Integer => {
            let number = value
                .parse::<i64>()
                .map_err(|_| ValueProblem::NotAnInteger)?;
            check_bounds(field, number as f64)
        }
        FieldKind::Date if is_date(value) => Ok(()),
        FieldKind::Date => Err(ValueProblem::NotADate),
        FieldKind::Datetime if is_datetime(value) => Ok(()),
        FieldKind::Datetime => Err(ValueProblem::NotADatetime),
        FieldKind::Checkbox => match value {
            "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => Ok(()),
            _ => Err(ValueProblem::NotABoolean),
        },
        FieldKind::Text
        | FieldKind::ObjectRef
        | FieldKind::List
        | FieldKind::Tags
        | FieldKind::Other => Ok(()),
    }
}

fn check_bounds(field: &FieldSchema, number: f64) -> Result<(), ValueProblem> {
    if let Some(min) = field.min
        && number < min.0
    {
        return Err(ValueProblem::BelowMin(format_number(min.0)));
    }
    if let Some(max) = field.max
        && number > max.0
    {
        return Err(ValueProblem::AboveMax(format_number(max.0)));
    }
    Ok(())
}

/// `3` rather than `3.0` for whole numbers.
fn format_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        number.to_string()
    }
}

/// A number as Python's `float()` reads one (no NaN).
fn parse_number(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok().filter(|n| !n.is_nan())
}

/// `YYYY-MM-DD`, and a day that exists (years 1 to 9999).
pub fn is_date(text: &str) -> bool {
    let bytes = text.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return false;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = &text[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (Some(year), Some(month), Some(day)) = (number(0..4), number(5..7), number(8..10)) else {
        return false;
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1 && (1..=days).contains(&day)
}

/// An ISO 8601 date, optionally with a time (`T` or a space, `HH[:MM[:SS[.fraction]]]`) and a
/// zone (`Z` or `±HH[:MM]`): what Python's `datetime.fromisoformat` reads in practice.
pub fn is_datetime(text: &str) -> bool {
    if text.len() < 10 || !text.is_char_boundary(10) || !is_date(&text[..10]) {
        return false;
    }
    let rest = &text[10..];
    if rest.is_empty() {
        return true;
    }
    let Some(time) = rest.strip_prefix(['T', ' ']) else {
        return false;
    };
    let (time, zone) = match time.find(['Z', '+', '-']) {
        Some(at) => (&time[..at], &time[at..]),
        None => (time, ""),
    };
    let zone_ok = match zone {
        "" | "Z" => true,
        _ => is_clock(&zone[1..], false),
    };
    zone_ok && is_clock(time, true)
}

/// `HH[:MM[:SS[.fraction]]]` (the seconds only when `seconds`), each in range.
fn is_clock(text: &str, seconds: bool) -> bool {
    let (clock, fraction) = match text.split_once('.') {
        Some((clock, fraction)) if seconds => (clock, Some(fraction)),
        Some(_) => return false,
        None => (text, None),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    let limits: &[u32] = if seconds { &[23, 59, 59] } else { &[23, 59] };
    if parts.len() > limits.len() || fraction.is_some() && parts.len() < 3 {
        return false;
    }
    let fields_ok = parts.iter().zip(limits).all(|(part, &limit)| {
        part.len() == 2
            && part.bytes().all(|b| b.is_ascii_digit())
            && part.parse::<u32>().is_ok_and(|n| n <= limit)
    });
    let fraction_ok =
        fraction.is_none_or(|f| !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()));
    fields_ok && fraction_ok
}

/// Whether a file of a KB is one of its entries, by Pyrite's rules: markdown files, except a
/// `README.md` (any case) and anything under a `_templates` folder. `kb_path` is the file's
/// path inside its KB, `/`-separated. Markdown files outside any kb.yaml folder
/// (`in_kb_with_config` false) are all entries.
pub fn is_entry_file(in_kb_with_config: bool, kb_path: &str, path: &std::path::Path) -> bool {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let ends_with = |suffix: &str| {
        let name = file_name.as_bytes();
        name.len() >= suffix.len()
            && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    if !(ends_with(".md") || ends_with(".markdown")) {
        return false;
    }
    if !in_kb_with_config {
        return true;
    }
    !file_name.eq_ignore_ascii_case("readme.md")
        && !kb_path.split('/').any(|part| part == "_templates")
}

/// The one of `candidates` that `wanted` is plausibly a slip for: the [`nearest`], when it
/// contains `wanted` (or is contained in it) or is a few edits away.
pub fn did_you_mean<'a>(wanted: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let nearest = *nearest(wanted, candidates, 1).first()?;
    let (lower, wanted) = (nearest.to_lowercase(), wanted.trim().to_lowercase());
    let close = strsim::levenshtein(&lower, &wanted) <= (wanted.chars().count() / 3).max(2);
    (close || lower.contains(&wanted) || wanted.contains(&lower)).then_some(nearest)
}

/// Up to `limit` of `candidates` nearest to `wanted`: those containing it (or contained in
/// it) first, then by edit distance; ties keep the candidates' order.
pub fn nearest<'a>(wanted: &str, candidates: &[&'a str], limit: usize) -> Vec<&'a str> {
    let wanted = wanted.trim().to_lowercase();
    if wanted.is_empty() {
        return Vec::new();
    }
    let mut scored: Vec<(bool, usize, usize, &str)> = candidates
        .iter()
        .enumerate()
        .map(|(order, &candidate)| {
            let lower = candidate.to_lowercase();
            let related = lower.contains(&wanted) || wanted.contains(&lower);
            let distance = strsim::levenshtein(&lower, &wanted);
            (!related, distance, order, candidate)
        })
        .collect();
    scored.sort();
    scored.dedup_by_key(|s| s.3);
    scored.into_iter().take(limit).map(|s| s.3).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: &str) -> FieldSchema {
        FieldSchema {
            name: "f".to_owned(),
            kind: FieldKind::from_name(kind),
            kind_name: kind.to_owned(),
            ..FieldSchema::default()
        }
    }

    #[test]
    fn values_are_checked_by_kind() {
        let mut select = field("select");
        select.values = vec!["book".into(), "paper".into()];
        let mut score = field("integer");
        score.min = Bound::parse("1");
        score.max = Bound::parse("10");
        let cases: Vec<(&FieldSchema, &str)> = vec![
            (&select, "book"),
            (&select, "novel"),
            (&score, "7"),
            (&score, "0"),
            (&score, "11"),
            (&score, "seven"),
            (&score, "7.5"),
        ];
        let date = field("date");
        let number = field("number");
        let boolean = field("boolean");
        let datetime = field("datetime");
        let text = field("string");
        let other = field("geo-point");
        let more: Vec<(&FieldSchema, &str)> = vec![
            (&date, "2024-02-29"),
            (&date, "2023-02-29"),
            (&date, "1975"),
            (&date, "2024-13-01"),
            (&date, "0000-01-01"),
            (&number, "1e3"),
            (&number, "-0.5"),
            (&number, "nan"),
            (&boolean, "true"),
            (&boolean, "yes"),
            (&datetime, "2024-05-01T10:30:00Z"),
            (&datetime, "2024-05-01 10:30+02:00"),
            (&datetime, "2024-05-01T25:00"),
            (&text, "anything"),
            (&other, "anything"),
        ];
        let rendered: Vec<String> = cases
            .into_iter()
            .chain(more)
            .map(|(field, value)| match check_value(field, value) {
                Ok(()) => format!("{} {value:?}: ok", field.kind_name),
                Err(problem) => format!(
                    "{} {value:?}: expected {}",
                    field.kind_name,
                    problem.expected(field)
                ),
            })
            .collect();
        expect_test::expect![[r#"
            [
                "select \"book\": ok",
                "select \"novel\": expected one of `book`, `paper`",
                "integer \"7\": ok",
                "integer \"0\": expected at least 1",
                "integer \"11\": expected at most 10",
                "integer \"seven\": expected a whole number",
                "integer \"7.5\": expected a whole number",
                "date \"2024-02-29\": ok",
                "date \"2023-02-29\": expected a date as YYYY-MM-DD",
                "date \"1975\": expected a date as YYYY-MM-DD",
                "date \"2024-13-01\": expected a date as YYYY-MM-DD",
                "date \"0000-01-01\": expected a date as YYYY-MM-DD",
                "number \"1e3\": ok",
                "number \"-0.5\": ok",
                "number \"nan\": expected a number",
                "boolean \"true\": ok",
                "boolean \"yes\": expected `true` or `false`",
                "datetime \"2024-05-01T10:30:00Z\": ok",
                "datetime \"2024-05-01 10:30+02:00\": ok",
                "datetime \"2024-05-01T25:00\": expected an ISO 8601 date and time",
                "string \"anything\": ok",
                "geo-point \"anything\": ok",
            ]
        "#]]
        .assert_debug_eq(&rendered);
    }

    #[test]
    fn built_in_types_are_valid_everywhere_and_declared_ones_win() {
        let schema = Schema {
            types: vec![TypeSchema {
                name: "person".to_owned(),
                description: Some("Someone in the story".to_owned()),
                required: vec!["title".to_owned(), "role".to_owned()],
                fields: vec![FieldSchema {
                    name: "born".to_owned(),
                    required: true,
                    ..FieldSchema::default()
                }],
                ..TypeSchema::default()
            }],
            relationship_types: Vec::new(),
        };
        let person = schema.type_info("person").unwrap();
        assert_eq!(person.description, Some("Someone in the story"));
        assert_eq!(person.required_fields(), ["title", "role", "born"]);
        let event = schema.type_info("event").unwrap();
        assert!(event.declared.is_none());
        assert_eq!(event.required_fields(), ["title"]);
        assert!(schema.type_info("article").is_none());
        let names: Vec<&str> = schema.all_types().iter().map(|t| t.name).collect();
        assert_eq!(names[..3], ["person", "note", "organization"]);
        assert_eq!(names.len(), 9);
        assert!(schema.is_known_relation("related_to"));
        assert!(!schema.checks_relations());
    }

    #[test]
    fn entry_files_follow_pyrite() {
        let cases = [
            (true, "people/ada", "ada.md"),
            (true, "README", "README.md"),
            (true, "notes/readme", "readme.md"),
            (true, "_templates/person", "person.md"),
            (true, "x/_templates/y/z", "z.md"),
            (true, "cross-kb-links", "cross-kb-links.yaml"),
            (false, "README", "README.md"),
        ];
        let entries: Vec<bool> = cases
            .iter()
            .map(|&(kb, path, name)| is_entry_file(kb, path, std::path::Path::new(name)))
            .collect();
        assert_eq!(entries, [true, false, false, false, false, false, true]);
    }

    #[test]
    fn nearest_prefers_containment_then_distance() {
        let options = [
            "psychological-state",
            "research-method",
            "condition",
            "trigger",
        ];
        assert_eq!(
            nearest("method", &options, 3),
            ["research-method", "condition", "trigger"]
        );
        assert_eq!(nearest("conditon", &options, 1), ["condition"]);
        assert_eq!(did_you_mean("conditon", &options), Some("condition"));
        assert_eq!(did_you_mean("method", &options), Some("research-method"));
        assert_eq!(did_you_mean("mechanism", &options), None);
    }
}
