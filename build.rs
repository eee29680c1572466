//! Build script: records the git commit the binary is built from, for `wikilink-lsp --version`.
//!
//! It sets `WIKILINK_LSP_COMMIT` to a short commit hash, or to `unknown commit` when there is no
//! way to know: a checkout without `.git`, or a machine without git. A crate packaged by
//! `cargo package` carries its commit in `.cargo_vcs_info.json`, which is read first, so that a
//! crates.io build never asks the git repository it happens to be unpacked inside.

use std::path::{Path, PathBuf};
use std::process::Command;

const UNKNOWN: &str = "unknown commit";

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let vcs_info = manifest_dir.join(".cargo_vcs_info.json");
    println!("cargo:rerun-if-changed=build.rs");
    watch(&manifest_dir, ".cargo_vcs_info.json");

    let commit = match std::fs::read_to_string(&vcs_info) {
        Ok(text) => packaged_commit(&text),
        Err(_) => checkout_commit(&manifest_dir),
    };
    println!(
        "cargo:rustc-env=WIKILINK_LSP_COMMIT={}",
        commit.as_deref().unwrap_or(UNKNOWN)
    );
}

/// The `"sha1": "..."` value of `.cargo_vcs_info.json`, shortened like `git rev-parse --short`.
fn packaged_commit(text: &str) -> Option<String> {
    let after_key = &text[text.find("\"sha1\"")? + "\"sha1\"".len()..];
    let value = after_key.trim_start().strip_prefix(':')?.trim_start();
    let hash = value.strip_prefix('"')?.split('"').next()?;
    let is_hash = hash.len() >= 9 && hash.bytes().all(|b| b.is_ascii_hexdigit());
    is_hash.then(|| hash[..9].to_owned())
}

/// The short hash of `HEAD` in the git checkout whose top folder is `dir`, asking cargo to rerun
/// this script when `HEAD` or the branch it points at moves. `None` when git is missing or `dir`
/// is not the top of a checkout (a source archive unpacked inside some other repository).
fn checkout_commit(dir: &Path) -> Option<String> {
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    // `--git-path` finds the files of a linked worktree too, where `.git` is a file.
    for name in ["HEAD", "packed-refs"] {
        watch(dir, &git(dir, &["rev-parse", "--git-path", name])?);
    }
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch(dir, &git(dir, &["rev-parse", "--git-path", &branch])?);
    }
    git(dir, &["rev-parse", "--short=9", "HEAD"])
}

/// Asks cargo to rerun this script when `path` (relative to `dir`, or absolute) changes. A path
/// that does not exist is skipped: cargo would rerun the script on every build.
fn watch(dir: &Path, path: &str) {
    let path = dir.join(path);
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}

/// The trimmed standard output of `git -C dir ARGS`, or `None` if git is missing or fails.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (output.status.success() && !text.is_empty()).then(|| text.to_owned())
}
