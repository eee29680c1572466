//! Layering and hygiene invariants, checked by reading the sources (as rust-analyzer's tidy
//! tests do): the core names no protocol type, the core's layers import one way only, only
//! `vfs.rs` touches the disk, and every file opens with a `//!` doc paragraph.

use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The shells: the LSP server, the CLI entry and the `check` report.
fn is_shell(path: &Path) -> bool {
    let relative = path.strip_prefix(src()).unwrap();
    relative.starts_with("lsp")
        || relative == Path::new("main.rs")
        || relative == Path::new("check.rs")
}

/// Source lines that are code, not comments.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
}

#[test]
fn the_core_knows_nothing_of_the_protocol() {
    let mut offenders = Vec::new();
    for path in rust_files(&src()).into_iter().filter(|p| !is_shell(p)) {
        let text = std::fs::read_to_string(&path).unwrap();
        for word in ["tower_lsp", "lsp_types", "tokio", "serde_json"] {
            if code_lines(&text).any(|line| line.contains(word)) {
                offenders.push(format!("{} uses {word}", path.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "protocol types in the core:\n{}",
        offenders.join("\n")
    );
}

/// Whether a file's code (not its comments) names `module` of this crate.
fn names_module(text: &str, module: &str) -> bool {
    let path = format!("crate::{module}");
    let bare = format!("{module}::");
    code_lines(text).any(|line| {
        line.contains(&path) || (line.trim_start().starts_with("use ") && line.contains(&bare))
    })
}

#[test]
fn the_core_layers_import_one_way() {
    // keys < workspace < slug: the key functions know neither the workspace nor the resolver,
    // and the workspace indexes notes without asking the resolver what a link means.
    let mut offenders = Vec::new();
    for path in rust_files(&src()) {
        let relative = path.strip_prefix(src()).unwrap();
        let forbidden: &[&str] = if relative == Path::new("keys.rs") {
            &["workspace", "slug"]
        } else if relative.starts_with("workspace") || relative == Path::new("workspace.rs") {
            &["slug"]
        } else {
            &[]
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for module in forbidden {
            if names_module(&text, module) {
                offenders.push(format!("{} imports {module}", path.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "imports against the layering (keys < workspace < slug):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn features_share_code_only_through_shared_rooms() {
    // Shared rooms any feature may use; every other module of `ide` is a feature.
    let shared = [
        "cursor",
        "kb_schema",
        "mod",
        "navigation",
        "rank",
        "retarget",
        "source_change",
        "suggest",
    ];
    // Quick fixes are the fixes of what diagnostics reports: they compute those diagnostics.
    let allowed = [("code_actions", "diagnostics")];
    let ide = src().join("ide");
    let feature_of = |path: &Path| {
        let relative = path.strip_prefix(&ide).ok()?;
        let first = relative.components().next()?.as_os_str().to_str()?;
        Some(first.trim_end_matches(".rs").to_owned())
    };
    let files = rust_files(&ide);
    let features: Vec<String> = files
        .iter()
        .filter_map(|path| feature_of(path))
        .filter(|name| !shared.contains(&name.as_str()) && name != "tests")
        .collect();
    let mut offenders = Vec::new();
    for path in &files {
        let Some(own) = feature_of(path) else {
            continue;
        };
        if shared.contains(&own.as_str()) || own == "tests" {
            continue;
        }
        let text = std::fs::read_to_string(path).unwrap();
        // A feature's tests may build whatever they check against.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for other in features.iter().filter(|other| **other != own) {
            let named = [
                format!("super::{other}::"),
                format!("super::{other}}}"),
                format!("super::{other};"),
            ];
            if code_lines(text).any(|line| named.iter().any(|n| line.contains(n.as_str())))
                && !allowed.contains(&(own.as_str(), other.as_str()))
            {
                offenders.push(format!("{} imports the feature {other}", path.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "features importing features (move the shared code to a shared room):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn only_vfs_touches_the_disk() {
    let allowed = [src().join("vfs.rs")];
    let mut offenders = Vec::new();
    for path in rust_files(&src())
        .into_iter()
        .filter(|p| !allowed.contains(p))
    {
        let text = std::fs::read_to_string(&path).unwrap();
        // Test modules inside a file may build fixtures however they like.
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        for word in [
            "std::fs",
            "tokio::fs",
            "File::open",
            "File::create",
            "OpenOptions",
        ] {
            if code_lines(text).any(|line| line.contains(word)) {
                offenders.push(format!("{} uses {word}", path.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "disk access outside vfs.rs:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn every_file_starts_with_a_doc_paragraph() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = rust_files(&src());
    for dir in ["tests", "benches", "examples"] {
        if root.join(dir).is_dir() {
            files.extend(rust_files(&root.join(dir)));
        }
    }
    let missing: Vec<String> = files
        .iter()
        .filter(|path| {
            !std::fs::read_to_string(path)
                .unwrap()
                .trim_start()
                .starts_with("//!")
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` doc:\n{}",
        missing.join("\n")
    );
}

#[test]
fn no_ignored_or_should_panic_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = rust_files(&src());
    files.extend(rust_files(&root.join("tests")));
    let needle_ignore = ["#[", "ignore]"].concat();
    let needle_panic = ["#[", "should_panic"].concat();
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            text.contains(&needle_ignore) || text.contains(&needle_panic)
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        offenders.is_empty(),
        "ignored or should_panic tests:\n{}",
        offenders.join("\n")
    );
}
