//! `cross-kb-links.yaml`: a KB's list of links into other KBs, one mapping per link:
//! `{source, target, target_kb, relation, note}`. It is read into a [`ParsedNote`] whose
//! frontmatter (the whole file) holds two fields: `source` (ids of this KB) and `target` (ids
//! in `target_kb`, carried as each value's KB, as a typed link's `kb:` is), and whose relations
//! are the links' `relation:` values. So the resolver, references, rename, definition and
//! hover treat the file's ids as they treat a note's frontmatter references.
//!
//! Never fails: invalid YAML is an error next to whatever was read before it; items of another
//! shape are skipped.

use saphyr_parser::{Event, Parser, Span};

use super::frontmatter::{self, CharOffsets};
use super::{ParsedNote, Retention, SyntaxError, assemble};
use crate::text::TextRange;

/// Most YAML events read; past this the rest is ignored with an error.
const MAX_EVENTS: usize = 200_000;

/// Parses a `cross-kb-links.yaml`, keeping what `retention` says. Never fails
/// and never panics on any input.
pub fn parse_cross_kb_links(text: &str, retention: Retention) -> ParsedNote {
    let offsets = CharOffsets::new(text, 0);
    let mut errors = Vec::new();
    let mut events: Vec<(Event<'_>, Span)> = Vec::new();
    for item in Parser::new_from_str(text) {
        match item {
            Ok(event) => events.push(event),
            Err(error) => {
                let at = offsets.byte(error.marker().index());
                errors.push(SyntaxError {
                    range: TextRange::new(at, at),
                    message: format!("invalid YAML in cross-kb-links.yaml: {}", error.info()),
                    lenient: false,
                });
                break;
            }
        }
        if events.len() > MAX_EVENTS {
            errors.push(SyntaxError {
                range: TextRange::empty(0),
                message: format!("cross-kb-links.yaml is too large: only its first {MAX_EVENTS} YAML events were read"), lenient: false, });
            break;
        }
    }
    let mut sources = Vec::new();
    let mut targets = Vec::new();
    let mut relations = Vec::new();
    let mut depth = 0usize;
    let mut item: Vec<(&str, frontmatter::RawValue)> = Vec::new();
    let mut pending_key: Option<&str> = None;
    for (event, span) in &events {
        match event {
            Event::SequenceStart(..) | Event::MappingStart(..) => {
                depth += 1;
                pending_key = None;
                if depth == 2 {
                    item.clear();
                }
            }
            Event::SequenceEnd | Event::MappingEnd => {
                if depth == 2 {
                    take_item(&mut item, &mut sources, &mut targets, &mut relations);
                }
                depth = depth.saturating_sub(1);
                pending_key = None;
            }
            // The scalars of an item's mapping (a list of mappings at the top).
            Event::Scalar(value, style, ..) if depth == 2 => match pending_key.take() {
                None => pending_key = Some(value.as_ref()),
                Some(key) => item.push((
                    key,
                    frontmatter::scalar_value(text, &offsets, value, *style, *span),
                )),
            },
            _ => {}
        }
    }
    let mut fields = Vec::new();
    for (name, values) in [("source", sources), ("target", targets)] {
        if !values.is_empty() {
            fields.push(frontmatter::RawField {
                name: name.into(),
                values,
            });
        }
    }
    let read = frontmatter::RawFrontmatter {
        range: TextRange::new(0, text.len()),
        fields,
        relations,
        ..frontmatter::RawFrontmatter::default()
    };
    let body = super::body::Body::default();
    let mut note = assemble(text, Some(read), &[], &body, "", retention);
    note.errors = errors.into_boxed_slice();
    note.set_text(text, retention);
    note.body_start = crate::text::to_u32(text.len());
    note
}

/// Files one item's `source`, `target` (with its `target_kb`) and `relation`.
fn take_item(
    item: &mut Vec<(&str, frontmatter::RawValue)>,
    sources: &mut Vec<frontmatter::RawValue>,
    targets: &mut Vec<frontmatter::RawValue>,
    relations: &mut Vec<frontmatter::RawValue>,
) {
    let target_kb = item
        .iter()
        .find(|(key, value)| *key == "target_kb" && !value.text.trim().is_empty())
        .map(|(_, value)| value.text.trim().into());
    for (key, value) in item.drain(..) {
        if value.text.trim().is_empty() {
            continue;
        }
        match key {
            "source" => sources.push(value),
            "target" => targets.push(frontmatter::RawValue {
                kb: target_kb.clone(),
                ..value
            }),
            "relation" => relations.push(value),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(text: &str) -> String {
        let note = parse_cross_kb_links(text, Retention::Full);
        let slice = |r: TextRange| text.get(r.as_usize()).unwrap_or("<bad range>").to_owned();
        let mut out = String::new();
        let fm = note.frontmatter().unwrap();
        for field in fm.fields() {
            for v in field.values {
                let kb = v.kb.map(|kb| format!(" kb={kb}")).unwrap_or_default();
                out += &format!("{} {:?} {:?}{kb}\n", field.name, v.range, slice(v.range));
            }
        }
        for v in fm.relations() {
            out += &format!("relation {:?} {:?}\n", v.range, slice(v.range));
        }
        for e in &note.errors {
            out += &format!("error {:?}: {}\n", e.range, e.message);
        }
        out
    }

    #[test]
    fn links_with_ranges() {
        expect_test::expect![[r#"
            source 26..36 "flow-state"
            source 142..147 "grand"
            target 47..63 "implicit-control" kb=boyd
            target 158..163 "ideal"
            relation 94..104 "related_to"
            relation 176..181 "feeds"
        "#]]
        .assert_eq(&render(
            "# flow → boyd\n- source: flow-state\n  target: implicit-control\n  target_kb: boyd\n  relation: related_to\n  note: \"Both: the same\"\n\n- {source: grand, target: 'ideal', relation: feeds}\n- just a string\n- [a, list]\n",
        ));
    }

    #[test]
    fn invalid_yaml_keeps_what_came_before() {
        expect_test::expect![[r#"
            source 10..11 "a"
            target 22..23 "b" kb=other
            error 56..56: invalid YAML in cross-kb-links.yaml: while parsing a flow sequence, expected ',' or ']'
        "#]]
        .assert_eq(&render(
            "- source: a\n  target: b\n  target_kb: other\n- source: [c\n",
        ));
    }
}
