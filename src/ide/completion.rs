//! Completion inside `[[...` (whether or not `]]` is typed, and whatever the editor inserted
//! after the cursor), and in frontmatter reference fields and `tags:`.
//!
//! - `[[tex` offers notes matched by id, title and aliases (fuzzy, ranked: exact and prefix
//!   matches of id or title first), inserting the canonical target (`id`, or `kb:id` across KBs;
//!   in a plain vault, the note's path when others share its name), then attachments by file
//!   name (after `![[`, images come first, before the notes), plus KB prefixes (`kb:`) and
//!   wanted pages (targets linked somewhere that do not exist yet);
//! - `[[kb:` offers that KB's notes; `[[id#` its headings (`[[#` this note's); `[[id^` and
//!   `[[id#^` its block ids, then its paragraphs that have none yet (a preview of their text):
//!   accepting one links to a fresh id, and the item carries a [`NewBlockId`] for the shell to
//!   add ` ^id` to that paragraph (an additional edit in this note, else a command that edits
//!   the other note through the editor; only when [`CompletionConfig::block_links`] says the
//!   editor applies such edits);
//! - accepting an item always leaves exactly `[[target]]`: the edit replaces the typed text and
//!   any `]`/`]]` already after the cursor, and adds the closing brackets when missing;
//! - `#` (at the start of a line or after a space, in the body, not in code) offers the tags in
//!   use in the workspace, in `tags:` or inline, most used first.
//!
//! The text of the note is passed in, since the cursor may sit in a link the index has not
//! seen as one yet (it is not closed).

mod schema;

use super::SourceText;
use super::navigation::{note_tags, plural, tags_in_use};
use super::rank::{NoteRanker, TopK, keep_best, scan_name_chunks};
use super::source_change::NewBlockId;
use crate::keys;
use crate::slug;
use crate::text::{FileId, FilePosition, TextRange};
use crate::workspace::{KbId, NameFacts, Workspace, char_mask};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionConfig {
    /// Most notes returned at once on a large vault (the list is then incomplete).
    pub max_items: usize,
    /// The editor applies edits the server asks for (`workspace/applyEdit`): paragraphs of other
    /// notes are offered as block links (this note's always are).
    pub block_links: bool,
    /// Offer wanted notes (targets other notes link to that no note has yet). They come from
    /// the workspace's link table; the server turns them off in the moment after indexing
    /// while the table is still being built.
    pub wanted_notes: bool,
}

impl Default for CompletionConfig {
    fn default() -> Self {
        CompletionConfig {
            max_items: 50,
            block_links: false,
            wanted_notes: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompletionKind {
    Note,
    WantedPage,
    Kb,
    Heading,
    Block,
    Tag,
    /// A file that is not a note (see `workspace::Attachment`).
    Attachment,
    /// A frontmatter field name the note's type declares (see `completion::schema`).
    Field,
    /// A type of the KB's schema, or a built-in one.
    Type,
    /// A value a select field allows.
    Value,
    /// A relationship type of a typed link.
    Relation,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    /// Replaces [`CompletionList::replace_range`].
    pub insert_text: String,
    /// What the editor matches the typed text against.
    pub filter_text: String,
    /// Orders items as ranked here (zero-padded rank).
    pub sort_text: String,
    pub detail: Option<String>,
    /// The note the item stands for, for documentation (the hover card).
    pub note: Option<FileId>,
    /// The block id that accepting the item gives to a paragraph.
    pub new_block_id: Option<NewBlockId>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CompletionList {
    /// The text every item replaces: what was typed of the current part, and any closing
    /// brackets the editor had already inserted after the cursor.
    pub replace_range: TextRange,
    pub items: Vec<CompletionItem>,
    /// More items exist than were returned: ask again as the user types.
    pub is_incomplete: bool,
}

/// Completion at `position` in a note whose current text is `text`; `source` reads other notes'
/// texts (for block links).
pub fn completion(
    workspace: &Workspace,
    position: FilePosition,
    text: &str,
    config: &CompletionConfig,
    source: SourceText<'_>,
) -> Option<CompletionList> {
    let offset = clamp_to_char_boundary(text, position.offset as usize);
    if let Some(context) = link_context(text, offset) {
        let sources = Sources {
            text,
            other: source,
            config,
        };
        return Some(link_completion(
            workspace,
            position.file,
            &context,
            &sources,
        ));
    }
    if let Some(name) = crate::syntax::typed_tag(text, offset) {
        return Some(tag_completion(workspace, position.file, text, name, config));
    }
    frontmatter_completion(workspace, position.file, text, offset, config)
}

/// The tags in use, for the inline tag whose name (typed so far) is `name`.
fn tag_completion(
    workspace: &Workspace,
    file: FileId,
    text: &str,
    name: TextRange,
    config: &CompletionConfig,
) -> CompletionList {
    let typed = keys::tag_key(&text[name.as_usize()]);
    // The index may already hold the tag being typed: it is not a tag in use.
    let mut tags = tags_in_use(workspace, Some((file, name)), char_mask(&typed));
    tags.retain(|tag| tag.key.contains(&typed));
    tags.sort_by(|a, b| b.notes.cmp(&a.notes).then_with(|| a.key.cmp(&b.key)));
    let is_incomplete = tags.len() > config.max_items;
    let items = tags
        .into_iter()
        .take(config.max_items)
        .enumerate()
        .map(|(rank, tag)| CompletionItem {
            label: tag.name.to_owned(),
            kind: CompletionKind::Tag,
            insert_text: tag.name.to_owned(),
            filter_text: tag.name.to_owned(),
            sort_text: format!("{rank:06}"),
            detail: Some(format!("tag in {}", plural(tag.notes, "note"))),
            note: None,
            new_block_id: None,
        })
        .collect();
    CompletionList {
        replace_range: name,
        items,
        is_incomplete,
    }
}

fn clamp_to_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// What block links read: this note's text and other notes' texts, and whether the editor
/// applies edits to other notes.
struct Sources<'a> {
    text: &'a str,
    other: SourceText<'a>,
    config: &'a CompletionConfig,
}

/// The open link around the cursor.
struct LinkContext<'a> {
    /// Typed between `[[` and the cursor.
    typed: &'a str,
    typed_start: usize,
    cursor: usize,
    /// Text after the cursor up to the end of the line.
    after: &'a str,
    /// The link is an embed (`![[`).
    embed: bool,
}

fn link_context(text: &str, cursor: usize) -> Option<LinkContext<'_>> {
    let line_start = text[..cursor].rfind(['\n', '\r']).map_or(0, |i| i + 1);
    let before = &text[line_start..cursor];
    let open = before.rfind("[[")?;
    let typed = &before[open + 2..];
    if typed.contains("]]") {
        return None;
    }
    let line_end = text[cursor..]
        .find(['\n', '\r'])
        .map_or(text.len(), |i| cursor + i);
    Some(LinkContext {
        typed,
        typed_start: line_start + open + 2,
        cursor,
        after: &text[cursor..line_end],
        embed: before[..open].ends_with('!'),
    })
}

/// What an accepted item replaces after the cursor, and whether it must add `]]`: the rest of
/// the word under the cursor, plus a single `]` an editor auto-inserted; a link already closed
/// (or going on with `|`, `#`, `^`) keeps its tail.
fn closing(context: &LinkContext<'_>, part_chars: &dyn Fn(char) -> bool) -> (usize, bool) {
    let rest = context.after;
    let word_len: usize = rest
        .chars()
        .take_while(|&c| part_chars(c))
        .map(char::len_utf8)
        .sum();
    let after_word = &rest[word_len..];
    let word_end = context.cursor + word_len;
    if after_word.starts_with("]]") || after_word.starts_with(['|', '#', '^']) {
        (word_end, false)
    } else if after_word.starts_with(']') {
        (word_end + 1, true)
    } else {
        (word_end, true)
    }
}

fn is_target_char(c: char) -> bool {
    !matches!(c, ']' | '[' | '|' | '#' | '^' | '\n' | '\r')
}

fn link_completion(
    workspace: &Workspace,
    from: FileId,
    context: &LinkContext<'_>,
    sources: &Sources<'_>,
) -> CompletionList {
    let config = sources.config;
    let typed = context.typed;
    let part_start = |marker: usize| context.typed_start + marker + 1;
    // `[[target#^block`, `[[target^block`, `[[target#heading`.
    if let Some(caret) = typed.rfind('^') {
        let target = typed[..caret].trim_end_matches('#');
        return sub_completion(
            workspace,
            from,
            context,
            target,
            part_start(caret),
            SubKind::Block(sources),
        );
    }
    if let Some(hash) = typed.rfind('#') {
        return sub_completion(
            workspace,
            from,
            context,
            &typed[..hash],
            part_start(hash),
            SubKind::Heading,
        );
    }
    let (end, add_close) = closing(context, &is_target_char);
    let close = if add_close { "]]" } else { "" };
    let replace_range = TextRange::new(context.typed_start, end);
    let from_kb = workspace.note(from).map(|n| n.kb);
    // `[[kb:partial`: only that KB's notes.
    let (only_kb, query) = match typed.split_once(':') {
        Some((kb, rest)) => match workspace.kb_by_name(kb.trim()) {
            Some(kb) => (Some(kb), rest),
            None => (None, typed),
        },
        None => (None, typed),
    };
    let mut items = Vec::new();
    let small_vault = workspace.note_count() <= config.max_items;
    let limit = if small_vault {
        usize::MAX
    } else {
        config.max_items
    };
    let (ranked, more) = rank_notes(workspace, only_kb, from_kb, query.trim(), limit);
    for (rank, (file, _)) in ranked.into_iter().enumerate() {
        let Some(note) = workspace.note(file) else {
            continue;
        };
        // In a plain vault a name that several notes share is written with its path, which
        // resolves to just this one wherever the link is (Obsidian writes such links so),
        // unless the bare name already means this one from here (the nearest).
        let shares_id = || {
            let same_id = workspace.notes_by_id(&keys::fold(note.id())).iter();
            same_id
                .filter(|&&f| workspace.note(f).is_some_and(|n| n.kb == note.kb))
                .count()
                > 1
        };
        let bare_means_it =
            || slug::resolve_target(workspace, from, None, note.id()).file(from) == Some(file);
        let name = match slug::is_plain_vault(workspace, note.kb)
            && from_kb == Some(note.kb)
            && shares_id()
            && !bare_means_it()
        {
            true => note.kb_path(),
            false => note.id(),
        };
        let target = match (only_kb, from_kb) {
            // Keep the prefix as the user spelled it.
            (Some(_), _) => format!(
                "{}:{}",
                typed.split_once(':').map_or("", |(k, _)| k.trim()),
                name
            ),
            (None, Some(kb)) if kb == note.kb => name.to_string(),
            _ => format!("{}:{}", workspace.kb_link_prefix(note.kb), name),
        };
        let mut detail = Vec::new();
        if note.title() != note.id() {
            detail.push(note.title().to_owned());
        }
        if let Some(t) = note.note_type() {
            detail.push(t.to_owned());
        }
        detail.push(format!("KB {}", workspace.kb(note.kb).name));
        let mut filter_text = target.clone();
        filter_text.push(' ');
        filter_text.push_str(note.title());
        for alias in note.aliases() {
            filter_text.push(' ');
            filter_text.push_str(alias);
        }
        items.push(CompletionItem {
            label: target.clone(),
            kind: CompletionKind::Note,
            insert_text: format!("{target}{close}"),
            filter_text: typed_prefix_filter(typed, &filter_text),
            sort_text: format!("{rank:06}"),
            detail: Some(detail.join(" · ")),
            note: Some(file),
            new_block_id: None,
        });
    }
    attachment_items(
        workspace,
        only_kb,
        from_kb,
        context,
        query.trim(),
        close,
        config,
        &mut items,
    );
    if only_kb.is_none() {
        kb_items(workspace, typed, &mut items);
        if config.wanted_notes {
            wanted_items(workspace, from, query.trim(), close, config, &mut items);
        }
    }
    CompletionList {
        replace_range,
        is_incomplete: !small_vault && more,
        items,
    }
}

/// Editors filter with the text from the replace range's start to the cursor; make sure the
/// typed text itself passes when the item was matched by title or alias.
fn typed_prefix_filter(typed: &str, filter: &str) -> String {
    if typed.trim().is_empty() || keys::fold(filter).contains(&keys::fold(typed)) {
        filter.to_owned()
    } else {
        format!("{typed} {filter}")
    }
}

/// A KB with up to this many notes is ranked by scoring its notes one by one (after `[[kb:`),
/// rather than by the parallel scan of every note's names, most of them in other KBs.
const SCORE_DIRECTLY_UP_TO: usize = 20_000;

/// The best `limit` notes for `query` (see [`super::rank`]), and whether more matched:
/// `(file, score)`, best first, stable for equal scores; notes of `from_kb` win ties.
///
/// The scans read the workspace's dense [`NameFacts`] (masks, name keys, KB and id head of
/// every note) and touch a note only to score it fuzzily or to break a tie between ids.
fn rank_notes(
    workspace: &Workspace,
    only_kb: Option<KbId>,
    from_kb: Option<KbId>,
    query: &str,
    limit: usize,
) -> (Vec<(FileId, u32)>, bool) {
    let mut ranker = NoteRanker::new(query);
    let facts = workspace.name_facts();
    // A README or a template is a file, not an entry: not offered (see `Note::entry`).
    let in_scope =
        |facts: &NameFacts| facts.live && facts.entry && only_kb.is_none_or(|kb| facts.kb == kb);
    let candidates = || {
        let mask = ranker.mask();
        facts
            .iter()
            .enumerate()
            .filter(move |(_, f)| in_scope(f) && f.mask & mask == mask)
            .map(|(i, f)| (FileId(i as u32), f))
    };
    // More than `limit` whole-name or prefix matches outrank every other note (a fuzzy score
    // never reaches the prefix tier): then only they need scoring. `(file, tier)`, by file.
    let mut tiered: Vec<(FileId, u32)> = Vec::new();
    if !ranker.is_empty() && limit != usize::MAX {
        for (file, f) in candidates() {
            if let Some(tier) = ranker.tier_from_facts(f, || workspace.note(file))
                && tier > 0
            {
                tiered.push((file, tier));
            }
        }
    }
    let only_tiered = tiered.len() > limit;
    let id_of = |file: FileId| workspace.note(file).map_or("", |note| note.id());
    // Higher score first, then by id, then by file; the id head decides most id comparisons
    // without reading the ids.
    let order = |a: &RankHit, b: &RankHit| {
        b.score
            .cmp(&a.score)
            .then(a.id_head.cmp(&b.id_head))
            .then_with(|| id_of(a.file).cmp(id_of(b.file)))
            .then(a.file.cmp(&b.file))
    };
    // The best `limit` so far: most notes lose to the worst of them in one compare (of scores
    // and id heads, mostly).
    let mut best = TopK::new(limit, order);
    let mut matched = 0usize;
    let mut offer = |file: FileId, score: u32| {
        let f = &facts[file.0 as usize];
        if !in_scope(f) {
            return;
        }
        matched += 1;
        let home_bonus = if Some(f.kb) == from_kb { 1 } else { 0 };
        best.offer(RankHit {
            score: score + home_bonus,
            id_head: f.id_head,
            file,
        });
    };
    if ranker.is_empty() {
        // Every note scores 0: the order is the home KB first, then ids.
        for (file, _) in candidates() {
            offer(file, 0);
        }
    } else if only_tiered {
        for &(file, tier) in &tiered {
            if let Some(score) = ranker.score_tiered(tier, || workspace.note(file)) {
                offer(file, score);
            }
        }
    } else if limit == usize::MAX
        || only_kb.is_some_and(|kb| workspace.kb_note_count(kb) <= SCORE_DIRECTLY_UP_TO)
    {
        // Every candidate scored from its note: all of them were asked for, or the query is
        // about one KB whose notes are few next to the whole name table.
        let files: Vec<FileId> = candidates().map(|(file, _)| file).collect();
        for file in files {
            if let Some(score) = workspace
                .note(file)
                .and_then(|note| ranker.score_note(note))
            {
                offer(file, score);
            }
        }
    } else {
        // The tiered notes, then every other note with a name that matches fuzzily, from the
        // name table (a note's id, title and aliases come together): its score is double
        // the best (see `NoteRanker::score_note`).
        for &(file, _) in &tiered {
            if let Some(score) = workspace
                .note(file)
                .and_then(|note| ranker.score_note(note))
            {
                offer(file, score);
            }
        }
        for (file, best) in fuzzy_note_scores(workspace, query, ranker.mask()) {
            if tiered.binary_search_by_key(&file, |&(f, _)| f).is_err() {
                offer(file, best * 2);
            }
        }
    }
    let more = only_tiered || matched > limit;
    let ranked = best.into_sorted().into_iter();
    let ranked = ranked.map(|hit| (hit.file, hit.score)).collect();
    (ranked, more)
}

/// Every note with a name (id, title or alias) that matches `query` fuzzily, with its best
/// name's score, in the name table's order, read on all cores.
fn fuzzy_note_scores(workspace: &Workspace, query: &str, mask: u64) -> Vec<(FileId, u32)> {
    let table = workspace.names().note_names();
    let scored = scan_name_chunks(&[table], |_, range| {
        let mut ranker = NoteRanker::new(query);
        let mut bests = Vec::new();
        for (text, entry) in table.matching_in(mask, range) {
            if let Some(score) = ranker.score_text(text) {
                keep_best(&mut bests, entry.file, score);
            }
        }
        bests
    });
    let mut joined = Vec::new();
    for (file, score) in scored.into_iter().flatten() {
        keep_best(&mut joined, file, score);
    }
    joined
}

/// A candidate of [`rank_notes`]: its score (home bonus included), id head and file.
struct RankHit {
    score: u32,
    id_head: u64,
    file: FileId,
}

/// Attachments whose path matches `query` fuzzily (of `only_kb`, else of every KB), best
/// first: after the notes (`z` sort texts), except images in an embed (`![[`), which come
/// before them (`!` sort texts). The file name is inserted, or the path in the KB when other
/// attachments of the KB share the name; `kb:` from another KB.
#[allow(clippy::too_many_arguments)]
fn attachment_items(
    workspace: &Workspace,
    only_kb: Option<KbId>,
    from_kb: Option<KbId>,
    context: &LinkContext<'_>,
    query: &str,
    close: &str,
    config: &CompletionConfig,
    items: &mut Vec<CompletionItem>,
) {
    let mut ranker = NoteRanker::new(query);
    let mut scored: Vec<(u32, FileId)> = workspace
        .attachments()
        .filter(|(_, a)| only_kb.is_none_or(|kb| a.kb == kb))
        .filter_map(|(file, a)| {
            if ranker.is_empty() {
                return Some((0, file));
            }
            let by_name = ranker.score_text(a.name()).map(|s| s * 2);
            let by_path = ranker.score_text(a.kb_path());
            Some((by_name.max(by_path)?, file))
        })
        .collect();
    let path = |f: FileId| workspace.attachment(f).map(|a| a.kb_path());
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| path(a.1).cmp(&path(b.1))));
    scored.truncate(config.max_items);
    for (rank, (_, file)) in scored.into_iter().enumerate() {
        let Some(attachment) = workspace.attachment(file) else {
            continue;
        };
        let shared = workspace
            .attachments_by_name(&keys::fold(attachment.name()))
            .iter()
            .filter(|&&f| {
                workspace
                    .attachment(f)
                    .is_some_and(|a| a.kb == attachment.kb)
            })
            .count()
            > 1;
        let name = if shared {
            attachment.kb_path()
        } else {
            attachment.name()
        };
        let target = match from_kb {
            Some(kb) if kb == attachment.kb => name.to_owned(),
            _ if only_kb.is_some() => format!(
                "{}:{name}",
                context.typed.split_once(':').map_or("", |(k, _)| k.trim())
            ),
            _ => format!("{}:{name}", workspace.kb_link_prefix(attachment.kb)),
        };
        let first = context.embed && attachment.is_image();
        items.push(CompletionItem {
            label: target.clone(),
            kind: CompletionKind::Attachment,
            insert_text: format!("{target}{close}"),
            filter_text: typed_prefix_filter(
                context.typed,
                &format!("{target} {}", attachment.kb_path()),
            ),
            sort_text: format!("{}{rank:06}", if first { '!' } else { 'z' }),
            detail: Some(format!("{} · {}", attachment.kind(), attachment.kb_path())),
            note: None,
            new_block_id: None,
        });
    }
}

fn kb_items(workspace: &Workspace, typed: &str, items: &mut Vec<CompletionItem>) {
    let typed = keys::fold(typed);
    if typed.is_empty() {
        return;
    }
    for kb in workspace.visible_kbs() {
        let prefix = workspace.kb_link_prefix(kb);
        let name = &workspace.kb(kb).name;
        if !keys::fold(prefix).starts_with(&typed) && !keys::fold(name).starts_with(&typed) {
            continue;
        }
        items.push(CompletionItem {
            label: format!("{prefix}:"),
            kind: CompletionKind::Kb,
            insert_text: format!("{prefix}:"),
            filter_text: format!("{prefix}: {name}"),
            sort_text: format!("{:06}", 0),
            detail: Some(format!("KB {name}")),
            note: None,
            new_block_id: None,
        });
    }
}

/// Targets linked somewhere (other than the link being typed here) that no note answers to.
fn wanted_items(
    workspace: &Workspace,
    from_file: FileId,
    query: &str,
    close: &str,
    config: &CompletionConfig,
    items: &mut Vec<CompletionItem>,
) {
    let folded = keys::fold(query);
    if folded.is_empty() || folded.contains(['/', ':']) {
        return;
    }
    // Keys come sorted, so the first ones that qualify are the answer. Keys with a `/` or `:`
    // (paths, other KBs' notes) never qualify: each run of keys sharing the text up to that
    // character is skipped with one search (links into another KB make long runs).
    let limit = config.max_items.min(10);
    let mut wanted: Vec<&str> = Vec::new();
    let mut from = folded.clone();
    'runs: loop {
        for (key, files) in workspace.link_keys_from(&from, &folded) {
            if let Some(at) = key.find(['/', ':']) {
                from = format!("{}{}", &key[..at], char::from(key.as_bytes()[at] + 1));
                continue 'runs;
            }
            let qualifies = files.iter().any(|&f| f != from_file)
                && workspace.notes_by_id(key).is_empty()
                && workspace.notes_by_stem(key).is_empty()
                && workspace.notes_by_name(key).is_empty()
                && workspace.attachments_by_name(key).is_empty();
            if qualifies {
                wanted.push(key);
                if wanted.len() == limit {
                    break 'runs;
                }
            }
        }
        break;
    }
    for key in wanted {
        items.push(CompletionItem {
            label: key.to_owned(),
            kind: CompletionKind::WantedPage,
            insert_text: format!("{key}{close}"),
            filter_text: key.to_owned(),
            sort_text: format!("~{key}"),
            detail: Some("wanted page: linked, not written yet".to_owned()),
            note: None,
            new_block_id: None,
        });
    }
}

#[derive(Clone, Copy)]
enum SubKind<'a> {
    Heading,
    Block(&'a Sources<'a>),
}

fn sub_completion(
    workspace: &Workspace,
    from: FileId,
    context: &LinkContext<'_>,
    target_text: &str,
    part_start: usize,
    kind: SubKind<'_>,
) -> CompletionList {
    let part_chars = |c: char| !matches!(c, ']' | '[' | '|' | '\n' | '\r');
    let (end, add_close) = closing(context, &part_chars);
    let close = if add_close { "]]" } else { "" };
    let replace_range = TextRange::new(part_start, end);
    let mut items = Vec::new();
    let (kb, target) = match target_text.split_once(':') {
        Some((kb, t)) if workspace.kb_by_name(kb.trim()).is_some() => (Some(kb.trim()), t),
        _ => (None, target_text),
    };
    let file = slug::resolve_target(workspace, from, kb, target).file(from);
    if let Some(note) = file.and_then(|f| workspace.note(f)) {
        match kind {
            SubKind::Heading => {
                for (rank, heading) in note.parsed.headings().iter().enumerate() {
                    items.push(CompletionItem {
                        label: heading.text.to_string(),
                        kind: CompletionKind::Heading,
                        insert_text: format!("{}{close}", heading.text),
                        filter_text: heading.text.to_string(),
                        sort_text: format!("{rank:06}"),
                        detail: Some(format!(
                            "{} {}",
                            "#".repeat(heading.level as usize),
                            note.title()
                        )),
                        note: None,
                        new_block_id: None,
                    });
                }
            }
            SubKind::Block(sources) => {
                for (rank, block) in note.parsed.block_ids().iter().enumerate() {
                    items.push(CompletionItem {
                        label: block.id.to_string(),
                        kind: CompletionKind::Block,
                        insert_text: format!("{}{close}", block.id),
                        filter_text: block.id.to_string(),
                        sort_text: format!("{rank:06}"),
                        detail: Some(format!("block in {}", note.title())),
                        note: None,
                        new_block_id: None,
                    });
                }
                let target = file.unwrap_or(from);
                let first_rank = items.len();
                for (rank, (paragraph, id)) in
                    new_block_ids(workspace, from, target, context.cursor, sources)
                        .into_iter()
                        .enumerate()
                {
                    let preview = crate::syntax::plain_text(&paragraph.text);
                    items.push(CompletionItem {
                        label: crate::syntax::truncate_chars(&preview, PREVIEW_CHARS),
                        kind: CompletionKind::Block,
                        insert_text: format!("{id}{close}"),
                        filter_text: format!("{id} {preview}"),
                        sort_text: format!("{:06}", first_rank + rank),
                        detail: Some(format!("new block ^{id} in {}", note.title())),
                        note: None,
                        new_block_id: Some(NewBlockId {
                            file: target,
                            paragraph: paragraph.text,
                            end: paragraph.end,
                            id,
                        }),
                    });
                }
            }
        }
    }
    CompletionList {
        replace_range,
        items,
        is_incomplete: false,
    }
}

/// The longest preview of a paragraph offered as a block link, in characters.
const PREVIEW_CHARS: usize = 60;

/// A paragraph as block links offer it.
struct OfferedParagraph {
    text: String,
    end: u32,
}

/// The paragraphs of `target` that have no block id, each with a fresh id for it, when block
/// links can be made there: in this note (not the paragraph being typed in), or in another one
/// when the editor applies edits to it.
fn new_block_ids(
    workspace: &Workspace,
    from: FileId,
    target: FileId,
    cursor: usize,
    sources: &Sources<'_>,
) -> Vec<(OfferedParagraph, String)> {
    let same_note = target == from;
    if !same_note && !sources.config.block_links {
        return Vec::new();
    }
    let text = if same_note {
        sources.text.to_owned()
    } else {
        match (sources.other)(target) {
            Some(text) => text,
            None => return Vec::new(),
        }
    };
    let Some(note) = workspace.note(target) else {
        return Vec::new();
    };
    let mut taken: Vec<String> = note
        .parsed
        .block_ids()
        .iter()
        .map(|b| b.id.to_owned())
        .collect();
    let mut offered = Vec::new();
    for paragraph in crate::syntax::paragraphs(&text) {
        let Some(written) = text.get(paragraph.as_usize()) else {
            continue;
        };
        let last_line = written.rsplit(['\n', '\r']).next().unwrap_or(written);
        let has_id = last_line
            .rsplit(' ')
            .next()
            .and_then(|word| word.strip_prefix('^'))
            .is_some_and(|id| !id.is_empty());
        let typing_here = same_note && paragraph.contains_inclusive(cursor as u32);
        if has_id || typing_here {
            continue;
        }
        let id = fresh_block_id(written, &taken, &text);
        taken.push(id.clone());
        let end = paragraph.end;
        let text = written.to_owned();
        offered.push((OfferedParagraph { text, end }, id));
        if offered.len() == sources.config.max_items {
            break;
        }
    }
    offered
}

/// A block id made of the paragraph's first words (ASCII letters and digits, lowercase,
/// joined by `-`), unique among `taken` and in `text`: `first-words`, `first-words-2`, …
fn fresh_block_id(paragraph: &str, taken: &[String], text: &str) -> String {
    let mut base = String::new();
    let plain = crate::syntax::plain_text(paragraph);
    for word in plain.split_whitespace() {
        let word: String = word
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if word.is_empty() {
            continue;
        }
        if !base.is_empty() {
            if base.len() + word.len() > 24 {
                break;
            }
            base.push('-');
        }
        base.push_str(&word);
        if base.matches('-').count() == 2 {
            break;
        }
    }
    if base.is_empty() {
        base.push_str("block");
    }
    let free = |id: &str| !taken.iter().any(|t| t == id) && !text.contains(&format!("^{id}"));
    if free(&base) {
        return base;
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| free(id))
        .unwrap_or(base)
}

/// Completion in frontmatter: note ids in reference fields, tags in `tags:`.
fn frontmatter_completion(
    workspace: &Workspace,
    file: FileId,
    text: &str,
    cursor: usize,
    config: &CompletionConfig,
) -> Option<CompletionList> {
    if let Some(list) = schema::complete(workspace, file, text, cursor, config) {
        return Some(list);
    }
    let note = workspace.note(file)?;
    let fm_end = note
        .parsed
        .frontmatter()
        .map(|fm| fm.range().end as usize)?;
    if cursor >= fm_end.min(text.len()) {
        return None;
    }
    let line_start = text[..cursor].rfind('\n').map_or(0, |i| i + 1);
    // The field is named on this line (`key: ...`) or on the nearest unindented line above.
    let field = text[..cursor].lines().rev().find_map(|line| {
        let key = line.split_once(':')?.0;
        (!line.starts_with([' ', '\t', '-']) && !key.is_empty() && !key.contains(' '))
            .then(|| key.to_owned())
    })?;
    let word_chars = |c: char| {
        !matches!(
            c,
            ',' | '[' | ']' | ' ' | '\t' | '"' | '\'' | ':' | '\n' | '\r'
        )
    };
    let word_start = text[line_start..cursor]
        .char_indices()
        .rev()
        .find(|&(_, c)| !word_chars(c) && c != ':')
        .map_or(line_start, |(i, c)| line_start + i + c.len_utf8());
    let word_end = cursor
        + text[cursor..]
            .chars()
            .take_while(|&c| word_chars(c))
            .map(char::len_utf8)
            .sum::<usize>();
    let typed = &text[word_start..cursor];
    let replace_range = TextRange::new(word_start, word_end);
    let mut items = Vec::new();
    if field == "tags" {
        // Tags of other notes, in either form: this note's own are already written (one is
        // being typed).
        let mut tags: Vec<&str> = workspace
            .notes()
            .filter(|&(other, _)| other != file)
            .flat_map(|(other, n)| note_tags(other, n).map(|place| place.name))
            .collect();
        tags.sort_unstable();
        tags.dedup();
        let folded = keys::fold(typed);
        for (rank, tag) in tags
            .into_iter()
            .filter(|t| keys::fold(t).contains(&folded))
            .take(config.max_items)
            .enumerate()
        {
            items.push(CompletionItem {
                label: tag.to_owned(),
                kind: CompletionKind::Tag,
                insert_text: tag.to_owned(),
                filter_text: tag.to_owned(),
                sort_text: format!("{rank:06}"),
                detail: Some("tag in use".to_owned()),
                note: None,
                new_block_id: None,
            });
        }
        return Some(CompletionList {
            replace_range,
            items,
            is_incomplete: false,
        });
    }
    let is_reference_field = workspace.is_reference_field(note.kb, &field)
        || note.parsed.frontmatter().is_some_and(|fm| {
            fm.fields().any(|f| {
                *f.name == *field
                    && f.values
                        .iter()
                        .any(|v| slug::resolve_reference(workspace, file, v).is_some())
            })
        });
    if !is_reference_field || matches!(field.as_str(), "id" | "title" | "type" | "aliases") {
        return None;
    }
    let (ranked, more) = rank_notes(workspace, None, Some(note.kb), typed, config.max_items);
    for (rank, (target, _)) in ranked.into_iter().enumerate() {
        let Some(target_note) = workspace.note(target) else {
            continue;
        };
        let insert = slug::canonical_target(workspace, note, target_note);
        items.push(CompletionItem {
            label: insert.clone(),
            kind: CompletionKind::Note,
            insert_text: insert.clone(),
            filter_text: typed_prefix_filter(typed, &format!("{insert} {}", target_note.title())),
            sort_text: format!("{rank:06}"),
            detail: Some(format!(
                "{} · KB {}",
                target_note.title(),
                workspace.kb(target_note.kb).name
            )),
            note: Some(target),
            new_block_id: None,
        });
    }
    Some(CompletionList {
        replace_range,
        items,
        is_incomplete: more,
    })
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::{Fixture, TWO_KBS};
    use crate::ide::rank::NoteRanker;
    use crate::syntax::parse_note;
    use crate::text::FileId;
    use crate::workspace::{IndexConfig, KbId, Workspace};

    /// A workspace of `count` notes in three KBs, with ids, titles and aliases drawn from a
    /// few syllables (so that many share prefixes and ids differ late), some in upper case
    /// or not ASCII; then a fifth of them removed and some replaced.
    fn workspace(count: usize) -> Workspace {
        const SYLLABLES: [&str; 12] = [
            "ba", "bra", "ko", "vel", "Zu", "ri", "é", "nix", "-", " ", "mo", "bar",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let word = |next: &mut dyn FnMut(usize) -> usize| {
            (0..1 + next(4))
                .map(|_| SYLLABLES[next(SYLLABLES.len())])
                .collect::<String>()
        };
        let root = PathBuf::from("/ws");
        let mut workspace = Workspace::new(vec![root.clone()], IndexConfig::default());
        for kb in ["kb0", "kb1", "kb2"] {
            workspace.set_kb_config(&root.join(kb).join("kb.yaml"), &format!("name: {kb}\n"));
        }
        let mut paths = Vec::new();
        for i in 0..count {
            let id = format!("{}{}", word(&mut next), i % 7);
            let title = word(&mut next);
            let alias = word(&mut next);
            let text =
                format!("---\nid: \"{id}\"\ntitle: \"{title}\"\naliases: [\"{alias}\"]\n---\n");
            let path = root.join(format!("kb{}", next(3))).join(format!("n{i}.md"));
            workspace.set_note(path.clone(), parse_note(&text));
            paths.push(path);
        }
        for (i, path) in paths.iter().enumerate() {
            match i % 10 {
                0 | 5 => {
                    workspace.remove_note(path);
                }
                3 => {
                    let text = format!("# {}\n", word(&mut next));
                    workspace.set_note(path.clone(), parse_note(&text));
                }
                _ => {}
            }
        }
        workspace
    }

    /// The plain definition: score every note in scope, sort, keep `limit`.
    fn reference(
        workspace: &Workspace,
        only_kb: Option<KbId>,
        from_kb: Option<KbId>,
        query: &str,
        limit: usize,
    ) -> Vec<(FileId, u32)> {
        let mut ranker = NoteRanker::new(query);
        let mut hits: Vec<(u32, &str, FileId)> = workspace
            .notes()
            .filter(|(_, note)| note.entry && only_kb.is_none_or(|kb| note.kb == kb))
            .filter_map(|(file, note)| {
                let score = ranker.score_note(note)?;
                let home_bonus = u32::from(Some(note.kb) == from_kb);
                Some((score + home_bonus, note.id(), file))
            })
            .collect();
        hits.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)).then(a.2.cmp(&b.2)));
        hits.truncate(limit);
        hits.into_iter()
            .map(|(score, _, file)| (file, score))
            .collect()
    }

    #[test]
    fn rank_notes_equals_scoring_every_note() {
        let workspace = workspace(3_000);
        let kb = |name: &str| workspace.kb_by_name(name);
        let queries = [
            "",
            "b",
            "B",
            "ba",
            "bra",
            "bar",
            "barb",
            "braba",
            "k",
            "ko",
            "kove",
            "z",
            "zu",
            "é",
            "éba",
            "ri",
            "nix",
            "n",
            "bazuvel",
            "ba-",
            "ba ",
            "ko mo",
            "zzq",
            "x",
            "0",
            "3",
            "ba1",
            "bravelkovelri",
        ];
        for query in queries {
            for (only_kb, from_kb) in [(None, kb("kb1")), (kb("kb2"), kb("kb2")), (None, None)] {
                for limit in [1, 7, 50, usize::MAX] {
                    let (ranked, _) = rank_notes(&workspace, only_kb, from_kb, query, limit);
                    let expected = reference(&workspace, only_kb, from_kb, query, limit);
                    assert_eq!(
                        ranked, expected,
                        "query {query:?}, kb {only_kb:?}, limit {limit}"
                    );
                }
            }
        }
    }

    #[track_caller]
    fn check(fixture: &str, expect: Expect) {
        let f = Fixture::parse(fixture);
        let position = f.position();
        let source = f.source();
        let config = CompletionConfig {
            block_links: true,
            ..CompletionConfig::default()
        };
        let list = completion(
            &f.workspace,
            position,
            f.text(position.file),
            &config,
            &source,
        );
        let Some(list) = list else {
            expect.assert_eq("no completions\n");
            return;
        };
        let text = f.text(position.file);
        let mut out = format!(
            "replace {:?} {:?}{}\n",
            list.replace_range,
            &text[list.replace_range.as_usize()],
            if list.is_incomplete {
                " (incomplete)"
            } else {
                ""
            }
        );
        // In the order the editor shows them.
        let mut items = list.items;
        items.sort_by(|a, b| a.sort_text.cmp(&b.sort_text));
        for item in items {
            // Show the line as it reads once the item is accepted.
            let mut accepted = text.to_owned();
            accepted.replace_range(list.replace_range.as_usize(), &item.insert_text);
            let line_start = accepted[..list.replace_range.start as usize]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let line = accepted[line_start..].lines().next().unwrap_or("");
            out += &format!("{:?} {} -> {line}\n", item.kind, item.label);
            if let Some(new) = &item.new_block_id {
                out += &format!(
                    "    and ` ^{}` after {:?} in {}\n",
                    new.id,
                    new.paragraph,
                    f.path(new.file)
                );
            }
        }
        expect.assert_eq(&out);
    }

    #[test]
    fn completion_of_notes_with_any_closing_brackets() {
        let notes = format!("{TWO_KBS}//- /garden/plants/mint.md\n");
        check(
            &format!("{notes}Try [[ba$0"),
            expect![[r#"
                replace 6..8 "ba"
                Note basil -> Try [[basil]]
            "#]],
        );
        check(
            &format!("{notes}Try [[ba$0]\n"),
            expect![[r#"
                replace 6..9 "ba]"
                Note basil -> Try [[basil]]
            "#]],
        );
        check(
            &format!("{notes}Try [[gen$0]] now\n"),
            expect![[r#"
                replace 6..9 "gen"
                Note basil -> Try [[basil]] now
            "#]],
        );
    }

    #[test]
    fn completion_of_headings_blocks_and_other_kbs() {
        let notes = format!("{TWO_KBS}//- /kitchen/pesto.md\n");
        check(
            &format!("{notes}[[gd:basil#$0]]"),
            expect![[r#"
                replace 11..11 ""
                Heading Basil -> [[gd:basil#Basil]]
                Heading Harvest -> [[gd:basil#Harvest]]
            "#]],
        );
        check(
            &format!("{notes}[[gd:basil#^$0"),
            expect![[r#"
                replace 12..12 ""
                Block pinch -> [[gd:basil#^pinch]]
                Block Basil loves warmth. Plant it beside tomato. -> [[gd:basil#^basil-loves-warmth]]
                    and ` ^basil-loves-warmth` after "Basil loves warmth. Plant it beside [[tomato]]." in /garden/plants/basil.md
            "#]],
        );
        check(
            &format!("{notes}[[tom$0"),
            expect![[r#"
                replace 2..5 "tom"
                Note gd:tomato -> [[gd:tomato]]
            "#]],
        );
    }

    #[test]
    fn block_links_made_for_paragraphs_without_an_id() {
        let notes = format!(
            "{TWO_KBS}//- /garden/plants/mint.md\n# Mint\n\nSpreads *fast*, keep it\nin a pot.\n\nPinch the tops. ^pinch\n\n```\ncode\n```\n"
        );
        check(
            &format!("{notes}//- /garden/plants/sage.md\nSee [[mint^$0\n"),
            expect![[r#"
                replace 11..11 ""
                Block pinch -> See [[mint^pinch]]
                Block Spreads fast, keep it in a pot. -> See [[mint^spreads-fast-keep]]
                    and ` ^spreads-fast-keep` after "Spreads *fast*, keep it\nin a pot." in /garden/plants/mint.md
            "#]],
        );
        // This note's paragraphs: not the one being typed.
        check(
            "//- /kb/own.md\nFirst words of one.\n\nSecond [[#^$0]] here.\n\nThird. ^third\n",
            expect![[r#"
                replace 32..32 ""
                Block third -> Second [[#^third]] here.
                Block First words of one. -> Second [[#^first-words-of]] here.
                    and ` ^first-words-of` after "First words of one." in /kb/own.md
            "#]],
        );
    }

    #[test]
    fn completion_of_wanted_pages_skips_paths_and_other_kbs() {
        let notes = format!(
            "{TWO_KBS}//- /garden/wish.md\n[[pa-b]] [[pa:x]] [[pa/y]] [[pa-a]] [[paz]] [[pa:y]] [[pb]]\n//- /garden/plants/mint.md\n"
        );
        check(
            &format!("{notes}[[pa$0"),
            expect![[r#"
                replace 2..4 "pa"
                WantedPage pa-a -> [[pa-a]]
                WantedPage pa-b -> [[pa-b]]
                WantedPage parsley-gone -> [[parsley-gone]]
                WantedPage paz -> [[paz]]
            "#]],
        );
    }

    #[test]
    fn completion_of_inline_tags() {
        let notes = format!(
            "{TWO_KBS}//- /garden/plants/sage.md\n#herb #Herbal/dried and #perennial\n//- /garden/plants/mint.md\n"
        );
        check(
            &format!("{notes}Fresh #her$0 leaves\n"),
            expect![[r#"
                replace 7..10 "her"
                Tag herb -> Fresh #herb leaves
                Tag Herbal/dried -> Fresh #Herbal/dried leaves
            "#]],
        );
        check(
            &format!("{notes}#$0\n"),
            expect![[r#"
                replace 1..1 ""
                Tag herb -> #herb
                Tag annual -> #annual
                Tag Herbal/dried -> #Herbal/dried
                Tag perennial -> #perennial
            "#]],
        );
        // Not in code, not after a word, not a heading marker.
        check(
            &format!("{notes}`#her$0`\n"),
            expect![[r#"
                no completions
            "#]],
        );
        check(
            &format!("{notes}a#her$0\n"),
            expect![[r#"
                no completions
            "#]],
        );
        check(
            &format!("{notes}## $0\n"),
            expect![[r#"
                no completions
            "#]],
        );
    }

    #[test]
    fn completion_in_frontmatter_reference_fields_and_tags() {
        check(
            &format!("{TWO_KBS}//- /garden/plants/mint.md\n---\ncompanions: [bas$0]\n---\n"),
            expect![[r#"
                replace 17..20 "bas"
                Note basil -> companions: [basil]
            "#]],
        );
        check(
            &format!("{TWO_KBS}//- /garden/plants/mint.md\n---\ntags:\n  - an$0\n---\n"),
            expect![[r#"
                replace 14..16 "an"
                Tag annual ->   - annual
            "#]],
        );
        // A field that holds no ids offers nothing.
        check(
            &format!("{TWO_KBS}//- /garden/plants/mint.md\n---\ncolour: gr$0\n---\n"),
            expect![[r#"
                no completions
            "#]],
        );
    }

    #[test]
    fn completion_offers_attachments_after_notes_and_images_first_in_embeds() {
        let vault = r#"
//- /Sync/Security.md
//- /Publish/Security.md
//- /Charts.md
//- /assets/chart.png
//- /assets/old/chart.png
//- /docs/chart-notes.pdf
"#;
        check(
            &format!("{vault}//- /Overview.md\nSee [[char$0"),
            expect![[r#"
                replace 6..10 "char"
                Note Charts -> See [[Charts]]
                Attachment assets/chart.png -> See [[assets/chart.png]]
                Attachment assets/old/chart.png -> See [[assets/old/chart.png]]
                Attachment chart-notes.pdf -> See [[chart-notes.pdf]]
            "#]],
        );
        check(
            &format!("{vault}//- /Overview.md\nSee ![[char$0"),
            expect![[r#"
                replace 7..11 "char"
                Attachment assets/chart.png -> See ![[assets/chart.png]]
                Attachment assets/old/chart.png -> See ![[assets/old/chart.png]]
                Note Charts -> See ![[Charts]]
                Attachment chart-notes.pdf -> See ![[chart-notes.pdf]]
            "#]],
        );
        // A name two notes share is inserted with its path, unless the bare name means the
        // note from here (in the note's own folder).
        check(
            &format!("{vault}//- /Overview.md\nSee [[secu$0"),
            expect![[r#"
                replace 6..10 "secu"
                Note Security -> See [[Security]]
                Note Publish/Security -> See [[Publish/Security]]
            "#]],
        );
        check(
            &format!("{vault}//- /Sync/Devices.md\nSee [[secu$0"),
            expect![[r#"
                replace 6..10 "secu"
                Note Security -> See [[Security]]
                Note Publish/Security -> See [[Publish/Security]]
            "#]],
        );
    }
}
