//! End to end: a KB's schema (its kb.yaml `types`) over real JSON-RPC and in `check`. Changing
//! kb.yaml on disk re-checks that KB's notes, the open ones (from their buffers) and the closed
//! ones alike; completion and hover answer from the schema; `check` reports the schema codes
//! with the severities `--severity` gives them.

mod support;

use serde_json::{Value, json};
use support::{capabilities, file_uri, started, workspace};

const KB_STRICT: &str = "name: garden\ntypes:\n  plant:\n    required: [title, family]\n    fields:\n      family: {type: select, values: [rose, mint]}\n";
const KB_LOOSE: &str = "name: garden\ntypes:\n  plant:\n    fields:\n      family: {type: select, values: [rose, mint, nightshade]}\n";
const TOMATO: &str = "---\ntitle: Tomato\ntype: plant\nfamily: rose\n---\nRed.\n";
const BASIL: &str = "---\ntitle: Basil\ntype: plant\n---\nGreen.\n";

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_kb_yaml_change_rechecks_open_and_closed_notes() {
    let dir = workspace(&[
        ("garden/kb.yaml", KB_STRICT),
        ("garden/plants/tomato.md", TOMATO),
        ("garden/plants/basil.md", BASIL),
    ]);
    let mut client = started(dir.path(), capabilities(false));
    let tomato = dir.path().join("garden/plants/tomato.md");
    let basil_uri = file_uri(&dir.path().join("garden/plants/basil.md"));
    // The open note is checked from its buffer, which differs from the disk.
    let buffer = TOMATO.replace("rose", "nightshade");
    let tomato_uri = client.open(&tomato, &buffer);
    let diagnostics = client.wait_diagnostics(&tomato_uri, |d| !d.is_empty());
    assert_eq!(codes(&diagnostics), ["invalid-field-value"]);
    assert_eq!(
        diagnostics[0]["range"]["start"],
        json!({"line": 3, "character": 8})
    );
    let diagnostics = client.wait_diagnostics(&basil_uri, |d| !d.is_empty());
    assert_eq!(codes(&diagnostics), ["missing-required-field"]);

    // The schema loosens: both notes are clean.
    let kb_yaml = dir.path().join("garden/kb.yaml");
    std::fs::write(&kb_yaml, KB_LOOSE).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&kb_yaml), "type": 2}]}),
    );
    client.wait_diagnostics(&tomato_uri, |d| d.is_empty());
    client.wait_diagnostics(&basil_uri, |d| d.is_empty());
    // Everything published before is in: older lists must not answer the waits below.
    client.notifications.clear();

    // Back to the strict schema, then the types are removed altogether: nothing is checked.
    std::fs::write(&kb_yaml, KB_STRICT).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&kb_yaml), "type": 2}]}),
    );
    client.wait_diagnostics(&tomato_uri, |d| codes(d) == ["invalid-field-value"]);
    std::fs::write(&kb_yaml, "name: garden\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&kb_yaml), "type": 2}]}),
    );
    client.wait_diagnostics(&tomato_uri, |d| d.is_empty());
    client.wait_diagnostics(&basil_uri, |d| d.is_empty());
    assert_eq!(client.shutdown_and_exit(), Some(0));
}

#[test]
fn completion_and_hover_come_from_the_schema() {
    let dir = workspace(&[
        ("garden/kb.yaml", KB_STRICT),
        ("garden/plants/basil.md", BASIL),
    ]);
    let mut client = started(dir.path(), capabilities(false));
    let text = "---\ntitle: Basil\ntype: plant\nfamily: m\n---\n";
    let uri = client.open(&dir.path().join("garden/plants/basil.md"), text);
    let completion = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": {"line": 3, "character": 9}}),
    );
    let items = completion["items"].as_array().cloned().unwrap_or_default();
    let labels: Vec<(&str, u64)> = items
        .iter()
        .map(|item| {
            (
                item["label"].as_str().unwrap(),
                item["kind"].as_u64().unwrap(),
            )
        })
        .collect();
    // 20: EnumMember.
    assert_eq!(labels, [("rose", 20), ("mint", 20)]);
    assert_eq!(
        items[1]["textEdit"]["range"]["start"],
        json!({"line": 3, "character": 8})
    );
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 2, "character": 7}}),
    );
    let value = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        value.starts_with("**plant** · type of KB `garden`"),
        "{value}"
    );
    assert_eq!(client.shutdown_and_exit(), Some(0));
}

#[test]
fn check_reports_schema_codes_with_their_severities() {
    let dir = workspace(&[
        ("garden/kb.yaml", KB_STRICT),
        (
            "garden/plants/tomato.md",
            &TOMATO.replace("rose", "nightshade"),
        ),
        ("garden/plants/basil.md", BASIL),
        ("garden/README.md", "# Not an entry\n"),
        (
            "garden/cross-kb-links.yaml",
            "- source: basil\n  target: x\n  target_kb: elsewhere\n",
        ),
    ]);
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_wikilink-lsp"))
            .arg("check")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("the binary runs");
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
        )
    };
    let (status, out) = run(&["--format", "json"]);
    assert_eq!(status, Some(0), "{out}");
    let report: Value = serde_json::from_str(&out).unwrap();
    let mut found: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{} {} {}",
                d["path"].as_str().unwrap(),
                d["severity"],
                d["code"]
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            r#"./garden/cross-kb-links.yaml "information" "unknown-kb""#,
            r#"./garden/plants/basil.md "warning" "missing-required-field""#,
            r#"./garden/plants/tomato.md "warning" "invalid-field-value""#,
        ]
    );
    // `--severity` applies to the new codes; the cross-KB target stays information at most.
    let (status, out) = run(&[
        "--severity",
        "invalid-field-value=error",
        "--severity",
        "missing-required-field=off",
        "--severity",
        "unknown-kb=error",
    ]);
    assert_eq!(status, Some(1), "{out}");
    assert!(out.contains("error[invalid-field-value]"), "{out}");
    assert!(!out.contains("missing-required-field"), "{out}");
    assert!(out.contains("information[unknown-kb]"), "{out}");
}
