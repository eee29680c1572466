//! What Pyrite's YAML reader (ruamel.yaml, which scans like PyYAML) accepts and strict YAML
//! does not: a quoted scalar (`"…"` or `'…'`) whose continuation lines sit at or left of the
//! indentation of the line the scalar starts on, such as a long `title:` that goes on at
//! column 0:
//!
//! ```yaml
//! title: "Quality Circles in an
//! R&D Setting"
//! ```
//!
//! ruamel folds those lines like any others ("Quality Circles in an R&D Setting"); it still
//! refuses a continuation line that starts with a document marker (`---` or `...` followed by a
//! space or the line's end), and so does this module. [`repair`] indents such continuation
//! lines so that strict YAML reads the same value, and says where every character of the
//! repaired copy came from, so that ranges still point into the note.

/// A copy of some YAML with under-indented quoted-scalar lines indented.
pub(super) struct Repaired {
    pub text: String,
    /// For each character of `text` (and one past its end), the byte offset in the original
    /// YAML it came from; an inserted space maps to the character it was inserted before.
    pub origins: Vec<u32>,
    /// The first under-indented line of each repaired scalar: byte ranges in the original.
    pub lines: Vec<(usize, usize)>,
}

/// The YAML with its under-indented quoted-scalar continuation lines indented, or `None` when
/// it has none, or has a continuation line that Pyrite's reader refuses too.
pub(super) fn repair(yaml: &str) -> Option<Repaired> {
    let mut insertions: Vec<(usize, usize)> = Vec::new();
    let mut lines = Vec::new();
    let mut state = State::Outside;
    let mut flow_depth = 0usize;
    let mut offset = 0;
    for line in yaml.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let indent = content.len() - content.trim_start_matches(' ').len();
        let mut from = 0;
        if let State::Quoted {
            quote,
            start_indent,
            repaired,
        } = state
        {
            if !content.trim().is_empty() {
                if is_document_marker(content) {
                    return None;
                }
                if indent <= start_indent {
                    insertions.push((offset, start_indent + 1 - indent));
                    if !repaired {
                        lines.push((offset, offset + content.len()));
                    }
                    state = State::Quoted {
                        quote,
                        start_indent,
                        repaired: true,
                    };
                }
            }
            match closing_quote(content, 0, quote) {
                Some(after) => from = after,
                None => {
                    offset += line.len();
                    continue;
                }
            }
        }
        state = scan_outside(content, from, indent, &mut flow_depth);
        offset += line.len();
    }
    if insertions.is_empty() {
        return None;
    }
    let mut text = String::with_capacity(yaml.len() + insertions.len() * 4);
    let mut origins = Vec::with_capacity(yaml.len() + insertions.len() * 4 + 1);
    let mut pending = insertions.iter().peekable();
    for (at, c) in yaml.char_indices() {
        while let Some(&&(insert_at, count)) = pending.peek() {
            if insert_at != at {
                break;
            }
            for _ in 0..count {
                text.push(' ');
                origins.push(at as u32);
            }
            pending.next();
        }
        text.push(c);
        origins.push(at as u32);
    }
    origins.push(yaml.len() as u32);
    Some(Repaired {
        text,
        origins,
        lines,
    })
}

#[derive(Clone, Copy)]
enum State {
    Outside,
    Quoted {
        quote: char,
        /// The indentation of the line the scalar starts on.
        start_indent: usize,
        /// Whether one of its lines was indented already.
        repaired: bool,
    },
}

/// Scans `line` from byte `from` outside any quoted scalar: comments end the line; a quote
/// where a value can start opens a scalar (returned when it is not closed on this line).
fn scan_outside(line: &str, from: usize, indent: usize, flow_depth: &mut usize) -> State {
    let bytes = line.as_bytes();
    let mut value_may_start = from == 0 || bytes[..from].iter().all(|b| *b == b' ');
    let mut i = from;
    while i < bytes.len() {
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        let blank_after = matches!(next, None | Some(b' ' | b'\t'));
        match b {
            b' ' | b'\t' => {}
            b'#' if i == 0 || matches!(bytes[i - 1], b' ' | b'\t') => break,
            b'"' | b'\'' if value_may_start => {
                let quote = b as char;
                match closing_quote(line, i + 1, quote) {
                    Some(after) => {
                        i = after;
                        value_may_start = false;
                        continue;
                    }
                    None => {
                        return State::Quoted {
                            quote,
                            start_indent: indent,
                            repaired: false,
                        };
                    }
                }
            }
            b':' if blank_after => value_may_start = true,
            b'-' if value_may_start && blank_after => {}
            b'[' | b'{' if value_may_start => *flow_depth += 1,
            b']' | b'}' if *flow_depth > 0 => {
                *flow_depth -= 1;
                value_may_start = false;
            }
            b',' if *flow_depth > 0 => value_may_start = true,
            _ => value_may_start = false,
        }
        i += 1;
    }
    State::Outside
}

/// The byte after the quote that closes a scalar opened before `from` on `line`, if any.
fn closing_quote(line: &str, from: usize, quote: char) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        match (quote, bytes[i]) {
            ('"', b'\\') => i += 2,
            ('\'', b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
            (_, b) if b as char == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// `---` or `...` at column 0, followed by white space or the end of the line.
fn is_document_marker(line: &str) -> bool {
    (line.starts_with("---") || line.starts_with("..."))
        && matches!(line.as_bytes().get(3), None | Some(b' ' | b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repaired(yaml: &str) -> Option<String> {
        let repaired = repair(yaml)?;
        assert_eq!(repaired.origins.len(), repaired.text.chars().count() + 1);
        Some(repaired.text)
    }

    #[test]
    fn under_indented_quoted_lines_are_indented() {
        assert_eq!(
            repaired("title: \"Quality in an\nR&D Setting\"\nid: x\n").as_deref(),
            Some("title: \"Quality in an\n R&D Setting\"\nid: x\n")
        );
        assert_eq!(
            repaired("a:\n  b: 'one\n  two'\n").as_deref(),
            Some("a:\n  b: 'one\n   two'\n")
        );
        assert_eq!(
            repaired("tags: [\"x\", \"y\nz\"]\r\nid: a\r\n").as_deref(),
            Some("tags: [\"x\", \"y\n z\"]\r\nid: a\r\n")
        );
        // Blank lines inside stay; an escaped quote does not close the scalar.
        assert_eq!(
            repaired("t: \"a \\\" b\n\nc\"\n").as_deref(),
            Some("t: \"a \\\" b\n\n c\"\n")
        );
    }

    #[test]
    fn what_pyrite_refuses_or_needs_no_repair_is_left() {
        for yaml in [
            "title: \"Foo\n--- bar\"\n",
            "title: \"Foo\n... bar\"\n",
            "title: plain\ncontinued: at column 0\n",
            "title: It's \"fine\"\n",
            "title: \"ok\"\n# a \"comment\nid: x\n",
            "title: \"indented\n  enough\"\n",
        ] {
            assert_eq!(repaired(yaml), None, "{yaml:?}");
        }
    }
}
