//! Safety, end to end: no link, embed or frontmatter value makes the server read or return a
//! place outside the workspace roots, and neither the server nor `check` ever writes a file.
//! (Tests run as root, so read-only permissions would prove nothing: instead every file's bytes
//! and modification time, and the set of files, are compared before and after.)

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::{Value, json};
use support::{Client, capabilities, file_uri, workspace};

/// Notes that try every way out of the root. The folder `outside/` sits next to the root.
const EVIL: &str = "---\nid: evil\nrelated: ../outside/secret\nup: \"[[../outside/secret]]\"\nabs: /etc/passwd\n---\n\
[[../../etc/passwd]] [[/etc/passwd]] [[%2e%2e/outside/secret]] [[kb:../x]]\n\
![[../outside/secret]] [[../outside/secret]] [[file:///etc/passwd]] [[..\\\\outside\\\\secret]]\n\
[[outside/secret]] [[./../outside/secret]] [[a/../../outside/secret]] [[secret]]\n\
[[../\n";

const SECRET: &str = "---\nid: secret\ntitle: TOP SECRET TITLE\n---\n# Secret\n\nTOP SECRET BODY\n";

/// Every file and folder under `dir` with its bytes and modification time (folders: `None`).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Option<(Vec<u8>, SystemTime)>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.is_dir() {
                stack.push(path.clone());
                out.insert(path, None);
            } else {
                let bytes = if meta.file_type().is_symlink() {
                    std::fs::read_link(&path)
                        .unwrap()
                        .into_os_string()
                        .into_encoded_bytes()
                } else {
                    std::fs::read(&path).unwrap()
                };
                out.insert(path, Some((bytes, meta.modified().unwrap())));
            }
        }
    }
    out
}

fn setup() -> (tempfile::TempDir, PathBuf) {
    let top = workspace(&[
        ("root/kb/kb.yaml", "name: kb\n"),
        ("root/kb/notes/evil.md", EVIL),
        ("root/kb/notes/alpha.md", "# Alpha\n\n[[evil]]\n"),
        ("outside/secret.md", SECRET),
        ("etc/passwd.md", SECRET),
    ]);
    let root = top.path().join("root");
    (top, root)
}

/// Every `file:` URI in a JSON answer.
fn uris(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) if s.starts_with("file:") => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| uris(v, out)),
        Value::Object(map) => map.values().for_each(|v| uris(v, out)),
        _ => {}
    }
}

/// Every path named in a JSON answer's `data` (completion items carry their note's path).
fn paths(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(path)) = map.get("path") {
                out.push(path.clone());
            }
            map.values().for_each(|v| paths(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| paths(v, out)),
        _ => {}
    }
}

#[track_caller]
fn assert_inside(root: &Path, answer: &Value, what: &str) {
    let root_uri = file_uri(root);
    let mut found = Vec::new();
    uris(answer, &mut found);
    for uri in found {
        assert!(
            uri.starts_with(&root_uri),
            "{what} answered {uri}, outside {root_uri}"
        );
    }
    let mut found = Vec::new();
    paths(answer, &mut found);
    for path in found {
        assert!(
            Path::new(&path).starts_with(root),
            "{what} named {path}, outside the root"
        );
    }
    let text = answer.to_string();
    assert!(
        !text.contains("TOP SECRET"),
        "{what} showed text from outside: {text}"
    );
}

#[test]
fn no_link_or_value_leads_outside_the_roots_and_the_server_writes_nothing() {
    let (top, root) = setup();
    let before = snapshot(top.path());
    let mut client = Client::start();
    let init = client.initialize(&root, capabilities(false));
    client.wait_indexed();
    let evil_path = root.join("kb/notes/evil.md");
    let evil = file_uri(&evil_path);

    // Every position of the note, read from disk and then open in the editor.
    let document_links = init["capabilities"].get("documentLinkProvider").is_some();
    for open in [false, true] {
        if open {
            client.open(&evil_path, EVIL);
        }
        for (line, text) in EVIL.lines().enumerate() {
            for character in 0..=text.encode_utf16().count() {
                let params = json!({"textDocument": {"uri": evil}, "position": {"line": line, "character": character}});
                for method in [
                    "textDocument/definition",
                    "textDocument/hover",
                    "textDocument/completion",
                ] {
                    let answer = client.request(method, params.clone());
                    assert_inside(
                        &root,
                        &answer,
                        &format!("{method} at {line}:{character} (open={open})"),
                    );
                }
            }
        }
        if document_links {
            let answer = client.request(
                "textDocument/documentLink",
                json!({"textDocument": {"uri": evil}}),
            );
            assert_inside(&root, &answer, "documentLink");
        }
    }
    // Typing a way out, then asking for completion.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": evil, "version": 2}, "contentChanges": [{"text": "[[../../outside/sec\n[[/etc/pass\n[[kb:../\n"}]}),
    );
    for (line, character) in [(0, 19), (1, 11), (2, 8)] {
        let answer = client.request(
            "textDocument/completion",
            json!({"textDocument": {"uri": evil}, "position": {"line": line, "character": character}}),
        );
        assert_inside(&root, &answer, "completion while typing");
        if let Some(items) = answer["items"].as_array() {
            for item in items {
                let resolved = client.request("completionItem/resolve", item.clone());
                assert_inside(&root, &resolved, "completionItem/resolve");
            }
        }
    }
    // Watcher events for files outside the root, or climbing out of it, read nothing.
    let secret = top.path().join("outside/secret.md");
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [
            {"uri": file_uri(&secret), "type": 1},
            {"uri": format!("{}/../outside/secret.md", file_uri(&root)), "type": 1},
        ]}),
    );
    // Every other request and notification a session sends, then a clean exit.
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": evil}}),
    );
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": evil}}),
    );
    let alpha = file_uri(&root.join("kb/notes/alpha.md"));
    let answer = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": alpha}, "position": {"line": 2, "character": 3}}),
    );
    assert_inside(&root, &answer, "definition of [[evil]]");
    assert_eq!(client.shutdown_and_exit(), Some(0));

    let after = snapshot(top.path());
    assert_eq!(
        before.keys().collect::<Vec<_>>(),
        after.keys().collect::<Vec<_>>(),
        "the server created or removed files"
    );
    for (path, was) in &before {
        assert!(after[path] == *was, "the server changed {}", path.display());
    }
}

#[test]
fn check_writes_nothing() {
    let (top, root) = setup();
    let before = snapshot(top.path());
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_wikilink-lsp"))
        .arg("check")
        .arg(&root)
        .arg("--format")
        .arg("json")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("evil.md"), "{report}");
    assert!(!report.contains("TOP SECRET"), "{report}");
    assert!(!report.contains("outside/secret.md"), "{report}");
    let after = snapshot(top.path());
    assert!(before == after, "check changed the files");
}
