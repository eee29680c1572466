//! Inputs that once broke the parser or the resolver (found by the property tests in
//! `sync_props.rs` and the fuzz targets in `fuzz/`), kept so they stay fixed. Each runs the
//! same invariant checks as the fuzz targets (`support/invariants.rs`).

mod support;

use support::invariants::{build, check_parse};

/// Runs every feature at every offset of every note of a small workspace.
fn check_workspace(notes: &[(&str, &str)]) {
    let notes: Vec<(String, String)> = notes
        .iter()
        .map(|(p, t)| (format!("/ws/{p}"), t.to_string()))
        .collect();
    let built = build("/ws", &[], &notes);
    built.check_diagnostics();
    for &file in &built.files {
        let len = built.texts[&file].len() as u32;
        for offset in 0..=len + 1 {
            built.check_features_at(file, offset);
        }
    }
}

#[test]
fn a_link_target_ending_in_a_wide_character_resolves_without_panicking() {
    // `clean_target` sliced the last three bytes to look for `.md`, inside the emoji.
    check_parse("[[a😀]]");
    check_workspace(&[("a.md", "[[a😀]] [[b中文]] [[é.MD]]\n"), ("é.md", "# É\n")]);
}

#[test]
fn a_paragraph_of_only_a_line_separator_has_no_inverted_range() {
    // pulldown-cmark sees a paragraph "\u{2028}"; trimming white space moved its end before
    // its start.
    check_parse("---\n\u{2028}\n\n");
    check_parse("# Heading\n\u{2028}\n");
    check_workspace(&[("a.md", "# H\n\u{2028}\n[[a#H]]\n")]);
}
