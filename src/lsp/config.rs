//! Server settings: the `wikilink` section, from `initializationOptions`,
//! `workspace/configuration` and `workspace/didChangeConfiguration`. The README's settings table
//! documents the same names; every editor integration uses them. [`merge_settings`] lays pulled
//! settings over the initial ones before they are read.

use serde_json::Value;

use crate::ide::{CompletionConfig, DiagnosticCode, DiagnosticsConfig, Severity};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub completion: CompletionConfig,
    pub diagnostics: DiagnosticsConfig,
    /// Publish diagnostics for every note, not only open ones.
    pub workspace_diagnostics: bool,
    pub debounce_ms: u64,
    pub exclude: Vec<String>,
    pub reference_fields: Vec<String>,
    pub inlay_hints: bool,
    /// Show a note's backlink count as an inlay hint on its id or title line.
    pub inlay_hint_backlinks: bool,
    /// Show a note's backlink count as a code lens on its id or title line.
    pub code_lens_backlinks: bool,
    /// How long a request that needs the workspace waits for the index before an error reply.
    pub index_wait_seconds: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            completion: CompletionConfig::default(),
            diagnostics: DiagnosticsConfig {
                max_per_note: Some(DEFAULT_MAX_PER_NOTE),
                ..DiagnosticsConfig::default()
            },
            workspace_diagnostics: true,
            debounce_ms: 200,
            exclude: Vec::new(),
            reference_fields: Vec::new(),
            inlay_hints: true,
            inlay_hint_backlinks: false,
            code_lens_backlinks: true,
            index_wait_seconds: 30,
        }
    }
}

/// Most items a client may ask for per completion.
const MAX_COMPLETION_ITEMS: u64 = 1000;
/// Longest debounce accepted, in milliseconds.
const MAX_DEBOUNCE_MS: u64 = 10_000;
/// Most problems one note shows in the editor by default (`check` shows all).
const DEFAULT_MAX_PER_NOTE: usize = 1000;
/// The largest `diagnostics.maxPerNote` accepted.
const MAX_MAX_PER_NOTE: u64 = 100_000;
/// Longest wait for the index accepted, in seconds.
const MAX_INDEX_WAIT_SECONDS: u64 = 600;

impl Settings {
    /// Reads settings from JSON (the `wikilink` section's contents, or an object holding a
    /// `wikilink` key). Unknown or ill-typed values are reported, and the default is kept.
    pub fn from_json(value: &Value) -> (Settings, Vec<String>) {
        let mut settings = Settings::default();
        let mut warnings = Vec::new();
        let section = value.get("wikilink").unwrap_or(value);
        if section.is_null() {
            return (settings, warnings);
        }
        let Some(object) = section.as_object() else {
            warnings.push("settings must be an object".to_owned());
            return (settings, warnings);
        };
        let mut warn = |name: &str, expected: &str| {
            warnings.push(format!(
                "setting `wikilink.{name}` ignored: expected {expected}"
            ))
        };
        let get = |path: &[&str]| -> Option<&Value> {
            let mut current = section;
            for key in path {
                current = current.get(key)?;
            }
            Some(current)
        };
        if let Some(v) = get(&["completion", "maxItems"]) {
            match v.as_u64() {
                Some(n) if (1..=MAX_COMPLETION_ITEMS).contains(&n) => {
                    settings.completion.max_items = n as usize
                }
                _ => warn(
                    "completion.maxItems",
                    &format!("a whole number from 1 to {MAX_COMPLETION_ITEMS}"),
                ),
            }
        }
        if let Some(v) = get(&["diagnostics", "workspace"]) {
            match v.as_bool() {
                Some(b) => settings.workspace_diagnostics = b,
                None => warn("diagnostics.workspace", "true or false"),
            }
        }
        if let Some(v) = get(&["diagnostics", "debounceMs"]) {
            match v.as_u64() {
                Some(n) if n <= MAX_DEBOUNCE_MS => settings.debounce_ms = n,
                _ => warn(
                    "diagnostics.debounceMs",
                    &format!("milliseconds from 0 to {MAX_DEBOUNCE_MS}"),
                ),
            }
        }
        if let Some(v) = get(&["diagnostics", "maxPerNote"]) {
            match v.as_u64() {
                Some(n) if (1..=MAX_MAX_PER_NOTE).contains(&n) => {
                    settings.diagnostics.max_per_note = Some(n as usize)
                }
                _ => warn(
                    "diagnostics.maxPerNote",
                    &format!("a whole number from 1 to {MAX_MAX_PER_NOTE}"),
                ),
            }
        }
        if let Some(v) = get(&["diagnostics", "severity"]) {
            match v.as_object() {
                Some(map) => {
                    for (code, level) in map {
                        let Some(code_parsed) = DiagnosticCode::parse(code) else {
                            warn(
                                &format!("diagnostics.severity.{code}"),
                                "a known diagnostic code",
                            );
                            continue;
                        };
                        match level.as_str().map(Severity::parse) {
                            Some(Ok(severity)) => {
                                settings.diagnostics.severity.insert(code_parsed, severity);
                            }
                            _ => warn(
                                &format!("diagnostics.severity.{code}"),
                                "error, warning, information, hint or off",
                            ),
                        }
                    }
                }
                None => warn("diagnostics.severity", "an object of code: level"),
            }
        }
        if let Some(v) = get(&["exclude"]) {
            match string_list(v) {
                Some(list) => settings.exclude = list,
                None => warn("exclude", "a list of glob strings"),
            }
        }
        if let Some(v) = get(&["referenceFields"]) {
            match string_list(v) {
                Some(list) => settings.reference_fields = list,
                None => warn("referenceFields", "a list of field names"),
            }
        }
        if let Some(v) = get(&["inlayHints", "enabled"]) {
            match v.as_bool() {
                Some(b) => settings.inlay_hints = b,
                None => warn("inlayHints.enabled", "true or false"),
            }
        }
        if let Some(v) = get(&["inlayHints", "backlinks"]) {
            match v.as_bool() {
                Some(b) => settings.inlay_hint_backlinks = b,
                None => warn("inlayHints.backlinks", "true or false"),
            }
        }
        if let Some(v) = get(&["codeLens", "backlinks"]) {
            match v.as_bool() {
                Some(b) => settings.code_lens_backlinks = b,
                None => warn("codeLens.backlinks", "true or false"),
            }
        }
        if let Some(v) = get(&["index", "waitSeconds"]) {
            match v.as_u64() {
                Some(n) if (1..=MAX_INDEX_WAIT_SECONDS).contains(&n) => {
                    settings.index_wait_seconds = n
                }
                _ => warn(
                    "index.waitSeconds",
                    &format!("a whole number of seconds from 1 to {MAX_INDEX_WAIT_SECONDS}"),
                ),
            }
        }
        let known = [
            "completion",
            "index",
            "diagnostics",
            "exclude",
            "referenceFields",
            "inlayHints",
            "codeLens",
            "server",
            "trace",
        ];
        for key in object.keys() {
            if !known.contains(&key.as_str()) {
                warnings.push(format!("unknown setting `wikilink.{key}` ignored"));
            }
        }
        (settings, warnings)
    }
}

fn string_list(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Lays `pulled` settings over `initial` ones, key by key (either may be wrapped in a
/// `wikilink` object), so a client that answers `workspace/configuration` with only some keys
/// keeps the rest from `initializationOptions` (and editor settings keep the rest from the
/// settings files); a `null` sets nothing.
pub fn merge_settings(
    initial: &serde_json::Value,
    pulled: &serde_json::Value,
) -> serde_json::Value {
    fn section(value: &serde_json::Value) -> &serde_json::Value {
        value.get("wikilink").unwrap_or(value)
    }
    fn merge(base: &mut serde_json::Value, over: &serde_json::Value) {
        match (base, over) {
            // `null` sets nothing (an editor with nothing to say, a setting left unset).
            (_, serde_json::Value::Null) => {}
            (serde_json::Value::Object(base), serde_json::Value::Object(over)) => {
                for (key, value) in over {
                    merge(
                        base.entry(key.clone()).or_insert(serde_json::Value::Null),
                        value,
                    );
                }
            }
            (base, over) => *base = over.clone(),
        }
    }
    let mut merged = match section(initial) {
        serde_json::Value::Object(_) => section(initial).clone(),
        _ => serde_json::Value::Object(Default::default()),
    };
    match section(pulled) {
        // Neovim sends an empty Lua table as `[]`: nothing set.
        serde_json::Value::Array(items) if items.is_empty() => {}
        over => merge(&mut merged, over),
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_setting_and_reports_bad_ones() {
        let (settings, warnings) = Settings::from_json(&serde_json::json!({
            "wikilink": {
                "completion": {"maxItems": 20},
                "diagnostics": {"workspace": false, "debounceMs": 50, "severity": {"broken-link": "error", "non-canonical-link": "off", "nope": "error"}},
                "exclude": ["drafts/**"],
                "referenceFields": ["mentors"],
                "inlayHints": {"enabled": "yes"},
                "colour": 1
            }
        }));
        assert_eq!(settings.completion.max_items, 20);
        assert!(!settings.workspace_diagnostics);
        assert_eq!(settings.debounce_ms, 50);
        assert_eq!(
            settings
                .diagnostics
                .severity
                .get(&DiagnosticCode::BrokenLink),
            Some(&Some(Severity::Error))
        );
        assert_eq!(
            settings
                .diagnostics
                .severity
                .get(&DiagnosticCode::NonCanonicalLink),
            Some(&None)
        );
        assert_eq!(settings.exclude, ["drafts/**"]);
        assert_eq!(settings.reference_fields, ["mentors"]);
        assert!(settings.inlay_hints);
        expect_test::expect![[r#"
            [
                "setting `wikilink.diagnostics.severity.nope` ignored: expected a known diagnostic code",
                "setting `wikilink.inlayHints.enabled` ignored: expected true or false",
                "unknown setting `wikilink.colour` ignored",
            ]
        "#]]
        .assert_debug_eq(&warnings);
    }

    #[test]
    fn pulled_settings_are_laid_over_initialization_options() {
        use serde_json::json;
        let initial = json!({"wikilink": {"diagnostics": {"severity": {"broken-link": "error"}, "debounceMs": 50}}});
        let pulled = json!({"diagnostics": {"debounceMs": 10}, "completion": {"maxItems": 5}});
        assert_eq!(
            merge_settings(&initial, &pulled),
            json!({"diagnostics": {"severity": {"broken-link": "error"}, "debounceMs": 10}, "completion": {"maxItems": 5}})
        );
        assert_eq!(merge_settings(&json!(null), &pulled), pulled);
    }
}
