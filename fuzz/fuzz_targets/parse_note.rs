//! Fuzzes the note parser (frontmatter and body): `parse_note` must never panic, and every
//! range it returns must lie inside the note, on character boundaries.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../../tests/support/invariants.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| {
    // Lossy decoding keeps every input useful (the server only ever parses valid UTF-8).
    let text = String::from_utf8_lossy(data);
    invariants::check_parse(&text);
    // The same note behind a frontmatter fence exercises the YAML reader on every input.
    if !text.starts_with("---") {
        let fenced = format!("---\n{text}\n---\n[[x]]");
        invariants::check_parse(&fenced);
    }
});
