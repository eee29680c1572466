//! `wikilink-lsp check` end to end: both output formats, every exit status, exact columns after
//! emoji, CJK and CRLF, and that the check writes nothing; and what `--version` prints.

mod support;

use std::process::Command;

use serde_json::Value;
use support::workspace;

fn check(args: &[&str], cwd: &std::path::Path) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_wikilink-lsp"))
        .arg("check")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

fn vault() -> tempfile::TempDir {
    workspace(&[
        ("notes/kb.yaml", "name: notes\nshortname: n\n"),
        (
            "notes/a.md",
            "---\nid: a\ntitle: \"A\"\n---\nSee [[b]] and [[c]].\n",
        ),
        ("notes/b.md", "# B\n\n😀 中文 [[gone]]\r\nsecond\r\n"),
        ("other/kb.yaml", "name: other\n"),
        ("other/c.md", "---\nid: c\n---\n[[n:a#Nope]]\n"),
    ])
}

#[test]
fn text_report_is_compiler_style_with_utf16_columns() {
    let dir = vault();
    let (status, stdout, stderr) = check(&["."], dir.path());
    assert_eq!(
        status, 0,
        "warnings do not fail by default; stderr: {stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(
        lines[0],
        "./notes/a.md:5:15: warning[missing-kb-prefix]: `c` is not in KB `notes` but in another KB: write `[[other:c]]`"
    );
    // `😀` is two UTF-16 units, a space, `中文` two, a space: the link starts at UTF-16 column 6.
    assert_eq!(
        lines[1],
        "./notes/b.md:3:7: warning[broken-link]: no note `gone` in KB `notes`"
    );
    assert_eq!(
        lines[2],
        "./other/c.md:4:7: warning[broken-heading]: no heading `Nope` in `a`"
    );
    assert!(
        lines[3].starts_with("checked 3 notes in 2 KBs: 0 errors, 3 warnings in "),
        "{}",
        lines[3]
    );
}

#[test]
fn json_report_is_one_object_with_lsp_positions() {
    let dir = vault();
    let (status, stdout, _) = check(&["--format", "json", "notes", "other"], dir.path());
    assert_eq!(status, 0);
    let report: Value = serde_json::from_str(&stdout).expect("exactly one JSON object");
    assert_eq!(report["version"], 1);
    assert_eq!(
        report["summary"],
        serde_json::json!({"files": 3, "notes": 3, "kbs": 2, "links": 4, "errors": 0, "warnings": 3, "infos": 0, "hints": 0})
    );
    let broken = &report["diagnostics"][1];
    assert_eq!(broken["path"], "notes/b.md");
    assert_eq!(broken["severity"], "warning");
    assert_eq!(broken["code"], "broken-link");
    assert_eq!(broken["target"], "gone");
    assert_eq!(
        broken["range"],
        serde_json::json!({"start": {"line": 2, "character": 6}, "end": {"line": 2, "character": 14}})
    );
}

#[test]
fn exit_status_follows_the_deny_level() {
    let dir = vault();
    assert_eq!(check(&["--deny", "warnings"], dir.path()).0, 1);
    assert_eq!(
        check(
            &[
                "--deny",
                "warnings",
                "--severity",
                "broken-link=off",
                "--severity",
                "missing-kb-prefix=hint",
                "--severity",
                "broken-heading=info"
            ],
            dir.path()
        )
        .0,
        0
    );
    assert_eq!(check(&["--severity", "broken-link=error"], dir.path()).0, 1);
    std::fs::write(dir.path().join("notes/bad.md"), "---\nid: [oops\n---\n").unwrap();
    let (status, stdout, _) = check(&[], dir.path());
    assert_eq!(status, 1, "invalid frontmatter is an error: {stdout}");
    assert!(stdout.contains("error[invalid-frontmatter]"), "{stdout}");
}

#[test]
fn bad_usage_and_missing_roots_exit_with_two() {
    let dir = vault();
    let (status, _, stderr) = check(&["no-such-folder"], dir.path());
    assert_eq!(status, 2);
    assert!(stderr.contains("no-such-folder"), "{stderr}");
    assert_eq!(check(&["--format", "yaml"], dir.path()).0, 2);
    let (status, _, stderr) = check(&["--severity", "broken-link=loud"], dir.path());
    assert_eq!(status, 2);
    assert!(stderr.contains("unknown severity"), "{stderr}");
}

#[test]
fn check_writes_nothing() {
    let dir = vault();
    let snapshot = |root: &std::path::Path| {
        let mut files: Vec<(String, Vec<u8>, std::time::SystemTime)> = Vec::new();
        for entry in walk(root) {
            let meta = std::fs::metadata(&entry).unwrap();
            files.push((
                entry.display().to_string(),
                std::fs::read(&entry).unwrap(),
                meta.modified().unwrap(),
            ));
        }
        files.sort();
        files
    };
    let before = snapshot(dir.path());
    check(&["--format", "json"], dir.path());
    check(&[], dir.path());
    assert_eq!(before, snapshot(dir.path()));
}

#[test]
fn version_names_the_crate_version_and_the_commit() {
    let output = Command::new(env!("CARGO_BIN_EXE_wikilink-lsp"))
        .arg("--version")
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let stdout = String::from_utf8(output.stdout).unwrap();
    let prefix = concat!("wikilink-lsp ", env!("CARGO_PKG_VERSION"), " (");
    let commit = stdout
        .trim_end()
        .strip_prefix(prefix)
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or_else(|| panic!("not `{prefix}COMMIT)`: {stdout:?}"));
    // A short hash from git or .cargo_vcs_info.json, or the placeholder of a build without git.
    let is_short_hash = commit.len() >= 9 && commit.bytes().all(|b| b.is_ascii_hexdigit());
    assert!(is_short_hash || commit == "unknown commit", "{commit:?}");
}

fn walk(root: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn the_example_plain_vault_reports_exactly_its_four_deliberate_problems() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let (status, stdout, stderr) = check(&["homestead"], &examples);
    assert_eq!(status, 0, "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..4],
        [
            "homestead/Home.md:11:11: warning[broken-block]: no block `^compost` in `Plot`",
            "homestead/Seed plan.md:8:28: warning[broken-link]: no note `Seed plan 2023.md` in vault `homestead`",
            "homestead/beds/south/Squash.md:9:55: warning[broken-heading]: no heading `Harvest dates` in `Beans`",
            "homestead/journal/2024-05-12.md:10:14: warning[non-canonical-link]: `The plot` is a title or alias of `Plot`, and Obsidian does not follow links by title or alias: write `[[Plot|The plot]]`",
        ],
        "{stdout}"
    );
    assert!(
        lines[4].starts_with("checked 9 notes in 1 vault: 0 errors, 4 warnings in "),
        "{stdout}"
    );
    assert_eq!(lines.len(), 5, "{stdout}");
}

#[test]
fn sarif_report_is_one_sarif_2_1_0_log_with_utf16_columns() {
    let dir = vault();
    let (status, stdout, _) = check(&["--format", "sarif", "."], dir.path());
    assert_eq!(status, 0);
    let log: Value = serde_json::from_str(&stdout).expect("one JSON document");
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        log["$schema"],
        "https://json.schemastore.org/sarif-2.1.0.json"
    );
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "wikilink-lsp");
    assert_eq!(run["columnKind"], "utf16CodeUnits");
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let broken = &results[1];
    assert_eq!(broken["ruleId"], "broken-link");
    let rule = &rules[broken["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "broken-link");
    assert_eq!(rule["defaultConfiguration"]["level"], "warning");
    assert_eq!(broken["level"], "warning");
    let location = &broken["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "notes/b.md");
    // 1-based; after `😀 中文 ` the link starts at UTF-16 column 7.
    assert_eq!(
        location["region"],
        serde_json::json!({"startLine": 3, "startColumn": 7, "endLine": 3, "endColumn": 15})
    );
    let levels: Vec<&str> = rules
        .iter()
        .map(|r| r["defaultConfiguration"]["level"].as_str().unwrap())
        .collect();
    assert!(
        levels
            .iter()
            .all(|l| ["error", "warning", "note"].contains(l)),
        "{levels:?}"
    );
}

#[test]
fn github_report_is_workflow_annotations_escaped_as_the_toolkit_does() {
    let dir = workspace(&[
        ("a, b/note.md", "See [[gone: 100%]]\n\n[[x]]\n"),
        ("a, b/x.md", "# X\n"),
    ]);
    let (status, stdout, _) = check(
        &["--format", "github", "--severity", "orphan-note=hint", "."],
        dir.path(),
    );
    assert_eq!(status, 0);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "::notice file=a%2C b/note.md,line=1,col=1,endLine=1,endColumn=1,title=wikilink-lsp orphan-note::no other note links to `note`",
            "::warning file=a%2C b/note.md,line=1,col=5,endLine=1,endColumn=19,title=wikilink-lsp broken-link::no note `gone: 100%25` in vault `root`",
        ]
    );
    assert!(lines[2].starts_with("checked 2 notes: 0 errors, 1 warning, 0 infos, 1 hint in "));
}

#[test]
fn the_settings_file_is_read_and_flags_are_laid_over_it() {
    let dir = vault();
    std::fs::write(
        dir.path().join(".wikilink.toml"),
        "[diagnostics.severity]\nbroken-link = \"error\"\n",
    )
    .unwrap();
    let (status, stdout, _) = check(&["."], dir.path());
    assert_eq!(status, 1, "the file makes broken links errors: {stdout}");
    assert!(stdout.contains("error[broken-link]"), "{stdout}");
    let (status, _, _) = check(&[".", "--severity", "broken-link=warning"], dir.path());
    assert_eq!(status, 0, "the flag wins over the file");

    std::fs::write(
        dir.path().join(".wikilink.toml"),
        "colour = 1\n[diagnostics.severity]\nbroken-link = error\n",
    )
    .unwrap();
    let (status, stdout, stderr) = check(&["."], dir.path());
    assert_eq!(
        status, 2,
        "a settings file that is not TOML is a usage error"
    );
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "error: ./.wikilink.toml:3:15: invalid TOML, so none of its settings apply: string values must be quoted, expected literal string\n"
    );
    std::fs::write(dir.path().join(".wikilink.toml"), "colour = 1\n").unwrap();
    let (status, _, stderr) = check(&["."], dir.path());
    assert_eq!(status, 0);
    assert_eq!(
        stderr,
        "warning: ./.wikilink.toml:1:1: unknown setting `wikilink.colour` ignored\n"
    );
}
