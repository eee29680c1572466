//! Hover: a markdown card for what the cursor is on. A link or reference shows the target note
//! (title, type, KB, id, tags, aliases, summary, backlink count, path); a heading link shows the
//! heading and its first paragraph; a block link shows the block's line; a link to an
//! attachment says what it is (kind, size, path) and names the image to show, for clients that
//! render markdown; a broken link says what is missing and suggests up to three ids; a tag says
//! how many notes carry it, in which KBs. In a plain vault, a link whose name several notes
//! share says which one it means and why.

mod schema;

use std::fmt::Write;
use std::path::PathBuf;

use super::SourceText;
use super::cursor::{CursorItem, item_at, tag_of};
use super::navigation::{RangeInfo, kb_words, plural, tag_places};
use super::suggest::closest_notes;
use crate::keys;
use crate::slug::{self, ChosenBecause, Resolution, SubTarget};
use crate::syntax::Link;
use crate::text::{FileId, FilePosition, TextRange};
use crate::workspace::{KbId, Workspace};

/// The longest excerpt shown for a heading section or block.
const EXCERPT_MAX_CHARS: usize = 400;

/// A hover's answer: markdown text, and an image file to show below it (the LSP shell adds it
/// as a markdown image when the client renders markdown).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HoverCard {
    pub markdown: String,
    pub image: Option<PathBuf>,
}

pub fn hover(
    workspace: &Workspace,
    position: FilePosition,
    source: SourceText<'_>,
) -> Option<RangeInfo<HoverCard>> {
    if let Some(info) = schema::hover(workspace, position, source) {
        return Some(RangeInfo {
            range: info.range,
            info: HoverCard {
                markdown: info.info,
                image: None,
            },
        });
    }
    let note = workspace.note(position.file)?;
    let mut image = None;
    let (range, markdown) = match item_at(note, position.offset)? {
        CursorItem::Link(index) => {
            let note_links = workspace.links_of(note);
            let link = note_links.links().get(index)?;
            let resolution = slug::resolve_link(workspace, position.file, link);
            if let Some(attachment) = resolution
                .file(position.file)
                .and_then(|f| workspace.attachment(f))
            {
                image = attachment.is_image().then(|| attachment.path.clone());
            }
            (
                link.range,
                link_card(workspace, position.file, link, &resolution, source)?,
            )
        }
        CursorItem::Reference { field, value } => {
            let value = note.parsed.frontmatter()?.field(field)?.values.get(value)?;
            let target = slug::resolve_reference(workspace, position.file, value)?;
            (value.range, note_card(workspace, target, source))
        }
        CursorItem::OwnId | CursorItem::OwnTitle => {
            let fm = note.parsed.frontmatter()?;
            let range = match item_at(note, position.offset)? {
                CursorItem::OwnId => fm.id()?.range,
                _ => fm.title()?.range,
            };
            (range, note_card(workspace, position.file, source))
        }
        CursorItem::Heading(index) => {
            let heading = note.parsed.headings().at(index);
            let count = heading_link_count(workspace, position.file, index);
            let markdown = format!(
                "**{}**\n\n{} to this heading",
                heading.text,
                plural(count, "link")
            );
            (heading.text_range, markdown)
        }
        item @ (CursorItem::FrontmatterTag(_) | CursorItem::InlineTag(_)) => {
            let tag = tag_of(note, item)?;
            (tag.range, tag_card(workspace, tag.name))
        }
    };
    Some(RangeInfo {
        range,
        info: HoverCard { markdown, image },
    })
}

fn link_card(
    workspace: &Workspace,
    from: FileId,
    link: Link,
    resolution: &Resolution,
    source: SourceText<'_>,
) -> Option<String> {
    let from_note = workspace.note(from)?;
    let Some(target) = resolution.file(from) else {
        return Some(problem_card(workspace, from, link, resolution));
    };
    let Some(target_note) = workspace.note(target) else {
        return Some(attachment_card(workspace, target));
    };
    let mut card = match slug::resolve_subtarget(target_note, link) {
        SubTarget::Heading(index) => {
            let heading = target_note.parsed.headings().at(index);
            let mut card = format!("**{} › {}**\n", target_note.title(), heading.text);
            let section = target_note.parsed.heading_section(index);
            if let Some(text) = source(target)
                && let Some(paragraph) = crate::syntax::first_paragraph(&text, section)
                && let Some(excerpt) = excerpt(&text, paragraph)
            {
                let _ = write!(card, "\n{excerpt}\n");
            }
            card
        }
        SubTarget::Block(index) => {
            let block = target_note.parsed.block_ids().at(index);
            let mut card = format!("**{} › ^{}**\n", target_note.title(), block.id);
            if let Some(text) = source(target)
                && let Some(excerpt) = excerpt(&text, block.line_range)
            {
                let _ = write!(card, "\n{excerpt}\n");
            }
            card
        }
        SubTarget::MissingHeading => format!(
            "**{}**: no heading `{}` here\n\n{}",
            target_note.title(),
            link.heading
                .as_ref()
                .map_or("".into(), |h| keys::link_text(link, h.text)),
            note_card(workspace, target, source)
        ),
        SubTarget::MissingBlock => format!(
            "**{}**: no block `^{}` here\n\n{}",
            target_note.title(),
            link.block
                .as_ref()
                .map_or("".into(), |b| keys::link_text(link, b.text)),
            note_card(workspace, target, source)
        ),
        SubTarget::None => note_card(workspace, target, source),
    };
    if let Resolution::Found {
        chosen: Some(chosen),
        ..
    } = resolution
    {
        let others: Vec<String> = chosen
            .over
            .iter()
            .map(|&f| format!("`{}`", display_path(workspace, f)))
            .collect();
        let why = match chosen.because {
            ChosenBecause::ExactPath => "its path is the link's",
            ChosenBecause::SameFolder => "it is in this note's folder",
            ChosenBecause::ShortestPath => "its path is the shortest",
        };
        let _ = write!(
            card,
            "\n\n*{} notes have this name; this link means this one, as {why} (also: {}).*",
            chosen.over.len() + 1,
            others.join(", ")
        );
    }
    if let Resolution::MissingKbPrefix { .. } = resolution {
        let prefix = workspace.kb_link_prefix(target_note.kb);
        let _ = write!(
            card,
            "\n\n*Not in KB `{}`: write `[[{prefix}:{}]]`.*",
            workspace.kb(from_note.kb).name,
            target_note.id()
        );
    }
    Some(card)
}

/// The card of an attachment: its name, kind, size and path, and its backlink count.
fn attachment_card(workspace: &Workspace, file: FileId) -> String {
    let Some(attachment) = workspace.attachment(file) else {
        return String::new();
    };
    let backlinks = slug::pointer_count(workspace, file);
    format!(
        "**{}**\n\n*{}* · {} · {}\n\n{} · `{}`",
        attachment.name(),
        attachment.kind(),
        size_text(attachment.size),
        place(workspace, attachment.kb),
        plural(backlinks, "backlink"),
        display_path(workspace, file)
    )
}

/// A file size for people: `512 bytes`, `12.3 KB`, `4.5 MB`.
fn size_text(size: u64) -> String {
    const KB: f64 = 1024.0;
    let bytes = size as f64;
    if bytes < KB {
        plural(size as usize, "byte")
    } else if bytes < KB * KB {
        format!("{:.1} KB", bytes / KB)
    } else if bytes < KB * KB * KB {
        format!("{:.1} MB", bytes / (KB * KB))
    } else {
        format!("{:.1} GB", bytes / (KB * KB * KB))
    }
}

/// The path of a note or attachment below its root, `/`-separated.
fn display_path(workspace: &Workspace, file: FileId) -> String {
    let Some(path) = workspace.path(file) else {
        return String::new();
    };
    workspace
        .root_of(path)
        .and_then(|root| path.strip_prefix(root).ok())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The card for a link that leads nowhere (or to several places).
fn problem_card(
    workspace: &Workspace,
    from: FileId,
    link: Link,
    resolution: &Resolution,
) -> String {
    let target = keys::link_text(link, link.target.text);
    let target = &*target;
    let Some(from_note) = workspace.note(from) else {
        return String::new();
    };
    let kb = link
        .kb
        .as_ref()
        .and_then(|kb| workspace.kb_by_name(kb.text))
        .unwrap_or(from_note.kb);
    let mut card = match resolution {
        Resolution::UnknownKb { kb } => format!("**Unknown KB** `{kb}`"),
        Resolution::Ambiguous { candidates } | Resolution::MissingKbPrefix { candidates } => {
            let mut card = format!("**`{target}` matches {} notes**\n", candidates.len());
            for &candidate in candidates {
                if let Some(note) = workspace.note(candidate) {
                    let _ = write!(
                        card,
                        "\n- **{}** `{}:{}`",
                        note.title(),
                        workspace.kb_link_prefix(note.kb),
                        note.id()
                    );
                }
            }
            return card;
        }
        _ => {
            let has_extension = target
                .rsplit('/')
                .next()
                .and_then(|name| name.rsplit_once('.'))
                .is_some_and(|(stem, ext)| {
                    !stem.is_empty() && !ext.eq_ignore_ascii_case("md") && !ext.contains(' ')
                });
            let what = if has_extension { "file" } else { "note" };
            format!("**No {what} `{target}`** in {}", place(workspace, kb))
        }
    };
    let suggestions: Vec<String> = closest_notes(workspace, Some(kb), target, 3)
        .into_iter()
        .filter_map(|f| workspace.note(f))
        .map(|n| format!("`{}`", slug::canonical_target(workspace, from_note, n)))
        .collect();
    if !suggestions.is_empty() {
        let _ = write!(card, "\n\nDid you mean {}?", suggestions.join(", "));
    }
    card
}

/// The note card: title, facts, summary, backlinks, path. The summary is made from the note's
/// text (read through `source`) only when its frontmatter has none.
pub fn note_card(workspace: &Workspace, file: FileId, source: SourceText<'_>) -> String {
    let Some(note) = workspace.note(file) else {
        return String::new();
    };
    let mut card = format!("**{}**\n\n", note.title());
    let mut facts = Vec::new();
    if let Some(note_type) = note.note_type() {
        facts.push(format!("*{note_type}*"));
    }
    facts.push(place(workspace, note.kb));
    // A plain vault has no ids: a note is named by its file (shown below), unless its
    // frontmatter sets an `id:`.
    let has_id = note.parsed.frontmatter().and_then(|fm| fm.id()).is_some();
    if has_id || !slug::is_plain_vault(workspace, note.kb) {
        facts.push(format!("id `{}`", note.id()));
    }
    card += &facts.join(" · ");
    card += "\n";
    let tags: Vec<String> = note.tags().map(|t| format!("#{t}")).collect();
    if !tags.is_empty() {
        let _ = write!(card, "\nTags: {}", tags.join(" "));
    }
    let aliases: Vec<&str> = note.aliases().collect();
    if !aliases.is_empty() {
        let _ = write!(
            card,
            "{}Aliases: {}",
            if tags.is_empty() { "\n" } else { " · " },
            aliases.join(", ")
        );
    }
    if !tags.is_empty() || !aliases.is_empty() {
        card += "\n";
    }
    let summary = note.parsed.summary(|| source(file));
    if !summary.is_empty() {
        let _ = write!(card, "\n{summary}\n");
    }
    let backlinks = slug::pointer_count(workspace, file);
    let _ = write!(
        card,
        "\n{} · `{}`",
        plural(backlinks, "backlink"),
        display_path(workspace, file)
    );
    card
}

/// Where a note or file is: "KB `name`", or "vault `name`" for a plain vault.
fn place(workspace: &Workspace, kb: KbId) -> String {
    let (word, _) = kb_words(workspace, kb);
    format!("{word} `{}`", workspace.kb(kb).name)
}

/// The card of a tag: how many notes carry it (in `tags:` or inline), in which KBs.
fn tag_card(workspace: &Workspace, name: &str) -> String {
    let places = tag_places(workspace, &keys::tag_key(name), None);
    let mut notes: Vec<FileId> = places.iter().map(|p| p.file).collect();
    notes.sort_unstable();
    notes.dedup();
    let mut kbs: Vec<&str> = notes
        .iter()
        .filter_map(|&f| workspace.note(f))
        .map(|n| workspace.kb(n.kb).name.as_str())
        .collect();
    kbs.sort_unstable();
    kbs.dedup();
    let kbs: Vec<String> = kbs.iter().map(|kb| format!("`{kb}`")).collect();
    format!(
        "**#{name}**\n\n{} · {}",
        plural(notes.len(), "note"),
        match kbs.len() {
            1 => format!("KB {}", kbs[0]),
            _ => format!("KBs {}", kbs.join(", ")),
        }
    )
}

fn heading_link_count(workspace: &Workspace, file: FileId, heading: usize) -> usize {
    let Some(note) = workspace.note(file) else {
        return 0;
    };
    let wanted = keys::heading_key(note.parsed.headings().at(heading).text);
    let to_heading = |link: crate::syntax::Link<'_>| {
        link.heading
            .is_some_and(|h| keys::heading_key(h.text) == wanted)
    };
    slug::links_to(workspace, file, to_heading).len()
}

fn excerpt(text: &str, range: TextRange) -> Option<String> {
    let slice = text.get(range.as_usize())?;
    let plain = crate::syntax::plain_text(slice);
    Some(crate::syntax::truncate_chars(&plain, EXCERPT_MAX_CHARS))
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::{Fixture, TWO_KBS};

    #[track_caller]
    fn check(fixture: &str, expect: Expect) {
        let f = Fixture::parse(fixture);
        let source = f.source();
        let answer = hover(&f.workspace, f.position(), &source).expect("a hover");
        let file = f.position().file;
        let image = match &answer.info.image {
            Some(path) => format!("\nimage: {}", path.display()),
            None => String::new(),
        };
        expect.assert_eq(&format!(
            "{}\n{}{image}",
            f.render(file, answer.range),
            answer.info.markdown
        ));
    }

    #[test]
    fn hover_shows_the_note_card() {
        check(
            &format!("{TWO_KBS}//- /garden/plants/mint.md\nNext to [[bas$0il]] and [[tomato]].\n"),
            expect![[r#"
                /garden/plants/mint.md 8..17 "[[basil]]"
                **Sweet Basil**

                *plant* · KB `garden` · id `basil`

                Tags: #herb #annual · Aliases: Genovese

                Basil loves warmth. Plant it beside tomato.

                3 backlinks · `garden/plants/basil.md`"#]],
        );
    }

    #[test]
    fn hover_on_a_tag_counts_notes_and_kbs() {
        let notes = "//- /kitchen/pesto.md\n---\ntags: [Herb]\n---\n#herb twice #herb\n";
        check(
            &format!("{TWO_KBS}{notes}//- /garden/mint.md\nFresh #her$0b.\n"),
            expect![[r##"
                /garden/mint.md 7..11 "herb"
                **#herb**

                3 notes · KBs `garden`, `kitchen`"##]],
        );
        check(
            &format!("{TWO_KBS}//- /garden/mint.md\n---\ntags: [annual, $0herb]\n---\n"),
            expect![[r#"
                /garden/mint.md 19..23 "herb"
                **#herb**

                2 notes · KB `garden`"#]],
        );
    }

    #[test]
    fn hover_on_a_heading_link_and_a_broken_link() {
        check(
            &format!("{TWO_KBS}//- /garden/plants/mint.md\n[[basil#harv$0est]]\n"),
            expect![[r#"
                /garden/plants/mint.md 0..17 "[[basil#harvest]]"
                **Sweet Basil › Harvest**

                Pinch the tops.
            "#]],
        );
        check(
            &format!("{TWO_KBS}//- /garden/plants/mint.md\n[[basl$0]]\n"),
            expect![[r#"
                /garden/plants/mint.md 0..8 "[[basl]]"
                **No note `basl`** in KB `garden`

                Did you mean `basil`?"#]],
        );
    }

    const VAULT: &str = r#"
//- /Sync/Security.md
# Security in Sync
Keys stay on the device.
//- /Publish/Security.md
# Security in Publish
Sites can have a password.
//- /assets/chart.png
0123456789
//- /docs/paper.pdf
%PDF
"#;

    #[test]
    fn hover_on_attachments_shows_what_they_are() {
        check(
            &format!("{VAULT}//- /Overview.md\nSee ![[cha$0rt.png]].\n"),
            expect![[r#"
                /Overview.md 4..18 "![[chart.png]]"
                **chart.png**

                *image* · 11 bytes · vault `ws`

                1 backlink · `assets/chart.png`
                image: /ws/assets/chart.png"#]],
        );
        check(
            &format!("{VAULT}//- /Overview.md\nSee [the paper](docs/pa$0per.pdf).\n"),
            expect![[r#"
                /Overview.md 4..31 "[the paper](docs/paper.pdf)"
                **paper.pdf**

                *PDF* · 5 bytes · vault `ws`

                1 backlink · `docs/paper.pdf`"#]],
        );
        check(
            &format!("{VAULT}//- /Overview.md\nSee ![[missi$0ng.png]].\n"),
            expect![[r#"
                /Overview.md 4..20 "![[missing.png]]"
                **No file `missing.png`** in vault `ws`"#]],
        );
    }

    #[test]
    fn hover_says_which_note_a_repeated_name_means() {
        check(
            &format!("{VAULT}//- /Sync/Devices.md\nSee [[Secu$0rity]].\n"),
            expect![[r#"
                /Sync/Devices.md 4..16 "[[Security]]"
                **Security in Sync**

                vault `ws`

                Keys stay on the device.

                1 backlink · `Sync/Security.md`

                *2 notes have this name; this link means this one, as it is in this note's folder (also: `Publish/Security.md`).*"#]],
        );
        check(
            &format!(
                "{VAULT}//- /Publish/Sites/Domains.md\nSee [Security](../Security.md)[[Secu$0rity]].\n"
            ),
            expect![[r#"
                /Publish/Sites/Domains.md 30..42 "[[Security]]"
                **Security in Sync**

                vault `ws`

                Keys stay on the device.

                1 backlink · `Sync/Security.md`

                *2 notes have this name; this link means this one, as its path is the shortest (also: `Publish/Security.md`).*"#]],
        );
        // A markdown link: decoded, with its heading.
        check(
            &format!(
                "{VAULT}//- /Sync/Devices.md\nSee [it](../Publish/Security.md#Security%20in%20Pub$0lish).\n"
            ),
            expect![[r#"
                /Sync/Devices.md 4..56 "[it](../Publish/Security.md#Security%20in%20Publish)"
                **Security in Publish › Security in Publish**

                Sites can have a password.
            "#]],
        );
    }
}
