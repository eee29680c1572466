//! The bad-input matrix, end to end over JSON-RPC against the real binary: each bad input gets
//! a clear error reply or log line, and the server still answers a normal request afterwards.
//! The closing note of issue #7 lists every input here with its outcome.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{Client, capabilities, file_uri, position, workspace};

const ALPHA: &str = "---\nid: alpha\ntitle: \"Alpha Note\"\n---\n# Alpha\n\nThe first note.\n";
const BETA: &str = "---\nid: beta\n---\nBeta links [[alpha]].\n";

fn demo(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let mut files = vec![
        ("kb/kb.yaml", "name: demo\n"),
        ("kb/notes/alpha.md", ALPHA),
        ("kb/notes/beta.md", BETA),
    ];
    files.extend_from_slice(extra);
    workspace(&files)
}

fn started(root: &Path) -> Client {
    let mut client = Client::start_with_env(&[("WIKILINK_LSP_TEST_HOOKS", "1")]);
    client.initialize(root, capabilities(false));
    client.wait_indexed();
    client
}

fn at(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": position(line, character)})
}

/// The normal request every test ends with: hover over `[[alpha]]` in beta (read from disk).
#[track_caller]
fn assert_still_serving(client: &mut Client, root: &Path) {
    let beta = file_uri(&root.join("kb/notes/beta.md"));
    let hover = client.request("textDocument/hover", at(&beta, 3, 14));
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(
        text.contains("Alpha Note"),
        "hover after bad input: {hover}"
    );
}

fn hover_text(client: &mut Client, uri: &str, line: u32, character: u32) -> String {
    let hover = client.request("textDocument/hover", at(uri, line, character));
    hover["contents"]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn malformed_params_get_an_invalid_params_reply_or_a_log_line() {
    let dir = demo(&[]);
    let mut client = started(dir.path());
    let response = client.request_raw("textDocument/hover", json!({"textDocument": 5}));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    let response = client.request_raw("textDocument/completion", json!("not an object"));
    assert_eq!(response["error"]["code"], -32602, "{response}");
    client.notify("textDocument/didChange", json!({"bogus": true}));
    client.wait_log("ignored a `textDocument/didChange` notification: invalid params");
    client.notify("textDocument/didOpen", json!(null));
    client.wait_log("ignored a `textDocument/didOpen` notification: invalid params");
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn unknown_methods_get_method_not_found_or_a_log_line() {
    let dir = demo(&[]);
    let mut client = started(dir.path());
    let response = client.request_raw("wikilink/noSuchThing", json!({}));
    assert_eq!(response["error"]["code"], -32601, "{response}");
    client.notify("custom/noSuchNotification", json!({}));
    client.wait_log("ignored a `custom/noSuchNotification` notification: no such method");
    // `$/` notifications may be ignored silently, as the specification allows.
    client.notify("$/noSuchThing", json!({}));
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn positions_past_the_end_are_clamped() {
    let dir = demo(&[]);
    let mut client = started(dir.path());
    let uri = client.open(&dir.path().join("kb/notes/beta.md"), BETA);
    for (line, character) in [(3, 999), (999, 0), (u32::MAX, u32::MAX), (0, u32::MAX)] {
        for method in [
            "textDocument/hover",
            "textDocument/definition",
            "textDocument/completion",
        ] {
            let response = client.request_raw(method, at(&uri, line, character));
            assert!(response.get("error").is_none(), "{method}: {response}");
        }
    }
    // A column past the end of the link's line still finds the link that ends there.
    let open = client.open(&dir.path().join("kb/notes/end.md"), "See [[alpha]]");
    assert!(hover_text(&mut client, &open, 0, 500).contains("Alpha Note"));
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn requests_for_unopened_or_non_file_uris_answer_nothing_and_log_why() {
    let dir = demo(&[]);
    let mut client = started(dir.path());
    let nowhere = file_uri(&dir.path().join("kb/notes/nowhere.md"));
    assert_eq!(
        client.request("textDocument/hover", at(&nowhere, 0, 0)),
        Value::Null
    );
    client.wait_log("no note indexed at");
    // Completion needs the buffer: a note that is indexed but not open answers nothing.
    let beta = file_uri(&dir.path().join("kb/notes/beta.md"));
    assert_eq!(
        client.request("textDocument/completion", at(&beta, 3, 13)),
        Value::Null
    );
    client.wait_log("completion in a document that is not open");
    for uri in ["untitled:Untitled-1", "https://example.com/a.md"] {
        for method in ["textDocument/hover", "textDocument/definition"] {
            assert_eq!(client.request(method, at(uri, 0, 0)), Value::Null);
        }
    }
    client.wait_log("ignoring a request for a non-file URI: untitled:Untitled-1");
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": "untitled:Untitled-1", "languageId": "markdown", "version": 1, "text": "[[alpha]]"}}),
    );
    client.wait_log("not tracking non-file document untitled:Untitled-1");
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn a_change_older_than_the_current_version_is_ignored_with_a_log_line() {
    let dir = demo(&[]);
    let mut client = started(dir.path());
    let uri = client.open(&dir.path().join("kb/notes/new.md"), "See [[alpha]].\n");
    let change = |version: i32, text: &str| json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]});
    client.notify("textDocument/didChange", change(5, "Now [[beta]].\n"));
    client.notify("textDocument/didChange", change(3, "Stale [[nothing]].\n"));
    client.wait_log("version 3 is not newer than the current version 5");
    // The buffer is still version 5's.
    let hover = hover_text(&mut client, &uri, 0, 7);
    assert!(hover.contains("**beta**"), "{hover}");
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn a_change_to_a_document_never_opened_is_ignored_unless_it_is_the_full_text() {
    let dir = demo(&[]);
    let mut client = started(dir.path());
    let uri = file_uri(&dir.path().join("kb/notes/ghost.md"));
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": position(0, 0), "end": position(0, 0)}, "text": "[[alpha]]"}
        ]}),
    );
    client.wait_log("the document was never opened");
    assert_eq!(
        client.request("textDocument/hover", at(&uri, 0, 3)),
        Value::Null
    );
    // A full text carries everything needed: the server starts tracking the buffer.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [{"text": "[[alpha]]"}]}),
    );
    assert!(hover_text(&mut client, &uri, 0, 3).contains("Alpha Note"));
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn a_five_megabyte_single_line_note_is_indexed_and_answered() {
    let mut line = "word ".repeat(1_000_000);
    line.push_str("[[alpha]] [[al");
    let dir = demo(&[("kb/notes/huge.md", &line)]);
    let mut client = started(dir.path());
    let path = dir.path().join("kb/notes/huge.md");
    let uri = client.open(&path, &line);
    let end = line.len() as u32;
    let started = Instant::now();
    assert!(hover_text(&mut client, &uri, 0, end - 8).contains("Alpha Note"));
    let list = client.request("textDocument/completion", at(&uri, 0, end));
    assert!(
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["label"] == "alpha")
    );
    // A keystroke at the end of the line.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": position(0, end), "end": position(0, end)}, "text": "p"}
        ]}),
    );
    let list = client.request("textDocument/completion", at(&uri, 0, end + 1));
    assert!(list["items"].as_array().is_some());
    // Generous: this is a debug build on a shared machine; release figures are in the report.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn binary_and_non_utf8_notes_are_skipped_with_a_warning() {
    let binary: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    let dir = demo(&[("kb/notes/links.md", "[[binary]] [[latin1]] [[controls]]\n")]);
    std::fs::write(dir.path().join("kb/notes/binary.md"), &binary).unwrap();
    std::fs::write(
        dir.path().join("kb/notes/latin1.md"),
        b"caf\xe9 [[alpha]]\n",
    )
    .unwrap();
    // Valid UTF-8 full of control characters is text: it is indexed.
    std::fs::write(
        dir.path().join("kb/notes/controls.md"),
        "\0\u{1}\u{7f}\u{1b}[0m [[alpha]]\u{0}\n",
    )
    .unwrap();
    let mut client = started(dir.path());
    client.wait_log("binary.md: skipped, not valid UTF-8");
    client.wait_log("latin1.md: skipped, not valid UTF-8");
    let links = file_uri(&dir.path().join("kb/notes/links.md"));
    assert!(hover_text(&mut client, &links, 0, 3).contains("No note `binary`"));
    assert!(hover_text(&mut client, &links, 0, 14).contains("No note `latin1`"));
    assert!(!hover_text(&mut client, &links, 0, 25).contains("No note"));
    // A watcher event for the file reads it again, and says so again.
    let latin1 = file_uri(&dir.path().join("kb/notes/latin1.md"));
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": latin1, "type": 2}]}),
    );
    client.wait_log("latin1.md: skipped, not valid UTF-8");
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn yaml_bombs_in_frontmatter_cost_little() {
    let deep = format!(
        "---\nid: deep\nx: {}{}\n---\n[[alpha]]\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let deep_maps = format!("---\nid: maps\nx:\n{}\n---\n[[alpha]]\n", {
        let mut nested = String::new();
        for depth in 1..2000 {
            nested.push_str(&" ".repeat(depth));
            nested.push_str("k:\n");
        }
        nested
    });
    let mut laughs = String::from(
        "---\nid: laughs\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        laughs.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    laughs.push_str(&format!("tags: [{}]\n", vec!["*a9"; 10_000].join(", ")));
    laughs.push_str("---\n[[alpha]]\n");
    // One anchored list of 10k items and 20k keys that each alias it: 200M values if expanded.
    let mut fan = format!(
        "---\nid: fan\nbig: &b [{}]\n",
        (0..10_000)
            .map(|i| format!("x{i}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for i in 0..20_000 {
        fan.push_str(&format!("k{i}: *b\n"));
    }
    fan.push_str("---\n[[alpha]]\n");
    let dir = demo(&[
        ("kb/notes/deep.md", &deep),
        ("kb/notes/maps.md", &deep_maps),
        ("kb/notes/laughs.md", &laughs),
        ("kb/notes/fan.md", &fan),
    ]);
    let started_at = Instant::now();
    let mut client = started(dir.path());
    // What each bomb leaves as a diagnostic (nesting past the parser's limit is invalid YAML;
    // the laughs are resolved one level only, so they cost nothing and say nothing).
    let bombs = [
        ("deep", &deep, Some("recursion limit exceeded")),
        ("maps", &deep_maps, None),
        ("laughs", &laughs, None),
        (
            "fan",
            &fan,
            Some("frontmatter aliases copy more than 100000 values"),
        ),
    ];
    for (name, text, expected) in bombs {
        let path = dir.path().join(format!("kb/notes/{name}.md"));
        let uri = client.open(&path, text);
        let last_line = text.lines().count() as u32 - 1;
        assert!(
            hover_text(&mut client, &uri, last_line, 3).contains("Alpha Note"),
            "{name}"
        );
        if let Some(expected) = expected {
            client.wait_diagnostics(&uri, |d| {
                d.iter()
                    .any(|d| d["message"].as_str().unwrap_or_default().contains(expected))
            });
        }
    }
    assert!(
        started_at.elapsed() < Duration::from_secs(15),
        "{:?}",
        started_at.elapsed()
    );
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn an_invalid_kb_yaml_is_logged_and_the_kb_keeps_its_folder_name() {
    let dir = demo(&[
        ("other/kb.yaml", "name: [unclosed\n  - : :\n"),
        ("other/o.md", "[[demo:alpha]]\n"),
    ]);
    let mut client = started(dir.path());
    client.wait_log("kb.yaml: invalid YAML in kb.yaml");
    let other = file_uri(&dir.path().join("other/o.md"));
    assert!(hover_text(&mut client, &other, 0, 4).contains("Alpha Note"));
    // A watcher event re-reads it and logs again.
    let kb = file_uri(&dir.path().join("other/kb.yaml"));
    std::fs::write(dir.path().join("other/kb.yaml"), "{{{{").unwrap();
    let before = client.log().len();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": kb, "type": 2}]}),
    );
    let deadline = Instant::now() + support::TIMEOUT;
    while !client.log()[before..]
        .iter()
        .any(|l| l.contains("invalid YAML in kb.yaml"))
    {
        assert!(
            Instant::now() < deadline,
            "no log line for the changed kb.yaml"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_still_serving(&mut client, dir.path());
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_symlinks_out_of_the_workspace_are_not_followed() {
    use std::os::unix::fs::symlink;
    let outside = workspace(&[
        ("secret.md", "# Secret\nTop secret.\n"),
        ("dir/hidden.md", "# Hidden\n"),
    ]);
    let dir = demo(&[(
        "kb/notes/seeker.md",
        "[[secret]] [[hidden]] [[loop/alpha]]\n",
    )]);
    let notes = dir.path().join("kb/notes");
    symlink(".", notes.join("loop")).unwrap();
    symlink("b", notes.join("a")).unwrap();
    symlink("a", notes.join("b")).unwrap();
    symlink("../..", notes.join("up")).unwrap();
    symlink(outside.path().join("secret.md"), notes.join("secret.md")).unwrap();
    symlink(outside.path().join("dir"), notes.join("outside")).unwrap();
    let mut client = started(dir.path());
    client.wait_log("secret.md: skipped, symlinks are not followed");
    client.wait_log("loop: skipped, symlinks are not followed");
    let seeker = file_uri(&notes.join("seeker.md"));
    assert!(hover_text(&mut client, &seeker, 0, 3).contains("No note `secret`"));
    assert!(hover_text(&mut client, &seeker, 0, 14).contains("No note `hidden`"));
    // A watcher event for the symlink reads nothing through it.
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&notes.join("secret.md")), "type": 1}]}),
    );
    assert!(hover_text(&mut client, &seeker, 0, 3).contains("No note `secret`"));
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn a_note_deleted_between_the_walk_and_the_read_is_forgotten() {
    let dir = demo(&[
        ("kb/notes/gone.md", "# Gone\n"),
        ("kb/notes/to-gone.md", "[[gone]]\n"),
    ]);
    let mut client = started(dir.path());
    let to_gone = file_uri(&dir.path().join("kb/notes/to-gone.md"));
    assert!(hover_text(&mut client, &to_gone, 0, 3).contains("Gone"));
    // The watcher says "changed", but the file is gone by the time the server reads it.
    std::fs::remove_file(dir.path().join("kb/notes/gone.md")).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&dir.path().join("kb/notes/gone.md")), "type": 2}]}),
    );
    client.wait_log("gone.md: no longer exists");
    assert!(hover_text(&mut client, &to_gone, 0, 3).contains("No note `gone`"));
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn a_workspace_root_that_does_not_exist_is_skipped_with_a_warning() {
    let dir = demo(&[]);
    let missing = dir.path().join("no/such/folder");
    let mut client = Client::start();
    let uri = file_uri(&missing);
    client.request(
        "initialize",
        json!({
            "processId": null,
            "rootUri": uri,
            "workspaceFolders": [
                {"uri": uri, "name": "missing"},
                {"uri": file_uri(dir.path()), "name": "demo"}
            ],
            "capabilities": capabilities(false),
        }),
    );
    client.notify("initialized", json!({}));
    client.wait_indexed();
    client.wait_log("does not exist or is not a folder; skipped");
    assert_still_serving(&mut client, dir.path());
}

#[test]
fn a_panic_in_a_notification_is_logged_and_the_server_keeps_serving() {
    let dir = demo(&[]);
    let mut client = started(dir.path());
    client.notify("wikilink/debugPanicNotification", json!({}));
    client.wait_log("deliberate panic in a notification, for testing; the server keeps running");
    assert_still_serving(&mut client, dir.path());
    assert_eq!(client.shutdown_and_exit(), Some(0));
}

#[test]
fn a_change_that_cannot_be_applied_falls_back_to_the_disk_until_the_full_text() {
    let dir = demo(&[]);
    let mut client = started(dir.path());
    let path = dir.path().join("kb/notes/beta.md");
    // The buffer differs from the disk: the link is now `[[beta]]`, two lines down.
    let uri = client.open(&path, "---\nid: beta\n---\n\n\nMy [[beta]] link.\n");
    assert!(hover_text(&mut client, &uri, 5, 5).contains("**beta**"));
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": position(5, 6), "end": position(5, 2)}, "text": "x"}
        ]}),
    );
    client.wait_log("using the file on disk until the editor sends the full text");
    // Answers come from the disk's text, where `[[alpha]]` is on line 3.
    assert!(hover_text(&mut client, &uri, 3, 14).contains("Alpha Note"));
    assert_eq!(
        client.request("textDocument/hover", at(&uri, 5, 5)),
        Value::Null
    );
    // Incremental changes are refused until the full text arrives...
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
            {"range": {"start": position(0, 0), "end": position(0, 0)}, "text": "x"}
        ]}),
    );
    client.wait_log("the document was never opened");
    // ...which restores the buffer.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 4}, "contentChanges": [
            {"text": "---\nid: beta\n---\n\n\nMy [[alpha]] link.\n"}
        ]}),
    );
    assert!(hover_text(&mut client, &uri, 5, 5).contains("Alpha Note"));
    let list = client.request("textDocument/completion", at(&uri, 5, 7));
    assert!(list["items"].as_array().is_some(), "{list}");
}
