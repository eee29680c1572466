//! End-to-end tests of a plain Obsidian-style vault (no kb.yaml) over real JSON-RPC:
//! definition of an embed that names an attachment (and its hover's image), the diagnostics
//! of markdown links, an attachment created on disk (watched), and `willRenameFiles` of an
//! attachment with the `WorkspaceEdit` applied by the test.

mod support;

use std::path::Path;

use serde_json::{Value, json};
use support::{capabilities, file_uri, position_of, started, workspace};

const OVERVIEW: &str = "# Overview\n\
See ![[chart.png]] and [the plan](notes/Trip%20plan.md#Getting%20there).\n\
Missing: [gone](Gone%20Note.md), [bad heading](notes/Trip%20plan.md#No%20Such), ![x](img/none.png).\n\
Web: [site](https://example.com/a.md) is not checked.\n";

const TRIP: &str =
    "# Trip plan\n## Getting there\n![c](../assets/chart.png) [[chart.png|the chart]]\n";

fn vault() -> tempfile::TempDir {
    workspace(&[
        ("Overview.md", OVERVIEW),
        ("notes/Trip plan.md", TRIP),
        ("assets/chart.png", "not really a PNG, never read"),
        (".obsidian/app.json", "{}"),
    ])
}

/// `(code, start, end)` of each diagnostic, as `"line:character"`.
fn summary(diagnostics: &[Value]) -> Vec<(String, String, String)> {
    let at = |p: &Value| format!("{}:{}", p["line"], p["character"]);
    diagnostics
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_owned(),
                at(&d["range"]["start"]),
                at(&d["range"]["end"]),
            )
        })
        .collect()
}

#[test]
fn definition_of_an_embed_opens_the_attachment_and_hover_shows_it() {
    let dir = vault();
    let root = dir.path().canonicalize().unwrap();
    let mut client = started(&root, capabilities(false));
    let uri = client.open(&root.join("Overview.md"), OVERVIEW);
    let at = position_of(OVERVIEW, "![[chart.png]]", 5);
    let definition = client.request(
        "textDocument/definition",
        json!({"textDocument": {"uri": uri}, "position": at}),
    );
    let chart = file_uri(&root.join("assets/chart.png"));
    assert_eq!(definition[0]["targetUri"], json!(chart), "{definition}");
    assert_eq!(
        definition[0]["targetRange"],
        json!({"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}})
    );
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": at}),
    );
    let card = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(card.contains("*image* · 28 bytes"), "{card}");
    assert!(card.contains(&format!("![chart.png]({chart})")), "{card}");
    assert_eq!(client.shutdown_and_exit(), Some(0));
}

#[test]
fn markdown_links_get_diagnostics_and_a_new_attachment_mends_one() {
    let dir = vault();
    let root = dir.path().canonicalize().unwrap();
    let mut client = started(&root, capabilities(false));
    let uri = client.open(&root.join("Overview.md"), OVERVIEW);
    let diagnostics = client.wait_diagnostics(&uri, |d| d.len() == 3);
    // Exactly the three real problems: a missing note, a missing heading (its range is the
    // heading part), a missing image; the URL and the resolved links say nothing.
    assert_eq!(
        summary(&diagnostics),
        vec![
            ("broken-link".into(), "2:9".into(), "2:31".into()),
            ("broken-heading".into(), "2:68".into(), "2:77".into()),
            ("broken-link".into(), "2:80".into(), "2:98".into()),
        ],
        "{diagnostics:?}"
    );
    let kb = root.file_name().unwrap().to_string_lossy().into_owned();
    assert_eq!(
        diagnostics[0]["message"],
        json!(format!("no note `Gone Note.md` in vault `{kb}`"))
    );
    // The image appears on disk: the watcher reports it and the link mends.
    std::fs::create_dir_all(root.join("img")).unwrap();
    std::fs::write(root.join("img/none.png"), "PNG").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": file_uri(&root.join("img/none.png")), "type": 1}]}),
    );
    let diagnostics = client.wait_diagnostics(&uri, |d| d.len() == 2);
    assert_eq!(summary(&diagnostics)[1].0, "broken-heading");
    assert_eq!(client.shutdown_and_exit(), Some(0));
}

#[test]
fn renaming_an_attachment_rewrites_the_links_to_it() {
    let dir = vault();
    let root = dir.path().canonicalize().unwrap();
    let mut client = started(&root, capabilities(false));
    let old = root.join("assets/chart.png");
    let new = root.join("assets/sales chart.png");
    let edit = client.request(
        "workspace/willRenameFiles",
        json!({"files": [{"oldUri": file_uri(&old), "newUri": file_uri(&new)}]}),
    );
    let mut texts = std::collections::BTreeMap::new();
    for change in edit["documentChanges"].as_array().into_iter().flatten() {
        let uri = change["textDocument"]["uri"].as_str().unwrap().to_owned();
        let path = uri.strip_prefix("file://").unwrap().replace("%20", " ");
        let mut text = std::fs::read_to_string(&path).unwrap();
        let mut edits: Vec<(usize, usize, String)> = change["edits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                let offset = |p: &Value| {
                    let line = p["line"].as_u64().unwrap() as usize;
                    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
                    let column = p["character"].as_u64().unwrap() as usize;
                    let line_text = &text[start..];
                    start
                        + line_text
                            .char_indices()
                            .scan(0, |units, (i, c)| {
                                let here = (*units, i);
                                *units += c.len_utf16();
                                Some(here)
                            })
                            .find(|&(units, _)| units == column)
                            .map_or(line_text.len(), |(_, i)| i)
                };
                (
                    offset(&e["range"]["start"]),
                    offset(&e["range"]["end"]),
                    e["newText"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        edits.sort();
        for (start, end, new_text) in edits.into_iter().rev() {
            text.replace_range(start..end, &new_text);
        }
        let relative = Path::new(&path).strip_prefix(&root).unwrap().to_owned();
        texts.insert(relative.to_string_lossy().into_owned(), text);
    }
    assert_eq!(
        texts.get("Overview.md").map(String::as_str),
        Some(&*OVERVIEW.replace("![[chart.png]]", "![[sales chart.png]]"))
    );
    assert_eq!(
        texts.get("notes/Trip plan.md").map(String::as_str),
        Some(
            "# Trip plan\n## Getting there\n![c](../assets/sales%20chart.png) [[sales chart.png|the chart]]\n"
        )
    );
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert_eq!(client.shutdown_and_exit(), Some(0));
}
