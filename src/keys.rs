//! Keys: how ids, titles, headings and link targets are normalised before they are compared or
//! looked up. Folding, heading keys and slugs, target cleaning, a note's link keys and the split
//! of a frontmatter reference into KB and id live here, below both the workspace (which indexes
//! notes under these keys) and the resolver in [`crate::slug`] (which decides what a link means
//! with them). Plain functions of text and parsed notes: this module knows no workspace.

use std::path::Component;

use crate::syntax::{ParsedNote, Value, is_kb_name_byte};

/// Case folding used for every case-insensitive comparison of ids, titles and aliases.
pub fn fold(text: &str) -> String {
    let trimmed = text.trim();
    if trimmed.is_ascii() {
        trimmed.to_ascii_lowercase()
    } else {
        trimmed.to_lowercase()
    }
}

/// The key a heading is matched by: letters and digits only, lowercased, so `My Heading!`,
/// `my-heading` and `myheading` are the same heading.
pub fn heading_key(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The slug a heading gets in URLs and in the `[[id#slug]]` form: lowercase words joined by `-`.
pub fn heading_slug(text: &str) -> String {
    let mut slug = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if (c.is_whitespace() || c == '-') && !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    slug.trim_end_matches('-').to_owned()
}

/// The key a tag is matched by: without a leading `#`, trimmed, folded (`#Rose` and `rose` in
/// `tags:` are one tag, as in Obsidian).
pub fn tag_key(tag: &str) -> String {
    fold(tag.trim().trim_start_matches('#'))
}

/// A link target as written, cleaned: trimmed, without a `.md` extension, `./` or leading `/`.
/// Returns `None` for a target that climbs out with `..` (it can never name a note).
pub fn clean_target(target: &str) -> Option<String> {
    let mut target = target.trim();
    for ext in [".md", ".markdown"] {
        // `get`: the last bytes may fall inside a multi-byte character (`[[a😀]]`).
        let cut = target.len().saturating_sub(ext.len());
        let tail = target.get(cut..).unwrap_or("");
        if cut > 0 && tail.eq_ignore_ascii_case(ext) {
            target = &target[..cut];
        }
    }
    let target = target.trim_start_matches("./").trim_start_matches('/');
    if !target.contains('/') {
        return Some(target.to_owned());
    }
    let mut parts = Vec::new();
    for component in std::path::Path::new(target).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_string_lossy().into_owned()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// The keys under which a note's links and references are indexed, so that "who links to X"
/// only resolves links that could mean X: the folded target, and its last path segment.
pub fn link_keys(target: &str) -> impl Iterator<Item = String> {
    let folded = fold(target);
    let folded = folded
        .strip_suffix(".md")
        .map(str::to_owned)
        .unwrap_or(folded);
    let last = folded
        .rsplit('/')
        .next()
        .filter(|last| *last != folded)
        .map(str::to_owned);
    std::iter::once(folded).chain(last)
}

/// All link keys of one parsed note (body links, frontmatter links and plain frontmatter values).
pub fn note_link_keys(parsed: &ParsedNote) -> Vec<Box<str>> {
    let mut keys: Vec<Box<str>> = Vec::new();
    for link in parsed.links() {
        if link.target.text.is_empty() {
            continue;
        }
        keys.extend(link_keys(link.target.text).map(Box::from));
        if let Some(kb) = &link.kb {
            // `[[Note: x]]`-like text that is not a KB prefix is looked up whole.
            keys.push(fold(&format!("{}:{}", kb.text, link.target.text)).into());
        }
    }
    if let Some(fm) = parsed.frontmatter() {
        for field in fm.fields() {
            for value in field.values {
                let (_, id) = split_reference(value);
                keys.push(fold(id).into());
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// Splits a frontmatter value into its KB (from `kb:id` or a typed link's `kb:`) and its id.
pub fn split_reference<'a>(value: Value<'a>) -> (Option<&'a str>, &'a str) {
    if let Some(kb) = value.kb {
        return (Some(kb), value.text.trim());
    }
    match value.text.split_once(':') {
        Some((kb, id))
            if !kb.is_empty() && !id.starts_with(' ') && kb.bytes().all(is_kb_name_byte) =>
        {
            (Some(kb), id.trim())
        }
        _ => (None, value.text.trim()),
    }
}
