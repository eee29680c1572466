//! The flat fast path against saphyr-parser: on any frontmatter, reading it with the fast path
//! (when it applies) gives exactly what the saphyr path gives.

use proptest::prelude::*;

use super::{Parsed, Split, flat, parse, parse_with_saphyr, split};

/// Both readers on `text`, which must have a closed frontmatter.
fn both(text: &str) -> (Parsed, Parsed, bool) {
    let Split::Found {
        range, yaml_range, ..
    } = split(text)
    else {
        panic!("no frontmatter in {text:?}");
    };
    let fast = flat::read(text, yaml_range).is_some();
    (
        parse(text, range, yaml_range),
        parse_with_saphyr(text, range, yaml_range),
        fast,
    )
}

#[track_caller]
fn check_same(text: &str) -> bool {
    let (fast, saphyr, used_fast) = both(text);
    assert_eq!(
        fast.frontmatter, saphyr.frontmatter,
        "frontmatter of {text:?}"
    );
    assert_eq!(fast.links, saphyr.links, "links of {text:?}");
    assert_eq!(fast.errors, saphyr.errors, "errors of {text:?}");
    used_fast
}

#[test]
fn typical_frontmatter_takes_the_fast_path() {
    let notes = [
        "---\nid: a-1\ntitle: \"The A\"\ntype: writing\ntags: [x, y]\naliases: []\nimportance: 3\n---\nbody",
        "---\nid: kiichiro\ntitle: Kiichiro Toyoda\ntags:\n- jit\n- founder\nrole: \"Founder, of: Toyota\"\n---\n",
        "---\r\nid: b\r\nlinks:\r\n- target: simon\r\n  relation: authored_by\r\n  kb: wardley\r\n- \"[[c]]\"\r\n---\r\n",
        "---\nid: c\ndate: '2010-09-01'\nsummary: A short  summary, here.\nsee: \"[[kb:d#Heading|D]]\"\n---\n",
        "---\n---\n",
    ];
    for note in notes {
        assert!(check_same(note), "fast path not taken for {note:?}");
    }
}

#[test]
fn unusual_frontmatter_falls_back() {
    let notes = [
        "---\nid: a # comment\n---\n",
        "---\nid: &x a\nalias: *x\n---\n",
        "---\ntitle: two\n  lines\n---\n",
        "---\nsummary: |\n  block\n---\n",
        "---\nid:\ntitle: t\n---\n",
        "---\nmeta:\n  nested: x\n---\n",
        "---\ntitle: \"esc\\\"aped\"\n---\n",
        "---\ntitle: 'it''s'\n---\n",
        "---\ntags: [a,\n  b]\n---\n",
        "---\n\tid: x\n---\n",
        "---\nid: x\n\nother: y\n---\n",
        "---\n- a\n- b\n---\n",
        // An indicator after a space inside a flow item (found by the property test below).
        "---\nkb: [g_6  -]  \n---\nbody\n",
    ];
    for note in notes {
        assert!(!check_same(note), "fast path taken for {note:?}");
    }
}

/// Pieces of frontmatter lines, mostly in the flat subset, some just outside it.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9 _-]{0,8}",
        "[a-zA-Z0-9 ,.:#'\"\\[\\]{}|>!&*?@%`-]{1,10}",
        "\"[a-z ,:#'\\[\\]\\\\]{0,6}\"",
        "'[a-z ,:#\"\\[\\]]{0,6}'",
        Just("\"[[target]]\"".to_owned()),
        Just("\"[[kb:t#H|D]]\"".to_owned()),
        Just("[[target]]".to_owned()),
        Just("é ü 中".to_owned()),
        Just("a\u{a0}".to_owned()),
        Just("a\u{2028}b".to_owned()),
        Just("~".to_owned()),
        Just("".to_owned()),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("id".to_owned()),
        Just("title".to_owned()),
        Just("type".to_owned()),
        Just("tags".to_owned()),
        Just("aliases".to_owned()),
        Just("summary".to_owned()),
        Just("links".to_owned()),
        Just("target".to_owned()),
        Just("kb".to_owned()),
        "[a-z_][a-z0-9_.-]{0,5}",
        "[a-z -]{1,4}",
    ]
}

fn line() -> impl Strategy<Value = String> {
    let space = prop_oneof![Just(""), Just(" "), Just("  "), Just("\t")];
    prop_oneof![
        (key(), space.clone(), scalar(), space.clone())
            .prop_map(|(k, s, v, t)| format!("{k}:{s}{v}{t}")),
        (key(), scalar()).prop_map(|(k, v)| format!("{k}: {v}")),
        (key(), prop::collection::vec(scalar(), 0..4), space.clone())
            .prop_map(|(k, items, s)| format!("{k}: [{}]{s}", items.join(", "))),
        (key()).prop_map(|k| format!("{k}:")),
        (space.clone(), scalar()).prop_map(|(s, v)| format!("{s}- {v}")),
        (space.clone(), key(), scalar()).prop_map(|(s, k, v)| format!("{s}- {k}: {v}")),
        (space, key(), scalar()).prop_map(|(s, k, v)| format!("{s}  {k}: {v}")),
        Just(String::new()),
        Just("# comment".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 4000,
        // Failures found here are kept as examples in the tests above instead.
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_fast_path_agrees_with_saphyr(
        lines in prop::collection::vec(line(), 0..8),
        crlf in any::<bool>(),
    ) {
        let newline = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("---{newline}");
        for line in &lines {
            text += line;
            text += newline;
        }
        text += "---\nbody\n";
        check_same(&text);
    }
}
