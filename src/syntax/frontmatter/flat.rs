//! The fast path for flat frontmatter: `key: value` lines whose values are plain or simply quoted
//! scalars, one-line flow lists `[a, "b"]`, or block lists of such scalars (or of Pyrite typed
//! links, `- target: x` with more `key: value` lines under it).
//!
//! This reads exactly the subset of YAML it recognises, into the same [`Node`]s that the saphyr
//! path builds; on anything else (comments, anchors, tags, escapes, block scalars, multi-line or
//! empty values, nesting, tabs, odd white space) it returns `None` and the caller falls back to
//! saphyr-parser. Whatever it accepts is valid YAML, so it never has errors to report.

use super::{LineIter, MAX_VALUES_PER_FIELD, Node, RawValue};
use crate::text::TextRange;

/// Larger frontmatter goes to saphyr (which caps the events it reads).
const MAX_FLAT_BYTES: usize = 64 * 1024;

/// The top-level fields of `text[yaml_range]` in source order, or `None` when the YAML is not
/// in the flat subset.
pub(super) fn read(text: &str, yaml_range: TextRange) -> Option<Vec<(&str, Node)>> {
    let yaml = &text[yaml_range.as_usize()];
    if yaml.len() > MAX_FLAT_BYTES || !plain_characters(yaml) {
        return None;
    }
    let base = yaml_range.start as usize;
    let mut lines = Lines {
        yaml,
        base,
        iter: LineIter { text: yaml, pos: 0 },
        pending: None,
    };
    // At most a field a line: room for them at once, not grown field by field.
    let mut fields = Vec::with_capacity(memchr::memchr_iter(b'\n', yaml.as_bytes()).count() + 1);
    while let Some((start, line)) = lines.next() {
        let (key, value_at) = key_at_start(line)?;
        let value = &line[value_at..];
        let node = if value.is_empty() {
            block_list(&mut lines)?
        } else {
            block_value(value, base + start + value_at)?
        };
        fields.push((key, node));
    }
    Some(fields)
}

/// Lines of the YAML as `(offset in the YAML, line without its break)`, with one line of
/// look-ahead.
struct Lines<'a> {
    yaml: &'a str,
    base: usize,
    iter: LineIter<'a>,
    pending: Option<(usize, &'a str)>,
}

impl<'a> Lines<'a> {
    fn next(&mut self) -> Option<(usize, &'a str)> {
        if let Some(line) = self.pending.take() {
            return Some(line);
        }
        let (start, end, _) = self.iter.next()?;
        Some((start, &self.yaml[start..end]))
    }

    fn push_back(&mut self, line: (usize, &'a str)) {
        self.pending = Some(line);
    }
}

/// No tab, control character, or white space or special character outside ASCII: YAML and
/// Rust disagree on those, and the saphyr path knows YAML's rules.
fn plain_characters(yaml: &str) -> bool {
    if yaml.is_ascii() {
        return yaml
            .bytes()
            .all(|b| b >= b' ' && b != 0x7f || b == b'\n' || b == b'\r');
    }
    yaml.chars().all(|c| {
        if c.is_ascii() {
            c >= ' ' && c != '\u{7f}' || c == '\n' || c == '\r'
        } else {
            !c.is_whitespace()
                && !c.is_control()
                && !matches!(
                    c,
                    '\u{feff}' | '\u{fffe}' | '\u{ffff}' | '\u{2028}' | '\u{2029}'
                )
        }
    })
}

/// `key:` at the very start of `line`, followed by the end of the line or a space; returns the
/// key and where its value starts (after the spaces; at the end of the line when empty).
fn key_at_start(line: &str) -> Option<(&str, usize)> {
    let bytes = line.as_bytes();
    let first = *bytes.first()?;
    if !(first.is_ascii_alphanumeric() || first == b'_') {
        return None;
    }
    let key_len = bytes
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        .count();
    if bytes.get(key_len) != Some(&b':') {
        return None;
    }
    let after = key_len + 1;
    if after < bytes.len() && bytes[after] != b' ' {
        return None;
    }
    let spaces = bytes[after..].iter().take_while(|&&b| b == b' ').count();
    Some((&line[..key_len], after + spaces))
}

/// A non-empty value after `key: ` (no leading space), which starts at byte `at` of the note.
fn block_value(value: &str, at: usize) -> Option<Node> {
    if value.starts_with('[') {
        return flow_list(value, at);
    }
    scalar(value, at).map(Node::Scalar)
}

/// A plain scalar filling `value` (trailing spaces allowed), or a single-quoted or double-quoted
/// one without escapes.
fn scalar(value: &str, at: usize) -> Option<RawValue> {
    let bytes = value.as_bytes();
    match bytes.first()? {
        quote @ (b'"' | b'\'') => {
            let close = 1 + memchr::memchr(*quote, &bytes[1..])?;
            let inner = &value[1..close];
            let rest = &value[close + 1..];
            // Nothing may follow the closing quote: saphyr's span of a quoted scalar takes in
            // trailing spaces, which changes the value's range.
            if (*quote == b'"' && inner.contains('\\')) || !rest.is_empty() {
                return None;
            }
            Some(new_value(inner, at + 1))
        }
        first if is_indicator(*first) => None,
        _ => {
            let text = value.trim_end_matches(' ');
            // `: ` and ` #` found through their `:` and `#`, in one pass.
            let bytes = text.as_bytes();
            let special = |at: usize| match bytes[at] {
                b':' => bytes.get(at + 1).is_none_or(|&b| b == b' '),
                _ => at > 0 && bytes[at - 1] == b' ',
            };
            if memchr::memchr2_iter(b':', b'#', bytes).any(special) {
                return None;
            }
            Some(new_value(text, at))
        }
    }
}

/// A one-line flow list `[a, "b", 'c']` (trailing spaces allowed).
fn flow_list(value: &str, at: usize) -> Option<Node> {
    let value = value.trim_end_matches(' ');
    let inner = value.strip_prefix('[')?.strip_suffix(']')?;
    let mut scalars = Vec::new();
    if inner.bytes().all(|b| b == b' ') {
        return Some(Node::List(scalars, Vec::new()));
    }
    let mut offset = 1;
    for item in inner.split(',') {
        let leading = item.len() - item.trim_start_matches(' ').len();
        let trimmed = item.trim_matches(' ');
        let item_at = at + offset + leading;
        offset += item.len() + 1;
        let bytes = trimmed.as_bytes();
        let value = match bytes.first()? {
            quote @ (b'"' | b'\'') => {
                // As for block scalars, nothing between the closing quote and the comma.
                if trimmed.len() < 2
                    || !item.ends_with(*quote as char)
                    || trimmed[1..trimmed.len() - 1].contains(['"', '\'', '\\'])
                {
                    return None;
                }
                new_value(&trimmed[1..trimmed.len() - 1], item_at + 1)
            }
            first if is_indicator(*first) => return None,
            _ => {
                // An indicator after a space may start a new token in a flow list (saphyr
                // reads `[a -]` as an error): left to saphyr.
                if trimmed.contains(['[', ']', '{', '}', '#', ':', '"', '\''])
                    || trimmed
                        .as_bytes()
                        .windows(2)
                        .any(|pair| pair[0] == b' ' && is_indicator(pair[1]) && pair[1] != b' ')
                {
                    return None;
                }
                new_value(trimmed, item_at)
            }
        };
        if scalars.len() < MAX_VALUES_PER_FIELD {
            scalars.push(value);
        }
    }
    Some(Node::List(scalars, Vec::new()))
}

/// The `- item` lines after a `key:` with no value: scalars, or Pyrite typed links (`- target: x`
/// and more `key: value` lines two spaces deeper). `None` when no item follows.
fn block_list(lines: &mut Lines<'_>) -> Option<Node> {
    let mut scalars = Vec::new();
    let mut maps = Vec::new();
    let mut indent = None;
    while let Some((start, line)) = lines.next() {
        let spaces = line.bytes().take_while(|&b| b == b' ').count();
        let Some(item) = line[spaces..].strip_prefix("- ") else {
            lines.push_back((start, line));
            break;
        };
        if *indent.get_or_insert(spaces) != spaces {
            return None;
        }
        let item_at = start + spaces + 2;
        if item.starts_with(' ') || item.is_empty() {
            return None;
        }
        match key_at_start(item) {
            None => {
                let value = scalar(item, lines.base + item_at)?;
                if scalars.len() < MAX_VALUES_PER_FIELD {
                    scalars.push(value);
                }
            }
            Some((key, value_at)) => {
                let mut pairs = vec![map_pair(key, item, value_at, lines.base + item_at)?];
                while let Some((start, line)) = lines.next() {
                    let Some(pair_line) = line
                        .get(..spaces + 2)
                        .filter(|prefix| prefix.bytes().all(|b| b == b' '))
                        .map(|_| &line[spaces + 2..])
                    else {
                        lines.push_back((start, line));
                        break;
                    };
                    let (key, value_at) = key_at_start(pair_line)?;
                    pairs.push(map_pair(
                        key,
                        pair_line,
                        value_at,
                        lines.base + start + spaces + 2,
                    )?);
                }
                maps.push(pairs);
            }
        }
    }
    indent?;
    Some(Node::List(scalars, maps))
}

/// One `key: scalar` pair of a typed link; `line` starts at byte `at` of the note.
fn map_pair(key: &str, line: &str, value_at: usize, at: usize) -> Option<(Box<str>, RawValue)> {
    let value = &line[value_at..];
    if value.is_empty() || value.starts_with('[') {
        return None;
    }
    Some((key.into(), scalar(value, at + value_at)?))
}

/// Characters that cannot start a plain scalar (or start one only in cases left to saphyr).
fn is_indicator(byte: u8) -> bool {
    matches!(
        byte,
        b'-' | b'?'
            | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
            | b' '
    )
}

fn new_value(text: &str, at: usize) -> RawValue {
    RawValue {
        text: text.into(),
        range: TextRange::new(at, at + text.len()),
        kb: None,
    }
}
