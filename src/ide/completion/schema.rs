//! Completion in frontmatter from the KB's schema: `type:` values (the KB's types and Pyrite's
//! built-in ones), select and multi-select values (after `field:`, in a flow list `[a, b]` or
//! a block list `- a`), field names at the start of a line (the type's fields not yet written,
//! required ones first), notes of the `target_type` of an object reference, and in Pyrite
//! typed links (`links:`) the `relation:` (the KB's relationship types), `target:` (ids of the link's `kb:`, else this KB)
//! and `kb:` values. In `cross-kb-links.yaml`, `source:` (this KB's ids), `target:` (the
//! `target_kb:`'s ids), `target_kb:` and `relation:`.
//!
//! Anything else returns `None`, and [`crate::ide::completion`] goes on as before (ids in
//! reference fields, tags).

use super::{CompletionConfig, CompletionItem, CompletionKind, CompletionList};
use crate::ide::kb_schema::lines::{Place, item_value, place_at, top_level_keys};
use crate::ide::kb_schema::{SchemaNote, is_cross_kb_links};
use crate::keys;
use crate::schema::{BUILT_IN_RELATIONS, DEFAULT_TYPE, FieldKind, Schema};
use crate::text::{FileId, TextRange};
use crate::workspace::{KbId, Note, Workspace};

/// Completion at `cursor` in the frontmatter of `file` (whose text is `text`), when the schema
/// or a typed link has something to offer there.
pub(crate) fn complete(
    workspace: &Workspace,
    file: FileId,
    text: &str,
    cursor: usize,
    config: &CompletionConfig,
) -> Option<CompletionList> {
    let note = workspace.note(file)?;
    let yaml = yaml_range(note, text)?;
    let place = place_at(text, yaml, cursor)?;
    if is_cross_kb_links(note) {
        return cross_kb_links(workspace, note, text, place, config);
    }
    let checked = SchemaNote::of(workspace, note);
    match place {
        Place::Key { range, has_colon } => {
            let checked = checked?;
            field_names(&checked, text, yaml, range, has_colon)
        }
        Place::Value {
            field: Some("links"),
            item_key: Some(key),
            word,
            typed,
            item,
        } => {
            let schema = &workspace.kb(note.kb).config.schema;
            match key {
                "relation" => Some(relations(schema, word)),
                "kb" => Some(kb_names(workspace, word)),
                "target" => {
                    let kb = item_value(text, item, "kb")
                        .map_or(Some(note.kb), |name| workspace.kb_by_name(name))?;
                    Some(note_ids(workspace, kb, None, typed, word, config))
                }
                _ => None,
            }
        }
        Place::Value {
            field: Some("type"),
            item_key: None,
            word,
            ..
        } => Some(types(checked?.schema, word)),
        Place::Value {
            field: Some(field),
            item_key: None,
            word,
            typed,
            ..
        } => {
            let checked = checked?;
            let spec = checked.info?.field(field)?;
            if spec.kind.is_select() {
                let present: Vec<&str> = checked
                    .frontmatter
                    .fields()
                    .filter(|f| f.name == field)
                    .flat_map(|f| f.values.iter())
                    .filter(|v| !v.range.contains_inclusive(cursor as u32))
                    .map(|v| v.text)
                    .collect();
                return Some(select_values(
                    &spec.values,
                    &present,
                    spec.description.as_deref(),
                    word,
                ));
            }
            let target_type = spec.target_type.as_deref();
            if matches!(spec.kind, FieldKind::ObjectRef | FieldKind::List) && target_type.is_some()
            {
                return Some(note_ids(
                    workspace,
                    note.kb,
                    target_type,
                    typed,
                    word,
                    config,
                ));
            }
            None
        }
        Place::Value { .. } => None,
    }
}

/// The YAML of the note's frontmatter: between its `---` lines (the whole text of a
/// `cross-kb-links.yaml`).
fn yaml_range(note: &Note, text: &str) -> Option<TextRange> {
    let fm = note.parsed.frontmatter()?.range();
    let (start, end) = (fm.start as usize, (fm.end as usize).min(text.len()));
    if is_cross_kb_links(note) {
        return Some(TextRange::new(0, text.len()));
    }
    text.get(start..end)?;
    let first_line_end = text[start..end].find('\n').map(|i| start + i + 1)?;
    let closing_start = text[..end].rfind('\n').map_or(end, |i| i + 1);
    (first_line_end <= closing_start).then(|| TextRange::new(first_line_end, closing_start))
}

fn field_names(
    checked: &SchemaNote<'_>,
    text: &str,
    yaml: TextRange,
    range: TextRange,
    has_colon: bool,
) -> Option<CompletionList> {
    let info = checked.info?;
    let written: Vec<&str> = top_level_keys(text, yaml)
        .into_iter()
        .filter(|(_, key_range)| key_range.start != range.start)
        .map(|(key, _)| key)
        .collect();
    let required = info.required_fields();
    let mut items = Vec::new();
    for name in info.all_fields() {
        if written.contains(&name) {
            continue;
        }
        let is_required = required.contains(&name);
        let spec = info.field(name);
        let mut detail = vec![if is_required { "required" } else { "optional" }.to_owned()];
        if let Some(spec) = spec {
            detail.push(spec.kind_name.clone());
            if let Some(description) = &spec.description {
                detail.push(description.clone());
            }
        }
        let rank = items.len();
        items.push(CompletionItem {
            label: name.to_owned(),
            kind: CompletionKind::Field,
            insert_text: if has_colon {
                name.to_owned()
            } else {
                format!("{name}: ")
            },
            filter_text: name.to_owned(),
            sort_text: format!("{}{rank:06}", if is_required { 0 } else { 1 }),
            detail: Some(detail.join(" · ")),
            note: None,
            new_block_id: None,
        });
    }
    Some(CompletionList {
        replace_range: range,
        items,
        is_incomplete: false,
    })
}

fn types(schema: &Schema, word: TextRange) -> CompletionList {
    let items = schema
        .all_types()
        .into_iter()
        .enumerate()
        .map(|(rank, info)| {
            let origin = if info.declared.is_some() {
                "type"
            } else {
                "built-in type"
            };
            let detail = match info.description {
                Some(description) => format!("{origin} · {description}"),
                None => origin.to_owned(),
            };
            value_item(info.name, CompletionKind::Type, rank, detail)
        })
        .collect();
    list(word, items)
}

fn select_values(
    values: &[String],
    present: &[&str],
    description: Option<&str>,
    word: TextRange,
) -> CompletionList {
    let items = values
        .iter()
        .filter(|value| !present.contains(&value.as_str()))
        .enumerate()
        .map(|(rank, value)| {
            let detail = description.unwrap_or("allowed value").to_owned();
            value_item(value, CompletionKind::Value, rank, detail)
        })
        .collect();
    list(word, items)
}

/// The KB's relationship types; Pyrite's built-in ones when it declares none (they are
/// valid anyway, but a KB that names its relations means those).
fn relations(schema: &Schema, word: TextRange) -> CompletionList {
    let mut items: Vec<CompletionItem> = schema
        .relationship_types
        .iter()
        .enumerate()
        .map(|(rank, relation)| {
            let detail = if relation.description.is_empty() {
                "relation".to_owned()
            } else {
                relation.description.clone()
            };
            value_item(&relation.name, CompletionKind::Relation, rank, detail)
        })
        .collect();
    if items.is_empty() {
        for (rank, name) in BUILT_IN_RELATIONS.iter().enumerate() {
            let detail = "Pyrite built-in relation".to_owned();
            items.push(value_item(name, CompletionKind::Relation, rank, detail));
        }
    }
    list(word, items)
}

/// The names of the KBs with a kb.yaml.
fn kb_names(workspace: &Workspace, word: TextRange) -> CompletionList {
    let items = workspace
        .visible_kbs()
        .into_iter()
        .filter(|&kb| !workspace.kb(kb).is_implicit())
        .enumerate()
        .map(|(rank, kb)| {
            let kb = workspace.kb(kb);
            let detail = kb
                .config
                .description
                .clone()
                .unwrap_or_else(|| "knowledge base".to_owned());
            value_item(&kb.name, CompletionKind::Kb, rank, detail)
        })
        .collect();
    list(word, items)
}

/// Entries of `kb` whose id, title or alias contains `typed`, of type `target_type` when
/// given, by id.
fn note_ids(
    workspace: &Workspace,
    kb: KbId,
    target_type: Option<&str>,
    typed: &str,
    word: TextRange,
    config: &CompletionConfig,
) -> CompletionList {
    let wanted = keys::fold(typed);
    let mut found: Vec<(&str, FileId, &Note)> = workspace
        .notes()
        .filter(|(_, note)| note.entry && note.kb == kb)
        .filter(|(_, note)| {
            target_type.is_none_or(|t| note.note_type().map_or(DEFAULT_TYPE, str::trim) == t)
        })
        .filter(|(_, note)| {
            wanted.is_empty()
                || std::iter::once(note.id())
                    .chain(std::iter::once(note.title()))
                    .chain(note.aliases())
                    .any(|name| keys::fold(name).contains(&wanted))
        })
        .map(|(file, note)| (note.id(), file, note))
        .collect();
    found.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    let is_incomplete = found.len() > config.max_items;
    let items = found
        .into_iter()
        .take(config.max_items)
        .enumerate()
        .map(|(rank, (id, file, note))| {
            let mut detail = vec![note.title().to_owned()];
            detail.extend(note.note_type().map(str::to_owned));
            detail.push(format!("KB {}", workspace.kb(note.kb).name));
            CompletionItem {
                label: id.to_owned(),
                kind: CompletionKind::Note,
                insert_text: id.to_owned(),
                filter_text: format!("{id} {}", note.title()),
                sort_text: format!("{rank:06}"),
                detail: Some(detail.join(" · ")),
                note: Some(file),
                new_block_id: None,
            }
        })
        .collect();
    CompletionList {
        replace_range: word,
        items,
        is_incomplete,
    }
}

/// `source:`, `target:`, `target_kb:` and `relation:` of a `cross-kb-links.yaml` entry.
fn cross_kb_links(
    workspace: &Workspace,
    note: &Note,
    text: &str,
    place: Place<'_>,
    config: &CompletionConfig,
) -> Option<CompletionList> {
    let Place::Value {
        item_key: Some(key),
        word,
        typed,
        item,
        ..
    } = place
    else {
        return None;
    };
    match key {
        "source" => Some(note_ids(workspace, note.kb, None, typed, word, config)),
        "target" => {
            let kb = item_value(text, item, "target_kb")
                .map_or(Some(note.kb), |name| workspace.kb_by_name(name))?;
            Some(note_ids(workspace, kb, None, typed, word, config))
        }
        "target_kb" => Some(kb_names(workspace, word)),
        "relation" => Some(relations(&workspace.kb(note.kb).config.schema, word)),
        _ => None,
    }
}

fn value_item(label: &str, kind: CompletionKind, rank: usize, detail: String) -> CompletionItem {
    CompletionItem {
        label: label.to_owned(),
        kind,
        insert_text: label.to_owned(),
        filter_text: label.to_owned(),
        sort_text: format!("{rank:06}"),
        detail: Some(detail),
        note: None,
        new_block_id: None,
    }
}

fn list(word: TextRange, items: Vec<CompletionItem>) -> CompletionList {
    CompletionList {
        replace_range: word,
        items,
        is_incomplete: false,
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use crate::fixture::Fixture;
    use crate::ide::kb_schema::{GARDEN, KITCHEN};
    use crate::ide::{CompletionConfig, completion};

    /// The replaced text, then each item: label, kind, what it inserts when that differs, and
    /// its detail.
    #[track_caller]
    fn check(fixture: &str, expect: Expect) {
        let f = Fixture::parse(&format!("{GARDEN}{KITCHEN}{fixture}"));
        let position = f.position();
        let text = f.text(position.file);
        let Some(list) = completion(
            &f.workspace,
            position,
            text,
            &CompletionConfig::default(),
            &|_| None,
        ) else {
            expect.assert_eq("none\n");
            return;
        };
        let mut out = format!("replace {:?}\n", &text[list.replace_range.as_usize()]);
        for item in &list.items {
            out += &format!("{} [{:?}]", item.label, item.kind);
            if item.insert_text != item.label {
                out += &format!(" insert={:?}", item.insert_text);
            }
            out += &format!(" · {}\n", item.detail.as_deref().unwrap_or(""));
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn type_values() {
        check(
            "//- /garden/plants/rue.md\n---\ntitle: Rue\ntype: pl$0\n---\n",
            expect![[r#"
                replace "pl"
                plant [Type] · type · A plant grown here
                person [Type] · type
                note [Type] · built-in type · A general note
                organization [Type] · built-in type · A group, company or institution
                event [Type] · built-in type · Something that happened, with a date
                document [Type] · built-in type · A document to refer to
                topic [Type] · built-in type · A subject that entries gather around
                relationship [Type] · built-in type · A relationship between two entries
                timeline [Type] · built-in type · An ordered series of events
                collection [Type] · built-in type · A folder of entries shown as one
            "#]],
        );
        // In another KB, that KB's types.
        check(
            "//- /kitchen/stew.md\r\n---\r\ntype: $0\r\n---\r\n",
            expect![[r#"
                replace ""
                recipe [Type] · type · How to make a dish
                note [Type] · built-in type · A general note
                person [Type] · built-in type · A person
                organization [Type] · built-in type · A group, company or institution
                event [Type] · built-in type · Something that happened, with a date
                document [Type] · built-in type · A document to refer to
                topic [Type] · built-in type · A subject that entries gather around
                relationship [Type] · built-in type · A relationship between two entries
                timeline [Type] · built-in type · An ordered series of events
                collection [Type] · built-in type · A folder of entries shown as one
            "#]],
        );
    }

    #[test]
    fn select_values_in_scalars_flow_and_block_lists() {
        check(
            "//- /garden/plants/rue.md\n---\ntype: plant\nfamily: m$0\n---\n",
            expect![[r#"
                replace "m"
                rose [Value] · Botanical family
                mint [Value] · Botanical family
                nightshade [Value] · Botanical family
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\n---\ntype: plant\ncolours: [red, $0]\n---\n",
            expect![[r#"
                replace ""
                white [Value] · allowed value
                purple [Value] · allowed value
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\r\n---\r\ntype: plant\r\ncolours:\r\n  - white\r\n  - p$0\r\n---\r\n",
            expect![[r#"
                replace "p"
                red [Value] · allowed value
                purple [Value] · allowed value
            "#]],
        );
        // A field that is not a select offers nothing from the schema.
        check(
            "//- /garden/plants/rue.md\n---\ntype: plant\nsown: 2$0\n---\n",
            expect![[r#"
                none
            "#]],
        );
    }

    #[test]
    fn field_names_at_the_start_of_a_line() {
        check(
            "//- /garden/plants/rue.md\n---\ntitle: Rue\ntype: plant\ncolours: [red]\n$0\n---\n",
            expect![[r#"
                replace ""
                family [Field] insert="family: " · required · select · Botanical family
                grower [Field] insert="grower: " · required · object-ref
                sown [Field] insert="sown: " · optional · date
                height_cm [Field] insert="height_cm: " · optional · number
                rows [Field] insert="rows: " · optional · integer
                perennial [Field] insert="perennial: " · optional · checkbox
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\n---\ntype: plant\nfa$0mily: rose\n---\n",
            expect![[r#"
                replace "family"
                title [Field] · required
                family [Field] · required · select · Botanical family
                grower [Field] · required · object-ref
                sown [Field] · optional · date
                height_cm [Field] · optional · number
                rows [Field] · optional · integer
                perennial [Field] · optional · checkbox
                colours [Field] · optional · multi-select
            "#]],
        );
        // Without a type, the built-in `note`; in a KB without types, nothing.
        check(
            "//- /garden/notes/n.md\n---\nti$0\n---\n",
            expect![[r#"
                replace "ti"
                title [Field] insert="title: " · required
            "#]],
        );
        check(
            "//- /loose/kb.yaml\nname: loose\n//- /loose/n.md\n---\nti$0\n---\n",
            expect![[r#"
                none
            "#]],
        );
    }

    #[test]
    fn object_references_of_a_target_type() {
        check(
            "//- /garden/people/bo.md\n---\ntitle: Bo\ntype: person\n---\n\
             //- /garden/plants/rue.md\n---\ntype: plant\ngrower: $0\n---\n",
            expect![[r#"
                replace ""
                ada [Note] · Ada · person · KB garden
                bo [Note] · Bo · person · KB garden
            "#]],
        );
    }

    #[test]
    fn typed_links() {
        check(
            "//- /garden/plants/rue.md\n---\ntype: plant\nlinks:\n- target: ada\n  relation: gr$0\n---\n",
            expect![[r#"
                replace "gr"
                grows_beside [Relation] · Planted next to
                shades [Relation] · Casts shade on
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\n---\ntype: plant\nlinks:\n- target: so$0\n  kb: kitchen\n---\n",
            expect![[r#"
                replace "so"
                soup [Note] · Soup · recipe · KB kitchen
            "#]],
        );
        check(
            "//- /garden/plants/rue.md\n---\nlinks: [{target: shed, kb: $0}]\n---\n",
            expect![[r#"
                replace ""
                garden [Kb] · knowledge base
                kitchen [Kb] · What we cook
            "#]],
        );
    }

    #[test]
    fn cross_kb_links_entries() {
        let links =
            "//- /garden/cross-kb-links.yaml\n- source: a$0\n  target: so\n  target_kb: kitchen\n";
        check(
            links,
            expect![[r#"
            replace "a"
            ada [Note] · Ada · person · KB garden
        "#]],
        );
        check(
            &links
                .replace("a$0", "ada")
                .replace("target: so", "target: so$0"),
            expect![[r#"
                replace "so"
                soup [Note] · Soup · recipe · KB kitchen
            "#]],
        );
        check(
            &links.replace("a$0", "ada").replace("kitchen", "ki$0"),
            expect![[r#"
                replace "ki"
                garden [Kb] · knowledge base
                kitchen [Kb] · What we cook
            "#]],
        );
        check(
            "//- /kitchen/cross-kb-links.yaml\r\n- source: soup\r\n  target: ada\r\n  target_kb: garden\r\n  relation: $0\r\n",
            expect![[r#"
                replace ""
                uses [Relation] · Cooks with
            "#]],
        );
    }

    #[test]
    fn built_in_relations_where_the_kb_declares_none() {
        check(
            "//- /loose/kb.yaml\nname: loose\ntypes:\n  memo: {}\n//- /loose/m.md\n---\ntype: memo\nlinks:\n- target: x\n  relation: men$0\n---\n",
            expect![[r#"
                replace "men"
                owns [Relation] · Pyrite built-in relation
                owned_by [Relation] · Pyrite built-in relation
                controls [Relation] · Pyrite built-in relation
                controlled_by [Relation] · Pyrite built-in relation
                directs [Relation] · Pyrite built-in relation
                directed_by [Relation] · Pyrite built-in relation
                advises [Relation] · Pyrite built-in relation
                advised_by [Relation] · Pyrite built-in relation
                member_of [Relation] · Pyrite built-in relation
                has_member [Relation] · Pyrite built-in relation
                employed_by [Relation] · Pyrite built-in relation
                employs [Relation] · Pyrite built-in relation
                funds [Relation] · Pyrite built-in relation
                funded_by [Relation] · Pyrite built-in relation
                authored [Relation] · Pyrite built-in relation
                authored_by [Relation] · Pyrite built-in relation
                mentions [Relation] · Pyrite built-in relation
                mentioned_by [Relation] · Pyrite built-in relation
                involves [Relation] · Pyrite built-in relation
                involved_in [Relation] · Pyrite built-in relation
                located_at [Relation] · Pyrite built-in relation
                location_of [Relation] · Pyrite built-in relation
                related_to [Relation] · Pyrite built-in relation
                supports [Relation] · Pyrite built-in relation
                supported_by [Relation] · Pyrite built-in relation
                contradicts [Relation] · Pyrite built-in relation
                contradicted_by [Relation] · Pyrite built-in relation
                extends [Relation] · Pyrite built-in relation
                extended_by [Relation] · Pyrite built-in relation
                refines [Relation] · Pyrite built-in relation
                refined_by [Relation] · Pyrite built-in relation
                is_example_of [Relation] · Pyrite built-in relation
                has_example [Relation] · Pyrite built-in relation
                causally_precedes [Relation] · Pyrite built-in relation
                causally_follows [Relation] · Pyrite built-in relation
                asks_question [Relation] · Pyrite built-in relation
                answers_question [Relation] · Pyrite built-in relation
                is_part_of [Relation] · Pyrite built-in relation
                contains_part [Relation] · Pyrite built-in relation
                wikilink [Relation] · Pyrite built-in relation
                wikilinked_by [Relation] · Pyrite built-in relation
            "#]],
        );
    }
}
