//! End-to-end tests of what the peers offer (issue 14), one per row of the issue, over real
//! JSON-RPC: tags as names, semantic tokens, backlink counts, folding ranges, document
//! highlight, block links made for you, orphans and the `.wikilink.toml` settings file. (The
//! CI formats are `check`'s, in `cli.rs`.)

mod support;

use serde_json::{Value, json};
use support::{Client, capabilities, file_uri, position, started, workspace};

const KB: &str = "name: garden\nshortname: gd\n";
const BASIL: &str = "---\nid: basil\ntitle: Sweet Basil\ntags: [herb]\n---\n# Sweet Basil\n\nLoves warmth. #herb #annual\n\nPinch the tops\nevery week.\n\n## Harvest\n\n- one\n- two\n- three\n";
const MINT: &str = "---\nid: mint\n---\nNext to [[basil]], [[basil#Harvest|harvest]] and [[nowhere]].\nAlso [[basil]] again. #herb\n";

fn garden() -> tempfile::TempDir {
    workspace(&[
        ("garden/kb.yaml", KB),
        ("garden/basil.md", BASIL),
        ("garden/mint.md", MINT),
    ])
}

fn doc(uri: &str) -> Value {
    json!({"uri": uri})
}

#[test]
fn tags_are_names_references_rename_symbols_hover_and_completion() {
    let dir = garden();
    let mut client = started(dir.path(), capabilities(false));
    let mint = dir.path().join("garden/mint.md");
    let uri = client.open(&mint, MINT);
    // On `#herb` in mint (line 4): both forms, in both notes.
    let at_tag = json!({"textDocument": doc(&uri), "position": position(4, 24)});
    let references = client.request(
        "textDocument/references",
        json!({"textDocument": doc(&uri), "position": position(4, 24), "context": {"includeDeclaration": false}}),
    );
    let places: Vec<(String, u64)> = references
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let file = l["uri"]
                .as_str()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .to_owned();
            (file, l["range"]["start"]["line"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(
        places,
        [
            ("basil.md".into(), 3),
            ("basil.md".into(), 7),
            ("mint.md".into(), 4)
        ]
    );
    let hover = client.request("textDocument/hover", at_tag.clone());
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("2 notes"), "{text}");
    let edit = client.request(
        "textDocument/rename",
        json!({"textDocument": doc(&uri), "position": position(4, 24), "newName": "greens"}),
    );
    let edits: usize = edit["documentChanges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|change| change["edits"].as_array().unwrap().len())
        .sum();
    assert_eq!(edits, 3, "{edit}");
    let symbols = client.request("workspace/symbol", json!({"query": "#her"}));
    assert_eq!(symbols[0]["name"], "#herb");
    assert_eq!(symbols[0]["kind"], 20, "a key");
    // Typing `#` then asking for completion.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": position(5, 0), "end": position(5, 0)}, "text": "#an"},
        ]}),
    );
    let list = client.request(
        "textDocument/completion",
        json!({"textDocument": doc(&uri), "position": position(5, 3)}),
    );
    let labels: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["annual"]);
    assert_eq!(
        list["items"][0]["textEdit"]["range"],
        json!({"start": position(5, 1), "end": position(5, 3)})
    );
}

/// Decodes LSP's relative token encoding into `(line, start, length, type, modifiers)`.
fn decode(data: &Value) -> Vec<[u64; 5]> {
    let numbers: Vec<u64> = data
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect();
    let (mut line, mut start) = (0, 0);
    numbers
        .chunks(5)
        .map(|t| {
            if t[0] > 0 {
                start = 0;
            }
            line += t[0];
            start += t[1];
            [line, start, t[2], t[3], t[4]]
        })
        .collect()
}

#[test]
fn semantic_tokens_mark_broken_links_full_and_range() {
    let dir = garden();
    let mut client = Client::start();
    let result = client.initialize(dir.path(), capabilities(false));
    client.wait_indexed();
    let legend = &result["capabilities"]["semanticTokensProvider"]["legend"];
    let types: Vec<&str> = legend["tokenTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let modifiers: Vec<&str> = legend["tokenModifiers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let uri = client.open(&dir.path().join("garden/mint.md"), MINT);
    let full = client.request(
        "textDocument/semanticTokens/full",
        json!({"textDocument": doc(&uri)}),
    );
    let tokens = decode(&full["data"]);
    let named = |token: &[u64; 5]| {
        let bits = (0..modifiers.len()).filter(|i| token[4] & (1 << i) != 0);
        let mods: Vec<&str> = bits.map(|i| modifiers[i]).collect();
        format!(
            "{}:{}:{} {} {}",
            token[0],
            token[1],
            token[2],
            types[token[3] as usize],
            mods.join(",")
        )
    };
    let rendered: Vec<String> = tokens.iter().map(named).collect();
    assert_eq!(
        rendered,
        [
            "3:10:5 class resolved",
            "3:21:5 class resolved",
            "3:27:7 property resolved",
            "3:35:7 parameter resolved",
            "3:51:7 class broken",
            "4:7:5 class resolved",
            "4:22:5 decorator ",
        ]
    );
    let range = client.request(
        "textDocument/semanticTokens/range",
        json!({"textDocument": doc(&uri), "range": {"start": position(3, 40), "end": position(4, 0)}}),
    );
    let rendered: Vec<String> = decode(&range["data"]).iter().map(named).collect();
    // Tokens that touch the range: the end of the display text, and the broken link.
    assert_eq!(
        rendered,
        ["3:35:7 parameter resolved", "3:51:7 class broken"]
    );
}

#[test]
fn backlink_counts_as_a_code_lens_and_as_an_inlay_hint() {
    let dir = garden();
    let mut client = Client::start();
    client.settings = json!({"inlayHints": {"backlinks": true}});
    client.initialize(dir.path(), capabilities(false));
    client.wait_indexed();
    let basil = dir.path().join("garden/basil.md");
    let uri = client.open(&basil, BASIL);
    let lenses = client.request("textDocument/codeLens", json!({"textDocument": doc(&uri)}));
    let lens = &lenses[0];
    assert_eq!(
        lens["range"],
        json!({"start": position(1, 4), "end": position(1, 9)})
    );
    assert_eq!(lens["command"]["title"], "3 backlinks");
    assert_eq!(lens["command"]["command"], "wikilink.showReferences");
    let arguments = lens["command"]["arguments"].as_array().unwrap();
    assert_eq!(arguments[0], uri.as_str());
    assert_eq!(arguments[1], position(1, 4));
    assert_eq!(arguments[2].as_array().unwrap().len(), 3);
    assert_eq!(
        arguments[2][0]["uri"],
        file_uri(&dir.path().join("garden/mint.md")).as_str()
    );
    let hints = client.request(
        "textDocument/inlayHint",
        json!({"textDocument": doc(&uri), "range": {"start": position(0, 0), "end": position(20, 0)}}),
    );
    let backlinks: Vec<&Value> = hints
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["label"] == "3 backlinks")
        .collect();
    assert_eq!(backlinks.len(), 1, "{hints}");
    assert_eq!(backlinks[0]["position"], position(1, 9));
}

#[test]
fn folding_ranges_of_frontmatter_sections_and_lists() {
    let dir = garden();
    let mut client = started(dir.path(), capabilities(false));
    let uri = client.open(&dir.path().join("garden/basil.md"), BASIL);
    let folds = client.request(
        "textDocument/foldingRange",
        json!({"textDocument": doc(&uri)}),
    );
    let lines: Vec<(u64, u64)> = folds
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["startLine"].as_u64().unwrap(),
                f["endLine"].as_u64().unwrap(),
            )
        })
        .collect();
    // The frontmatter, the `#` section, the `##` section and its list.
    assert_eq!(lines, [(0, 4), (5, 16), (12, 16), (14, 16)]);
}

#[test]
fn document_highlight_marks_every_link_to_the_same_note() {
    let dir = garden();
    let mut client = started(dir.path(), capabilities(false));
    let uri = client.open(&dir.path().join("garden/mint.md"), MINT);
    let highlights = client.request(
        "textDocument/documentHighlight",
        json!({"textDocument": doc(&uri), "position": position(3, 12)}),
    );
    let ranges: Vec<Value> = highlights
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["range"]["start"].clone())
        .collect();
    assert_eq!(ranges, [position(3, 8), position(3, 19), position(4, 5)]);
}

#[test]
fn block_links_add_a_fresh_id_to_the_paragraph_through_apply_edit() {
    let dir = garden();
    let mut caps = capabilities(false);
    caps["workspace"]["applyEdit"] = json!(true);
    let mut client = started(dir.path(), caps);
    let mint = dir.path().join("garden/mint.md");
    let uri = client.open(&mint, "See [[basil^\n");
    let list = client.request(
        "textDocument/completion",
        json!({"textDocument": doc(&uri), "position": position(0, 12)}),
    );
    let item = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "Pinch the tops every week.")
        .expect("the paragraph is offered")
        .clone();
    assert_eq!(item["textEdit"]["newText"], "pinch-the-tops]]");
    let command = &item["command"];
    assert_eq!(command["command"], "wikilink.addBlockId");
    // The editor runs the item's command once the item is accepted.
    let answer = client.request_raw(
        "workspace/executeCommand",
        json!({"command": command["command"], "arguments": command["arguments"]}),
    );
    assert!(answer.get("error").is_none(), "{answer}");
    let apply = client.wait_server_request("workspace/applyEdit");
    let basil_uri = file_uri(&dir.path().join("garden/basil.md"));
    let edits = &apply["params"]["edit"]["documentChanges"][0];
    assert_eq!(edits["textDocument"]["uri"], basil_uri.as_str());
    assert_eq!(
        edits["textDocument"]["version"],
        Value::Null,
        "basil is not open"
    );
    assert_eq!(
        edits["edits"],
        json!([{"range": {"start": position(10, 11), "end": position(10, 11)}, "newText": " ^pinch-the-tops"}])
    );
    // In the same note the id comes as an additional edit, with no command.
    let own = dir.path().join("garden/own.md");
    let uri = client.open(&own, "First words here.\n\nSee [[#^\n");
    let list = client.request(
        "textDocument/completion",
        json!({"textDocument": doc(&uri), "position": position(2, 8)}),
    );
    let item = &list["items"][0];
    assert_eq!(item["label"], "First words here.");
    assert_eq!(item.get("command"), None);
    assert_eq!(
        item["additionalTextEdits"],
        json!([{"range": {"start": position(0, 17), "end": position(0, 17)}, "newText": " ^first-words-here"}])
    );
}

#[test]
fn orphan_notes_are_hints_once_turned_on() {
    let dir = garden();
    let mut client = Client::start();
    client.settings = json!({"diagnostics": {"severity": {"orphan-note": "hint"}}});
    client.initialize(dir.path(), capabilities(false));
    client.wait_indexed();
    let mint_uri = file_uri(&dir.path().join("garden/mint.md"));
    let diagnostics =
        client.wait_diagnostics(&mint_uri, |d| d.iter().any(|d| d["code"] == "orphan-note"));
    let orphan = diagnostics
        .iter()
        .find(|d| d["code"] == "orphan-note")
        .unwrap();
    assert_eq!(orphan["severity"], 4);
    assert_eq!(orphan["range"]["start"], position(1, 4));
    let basil_uri = file_uri(&dir.path().join("garden/basil.md"));
    // Basil is linked: once mint stops linking to it, it becomes an orphan too.
    let uri = client.open(&dir.path().join("garden/mint.md"), MINT);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "---\nid: mint\n---\nNo links.\n"}]}),
    );
    client.wait_diagnostics(&basil_uri, |d| d.iter().any(|d| d["code"] == "orphan-note"));
}

#[test]
fn the_settings_file_applies_at_once_and_a_bad_one_is_a_diagnostic_on_it() {
    let dir = garden();
    let settings = dir.path().join(".wikilink.toml");
    std::fs::write(
        &settings,
        "[diagnostics.severity]\nbroken-link = \"error\"\n",
    )
    .unwrap();
    let mut client = started(dir.path(), capabilities(false));
    let uri = client.open(&dir.path().join("garden/mint.md"), MINT);
    let diagnostics = client.wait_diagnostics(&uri, |d| !d.is_empty());
    assert_eq!(diagnostics[0]["code"], "broken-link");
    assert_eq!(diagnostics[0]["severity"], 1, "an error, as the file says");

    // A file that is not TOML: a diagnostic on it, and the defaults meanwhile.
    std::fs::write(&settings, "[diagnostics.severity]\nbroken-link = error\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&settings), "type": 2}]}),
    );
    let settings_uri = file_uri(&settings);
    let problems = client.wait_diagnostics(&settings_uri, |d| !d.is_empty());
    assert_eq!(problems[0]["severity"], 1);
    assert_eq!(problems[0]["range"]["start"], position(1, 14));
    client.wait_diagnostics(&uri, |d| d.first().is_some_and(|d| d["severity"] == 2));

    // Fixed: the problem is cleared and the file applies again; the editor's settings win.
    std::fs::write(
        &settings,
        "[diagnostics.severity]\nbroken-link = \"information\"\n",
    )
    .unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&settings), "type": 2}]}),
    );
    client.wait_diagnostics(&settings_uri, |d| d.is_empty());
    client.wait_diagnostics(&uri, |d| d.first().is_some_and(|d| d["severity"] == 3));
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"wikilink": {"diagnostics": {"severity": {"broken-link": "hint"}}}}}),
    );
    client.wait_diagnostics(&uri, |d| d.first().is_some_and(|d| d["severity"] == 4));
    assert!(client.log().iter().all(|line| !line.contains("panicked")));
}
