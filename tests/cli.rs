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
