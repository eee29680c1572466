//! The frontmatter as lines of text, for completion and hover: which key the cursor's line
//! names or belongs to, and the word under the cursor. Read from the text as typed (a value
//! being written may not parse yet), one line at a time: a key at column 0 is a top-level
//! field; a `- ` line is an item of the field above it; `key: value` inside an item (on an
//! indented line, after the `- `, or inside a flow mapping `{…}`) is one of the item's keys.

use crate::text::TextRange;

/// Where the cursor is, as a YAML writer sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Place<'a> {
    /// Typing a top-level key at column 0 (nothing but a name before the cursor).
    Key {
        /// From the line start to the end of the name under the cursor.
        range: TextRange,
        /// Whether the line goes on with a `:` after the name (then only the name is inserted).
        has_colon: bool,
    },
    /// In a value: of top-level `field` (`None` in a top-level list, as in
    /// `cross-kb-links.yaml`), or of `item_key` inside an item or a flow mapping of it.
    Value {
        field: Option<&'a str>,
        item_key: Option<&'a str>,
        /// The word under the cursor (to replace), and the part typed before the cursor.
        word: TextRange,
        typed: &'a str,
        /// The lines of the list item (or the flow mapping) the cursor is in, to read the
        /// item's other keys (a typed link's `kb:`).
        item: TextRange,
    },
}

/// The place of `cursor` in the YAML `text[yaml]` (the frontmatter between its `---` lines, or
/// a whole YAML file).
pub(crate) fn place_at(text: &str, yaml: TextRange, cursor: usize) -> Option<Place<'_>> {
    let (yaml_start, yaml_end) = (yaml.start as usize, yaml.end as usize);
    if cursor < yaml_start || cursor > yaml_end || !is_range_of(text, yaml) {
        return None;
    }
    if !text.is_char_boundary(cursor) {
        return None;
    }
    let line_start = text[yaml_start..cursor]
        .rfind('\n')
        .map_or(yaml_start, |i| yaml_start + i + 1);
    let line_end = text[cursor..yaml_end]
        .find(['\r', '\n'])
        .map_or(yaml_end, |i| cursor + i);
    let before = &text[line_start..cursor];
    if !before.contains(':') && before.chars().all(is_key_char) && !before.starts_with('-') {
        let name_len: usize = text[cursor..line_end]
            .chars()
            .take_while(|&c| is_key_char(c))
            .map(char::len_utf8)
            .sum();
        let has_colon = text[cursor + name_len..line_end]
            .trim_start()
            .starts_with(':');
        return Some(Place::Key {
            range: TextRange::new(line_start, cursor + name_len),
            has_colon,
        });
    }
    let word = word_at(text, line_start, line_end, cursor);
    let typed = &text[word.start as usize..cursor];
    let trimmed = before.trim_start();
    let indented = trimmed.len() != before.len();
    let (field, value_part, value_start) = if !indented && !trimmed.starts_with('-') {
        // `key: value` at column 0.
        let (key, _) = before.split_once(':')?;
        let value_start = line_start + key.len() + 1;
        (Some(key.trim()), &text[value_start..cursor], value_start)
    } else {
        let after_dash = trimmed.strip_prefix('-').unwrap_or(trimmed);
        let value_start = cursor - after_dash.len();
        (
            top_field(text, yaml_start, line_start),
            after_dash,
            value_start,
        )
    };
    // Inside a flow mapping or after a `,`, only the last `key: value` counts.
    let segment_at = value_part.rfind(['{', ',']).map_or(0, |i| i + 1);
    let segment = &value_part[segment_at..];
    let item_key = segment.split_once(':').and_then(|(key, _)| {
        let key = key.trim();
        (!key.is_empty() && key.chars().all(is_key_char)).then_some(key)
    });
    // A list item's own line with no key is a plain value of the field (`- rose`).
    let item_key = if trimmed.starts_with('-') || indented || value_part.contains('{') {
        item_key
    } else {
        None
    };
    let item = if value_part[..segment_at].contains('{') {
        let open = value_start + value_part.rfind('{').unwrap_or(0);
        let close = text[cursor..line_end]
            .find('}')
            .map_or(line_end, |i| cursor + i);
        TextRange::new(open, close)
    } else {
        item_lines(text, yaml_start, yaml_end, line_start)
    };
    Some(Place::Value {
        field,
        item_key,
        word,
        typed,
        item,
    })
}

/// The top-level keys written in `text[yaml]`, in order (each at column 0, before a `:`).
pub(crate) fn top_level_keys(text: &str, yaml: TextRange) -> Vec<(&str, TextRange)> {
    let mut keys = Vec::new();
    if !is_range_of(text, yaml) {
        return keys;
    }
    let mut offset = yaml.start as usize;
    for line in text[yaml.as_usize()].split_inclusive('\n') {
        if let Some(key) = key_of_line(line) {
            keys.push((key, TextRange::new(offset, offset + key.len())));
        }
        offset += line.len();
    }
    keys
}

/// The value of `key` written on one of the lines of `text[item]` (`kb: other` in a typed
/// link), unquoted.
pub(crate) fn item_value<'a>(text: &'a str, item: TextRange, key: &str) -> Option<&'a str> {
    text[item.as_usize()]
        .split(['\n', ',', '{', '}'])
        .find_map(|part| {
            let part = part.trim().trim_start_matches('-').trim_start();
            let (name, value) = part.split_once(':')?;
            (name.trim() == key).then(|| value.trim().trim_matches(['"', '\'']))
        })
        .filter(|value| !value.is_empty())
}

/// A key at column 0 of `line`: `name:` followed by space or the line's end.
fn key_of_line(line: &str) -> Option<&str> {
    let (key, rest) = line.split_once(':')?;
    let key_ok = !key.is_empty() && key.chars().all(is_key_char) && !key.starts_with('-');
    (key_ok && (rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))).then_some(key)
}

/// The nearest top-level key at or above the line starting at `line_start`.
fn top_field(text: &str, yaml_start: usize, line_start: usize) -> Option<&str> {
    text[yaml_start..line_start]
        .lines()
        .rev()
        .find(|line| !line.starts_with([' ', '\t', '-', '#']) && !line.trim().is_empty())
        .and_then(key_of_line)
}

/// The lines of the list item around the line at `line_start`: from its `- ` line down to the
/// next item or top-level line.
fn item_lines(text: &str, yaml_start: usize, yaml_end: usize, line_start: usize) -> TextRange {
    let mut lines: Vec<(usize, usize)> = Vec::new();
    let mut offset = yaml_start;
    for line in text[yaml_start..yaml_end].split_inclusive('\n') {
        let content = line.trim_end_matches(['\r', '\n']);
        lines.push((offset, offset + content.len()));
        offset += line.len();
    }
    let Some(current) = lines.iter().position(|&(start, _)| start == line_start) else {
        return TextRange::empty(line_start);
    };
    let line = |i: usize| &text[lines[i].0..lines[i].1];
    let is_item_start = |i: usize| line(i).trim_start().starts_with('-');
    let is_outside = |i: usize| !line(i).starts_with([' ', '\t', '-']);
    let mut first = current;
    while first > 0 && !is_item_start(first) && !is_outside(first) {
        first -= 1;
    }
    if first < current && is_outside(first) {
        first += 1;
    }
    let mut last = current;
    while last + 1 < lines.len() && !is_item_start(last + 1) && !is_outside(last + 1) {
        last += 1;
    }
    TextRange::new(lines[first].0, lines[last].1)
}

/// The word under the cursor on its line: what completion replaces.
fn word_at(text: &str, line_start: usize, line_end: usize, cursor: usize) -> TextRange {
    let is_word = |c: char| {
        !matches!(
            c,
            ',' | '[' | ']' | '{' | '}' | ' ' | '\t' | '"' | '\'' | ':'
        )
    };
    let start = text[line_start..cursor]
        .char_indices()
        .rev()
        .find(|&(_, c)| !is_word(c))
        .map_or(line_start, |(i, c)| line_start + i + c.len_utf8());
    // A `- ` item's dash is not part of its value.
    let start = if text[start..cursor].starts_with('-') && text[line_start..start].trim().is_empty()
    {
        start + 1
    } else {
        start
    };
    let end = cursor
        + text[cursor..line_end]
            .chars()
            .take_while(|&c| is_word(c))
            .map(char::len_utf8)
            .sum::<usize>();
    TextRange::new(start, end)
}

/// Whether `range` is a valid range of `text` (the text may have changed since the note was
/// indexed).
fn is_range_of(text: &str, range: TextRange) -> bool {
    text.get(range.as_usize()).is_some()
}

fn is_key_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The place at `$0` in `yaml`, rendered with the text of its ranges.
    fn place(yaml: &str) -> String {
        let cursor = yaml.find("$0").unwrap();
        let text = yaml.replace("$0", "");
        let range = TextRange::new(0, text.len());
        let slice = |r: TextRange| text[r.as_usize()].to_owned();
        match place_at(&text, range, cursor) {
            None => "none".to_owned(),
            Some(Place::Key { range, has_colon }) => {
                format!("key {:?} colon={has_colon}", slice(range))
            }
            Some(Place::Value {
                field,
                item_key,
                word,
                typed,
                item,
            }) => format!(
                "value field={field:?} key={item_key:?} word={:?} typed={typed:?} item={:?}",
                slice(word),
                slice(item)
            ),
        }
    }

    #[test]
    fn places() {
        let cases = [
            "title: A\nfam$0\n",
            "title: A\n$0\n",
            "title: A\nfam$0ily: rose\n",
            "family: ro$0se\n",
            "family: \"ro$0\"\n",
            "colours: [red, wh$0]\n",
            "colours:\n  - red\n  - wh$0\n",
            "colours:\n- wh$0\n",
            "links:\n- target: ada\n  relation: gr$0\n  kb: other\n- target: bo\n",
            "links:\n- target: a$0\n  kb: other\n",
            "links: [{target: ada, relation: gr$0}, {target: b}]\n",
            "- source: flow-state\n  target: im$0\n  target_kb: boyd\n",
            "title: A\r\nlinks:\r\n- target: ada\r\n  kb: ot$0\r\n",
            "  indented: x$0\n",
        ];
        let rendered: Vec<String> = cases.iter().map(|case| place(case)).collect();
        expect_test::expect![[r#"
            [
                "key \"fam\" colon=false",
                "key \"\" colon=false",
                "key \"family\" colon=true",
                "value field=Some(\"family\") key=None word=\"rose\" typed=\"ro\" item=\"family: rose\"",
                "value field=Some(\"family\") key=None word=\"ro\" typed=\"ro\" item=\"family: \\\"ro\\\"\"",
                "value field=Some(\"colours\") key=None word=\"wh\" typed=\"wh\" item=\"colours: [red, wh]\"",
                "value field=Some(\"colours\") key=None word=\"wh\" typed=\"wh\" item=\"  - wh\"",
                "value field=Some(\"colours\") key=None word=\"wh\" typed=\"wh\" item=\"- wh\"",
                "value field=Some(\"links\") key=Some(\"relation\") word=\"gr\" typed=\"gr\" item=\"- target: ada\\n  relation: gr\\n  kb: other\"",
                "value field=Some(\"links\") key=Some(\"target\") word=\"a\" typed=\"a\" item=\"- target: a\\n  kb: other\"",
                "value field=Some(\"links\") key=Some(\"relation\") word=\"gr\" typed=\"gr\" item=\"{target: ada, relation: gr\"",
                "value field=None key=Some(\"target\") word=\"im\" typed=\"im\" item=\"- source: flow-state\\n  target: im\\n  target_kb: boyd\"",
                "value field=Some(\"links\") key=Some(\"kb\") word=\"ot\" typed=\"ot\" item=\"- target: ada\\r\\n  kb: ot\"",
                "value field=None key=Some(\"indented\") word=\"x\" typed=\"x\" item=\"  indented: x\"",
            ]
        "#]]
        .assert_debug_eq(&rendered);
    }

    #[test]
    fn keys_and_item_values() {
        let text = "title: A\nfamily: rose\n  nested: x\n- item: y\nlinks:\n- target: t\n  kb: \"other\"\n";
        let range = TextRange::new(0, text.len());
        let keys: Vec<&str> = top_level_keys(text, range)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["title", "family", "links"]);
        let item = TextRange::new(text.find("- target").unwrap(), text.len());
        assert_eq!(item_value(text, item, "kb"), Some("other"));
        assert_eq!(item_value(text, item, "relation"), None);
    }
}
