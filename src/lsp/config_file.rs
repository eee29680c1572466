//! `.wikilink.toml`: the settings file at a workspace root, read by the server and by `check`
//! alike so that a team's editors and CI agree. It holds the settings of the README's table
//! under the same names as the editor's `wikilink` section (`[diagnostics.severity]` with
//! `broken-link = "error"`, `exclude = [...]`, …): TOML is read into the JSON value an editor
//! would send and goes through the one settings reader, [`Settings::from_json`]. Editor
//! settings (and `check`'s flags) are laid over it.
//!
//! A file that is not valid TOML is an error on the file and changes nothing; an unknown or
//! ill-typed setting is a warning on its line and keeps its default. Neither stops the server.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::config::{Settings, merge_settings};
use crate::text::TextRange;
use crate::vfs;

/// The settings file's name, at the top of a workspace root.
pub const FILE_NAME: &str = vfs::SETTINGS_FILE;

/// A problem in a settings file, with the range it is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileProblem {
    pub range: TextRange,
    pub message: String,
    /// An error: the file is not used at all. Otherwise a warning about one setting.
    pub is_error: bool,
}

/// A settings file as read.
#[derive(Clone, Debug)]
pub struct SettingsFile {
    pub path: PathBuf,
    pub text: String,
    /// The settings as the editor would send them (`null` when the file is not valid TOML).
    pub value: Value,
    pub problems: Vec<FileProblem>,
}

/// Reads the settings file of each root that has one (roots in order).
pub fn load(roots: &[PathBuf]) -> Vec<SettingsFile> {
    let mut files = Vec::new();
    for root in roots {
        let path = root.join(FILE_NAME);
        if !vfs::is_readable_in_roots(&path, roots) {
            continue;
        }
        match vfs::read_text(&path) {
            Ok(text) => files.push(parse(&path, text)),
            // Most roots have none.
            Err(error) if error.io_kind() == Some(std::io::ErrorKind::NotFound) => {}
            Err(error) => files.push(SettingsFile {
                path: path.clone(),
                text: String::new(),
                value: Value::Null,
                problems: vec![FileProblem {
                    range: TextRange::empty(0),
                    message: error.to_string(),
                    is_error: true,
                }],
            }),
        }
    }
    files
}

/// Reads the text of the settings file at `path`.
pub fn parse(path: &Path, text: String) -> SettingsFile {
    let (value, problems) = match toml::from_str::<Value>(&text) {
        Ok(value) => {
            let (_, warnings) = Settings::from_json(&value);
            let problems = warnings
                .into_iter()
                .map(|message| FileProblem {
                    range: setting_range(&text, &message),
                    message,
                    is_error: false,
                })
                .collect();
            (value, problems)
        }
        Err(error) => {
            let range = error.span().map_or(TextRange::empty(0), |span| {
                TextRange::new(span.start, span.end)
            });
            let message = format!(
                "invalid TOML, so none of its settings apply: {}",
                error.message()
            );
            let problem = FileProblem {
                range,
                message,
                is_error: true,
            };
            (Value::Null, vec![problem])
        }
    };
    SettingsFile {
        path: path.to_path_buf(),
        text,
        value,
        problems,
    }
}

/// The settings of several files as one value: where two roots' files disagree, the first
/// root's wins.
pub fn merged(files: &[SettingsFile]) -> Value {
    files.iter().rev().fold(Value::Null, |merged, file| {
        merge_settings(&merged, &file.value)
    })
}

/// Where the setting a warning names (`` `wikilink.a.b` ``) is written: the line that sets its
/// last key, else the start of the file.
fn setting_range(text: &str, message: &str) -> TextRange {
    let name = message
        .split('`')
        .nth(1)
        .unwrap_or("")
        .trim_start_matches("wikilink.");
    let key = name.rsplit('.').next().unwrap_or(name);
    if key.is_empty() {
        return TextRange::empty(0);
    }
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let bare = trimmed.trim_start_matches('[').trim_start_matches('"');
        let quoted_key = bare.starts_with(key)
            && bare[key.len()..]
                .trim_start_matches('"')
                .trim_start()
                .starts_with(['=', ']', '.']);
        let dotted = trimmed.contains(&format!(".{key}"))
            && (trimmed.starts_with('[') || trimmed.contains('='));
        if quoted_key || dotted {
            let end = line.trim_end().len();
            return TextRange::new(offset + indent, offset + end);
        }
        offset += line.len();
    }
    TextRange::empty(0)
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;

    /// The settings the file gives (as the editor would send them) and its problems, each with
    /// the text it points at.
    #[track_caller]
    fn check(text: &str, expect: Expect) {
        let file = parse(Path::new("/ws/.wikilink.toml"), text.to_owned());
        let mut out = format!("{}\n", file.value);
        for problem in &file.problems {
            let kind = if problem.is_error { "error" } else { "warning" };
            out += &format!(
                "{kind} {:?} {:?}: {}\n",
                problem.range,
                &text[problem.range.as_usize()],
                problem.message
            );
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn settings_with_the_editors_names() {
        check(
            r#"exclude = ["drafts/**"]
referenceFields = ["mentors"]

[diagnostics]
debounceMs = 100

[diagnostics.severity]
broken-link = "error"
"orphan-note" = "hint"

[codeLens]
backlinks = false
"#,
            expect![[r#"
                {"codeLens":{"backlinks":false},"diagnostics":{"debounceMs":100,"severity":{"broken-link":"error","orphan-note":"hint"}},"exclude":["drafts/**"],"referenceFields":["mentors"]}
            "#]],
        );
    }

    #[test]
    fn unknown_and_ill_typed_settings_are_warnings_on_their_line() {
        check(
            "colour = 1\n[completion]\nmaxItems = \"many\"\n[diagnostics.severity]\nbroken-lnk = \"error\"\n",
            expect![[r#"
                {"colour":1,"completion":{"maxItems":"many"},"diagnostics":{"severity":{"broken-lnk":"error"}}}
                warning 24..41 "maxItems = \"many\"": setting `wikilink.completion.maxItems` ignored: expected a whole number from 1 to 1000
                warning 65..85 "broken-lnk = \"error\"": setting `wikilink.diagnostics.severity.broken-lnk` ignored: expected a known diagnostic code
                warning 0..10 "colour = 1": unknown setting `wikilink.colour` ignored
            "#]],
        );
    }

    #[test]
    fn invalid_toml_is_an_error_and_applies_nothing() {
        check(
            "[diagnostics.severity]\nbroken-link = error\n",
            expect![[r#"
                null
                error 37..42 "error": invalid TOML, so none of its settings apply: string values must be quoted, expected literal string
            "#]],
        );
    }

    #[test]
    fn the_first_roots_file_wins() {
        let first = parse(
            Path::new("/a/.wikilink.toml"),
            "exclude = [\"a\"]\n".to_owned(),
        );
        let second = parse(
            Path::new("/b/.wikilink.toml"),
            "exclude = [\"b\"]\n[completion]\nmaxItems = 5\n".to_owned(),
        );
        expect![[r#"{"completion":{"maxItems":5},"exclude":["a"]}"#]]
            .assert_eq(&merged(&[first, second]).to_string());
    }
}
