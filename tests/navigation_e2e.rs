//! End-to-end tests of navigation and refactoring over real JSON-RPC: references, rename (with
//! the `WorkspaceEdit` applied to the files by the test, then `wikilink-lsp check` run on them),
//! quick fixes, and a client that cannot rename or create files.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use support::{Client, capabilities, file_uri, position_of, started};

/// A copy of `examples/` (two KBs) in a temporary folder.
fn demo() -> tempfile::TempDir {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let dir = tempfile::tempdir().unwrap();
    for kb in ["apiary", "cellar"] {
        copy_dir(&examples.join(kb), &dir.path().join(kb));
    }
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            std::fs::copy(&path, &target).unwrap();
        }
    }
}

/// Byte offset of an LSP position (UTF-16 columns; `\n`, `\r\n` and `\r` end lines).
fn offset_of(text: &str, position: &Value) -> usize {
    let (line, column) = (
        position["line"].as_u64().unwrap(),
        position["character"].as_u64().unwrap(),
    );
    let bytes = text.as_bytes();
    let mut start = 0;
    for _ in 0..line {
        let end = text[start..]
            .find(['\n', '\r'])
            .map_or(text.len(), |i| start + i);
        start = match bytes.get(end) {
            Some(b'\r') if bytes.get(end + 1) == Some(&b'\n') => end + 2,
            Some(_) => end + 1,
            None => end,
        };
    }
    let mut units = 0;
    for (i, c) in text[start..].char_indices() {
        if units >= column as usize || c == '\n' || c == '\r' {
            return start + i;
        }
        units += c.len_utf16();
    }
    text.len()
}

fn apply_text_edits(path: &Path, edits: &[Value]) {
    let mut text = std::fs::read_to_string(path).unwrap_or_default();
    let mut ranges: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            let start = offset_of(&text, &e["range"]["start"]);
            let end = offset_of(&text, &e["range"]["end"]);
            (start, end, e["newText"].as_str().unwrap().to_owned())
        })
        .collect();
    ranges.sort_by_key(|r| (r.0, r.1));
    for (start, end, new_text) in ranges.into_iter().rev() {
        text.replace_range(start..end, &new_text);
    }
    std::fs::write(path, text).unwrap();
}

fn path_of(uri: &Value) -> PathBuf {
    let uri = uri.as_str().unwrap();
    let path = uri.strip_prefix("file://").unwrap();
    PathBuf::from(path.replace("%20", " "))
}

/// Applies a `WorkspaceEdit` to the files, as an editor would.
fn apply(edit: &Value) {
    if let Some(changes) = edit["changes"].as_object() {
        for (uri, edits) in changes {
            apply_text_edits(&path_of(&json!(uri)), edits.as_array().unwrap());
        }
    }
    for change in edit["documentChanges"].as_array().into_iter().flatten() {
        match change["kind"].as_str() {
            Some("rename") => {
                let to = path_of(&change["newUri"]);
                assert!(!to.exists(), "the rename would overwrite {}", to.display());
                std::fs::rename(path_of(&change["oldUri"]), to).unwrap();
            }
            Some("create") => {
                let path = path_of(&change["uri"]);
                assert!(
                    !path.exists(),
                    "the create would overwrite {}",
                    path.display()
                );
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, "").unwrap();
            }
            Some(other) => panic!("unexpected resource operation {other}"),
            None => apply_text_edits(
                &path_of(&change["textDocument"]["uri"]),
                change["edits"].as_array().unwrap(),
            ),
        }
    }
}

/// `wikilink-lsp check --format json` on `root`: `(path inside root, code)` of each diagnostic.
fn check(root: &Path) -> Vec<(String, String)> {
    let output = Command::new(env!("CARGO_BIN_EXE_wikilink-lsp"))
        .args(["check", "--format", "json"])
        .arg(root)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).expect("a JSON report");
    let mut found: Vec<(String, String)> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let path = Path::new(d["path"].as_str().unwrap());
            let relative = path.strip_prefix(root).unwrap_or(path);
            (
                relative.display().to_string(),
                d["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    found.sort();
    found
}

#[test]
fn rename_round_trip_rewrites_every_link_and_the_file_and_check_stays_clean() {
    let dir = demo();
    let root = dir.path();
    let before = check(root);
    let mut client = started(root, capabilities(false));
    let mead = root.join("cellar/batches/linden-mead-2024.md");
    let text = std::fs::read_to_string(&mead).unwrap();
    let uri = client.open(&mead, &text);
    let at = position_of(&text, "[[ap:linden-hive#^first-harvest]]", 7);

    let prepared = client.request(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": uri}, "position": at}),
    );
    assert_eq!(prepared["placeholder"], "linden-hive");
    assert_eq!(
        prepared["range"]["start"],
        position_of(&text, "[[ap:linden-hive#^", 5)
    );

    let edit = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": at, "newName": "lime-avenue-hive"}),
    );
    let operations = edit["documentChanges"].as_array().expect("documentChanges");
    let renames: Vec<&Value> = operations
        .iter()
        .filter(|o| o["kind"] == "rename")
        .collect();
    assert_eq!(renames.len(), 1, "{edit:#}");
    assert!(
        renames[0]["newUri"]
            .as_str()
            .unwrap()
            .ends_with("apiary/hives/lime-avenue-hive.md")
    );
    let open_edit = operations
        .iter()
        .find(|o| o["textDocument"]["uri"] == uri.as_str())
        .expect("the open note is edited");
    assert_eq!(
        open_edit["textDocument"]["version"], 1,
        "open buffers carry their version"
    );
    apply(&edit);

    let renamed = root.join("apiary/hives/lime-avenue-hive.md");
    assert!(!root.join("apiary/hives/linden-hive.md").exists());
    let renamed_text = std::fs::read_to_string(&renamed).unwrap();
    assert!(
        renamed_text.contains("id: lime-avenue-hive\n"),
        "{renamed_text}"
    );
    let mead_text = std::fs::read_to_string(&mead).unwrap();
    assert!(
        mead_text.contains("[[apiary:lime-avenue-hive]]"),
        "{mead_text}"
    );
    assert!(
        mead_text.contains("[[ap:lime-avenue-hive#^first-harvest]]"),
        "{mead_text}"
    );
    let heather = std::fs::read_to_string(root.join("apiary/hives/heather-hive.md")).unwrap();
    assert!(
        heather.contains("[[hives/lime-avenue-hive]]"),
        "path links follow the file"
    );
    assert!(heather.contains("sister_hives: [lime-avenue-hive, bramble-hive]"));
    let swarm = std::fs::read_to_string(root.join("apiary/hives/swarm-box-notes.md")).unwrap();
    assert!(
        swarm.contains("[[lime-avenue-hive|Linden Hive]]"),
        "title links keep their text"
    );

    // No new problem: the same ones (the renamed file under its new name), minus the title
    // link that now names the id.
    let after = check(root);
    let mut expected: Vec<(String, String)> = before
        .into_iter()
        .map(|(path, code)| (path.replace("linden-hive.md", "lime-avenue-hive.md"), code))
        .filter(|(path, code)| {
            !(path == "apiary/hives/swarm-box-notes.md" && code == "non-canonical-link")
        })
        .collect();
    expected.sort();
    assert_eq!(after, expected);
}

#[test]
fn references_across_kbs_and_a_create_note_quick_fix() {
    let dir = demo();
    let root = dir.path();
    let mut client = started(root, capabilities(false));
    let hive = root.join("apiary/hives/linden-hive.md");
    let text = std::fs::read_to_string(&hive).unwrap();
    let uri = client.open(&hive, &text);

    let references = client.request(
        "textDocument/references",
        json!({"textDocument": {"uri": uri}, "position": position_of(&text, "id: linden-hive", 5),
               "context": {"includeDeclaration": true}}),
    );
    let references = references.as_array().unwrap();
    let mut files: Vec<String> = references
        .iter()
        .map(|r| {
            r["uri"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned()
        })
        .collect();
    files.dedup();
    assert!(
        files.contains(&"linden-mead-2024.md".to_owned()),
        "{files:?}"
    );
    assert!(
        files.contains(&"swarm-box-notes.md".to_owned()),
        "{files:?}"
    );
    let declaration = &references
        .iter()
        .find(|r| r["uri"] == uri.as_str())
        .expect("the declaration")["range"];
    assert_eq!(declaration["start"], position_of(&text, "linden-hive", 0));
    let mead = file_uri(&root.join("cellar/batches/linden-mead-2024.md"));
    let mead_text =
        std::fs::read_to_string(root.join("cellar/batches/linden-mead-2024.md")).unwrap();
    let link = references
        .iter()
        .find(|r| r["uri"] == mead.as_str() && r["range"]["start"]["line"] == 16)
        .expect("the cross-KB link");
    assert_eq!(
        link["range"]["start"],
        position_of(&mead_text, "[[ap:linden-hive#^", 0)
    );

    let diagnostics = client.wait_diagnostics(&uri, |d| !d.is_empty());
    let broken = diagnostics
        .iter()
        .find(|d| d["code"] == "broken-link")
        .expect("[[varroa-treatment]] is broken")
        .clone();
    assert_eq!(broken["data"]["target"], "varroa-treatment");
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri}, "range": broken["range"],
               "context": {"diagnostics": [broken]}}),
    );
    let create = actions
        .as_array()
        .unwrap()
        .iter()
        .find(|a| {
            a["title"]
                .as_str()
                .unwrap()
                .starts_with("Create note `varroa-treatment`")
        })
        .unwrap_or_else(|| panic!("a Create note action in {actions:#}"));
    assert_eq!(create["kind"], "quickfix");
    assert_eq!(create["diagnostics"][0]["code"], "broken-link");
    let before = check(root);
    apply(&create["edit"]);
    let created = std::fs::read_to_string(root.join("apiary/hives/varroa-treatment.md")).unwrap();
    assert_eq!(
        created,
        "---\nid: varroa-treatment\ntitle: \"Varroa treatment\"\ntype: hive\n---\n\n"
    );
    let after = check(root);
    let fixed = (
        "apiary/hives/linden-hive.md".to_owned(),
        "broken-link".to_owned(),
    );
    let mut expected = before.clone();
    expected.remove(before.iter().position(|d| *d == fixed).unwrap());
    assert_eq!(after, expected);
}

#[test]
fn a_client_without_file_operations_keeps_file_names_and_gets_clear_refusals() {
    let dir = demo();
    let root = dir.path();
    let mut caps = capabilities(false);
    caps["workspace"]["workspaceEdit"] = json!({});
    let mut client = started(root, caps);
    let harvest = root.join("apiary/journal/2024-08-harvest.md");
    let text = std::fs::read_to_string(&harvest).unwrap();
    let uri = client.open(&harvest, &text);

    let edit = client.request(
        "textDocument/rename",
        json!({"textDocument": {"uri": uri}, "position": position_of(&text, "[[linden-hive]]", 4),
               "newName": "lime-avenue-hive"}),
    );
    assert!(edit.get("documentChanges").is_none(), "{edit:#}");
    let changes = edit["changes"].as_object().unwrap();
    let hive_uri = file_uri(&root.join("apiary/hives/linden-hive.md"));
    assert!(
        changes.contains_key(&hive_uri),
        "the id value changes in place"
    );

    let refused = client.request_raw(
        "textDocument/prepareRename",
        json!({"textDocument": {"uri": uri}, "position": {"line": 10, "character": 2}}),
    );
    assert_eq!(refused["error"]["code"], -32803, "{refused}");
    assert_eq!(
        refused["error"]["message"],
        "rename a link target, an id or a heading"
    );

    // A note whose id is its file name (no `id:` field) needs a file rename.
    client.open(&root.join("apiary/journal/loose-page.md"), "# Loose page\n");
    let scratch = root.join("apiary/journal/scratch.md");
    let scratch_text = "See [[loose-page]] and [[nowhere-yet]].\n";
    let scratch_uri = client.open(&scratch, scratch_text);
    let refused = client.request_raw(
        "textDocument/rename",
        json!({"textDocument": {"uri": scratch_uri}, "position": {"line": 0, "character": 8},
               "newName": "tight-page"}),
    );
    let message = refused["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("this editor cannot rename files"),
        "{refused}"
    );

    // No "Create note" for an editor that cannot create files.
    let diagnostics = client.wait_diagnostics(&scratch_uri, |d| !d.is_empty());
    let broken = diagnostics
        .iter()
        .find(|d| d["code"] == "broken-link")
        .unwrap()
        .clone();
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": scratch_uri}, "range": broken["range"],
               "context": {"diagnostics": [broken]}}),
    );
    let titles: Vec<&str> = actions
        .as_array()
        .map(|a| a.iter().map(|a| a["title"].as_str().unwrap()).collect())
        .unwrap_or_default();
    assert!(
        !titles.iter().any(|t| t.starts_with("Create note")),
        "{titles:?}"
    );
}

#[test]
fn a_file_renamed_in_the_editor_keeps_its_links_working() {
    let dir = demo();
    let root = dir.path();
    let mut client = Client::start();
    let result = client.initialize(root, capabilities(false));
    let will_rename = &result["capabilities"]["workspace"]["fileOperations"]["willRename"];
    assert_eq!(will_rename["filters"][0]["pattern"]["glob"], "**/*.md");
    client.wait_indexed();
    let harvest = root.join("apiary/journal/2024-08-harvest.md");
    let text = std::fs::read_to_string(&harvest).unwrap();
    let uri = client.open(&harvest, &text);
    client.wait_diagnostics(&uri, |d| !d.is_empty());
    let before = check(root);

    let old = root.join("apiary/forage/heather.md");
    let new = root.join("apiary/forage/ling-heather.md");
    let files = json!({"files": [{"oldUri": file_uri(&old), "newUri": file_uri(&new)}]});
    let edit = client.request("workspace/willRenameFiles", files.clone());
    apply(&edit);
    std::fs::rename(&old, &new).unwrap();
    client.notify("workspace/didRenameFiles", files);

    // The id follows the file name (it was equal to it); links by id follow, by alias stay.
    let heather = std::fs::read_to_string(&new).unwrap();
    assert!(heather.contains("id: ling-heather\n"), "{heather}");
    let hive = std::fs::read_to_string(root.join("apiary/hives/heather-hive.md")).unwrap();
    assert!(hive.contains("[[ling-heather^flowering-dates]]"), "{hive}");
    let edited = std::fs::read_to_string(&harvest).unwrap();
    assert!(edited.contains("[[ling]]"), "{edited}");
    let after = check(root);
    let renamed =
        |(path, code): (String, String)| (path.replace("heather.md", "ling-heather.md"), code);
    let mut expected: Vec<(String, String)> = before.into_iter().map(renamed).collect();
    expected.sort();
    assert_eq!(after, expected);

    // The server follows the move: `[[ling]]` now leads to the renamed file.
    let at = position_of(&edited, "[[ling]]", 3);
    let deadline = std::time::Instant::now() + support::TIMEOUT;
    loop {
        let definition = client.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri}, "position": at}),
        );
        let target = definition[0]["targetUri"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if target.ends_with("apiary/forage/ling-heather.md") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still {definition}");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn symbols_links_and_hints() {
    let dir = demo();
    let root = dir.path();
    let mut client = started(root, capabilities(false));
    let mead = root.join("cellar/batches/linden-mead-2024.md");
    let text = std::fs::read_to_string(&mead).unwrap();
    let uri = client.open(&mead, &text);

    let outline = client.request(
        "textDocument/documentSymbol",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(outline[0]["name"], "Linden Mead 2024");
    assert_eq!(outline[0]["children"][0]["name"], "Linden Mead 2024");
    assert_eq!(outline[0]["children"][0]["children"][0]["name"], "Log");

    let symbols = client.request("workspace/symbol", json!({"query": "linden"}));
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Linden Hive"), "{names:?}");
    assert!(names.contains(&"Linden Mead 2024"), "{names:?}");

    let links = client.request(
        "textDocument/documentLink",
        json!({"textDocument": {"uri": uri}}),
    );
    let heading_link = links
        .as_array()
        .unwrap()
        .iter()
        .find(|l| {
            l["target"]
                .as_str()
                .unwrap()
                .contains("traditional-mead.md#L")
        })
        .expect("[[traditional-mead#Ratio]] links to the heading's line");
    assert!(
        heading_link["tooltip"]
            .as_str()
            .unwrap()
            .ends_with("› Ratio")
    );

    let hints = client.request(
        "textDocument/inlayHint",
        json!({"textDocument": {"uri": uri},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": 40, "character": 0}}}),
    );
    let labels: Vec<&str> = hints
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["label"].as_str().unwrap())
        .collect();
    assert!(labels.contains(&"Harvest, August 2024"), "{labels:?}");
}
