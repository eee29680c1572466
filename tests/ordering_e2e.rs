//! Ordering under load: hundreds of `didChange` notifications interleaved with hover and
//! completion requests, all sent as fast as the pipe takes them without waiting for anything.
//! Every answer must match the text as of its request: change `i` appends a link to note
//! `n{i % 20}` on line `i`, so a hover sent right after it must show that note, and a
//! completion inside the new link must offer its target over exactly the typed range.

mod support;

use serde_json::{Value, json};
use support::{Client, capabilities, file_uri, workspace};

const NOTES: usize = 20;
const CHANGES: usize = 300;

#[test]
fn every_answer_sees_exactly_the_changes_sent_before_it() {
    let files: Vec<(String, String)> = (0..NOTES)
        .map(|k| {
            (
                format!("notes/n{k:03}.md"),
                format!("---\nid: n{k:03}\ntitle: Title {k}\n---\nBody {k}.\n"),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = workspace(&borrowed);
    for utf8 in [false, true] {
        let mut client = Client::start();
        client.initialize(dir.path(), capabilities(utf8));
        client.wait_indexed();
        // Hovers show backlink counts, so they wait for the link table, built once the index is
        // ready (it reads the closed notes again); a change sent while one waits makes it
        // `ContentModified`. One hover answered first: the table is built, and every hover
        // below answers the text it was sent after.
        let warm = client.open(&dir.path().join("notes/warm.md"), "[[n000]]\n");
        let id = client.send_request(
            "textDocument/hover",
            json!({"textDocument": {"uri": warm}, "position": {"line": 0, "character": 3}}),
        );
        let response = client.wait_response(id);
        assert!(
            response["result"]["contents"]["value"].is_string(),
            "{response}"
        );
        let path = dir.path().join("notes/typing.md");
        let uri = client.open(&path, "");
        assert_eq!(uri, file_uri(&path));

        // (request id, line, what the answer must show)
        let mut hovers: Vec<(i64, usize, usize)> = Vec::new();
        let mut completions: Vec<(i64, usize, usize)> = Vec::new();
        for i in 0..CHANGES {
            let k = i % NOTES;
            // A multi-byte prefix on odd lines keeps the two encodings apart.
            let prefix = if i % 2 == 1 { "é😀 " } else { "" };
            let line = format!("{prefix}[[n{k:03}]]\n");
            client.notify(
                "textDocument/didChange",
                json!({"textDocument": {"uri": uri, "version": i + 2}, "contentChanges": [{
                    "range": {"start": {"line": i, "character": 0}, "end": {"line": i, "character": 0}},
                    "text": line,
                }]}),
            );
            let col = |bytes: usize| -> usize {
                let text = &format!("{prefix}[[n{k:03}]]")[..bytes];
                if utf8 {
                    text.len()
                } else {
                    text.encode_utf16().count()
                }
            };
            let link_start = prefix.len();
            hovers.push((
                client.send_request(
                    "textDocument/hover",
                    json!({"textDocument": {"uri": uri}, "position": {"line": i, "character": col(link_start + 3)}}),
                ),
                i,
                k,
            ));
            if i % 3 == 0 {
                // Cursor at the end of the target, before `]]`.
                completions.push((
                    client.send_request(
                        "textDocument/completion",
                        json!({"textDocument": {"uri": uri}, "position": {"line": i, "character": col(link_start + 6)}}),
                    ),
                    i,
                    k,
                ));
            }
        }
        for (id, line, k) in hovers {
            let response = client.wait_response(id);
            let text = response["result"]["contents"]["value"]
                .as_str()
                .unwrap_or_default();
            assert!(
                text.contains(&format!("**Title {k}**")),
                "hover on line {line} (utf8={utf8}) saw another text: {response}"
            );
        }
        for (id, line, k) in completions {
            let response = client.wait_response(id);
            let items = response["result"]["items"].as_array().unwrap_or_else(|| {
                panic!("completion on line {line} (utf8={utf8}) saw another text: {response}")
            });
            let wanted = format!("n{k:03}");
            let item = items
                .iter()
                .find(|item| item["label"] == wanted.as_str())
                .unwrap_or_else(|| panic!("{wanted} not offered on line {line}: {response}"));
            let prefix_units = if line % 2 == 1 {
                if utf8 {
                    "é😀 ".len()
                } else {
                    "é😀 ".encode_utf16().count()
                }
            } else {
                0
            };
            assert_eq!(
                item["textEdit"]["range"],
                json!({
                    "start": {"line": line, "character": prefix_units + 2},
                    "end": {"line": line, "character": prefix_units + 6},
                }),
                "line {line}, utf8={utf8}"
            );
            let best = items
                .iter()
                .min_by_key(|item| item["sortText"].as_str().unwrap_or_default().to_owned())
                .map(|item| item["label"].clone());
            assert_eq!(best, Some(Value::from(wanted)), "best match on line {line}");
        }
        assert_eq!(client.shutdown_and_exit(), Some(0));
    }
}
