//! End-to-end tests: the real binary over stdio with Content-Length framing.

mod support;

use serde_json::{Value, json};
use support::{Client, capabilities, file_uri, position, started, workspace};

const ALPHA: &str = "---\nid: alpha\ntitle: \"Alpha Note\"\ntype: concept\ntags: [one]\n---\n# Alpha\n\nThe first note. See [[beta]].\n\n## Details\n\nDetail text. ^detail-block\n";
const BETA: &str =
    "---\nid: beta\ntitle: \"Beta\"\n---\nBeta links [[alpha#Details]] and [[missing-note]].\n";
const KB: &str = "name: demo\nshortname: dm\n";

fn demo() -> tempfile::TempDir {
    workspace(&[
        ("kb/kb.yaml", KB),
        ("kb/notes/alpha.md", ALPHA),
        ("kb/notes/beta.md", BETA),
    ])
}

#[test]
fn initialize_negotiates_the_position_encoding() {
    let dir = demo();
    let mut client = Client::start();
    let result = client.initialize(dir.path(), capabilities(false));
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(result["capabilities"]["textDocumentSync"]["change"], 2);
    assert_eq!(result["serverInfo"]["name"], "wikilink-lsp");
    assert_eq!(client.shutdown_and_exit(), Some(0));

    let mut client = Client::start();
    let result = client.initialize(dir.path(), capabilities(true));
    assert_eq!(result["capabilities"]["positionEncoding"], "utf-8");
}

#[test]
fn the_capabilities_announce_exactly_what_is_implemented() {
    let dir = demo();
    let mut client = Client::start();
    let result = client.initialize(dir.path(), capabilities(false));
    let capabilities = result["capabilities"].as_object().unwrap();
    let mut announced: Vec<&str> = capabilities.keys().map(String::as_str).collect();
    announced.sort_unstable();
    assert_eq!(
        announced,
        [
            "codeActionProvider",
            "codeLensProvider",
            "completionProvider",
            "definitionProvider",
            "documentHighlightProvider",
            "documentLinkProvider",
            "documentSymbolProvider",
            "executeCommandProvider",
            "foldingRangeProvider",
            "hoverProvider",
            "inlayHintProvider",
            "positionEncoding",
            "referencesProvider",
            "renameProvider",
            "semanticTokensProvider",
            "textDocumentSync",
            "workspace",
            "workspaceSymbolProvider",
        ]
    );
    assert_eq!(
        result["capabilities"]["executeCommandProvider"]["commands"],
        json!(["wikilink.addBlockId"])
    );
    assert_eq!(
        result["capabilities"]["codeLensProvider"]["resolveProvider"],
        false
    );
    let tokens = &result["capabilities"]["semanticTokensProvider"];
    assert_eq!(tokens["full"], true);
    assert_eq!(tokens["range"], true);
    assert_eq!(tokens.get("delta"), None);
}

#[test]
fn indexing_reports_progress_with_a_created_token() {
    let dir = demo();
    let mut client = started(dir.path(), capabilities(false));
    let created = client
        .server_requests
        .iter()
        .find(|r| r["method"] == "window/workDoneProgress/create")
        .expect("a progress token is created")["params"]["token"]
        .clone();
    let begin = client.wait_notification("$/progress", |p| {
        p["token"] == created && p["value"]["kind"] == "begin"
    });
    assert_eq!(begin["value"]["title"], "Indexing notes");
    let end = client.wait_notification("$/progress", |p| {
        p["token"] == created && p["value"]["kind"] == "end"
    });
    assert_eq!(end["value"]["message"], "2 notes in 1 KB");
    let watch = client
        .server_requests
        .iter()
        .find(|r| r["method"] == "client/registerCapability")
        .expect("file watching registered");
    assert_eq!(
        watch["params"]["registrations"][0]["method"],
        "workspace/didChangeWatchedFiles"
    );
}

#[test]
fn an_open_note_without_problems_gets_an_empty_list_for_its_version() {
    let dir = demo();
    let mut client = started(dir.path(), capabilities(false));
    let alpha = dir.path().join("kb/notes/alpha.md");
    let uri = client.open(&alpha, ALPHA);
    client.wait_diagnostics(&uri, |d| d.is_empty());
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2},
               "contentChanges": [{"text": ALPHA.replace("first", "1st")}]}),
    );
    client.wait_notification("textDocument/publishDiagnostics", |p| {
        p["uri"] == uri.as_str() && p["version"] == 2 && p["diagnostics"] == json!([])
    });
}

#[test]
fn inlay_hints_are_refreshed_once_the_index_is_ready_and_after_disk_changes() {
    let dir = demo();
    let mut client = Client::start();
    let mut caps = capabilities(false);
    caps["workspace"]["inlayHint"] = json!({"refreshSupport": true});
    client.initialize(dir.path(), caps);
    client.wait_indexed();
    client.wait_server_request("workspace/inlayHint/refresh");

    // A note changed on disk may rename what hints show: asked again.
    client.server_requests.clear();
    let beta = dir.path().join("kb/notes/beta.md");
    std::fs::write(
        &beta,
        BETA.replace("title: \"Beta\"", "title: \"Beta Two\""),
    )
    .unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&beta), "type": 2}]}),
    );
    client.wait_server_request("workspace/inlayHint/refresh");
}

#[test]
fn open_publishes_diagnostics_and_definition_and_hover_answer() {
    let dir = demo();
    let mut client = started(dir.path(), capabilities(false));
    let beta = dir.path().join("kb/notes/beta.md");
    let uri = client.open(&beta, BETA);
    let diagnostics = client.wait_diagnostics(&uri, |d| !d.is_empty());
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["code"], "broken-link");
    assert_eq!(diagnostics[0]["source"], "wikilink-lsp");
    assert_eq!(
        diagnostics[0]["range"],
        json!({"start": position(4, 33), "end": position(4, 49)})
    );

    let definition = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": position(4, 14)}),
    );
    let alpha_uri = file_uri(&dir.path().join("kb/notes/alpha.md"));
    assert_eq!(definition[0]["targetUri"], alpha_uri.as_str());
    assert_eq!(
        definition[0]["targetSelectionRange"],
        json!({"start": position(10, 3), "end": position(10, 10)})
    );
    assert_eq!(
        definition[0]["originSelectionRange"],
        json!({"start": position(4, 11), "end": position(4, 28)})
    );

    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position(4, 14)}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.starts_with("**Alpha Note › Details**"), "{text}");
    assert!(text.contains("Detail text."), "{text}");

    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position(4, 40)}),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("No note `missing-note`"), "{text}");
}

#[test]
fn completion_sees_a_change_sent_just_before_it() {
    let dir = demo();
    let mut client = started(dir.path(), capabilities(false));
    let path = dir.path().join("kb/notes/new.md");
    let uri = client.open(&path, "New note.\n");
    // Type `[[al` and ask for completion without waiting for anything in between.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": position(1, 0), "end": position(1, 0)}, "text": "[["},
        ]}),
    );
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 3}, "contentChanges": [
            {"range": {"start": position(1, 2), "end": position(1, 2)}, "text": "al"},
        ]}),
    );
    let list = client.request(
        "textDocument/completion",
        json!({"textDocument": {"uri": uri}, "position": position(1, 4)}),
    );
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "alpha")
        .expect("alpha offered");
    assert_eq!(item["textEdit"]["newText"], "alpha]]");
    assert_eq!(
        item["textEdit"]["range"],
        json!({"start": position(1, 2), "end": position(1, 4)})
    );
    assert_eq!(item["insertTextFormat"], 1);
    let resolved = client.request("completionItem/resolve", item.clone());
    assert!(
        resolved["documentation"]["value"]
            .as_str()
            .unwrap()
            .contains("**Alpha Note**")
    );
}

#[test]
fn columns_are_exact_after_an_emoji_in_both_encodings() {
    for (utf8, column) in [(false, 4), (true, 6)] {
        let dir = demo();
        let mut client = started(dir.path(), capabilities(utf8));
        let path = dir.path().join("kb/notes/emoji.md");
        let uri = client.open(&path, "a😀 [[nowhere]]\n");
        let diagnostics = client.wait_diagnostics(&uri, |d| !d.is_empty());
        assert_eq!(
            diagnostics[0]["range"]["start"],
            position(0, column),
            "utf8={utf8}"
        );
        let definition = client.request(
            "textDocument/definition",
            json!({"textDocument": {"uri": uri}, "position": position(0, column + 2)}),
        );
        assert_eq!(definition, Value::Null, "a broken link goes nowhere");
    }
}

/// A closed note keeps no line index (one is made from its file when an answer names it):
/// its positions are as exact as an open note's, after CJK, an emoji and CRLF line breaks.
#[test]
fn positions_in_closed_notes_are_exact_after_cjk_emoji_and_crlf() {
    let far = "---\r\ntitle: 遠い 😀\r\n---\r\n日本語 😀 [[hub]] and [[nowhere]]\r\n";
    // `[[hub]]` and `[[nowhere]]` start after `日本語 😀 ` and `日本語 😀 [[hub]] and `.
    for (utf8, hub_at, nowhere_at) in [(false, 7, 19), (true, 15, 27)] {
        let dir = workspace(&[("hub.md", "# Hub\n"), ("far.md", far)]);
        let mut client = started(dir.path(), capabilities(utf8));
        let far_uri = file_uri(&dir.path().join("far.md"));
        let diagnostics = client.wait_diagnostics(&far_uri, |d| !d.is_empty());
        assert_eq!(diagnostics[0]["code"], "broken-link", "utf8={utf8}");
        assert_eq!(
            diagnostics[0]["range"],
            json!({"start": position(3, nowhere_at), "end": position(3, nowhere_at + 11)}),
            "utf8={utf8}"
        );
        let hub = client.open(&dir.path().join("hub.md"), "# Hub\n");
        let references = client.request(
            "textDocument/references",
            json!({"textDocument": {"uri": hub}, "position": position(0, 3),
                   "context": {"includeDeclaration": false}}),
        );
        assert_eq!(
            references,
            json!([{"uri": far_uri,
                    "range": {"start": position(3, hub_at), "end": position(3, hub_at + 7)}}]),
            "utf8={utf8}"
        );
    }
}

#[test]
fn a_note_created_on_disk_clears_the_warning() {
    let dir = demo();
    let mut client = started(dir.path(), capabilities(false));
    let beta = dir.path().join("kb/notes/beta.md");
    let uri = client.open(&beta, BETA);
    client.wait_diagnostics(&uri, |d| d.len() == 1);
    let created = dir.path().join("kb/notes/missing-note.md");
    std::fs::write(&created, "# Missing no more\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&created), "type": 1}]}),
    );
    client.wait_diagnostics(&uri, |d| d.is_empty());
}

#[test]
fn a_panic_in_a_feature_is_an_error_reply_and_the_server_keeps_serving() {
    let dir = demo();
    let mut client = Client::start_with_env(&[("WIKILINK_LSP_TEST_HOOKS", "1")]);
    client.initialize(dir.path(), capabilities(false));
    client.wait_indexed();
    let response = client.request_raw("wikilink/debugPanic", json!({}));
    assert_eq!(response["error"]["code"], -32603, "{response}");
    assert!(
        response["error"]["message"]
            .as_str()
            .unwrap()
            .contains("deliberate panic")
    );
    let beta = dir.path().join("kb/notes/beta.md");
    let uri = client.open(&beta, BETA);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": position(4, 14)}),
    );
    assert!(hover["contents"]["value"].is_string());
    assert_eq!(client.shutdown_and_exit(), Some(0));
}

#[test]
fn exit_without_shutdown_ends_with_status_one() {
    let dir = demo();
    let mut client = Client::start();
    client.initialize(dir.path(), capabilities(false));
    client.notify("exit", Value::Null);
    assert_eq!(client.wait_exit(), Some(1));
}

#[test]
fn without_a_root_each_opened_file_brings_its_kb() {
    let dir = workspace(&[
        ("a/kb.yaml", "name: a\n"),
        ("a/one.md", "Links [[two]] and [[b:three]].\n"),
        ("a/two.md", "# Two\n"),
        ("b/kb.yaml", "name: b\n"),
        ("b/three.md", "Back to [[a:one]].\n"),
    ]);
    let mut client = Client::start();
    client.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": capabilities(false)}),
    );
    client.notify("initialized", json!({}));
    let one = dir.path().join("a/one.md");
    let uri = client.open(&one, "Links [[two]] and [[b:three]].\n");
    // KB `b` is not known yet: its link is reported, the one inside KB `a` is not.
    let diagnostics = client.wait_diagnostics(&uri, |d| !d.is_empty());
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert_eq!(diagnostics[0]["code"], "unknown-kb");
    let three = dir.path().join("b/three.md");
    client.open(&three, "Back to [[a:one]].\n");
    client.wait_diagnostics(&uri, |d| d.is_empty());
}
