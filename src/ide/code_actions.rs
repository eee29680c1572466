//! Quick fixes for the link problems that [`super::diagnostics`] reports, each attached to its
//! diagnostic. The diagnostics are computed afresh for the note (with the same settings the
//! server publishes them with), so a fix never relies on what the editor sent back.
//!
//! - `broken-link`: "Create note `x`" makes the note the link names, when the editor can create
//!   files: a file `x.md` starting with frontmatter `id: x`, a `title` (the link's display text,
//!   else the target with `-`/`_` read as spaces and a capital first letter) and a `type` when
//!   one can be guessed: the target KB's kb.yaml type whose `subdirectory` is the folder the
//!   linking note sits in (or the folder the link names, for `[[folder/x]]`). The file goes into
//!   that folder of the target KB; without a guess, next to the linking note (or into the
//!   target KB's folder, for a link into another KB). Then "Change to `y`" for the (at most 3)
//!   nearest existing notes by edit distance over ids, titles and aliases.
//! - `missing-kb-prefix`: "Write `[[kb:x]]`" for each KB that has the note.
//! - `non-canonical-link`: "Use the id `[[id]]`" (in a plain vault "Link to the file", by name,
//!   or by path when the name is shared), keeping the display text; a link that showed
//!   the title or alias gets it as display text (`[[Title]]` -> `[[id|Title]]`).
//! - `ambiguous-link`: one fix per candidate, naming it by id (with its `kb:` prefix when in
//!   another KB), else by its path in the KB, whichever [`crate::slug`] resolves to just it.
//!
//! Markdown links (`[text](file.md)`) get no fixes: each would need its own way of writing the
//! new target; their diagnostics still show.
//!
//! A fix is preferred (`isPreferred`, applied by "auto fix") when it is the only one for its
//! diagnostic and does not create a file: a single `missing-kb-prefix` candidate, and
//! `non-canonical-link`. A broken link has no obvious fix: a typo and a note still to write
//! look the same.

mod schema;

use std::path::PathBuf;

use super::diagnostics::{Diagnostic, DiagnosticCode, DiagnosticsConfig, diagnostics};
use super::retarget::check_id_syntax;
use super::source_change::{FileSystemEdit, SourceChange, SourceChangeBuilder};
use super::suggest::closest_notes;
use crate::keys;
use crate::slug::{self, Resolution, Via};
use crate::syntax::Link;
use crate::text::{FileId, TextRange};
use crate::workspace::{Note, Workspace};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeActionConfig {
    /// The editor applies `CreateFile` operations (LSP `resourceOperations`).
    pub create_files: bool,
    /// The settings diagnostics are published with.
    pub diagnostics: DiagnosticsConfig,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeAction {
    pub title: String,
    /// The diagnostic the fix is for.
    pub diagnostic: Diagnostic,
    pub is_preferred: bool,
    pub change: SourceChange,
}

/// Most "Change to" suggestions for a broken link.
const MAX_SUGGESTIONS: usize = 3;

/// Quick fixes for the diagnostics of `file` that touch `range`, in source order.
pub fn code_actions(
    workspace: &Workspace,
    file: FileId,
    range: TextRange,
    config: &CodeActionConfig,
) -> Vec<CodeAction> {
    let Some(note) = workspace.note(file) else {
        return Vec::new();
    };
    let mut actions = Vec::new();
    for diagnostic in diagnostics(workspace, file, &config.diagnostics) {
        if diagnostic.range.start > range.end || range.start > diagnostic.range.end {
            continue;
        }
        if let Some(fixes) = schema::fixes(workspace, file, note, &diagnostic) {
            for (title, is_preferred, change) in fixes {
                let diagnostic = diagnostic.clone();
                actions.push(CodeAction {
                    title,
                    diagnostic,
                    is_preferred,
                    change,
                });
            }
            continue;
        }
        let note_links = workspace.links_of(note);
        let Some(link) = note_links
            .links()
            .iter()
            .find(|l| l.range == diagnostic.range && !l.is_markdown())
        else {
            continue;
        };
        let fix = Fix {
            workspace,
            file,
            note,
            link,
        };
        let fixes = match diagnostic.code {
            DiagnosticCode::BrokenLink => {
                let mut fixes: Vec<(String, SourceChange)> = Vec::new();
                if config.create_files {
                    fixes.extend(fix.create_note());
                }
                fixes.extend(fix.change_to_nearest());
                fixes
            }
            DiagnosticCode::MissingKbPrefix => fix.add_kb_prefix(),
            DiagnosticCode::NonCanonicalLink => fix.use_id().into_iter().collect(),
            DiagnosticCode::AmbiguousLink => fix.pick_candidate(),
            _ => Vec::new(),
        };
        let is_preferred = fixes.len() == 1
            && matches!(
                diagnostic.code,
                DiagnosticCode::MissingKbPrefix | DiagnosticCode::NonCanonicalLink
            );
        for (title, change) in fixes {
            actions.push(CodeAction {
                title,
                diagnostic: diagnostic.clone(),
                is_preferred,
                change,
            });
        }
    }
    actions
}

/// The link a fix is for.
struct Fix<'a> {
    workspace: &'a Workspace,
    file: FileId,
    note: &'a Note,
    link: Link<'a>,
}

impl Fix<'_> {
    /// The `kb:target` span of the link (the target alone when it has no prefix).
    fn reference_range(&self) -> TextRange {
        let start = self
            .link
            .kb
            .as_ref()
            .map_or(self.link.target.range.start, |kb| kb.range.start);
        TextRange {
            start,
            end: self.link.target.range.end,
        }
    }

    /// A change that writes `reference` (`id` or `kb:id`) in place of the link's, adding the
    /// old text as display text when `keep_shown` and the link has none.
    fn rewrite(&self, reference: &str, keep_shown: bool) -> SourceChange {
        let mut builder = SourceChangeBuilder::default();
        builder.replace(self.file, self.reference_range(), reference);
        if keep_shown && self.link.display.is_none() {
            let shown = &self.link.target.text;
            builder.insert(
                self.file,
                self.link.range.end.saturating_sub(2),
                format!("|{shown}"),
            );
        }
        builder.finish()
    }

    /// The link as it reads after [`Fix::rewrite`], for titles.
    fn shown(&self, reference: &str, keep_shown: bool) -> String {
        let display = match &self.link.display {
            Some(display) => Some(display.text),
            None if keep_shown => Some(self.link.target.text),
            None => None,
        };
        match display {
            Some(display) => format!("[[{reference}|{display}]]"),
            None => format!("[[{reference}]]"),
        }
    }

    /// Whether `[[reference]]` written here means exactly `target`, and how.
    fn resolves_to(&self, reference: &str, target: FileId) -> Option<Via> {
        let (kb, name) = match reference.split_once(':') {
            Some((kb, name)) => (Some(kb), name),
            None => (None, reference),
        };
        match slug::resolve_target(self.workspace, self.file, kb, name) {
            Resolution::Found { file, via, .. } if file == target => Some(via),
            _ => None,
        }
    }

    fn create_note(&self) -> Option<(String, SourceChange)> {
        let workspace = self.workspace;
        let cleaned = keys::clean_target(self.link.target.text)?;
        let (folder, stem) = match cleaned.rsplit_once('/') {
            Some((folder, stem)) => (Some(folder), stem),
            None => (None, &*cleaned),
        };
        check_id_syntax(stem).ok()?;
        let target_kb = match &self.link.kb {
            Some(kb) => workspace.kb_by_name(kb.text)?,
            None => self.note.kb,
        };
        let kb = workspace.kb(target_kb);
        let linking_folder = self
            .note
            .kb_path()
            .rsplit_once('/')
            .map_or("", |(folder, _)| folder);
        let wanted_folder = folder.unwrap_or(linking_folder);
        let note_type = kb
            .config
            .types
            .iter()
            .find(|t| t.subdirectory.as_deref() == Some(wanted_folder));
        let dir: PathBuf = match (folder, note_type) {
            (Some(folder), _) => kb.dir.join(folder),
            (None, Some(t)) => kb.dir.join(t.subdirectory.as_deref().unwrap_or("")),
            (None, None) if target_kb == self.note.kb => self.note.path.parent()?.to_path_buf(),
            (None, None) => kb.dir.clone(),
        };
        let path = dir.join(format!("{stem}.md"));
        if workspace.file_id(&path).is_some() {
            return None;
        }
        let title = match &self.link.display {
            Some(display) if !display.text.is_empty() => display.text.to_string(),
            _ => title_from_id(stem),
        };
        let mut text = format!("---\nid: {stem}\ntitle: {}\n", yaml_quoted(&title));
        if let Some(t) = note_type {
            text += &format!("type: {}\n", t.name);
            text += &schema::required_field_lines(&kb.config.schema, &t.name);
        }
        text += "---\n\n";
        let shown_path = workspace
            .root_of(&path)
            .and_then(|root| path.strip_prefix(root).ok())
            .unwrap_or(&path)
            .to_string_lossy()
            .replace('\\', "/");
        let mut builder = SourceChangeBuilder::default();
        builder.file_system(FileSystemEdit::CreateFile { path, text });
        Some((
            format!("Create note `{stem}` ({shown_path})"),
            builder.finish(),
        ))
    }

    fn change_to_nearest(&self) -> Vec<(String, SourceChange)> {
        let workspace = self.workspace;
        let kb = match &self.link.kb {
            Some(kb) => workspace.kb_by_name(kb.text),
            None => Some(self.note.kb),
        };
        closest_notes(workspace, kb, self.link.target.text, MAX_SUGGESTIONS)
            .into_iter()
            .filter_map(|candidate| {
                let target = workspace.note(candidate)?;
                let reference = slug::canonical_target(workspace, self.note, target);
                self.resolves_to(&reference, candidate)?;
                Some((
                    format!("Change to `{reference}`"),
                    self.rewrite(&reference, false),
                ))
            })
            .collect()
    }

    fn add_kb_prefix(&self) -> Vec<(String, SourceChange)> {
        let resolution = slug::resolve_link(self.workspace, self.file, self.link);
        let Resolution::MissingKbPrefix { candidates } = resolution else {
            return Vec::new();
        };
        candidates
            .into_iter()
            .filter_map(|candidate| {
                let (reference, _) = self.naming(candidate)?;
                // Keep the text shown when the link named the note by title or alias.
                let prefix = self
                    .workspace
                    .kb_link_prefix(self.workspace.note(candidate)?.kb);
                let written = format!("{prefix}:{}", self.link.target.text);
                let keep_shown = self.resolves_to(&written, candidate) == Some(Via::Name);
                Some((
                    format!("Write `{}`", self.shown(&reference, keep_shown)),
                    self.rewrite(&reference, keep_shown),
                ))
            })
            .collect()
    }

    fn use_id(&self) -> Option<(String, SourceChange)> {
        let resolution = slug::resolve_link(self.workspace, self.file, self.link);
        let Resolution::Found {
            file: target,
            via: Via::Name,
            ..
        } = resolution
        else {
            return None;
        };
        if slug::is_plain_vault(self.workspace, self.note.kb) {
            // No ids in a plain vault: the file's name (or path, when the name is shared),
            // which Obsidian follows, keeping the title or alias as the text shown.
            let (reference, _) = self.naming(target)?;
            return Some((
                format!("Link to the file: `{}`", self.shown(&reference, true)),
                self.rewrite(&reference, true),
            ));
        }
        let target_note = self.workspace.note(target)?;
        let reference = match &self.link.kb {
            Some(kb) => format!("{}:{}", kb.text, target_note.id()),
            None => target_note.id().to_string(),
        };
        self.resolves_to(&reference, target)?;
        Some((
            format!("Use the id `{}`", self.shown(&reference, true)),
            self.rewrite(&reference, true),
        ))
    }

    fn pick_candidate(&self) -> Vec<(String, SourceChange)> {
        let resolution = slug::resolve_link(self.workspace, self.file, self.link);
        let Resolution::Ambiguous { candidates } = resolution else {
            return Vec::new();
        };
        candidates
            .into_iter()
            .filter_map(|candidate| {
                let (reference, _) = self.naming(candidate)?;
                // Keep the text shown unless the new reference names the note the same way.
                let name = reference
                    .rsplit_once(':')
                    .map_or(&*reference, |(_, name)| name);
                let keep_shown = keys::fold(name) != keys::fold(self.link.target.text);
                let title = self.workspace.note(candidate)?.title();
                Some((
                    format!("Link to `{}` ({title})", self.shown(&reference, keep_shown)),
                    self.rewrite(&reference, keep_shown),
                ))
            })
            .collect()
    }

    /// The shortest way to name `candidate` from here that resolves to just it: its id (with a
    /// `kb:` prefix from another KB), else its path in its KB.
    fn naming(&self, candidate: FileId) -> Option<(String, Via)> {
        let workspace = self.workspace;
        let target = workspace.note(candidate)?;
        let prefix = workspace.kb_link_prefix(target.kb);
        let written_kb = self.link.kb.as_ref().map(|kb| kb.text);
        let with_prefix = |name: &str| match written_kb {
            Some(kb) => format!("{kb}:{name}"),
            None if target.kb != self.note.kb => format!("{prefix}:{name}"),
            None => name.to_owned(),
        };
        let options = [
            with_prefix(target.id()),
            with_prefix(target.kb_path()),
            format!("{prefix}:{}", target.kb_path()),
        ];
        options.into_iter().find_map(|reference| {
            let via = self.resolves_to(&reference, candidate)?;
            Some((reference, via))
        })
    }
}

/// A title for a note created from a link to `id`: `-` and `_` read as spaces, first letter
/// capitalised (`varroa-treatment` -> `Varroa treatment`).
fn title_from_id(id: &str) -> String {
    let spaced = id.replace(['-', '_'], " ");
    let mut chars = spaced.trim().chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => id.to_owned(),
    }
}

/// A YAML double-quoted scalar.
fn yaml_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::Fixture;

    /// Renders every fix at the cursor: its title, diagnostic code, whether preferred, and
    /// the resulting files (the schema fixes' tests use it too).
    #[track_caller]
    pub(super) fn check(fixture: &str, create_files: bool, expect: Expect) {
        let f = Fixture::parse(fixture);
        let position = f.position();
        let config = CodeActionConfig {
            create_files,
            ..CodeActionConfig::default()
        };
        let range = TextRange::empty(position.offset as usize);
        let mut out = String::new();
        for action in code_actions(&f.workspace, position.file, range, &config) {
            out += &format!(
                "# {} [{}]{}\n{}",
                action.title,
                action.diagnostic.code.as_str(),
                if action.is_preferred {
                    " preferred"
                } else {
                    ""
                },
                f.render_change(&action.change)
            );
        }
        // Line breaks `\r\n` shown as `\r` (a snapshot cannot hold a bare carriage return).
        expect.assert_eq(&out.replace('\r', "\\r"));
    }

    const KBS: &str = r#"
//- /apiary/kb.yaml
name: apiary
shortname: ap
types:
  hive:
    subdirectory: hives
  person:
    subdirectory: people
//- /cellar/kb.yaml
name: cellar
shortname: cl
//- /apiary/hives/linden-hive.md
---
id: linden-hive
title: Linden Hive
aliases: [Hive One]
---
//- /apiary/people/ines-varga.md
---
title: Ines Varga
aliases: [Varga]
---
//- /apiary/people/petra-varga.md
---
title: Petra Varga
aliases: [Varga]
---
//- /cellar/linden-mead.md
---
aliases: [Linden Mead]
---
"#;

    #[test]
    fn a_broken_link_can_create_the_note_or_change_to_a_near_one() {
        check(
            &format!("{KBS}//- /apiary/hives/heather-hive.md\nRead [[varroa-treat$0ment]].\n"),
            true,
            expect![[r##"
                # Create note `varroa-treatment` (apiary/hives/varroa-treatment.md) [broken-link]
                create /apiary/hives/varroa-treatment.md
                ---
                id: varroa-treatment
                title: "Varroa treatment"
                type: hive
                ---

            "##]],
        );
        check(
            &format!(
                "{KBS}//- /apiary/hives/heather-hive.md\nAsk [[lindn-hive|the *old* \"hive\"$0]].\n"
            ),
            true,
            expect![[r##"
                # Create note `lindn-hive` (apiary/hives/lindn-hive.md) [broken-link]
                create /apiary/hives/lindn-hive.md
                ---
                id: lindn-hive
                title: "the *old* \"hive\""
                type: hive
                ---

                # Change to `linden-hive` [broken-link]
                //- /apiary/hives/heather-hive.md
                Ask [[linden-hive|the *old* "hive"]].
            "##]],
        );
        // Into another KB, and into a folder the link names.
        check(
            &format!(
                "{KBS}//- /cellar/melomel.md\n[[ap:blackberry-hedge$0]] [[ap:people/new-keeper]]\n"
            ),
            true,
            expect![[r##"
                # Create note `blackberry-hedge` (apiary/blackberry-hedge.md) [broken-link]
                create /apiary/blackberry-hedge.md
                ---
                id: blackberry-hedge
                title: "Blackberry hedge"
                ---

            "##]],
        );
        check(
            &format!(
                "{KBS}//- /cellar/melomel.md\n[[ap:blackberry-hedge]] [[ap:people/new-kee$0per]]\n"
            ),
            true,
            expect![[r##"
                # Create note `new-keeper` (apiary/people/new-keeper.md) [broken-link]
                create /apiary/people/new-keeper.md
                ---
                id: new-keeper
                title: "New keeper"
                type: person
                ---

            "##]],
        );
        // An editor that cannot create files gets no "Create note".
        check(
            &format!("{KBS}//- /apiary/hives/heather-hive.md\n[[linden-hiv$0]]\n"),
            false,
            expect![[r#"
                # Change to `linden-hive` [broken-link]
                //- /apiary/hives/heather-hive.md
                [[linden-hive]]
            "#]],
        );
    }

    #[test]
    fn a_link_by_alias_in_a_plain_vault_names_the_file() {
        check(
            r#"
//- /Artificial intelligence.md
---
aliases: [AI]
---
//- /notes/b.md
See [[A$0I]].
//- /a/Soil.md
---
aliases: [Ground]
---
//- /z/Soil.md
"#,
            true,
            expect![[r#"
                # Link to the file: `[[Artificial intelligence|AI]]` [non-canonical-link] preferred
                //- /notes/b.md
                See [[Artificial intelligence|AI]].
            "#]],
        );
        check(
            r#"
//- /a/Soil.md
---
aliases: [Ground]
---
//- /z/Soil.md
//- /notes/b.md
See [[Gro$0und]].
"#,
            true,
            expect![[r#"
                # Link to the file: `[[a/Soil|Ground]]` [non-canonical-link] preferred
                //- /notes/b.md
                See [[a/Soil|Ground]].
            "#]],
        );
    }

    #[test]
    fn prefixes_ids_and_candidates() {
        check(
            &format!("{KBS}//- /apiary/journal.md\n[[linden-me$0ad#Log|mead]] [[Linden Mead]]\n"),
            true,
            expect![[r#"
                # Write `[[cl:linden-mead|mead]]` [missing-kb-prefix] preferred
                //- /apiary/journal.md
                [[cl:linden-mead#Log|mead]] [[Linden Mead]]
            "#]],
        );
        check(
            &format!("{KBS}//- /apiary/journal.md\n[[linden-mead#Log|mead]] [[Linden $0Mead]]\n"),
            true,
            expect![[r#"
                # Write `[[cl:linden-mead|Linden Mead]]` [missing-kb-prefix] preferred
                //- /apiary/journal.md
                [[linden-mead#Log|mead]] [[cl:linden-mead|Linden Mead]]
            "#]],
        );
        check(
            &format!("{KBS}//- /apiary/journal.md\n![[ap:Hive O$0ne#Top]] [[Hive One|the hive]]\n"),
            true,
            expect![[r#"
                # Use the id `[[ap:linden-hive|Hive One]]` [non-canonical-link] preferred
                //- /apiary/journal.md
                ![[ap:linden-hive#Top|Hive One]] [[Hive One|the hive]]
            "#]],
        );
        check(
            &format!("{KBS}//- /apiary/journal.md\n[[Var$0ga]] and [[Varga|the Vargas]]\n"),
            true,
            expect![[r#"
                # Link to `[[ines-varga|Varga]]` (Ines Varga) [ambiguous-link]
                //- /apiary/journal.md
                [[ines-varga|Varga]] and [[Varga|the Vargas]]
                # Link to `[[petra-varga|Varga]]` (Petra Varga) [ambiguous-link]
                //- /apiary/journal.md
                [[petra-varga|Varga]] and [[Varga|the Vargas]]
            "#]],
        );
        check(
            "//- /a/one.md\n---\nid: same\n---\n//- /b/two.md\n---\nid: same\n---\n//- /c.md\n[[sa$0me]]\n",
            true,
            expect![[r#"
                # Link to `[[a/one|same]]` (same) [ambiguous-link]
                //- /c.md
                [[a/one|same]]
                # Link to `[[b/two|same]]` (same) [ambiguous-link]
                //- /c.md
                [[b/two|same]]
            "#]],
        );
    }
}
