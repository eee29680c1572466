//! Problems in one note: invalid frontmatter, duplicate ids, and every link or declared
//! reference that does not resolve cleanly; and, when turned on, a note that nothing links to
//! (`orphan-note`). Shared by the server and `wikilink-lsp check`.

mod schema;

use std::collections::HashMap;

use super::navigation::{identity_anchor, kb_words};
use crate::keys;
use crate::slug::{self, Resolution, ResolveCache, SubTarget, Via};
use crate::syntax::Link;
use crate::text::{FileId, TextRange};
use crate::workspace::{Note, NoteLinks, Workspace};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
    Information,
    Hint,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Information => "information",
            Severity::Hint => "hint",
        }
    }

    /// Parses a severity name as written in settings; `Ok(None)` is `"off"`.
    pub fn parse(name: &str) -> Result<Option<Severity>, String> {
        match name.to_ascii_lowercase().as_str() {
            "error" => Ok(Some(Severity::Error)),
            "warning" | "warn" => Ok(Some(Severity::Warning)),
            "information" | "info" => Ok(Some(Severity::Information)),
            "hint" => Ok(Some(Severity::Hint)),
            "off" | "none" | "ignore" => Ok(None),
            other => Err(format!(
                "unknown severity `{other}` (use error, warning, information, hint or off)"
            )),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DiagnosticCode {
    InvalidFrontmatter,
    DuplicateId,
    BrokenLink,
    BrokenHeading,
    BrokenBlock,
    NonCanonicalLink,
    MissingKbPrefix,
    AmbiguousLink,
    UnknownKb,
    BrokenReference,
    // The KB's schema (see `schema`).
    UnknownType,
    MissingRequiredField,
    InvalidFieldValue,
    WrongTargetType,
    UnknownRelation,
    /// Frontmatter that Pyrite's YAML reader accepts and strict YAML does not.
    NonStrictYaml,
    /// The note has more problems than a list in the editor shows (see
    /// [`DiagnosticsConfig::max_per_note`]).
    TooManyProblems,
    /// No other note links to or references this one. Off unless a severity is set.
    OrphanNote,
}

impl DiagnosticCode {
    pub const ALL: [DiagnosticCode; 18] = [
        DiagnosticCode::InvalidFrontmatter,
        DiagnosticCode::DuplicateId,
        DiagnosticCode::BrokenLink,
        DiagnosticCode::BrokenHeading,
        DiagnosticCode::BrokenBlock,
        DiagnosticCode::NonCanonicalLink,
        DiagnosticCode::MissingKbPrefix,
        DiagnosticCode::AmbiguousLink,
        DiagnosticCode::UnknownKb,
        DiagnosticCode::BrokenReference,
        DiagnosticCode::UnknownType,
        DiagnosticCode::MissingRequiredField,
        DiagnosticCode::InvalidFieldValue,
        DiagnosticCode::WrongTargetType,
        DiagnosticCode::UnknownRelation,
        DiagnosticCode::NonStrictYaml,
        DiagnosticCode::TooManyProblems,
        DiagnosticCode::OrphanNote,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DiagnosticCode::InvalidFrontmatter => "invalid-frontmatter",
            DiagnosticCode::DuplicateId => "duplicate-id",
            DiagnosticCode::BrokenLink => "broken-link",
            DiagnosticCode::BrokenHeading => "broken-heading",
            DiagnosticCode::BrokenBlock => "broken-block",
            DiagnosticCode::NonCanonicalLink => "non-canonical-link",
            DiagnosticCode::MissingKbPrefix => "missing-kb-prefix",
            DiagnosticCode::AmbiguousLink => "ambiguous-link",
            DiagnosticCode::UnknownKb => "unknown-kb",
            DiagnosticCode::BrokenReference => "broken-reference",
            DiagnosticCode::UnknownType => "unknown-type",
            DiagnosticCode::MissingRequiredField => "missing-required-field",
            DiagnosticCode::InvalidFieldValue => "invalid-field-value",
            DiagnosticCode::WrongTargetType => "wrong-target-type",
            DiagnosticCode::UnknownRelation => "unknown-relation",
            DiagnosticCode::NonStrictYaml => "non-strict-yaml",
            DiagnosticCode::TooManyProblems => "too-many-problems",
            DiagnosticCode::OrphanNote => "orphan-note",
        }
    }

    pub fn parse(name: &str) -> Option<DiagnosticCode> {
        Self::ALL.into_iter().find(|code| code.as_str() == name)
    }

    /// When the code is reported, in one sentence (the README's table; SARIF rule texts).
    pub fn description(self) -> &'static str {
        match self {
            DiagnosticCode::InvalidFrontmatter => {
                "The YAML frontmatter does not parse (the body is still indexed)."
            }
            DiagnosticCode::DuplicateId => "Two notes of one KB share an id.",
            DiagnosticCode::BrokenLink => "The link's target exists nowhere (a wanted page).",
            DiagnosticCode::BrokenHeading => "The note exists but has no such heading.",
            DiagnosticCode::BrokenBlock => "The note exists but has no such block id.",
            DiagnosticCode::NonCanonicalLink => {
                "The link names a title or alias; the canonical form is the id."
            }
            DiagnosticCode::MissingKbPrefix => {
                "The target is not in this KB but in another: the link needs its KB prefix."
            }
            DiagnosticCode::AmbiguousLink => "Several notes match the link at the same step.",
            DiagnosticCode::UnknownKb => "The link's KB prefix names no KB.",
            DiagnosticCode::BrokenReference => {
                "A frontmatter field declared as holding ids names no note."
            }
            DiagnosticCode::UnknownType => {
                "The note's type is not declared in kb.yaml nor built into Pyrite."
            }
            DiagnosticCode::MissingRequiredField => "A field the note's type requires is missing.",
            DiagnosticCode::InvalidFieldValue => "A value does not fit its field in kb.yaml.",
            DiagnosticCode::WrongTargetType => {
                "A reference names a note of another type than the field's target type."
            }
            DiagnosticCode::UnknownRelation => {
                "A typed link's relation is not among the KB's relationship types."
            }
            DiagnosticCode::NonStrictYaml => {
                "Frontmatter that only Pyrite's lenient YAML reader accepts."
            }
            DiagnosticCode::TooManyProblems => "The note has more problems than the editor shows.",
            DiagnosticCode::OrphanNote => "No other note links to or references the note.",
        }
    }

    pub fn default_severity(self) -> Severity {
        match self {
            DiagnosticCode::InvalidFrontmatter | DiagnosticCode::DuplicateId => Severity::Error,
            // A Pyrite plugin may add types the server cannot see.
            DiagnosticCode::NonCanonicalLink
            | DiagnosticCode::UnknownType
            | DiagnosticCode::TooManyProblems => Severity::Information,
            DiagnosticCode::NonStrictYaml | DiagnosticCode::OrphanNote => Severity::Hint,
            _ => Severity::Warning,
        }
    }

    /// Whether the code is reported when no severity is set for it: every code but
    /// `orphan-note`, which is opt-in (its severity, once set, is the one given).
    pub fn on_by_default(self) -> bool {
        self != DiagnosticCode::OrphanNote
    }
}

/// Another place a diagnostic is about (the other note with the same id, a candidate).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub file: FileId,
    pub range: TextRange,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub range: TextRange,
    pub severity: Severity,
    pub code: DiagnosticCode,
    pub message: String,
    /// The link target or referenced id as written, where there is one.
    pub target: Option<String>,
    pub related: Vec<Related>,
}

/// Severity per code (absent means the default, `None` means the code is off), and how many
/// problems one note may report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiagnosticsConfig {
    pub severity: HashMap<DiagnosticCode, Option<Severity>>,
    /// At most this many problems per note, the first by position, plus one `too-many-problems`
    /// at the note's start saying how many more there are; `None` reports all (`check`).
    pub max_per_note: Option<usize>,
}

impl DiagnosticsConfig {
    pub fn severity_of(&self, code: DiagnosticCode) -> Option<Severity> {
        match self.severity.get(&code) {
            Some(overridden) => *overridden,
            None => code.on_by_default().then(|| code.default_severity()),
        }
    }
}

/// Every problem in note `file`, in source order.
pub fn diagnostics(
    workspace: &Workspace,
    file: FileId,
    config: &DiagnosticsConfig,
) -> Vec<Diagnostic> {
    diagnostics_with_cache(workspace, file, config, &mut ResolveCache::none())
}

/// [`diagnostics_with_cache`] with the note's links already read (see
/// [`Workspace::links_of`]): whoever read a closed note's file for them reads it once.
pub fn diagnostics_with_links(
    workspace: &Workspace,
    file: FileId,
    links: &NoteLinks<'_>,
    config: &DiagnosticsConfig,
    cache: &mut ResolveCache,
) -> Vec<Diagnostic> {
    let Some(note) = workspace.note(file) else {
        return Vec::new();
    };
    diagnostics_of(workspace, file, note, links, config, cache)
}

/// [`diagnostics`] of one of many notes checked in a row (`check`, the workspace's
/// diagnostics): links are resolved through `cache`, made for this workspace.
pub fn diagnostics_with_cache(
    workspace: &Workspace,
    file: FileId,
    config: &DiagnosticsConfig,
    cache: &mut ResolveCache,
) -> Vec<Diagnostic> {
    let Some(note) = workspace.note(file) else {
        return Vec::new();
    };
    diagnostics_of(
        workspace,
        file,
        note,
        &workspace.links_of(note),
        config,
        cache,
    )
}

fn diagnostics_of(
    workspace: &Workspace,
    file: FileId,
    note: &Note,
    links: &NoteLinks<'_>,
    config: &DiagnosticsConfig,
    cache: &mut ResolveCache,
) -> Vec<Diagnostic> {
    let mut out = Collector {
        config,
        diagnostics: Vec::new(),
    };
    for error in &note.parsed.errors {
        let code = if error.lenient {
            DiagnosticCode::NonStrictYaml
        } else {
            DiagnosticCode::InvalidFrontmatter
        };
        out.push(code, error.range, error.message.clone(), None, Vec::new());
    }
    duplicate_id(workspace, file, note, &mut out);
    for link in links.links() {
        link_problems(workspace, file, note, link, cache, &mut out);
    }
    reference_problems(workspace, file, note, &mut out);
    for problem in schema::problems(workspace, file, note) {
        out.push_at_most(problem.severity_cap, problem);
    }
    if config.severity_of(DiagnosticCode::OrphanNote).is_some() {
        orphan(workspace, file, note, &mut out);
    }
    let mut diagnostics = out.diagnostics;
    diagnostics.sort_by_key(|d| (d.range.start, d.range.end));
    if let Some(limit) = config.max_per_note
        && diagnostics.len() > limit
    {
        let hidden = diagnostics.len() - limit;
        diagnostics.truncate(limit);
        diagnostics.shrink_to_fit();
        if let Some(severity) = config.severity_of(DiagnosticCode::TooManyProblems) {
            let message = format!(
                "{hidden} more problems in this note are not shown (only the first {limit}); `wikilink-lsp check` lists them all"
            );
            diagnostics.insert(
                0,
                Diagnostic {
                    range: TextRange::empty(0),
                    severity,
                    code: DiagnosticCode::TooManyProblems,
                    message,
                    target: None,
                    related: Vec::new(),
                },
            );
        }
    }
    diagnostics
}

struct Collector<'a> {
    config: &'a DiagnosticsConfig,
    diagnostics: Vec<Diagnostic>,
}

impl Collector<'_> {
    /// [`Collector::push`] of a schema problem, at most as severe as `cap`.
    fn push_at_most(&mut self, cap: Option<Severity>, problem: schema::Problem) {
        let before = self.diagnostics.len();
        let target = problem.target.as_deref();
        self.push(
            problem.code,
            problem.range,
            problem.message,
            target,
            Vec::new(),
        );
        if let (Some(cap), Some(pushed)) = (cap, self.diagnostics.get_mut(before)) {
            pushed.severity = pushed.severity.max(cap);
        }
    }

    fn push(
        &mut self,
        code: DiagnosticCode,
        range: TextRange,
        message: String,
        target: Option<&str>,
        related: Vec<Related>,
    ) {
        let severity = self.config.severity_of(code);
        self.push_with(severity, code, range, message, target, related);
    }

    /// [`Collector::push`] with `default` as the severity unless the settings name one.
    fn push_defaulting(
        &mut self,
        default: Severity,
        code: DiagnosticCode,
        range: TextRange,
        message: String,
        target: Option<&str>,
        related: Vec<Related>,
    ) {
        let severity = match self.config.severity.get(&code) {
            Some(overridden) => *overridden,
            None => Some(default),
        };
        self.push_with(severity, code, range, message, target, related);
    }

    fn push_with(
        &mut self,
        severity: Option<Severity>,
        code: DiagnosticCode,
        range: TextRange,
        message: String,
        target: Option<&str>,
        related: Vec<Related>,
    ) {
        if let Some(severity) = severity {
            self.diagnostics.push(Diagnostic {
                range,
                severity,
                code,
                message,
                target: target.map(str::to_owned),
                related,
            });
        }
    }
}

/// Two notes of a KB with one id. In a plain vault (no kb.yaml) ids are file names, which may
/// repeat across folders (links then resolve to the nearest): only two frontmatter `id:`
/// values that collide are a problem there.
fn duplicate_id(workspace: &Workspace, file: FileId, note: &Note, out: &mut Collector<'_>) {
    // A README or a template is not an entry: its id names nothing in Pyrite.
    let plain = slug::is_plain_vault(workspace, note.kb);
    if !note.entry || (plain && note.id_value().is_none()) {
        return;
    }
    let others: Vec<FileId> = workspace
        .notes_by_id(&keys::fold(note.id()))
        .iter()
        .copied()
        .filter(|&f| f != file)
        .filter(|&f| {
            workspace.note(f).is_some_and(|n| {
                n.entry
                    && n.kb == note.kb
                    && n.id() == note.id()
                    && (!plain || n.id_value().is_some())
            })
        })
        .collect();
    if others.is_empty() {
        return;
    }
    let range = note.id_range();
    let paths: Vec<String> = others.iter().map(|&f| display_path(workspace, f)).collect();
    let related = others
        .iter()
        .map(|&f| Related {
            file: f,
            range: workspace
                .note(f)
                .map_or_else(TextRange::default, Note::id_range),
            message: format!("`{}` is also the id of this note", note.id()),
        })
        .collect();
    out.push(
        DiagnosticCode::DuplicateId,
        range,
        format!(
            "duplicate id `{}` in KB `{}`: also used by {}",
            note.id(),
            workspace.kb(note.kb).name,
            paths.join(", ")
        ),
        Some(note.id()),
        related,
    );
}

/// `orphan-note` on the note's identity when no other note links to it or references it.
fn orphan(workspace: &Workspace, file: FileId, note: &Note, out: &mut Collector<'_>) {
    if !slug::is_pointed_at_from_elsewhere(workspace, file) {
        out.push(
            DiagnosticCode::OrphanNote,
            identity_anchor(note),
            format!("no other note links to `{}`", note.id()),
            Some(note.id()),
            Vec::new(),
        );
    }
}

/// Whether a link target is a placeholder of Obsidian's Templates (`{{title}}`) or Templater
/// (`<% tp.date.now() %>`) plugin, in a template note.
fn is_template_placeholder(target: &str) -> bool {
    let between = |open: &str, close: &str| {
        target
            .find(open)
            .is_some_and(|at| target[at + open.len()..].contains(close))
    };
    between("{{", "}}") || between("<%", "%>")
}

fn display_path(workspace: &Workspace, file: FileId) -> String {
    let Some(path) = workspace.path(file) else {
        return String::new();
    };
    let root = workspace.root_of(path);
    let relative = root.and_then(|r| path.strip_prefix(r).ok()).unwrap_or(path);
    relative.to_string_lossy().replace('\\', "/")
}

fn link_problems(
    workspace: &Workspace,
    file: FileId,
    note: &Note,
    link: Link,
    cache: &mut ResolveCache,
    out: &mut Collector<'_>,
) {
    let target = keys::link_text(link, link.target.text);
    let target = &*target;
    let kb_name = &workspace.kb(note.kb).name;
    // Built only for a link with a problem: most links have none.
    let written = || match &link.kb {
        Some(kb) => format!("{}:{}", kb.text, link.target.text),
        None => link.target.text.to_owned(),
    };
    // How the message names the link: its decoded target (with its prefix).
    let shown = || match &link.kb {
        Some(kb) => format!("{}:{target}", kb.text),
        None => target.to_owned(),
    };
    let resolution = cache.resolve_link(workspace, file, link);
    let candidates_related = |candidates: &[FileId], why: &str| -> Vec<Related> {
        candidates
            .iter()
            .map(|&f| Related {
                file: f,
                range: TextRange::empty(0),
                message: why.to_owned(),
            })
            .collect()
    };
    match &resolution {
        // A template's placeholder (`[[{{date}}]]`, `[[<% tp.file.title %>]]`) names a note
        // only once the template is filled in.
        Resolution::Broken if is_template_placeholder(target) => {}
        Resolution::Broken => {
            let link_kb = link
                .kb
                .as_ref()
                .and_then(|kb| workspace.kb_by_name(kb.text))
                .unwrap_or(note.kb);
            let kb_of_link = workspace.kb(link_kb).name.as_str();
            let (place, whole) = kb_words(workspace, link_kb);
            let plain_relative =
                slug::is_plain_vault(workspace, note.kb) && slug::is_relative(target);
            let outside = if plain_relative && link.kb.is_none() {
                slug::relative_kb_path(note, target).is_none()
            } else {
                keys::clean_target(target).is_none()
            };
            let what = if is_file_name(target) { "file" } else { "note" };
            let message = if outside {
                format!("`{target}` points outside {whole}")
            } else {
                format!("no {what} `{target}` in {place} `{kb_of_link}`")
            };
            out.push(
                DiagnosticCode::BrokenLink,
                link.range,
                message,
                Some(&written()),
                Vec::new(),
            );
        }
        Resolution::UnknownKb { kb } => {
            // The KBs a prefix is meant for: those with kb.yaml, when there are any (a root's
            // plain vault is named only after its folder).
            let visible = workspace.visible_kbs();
            let named = visible.iter().any(|&k| !workspace.kb(k).is_implicit());
            let known: Vec<String> = visible
                .into_iter()
                .filter(|&k| !named || !workspace.kb(k).is_implicit())
                .map(|k| {
                    let kb = workspace.kb(k);
                    match &kb.shortname {
                        Some(short) => format!("{} ({short})", kb.name),
                        None => kb.name.clone(),
                    }
                })
                .collect();
            let range = link.kb.as_ref().map_or(link.range, |kb| kb.range);
            out.push(
                DiagnosticCode::UnknownKb,
                range,
                format!("no KB named `{kb}`; known KBs: {}", known.join(", ")),
                Some(&written()),
                Vec::new(),
            );
        }
        Resolution::MissingKbPrefix { candidates } => {
            let shown = shown();
            let fixes: Vec<String> = candidates
                .iter()
                .filter_map(|&f| workspace.note(f))
                .map(|n| format!("`[[{}:{}]]`", workspace.kb_link_prefix(n.kb), n.id()))
                .collect();
            let message = format!(
                "`{shown}` is not in KB `{kb_name}` but in {}: write {}",
                if fixes.len() == 1 {
                    "another KB"
                } else {
                    "other KBs"
                },
                fixes.join(" or ")
            );
            out.push(
                DiagnosticCode::MissingKbPrefix,
                link.range,
                message,
                Some(&written()),
                candidates_related(candidates, "a note this link may mean"),
            );
        }
        Resolution::Ambiguous { candidates } => {
            let shown = shown();
            let paths: Vec<String> = candidates
                .iter()
                .map(|&f| display_path(workspace, f))
                .collect();
            // In a plain vault only a tie between equally near notes is left: a hint, as
            // Obsidian opens one of them anyway.
            let plain = slug::is_plain_vault(workspace, note.kb);
            let (default, advice) = if plain {
                (
                    Severity::Hint,
                    " (paths of equal length; write the folder to choose)",
                )
            } else {
                (DiagnosticCode::AmbiguousLink.default_severity(), "")
            };
            out.push_defaulting(
                default,
                DiagnosticCode::AmbiguousLink,
                link.range,
                format!(
                    "`{shown}` matches {} notes: {}{advice}",
                    candidates.len(),
                    paths.join(", ")
                ),
                Some(&written()),
                candidates_related(candidates, "a note this link may mean"),
            );
        }
        Resolution::Found {
            file: found,
            via: Via::Name,
            ..
        } => {
            if let Some(found_note) = workspace.note(*found) {
                let shown = shown();
                let canonical = slug::canonical_target(workspace, note, found_note);
                // In a plain vault Obsidian opens no note for such a link (it offers to create
                // one): as good as broken there, though every feature here still follows it.
                let (default, message) = if slug::is_plain_vault(workspace, note.kb) {
                    (
                        Severity::Warning,
                        format!(
                            "`{shown}` is a title or alias of `{canonical}`, and Obsidian does \
                             not follow links by title or alias: write `[[{canonical}|{shown}]]`"
                        ),
                    )
                } else {
                    (
                        DiagnosticCode::NonCanonicalLink.default_severity(),
                        format!("`{shown}` is a title or alias: link by id as `[[{canonical}]]`"),
                    )
                };
                out.push_defaulting(
                    default,
                    DiagnosticCode::NonCanonicalLink,
                    link.range,
                    message,
                    Some(&written()),
                    Vec::new(),
                );
            }
        }
        Resolution::Found { .. } | Resolution::SameNote => {}
    }
    let Some(target_file) = resolution.file(file) else {
        return;
    };
    let Some(target_note) = workspace.note(target_file) else {
        return;
    };
    match slug::resolve_subtarget(target_note, link) {
        SubTarget::MissingHeading => {
            let heading = link
                .heading
                .as_ref()
                .expect("missing heading implies a heading part");
            out.push(
                DiagnosticCode::BrokenHeading,
                heading.range,
                format!(
                    "no heading `{}` in `{}`",
                    keys::link_text(link, heading.text),
                    target_note.id()
                ),
                Some(&written()),
                Vec::new(),
            );
        }
        SubTarget::MissingBlock => {
            let block = link
                .block
                .as_ref()
                .expect("missing block implies a block part");
            out.push(
                DiagnosticCode::BrokenBlock,
                block.range,
                format!(
                    "no block `^{}` in `{}`",
                    keys::link_text(link, block.text),
                    target_note.id()
                ),
                Some(&written()),
                Vec::new(),
            );
        }
        SubTarget::None | SubTarget::Heading(_) | SubTarget::Block(_) => {}
    }
}

/// Whether a link target names a file other than a note: it ends with an extension that is
/// not `.md` (`chart.png`, `paper.pdf`).
fn is_file_name(target: &str) -> bool {
    let name = target.rsplit('/').next().unwrap_or(target);
    match name.rsplit_once('.') {
        Some((stem, extension)) => {
            !stem.is_empty()
                && !extension.is_empty()
                && extension.len() <= 10
                && extension.chars().all(|c| c.is_ascii_alphanumeric())
                && extension.chars().any(|c| c.is_ascii_alphabetic())
                && !extension.eq_ignore_ascii_case("md")
                && !extension.eq_ignore_ascii_case("markdown")
        }
        None => false,
    }
}

fn reference_problems(workspace: &Workspace, file: FileId, note: &Note, out: &mut Collector<'_>) {
    let Some(fm) = note.parsed.frontmatter() else {
        return;
    };
    for field in fm.fields() {
        if !workspace.is_reference_field(note.kb, field.name) {
            continue;
        }
        for value in field.values {
            if slug::resolve_reference(workspace, file, value).is_some() {
                continue;
            }
            let (kb, id) = keys::split_reference(value);
            let kb_name = kb.and_then(|k| workspace.kb_by_name(k)).map_or_else(
                || kb.unwrap_or(&workspace.kb(note.kb).name).to_owned(),
                |k| workspace.kb(k).name.clone(),
            );
            out.push(
                DiagnosticCode::BrokenReference,
                value.range,
                format!(
                    "field `{}`: no note with id `{id}` in KB `{kb_name}`",
                    field.name
                ),
                Some(value.text),
                Vec::new(),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    use super::*;
    use crate::fixture::{Fixture, TWO_KBS};

    /// Every diagnostic of every file, in path order, as `path range "slice"
    /// severity[code]: message` (the schema checks' tests use it too).
    #[track_caller]
    pub(super) fn check(fixture: &str, expect: Expect) {
        check_with(fixture, &DiagnosticsConfig::default(), expect);
    }

    #[track_caller]
    fn check_with(fixture: &str, config: &DiagnosticsConfig, expect: Expect) {
        let f = Fixture::parse(fixture);
        let out: String = f
            .files()
            .into_iter()
            .map(|file| f.render_diagnostics(file, config))
            .collect();
        expect.assert_eq(&out);
        // Every note's links resolved through one cache, as `check` does, say the same.
        let mut cache = ResolveCache::new(&f.workspace);
        for file in f.files() {
            assert_eq!(
                diagnostics_with_cache(&f.workspace, file, config, &mut cache),
                diagnostics(&f.workspace, file, config),
                "{:?} with a resolution cache",
                f.workspace.path(file)
            );
        }
    }

    #[test]
    fn diagnostics_cover_every_resolution_step() {
        check(
            &format!(
                "{TWO_KBS}{}",
                r#"
//- /kitchen/recipes/pesto.md
---
id: pesto
source: "[[gd:basil#Harvest]]"
---
Needs [[basil]], [[gd:basil^pinch]], [[gd:basil^nope]], [[gd:basil#Nope]],
[[nowhere]], [[pantry:salt]], [[gd:tomato]], [[#Method]], [[../../etc/passwd]], [[gd:basil#]], [[#]].

## Method
"#
            ),
            expect![[r#"
                /garden/plants/basil.md 109..121 "parsley-gone" warning[broken-reference]: field `companions`: no note with id `parsley-gone` in KB `garden`
                /garden/plants/tomato-notes.md 80..92 "[[Genovese]]" information[non-canonical-link]: `Genovese` is a title or alias: link by id as `[[basil]]`
                /kitchen/recipes/pesto.md 55..64 "[[basil]]" warning[missing-kb-prefix]: `basil` is not in KB `kitchen` but in another KB: write `[[gd:basil]]`
                /kitchen/recipes/pesto.md 97..101 "nope" warning[broken-block]: no block `^nope` in `basil`
                /kitchen/recipes/pesto.md 116..120 "Nope" warning[broken-heading]: no heading `Nope` in `basil`
                /kitchen/recipes/pesto.md 124..135 "[[nowhere]]" warning[broken-link]: no note `nowhere` in KB `kitchen`
                /kitchen/recipes/pesto.md 139..145 "pantry" warning[unknown-kb]: no KB named `pantry`; known KBs: garden (gd), kitchen
                /kitchen/recipes/pesto.md 182..202 "[[../../etc/passwd]]" warning[broken-link]: `../../etc/passwd` points outside the knowledge base
            "#]],
        );
    }

    #[test]
    fn one_target_means_different_notes_from_different_kbs() {
        // The same `[[x]]` is found from its own KB, needs a prefix from the other, and the
        // same prefixed link means one note from both: `check`'s resolution cache keeps them
        // apart (see `check_with`).
        check(
            r#"
//- /garden/kb.yaml
name: garden
//- /kitchen/kb.yaml
name: kitchen
//- /garden/x.md
See [[x]] and [[y]] and [[garden:x]].
//- /garden/y.md
//- /kitchen/y.md
See [[x]] and [[y]] and [[garden:x]].
"#,
            expect![[r#"
                /kitchen/y.md 4..9 "[[x]]" warning[missing-kb-prefix]: `x` is not in KB `kitchen` but in another KB: write `[[garden:x]]`
            "#]],
        );
    }

    #[test]
    fn duplicate_ids_and_ambiguous_links() {
        // A Pyrite KB (kb.yaml): ids are unique, so a repeated one is an error and every link
        // to it ambiguous.
        check(
            r#"
//- /kb.yaml
name: ws
//- /a/one.md
---
id: same
---
//- /b/two.md
---
id: same
aliases: [Twin]
---
//- /c/three.md
---
aliases: [Twin]
---
[[same]] [[twin]]
"#,
            expect![[r#"
                /a/one.md 8..12 "same" error[duplicate-id]: duplicate id `same` in KB `ws`: also used by b/two.md
                /b/two.md 8..12 "same" error[duplicate-id]: duplicate id `same` in KB `ws`: also used by a/one.md
                /c/three.md 24..32 "[[same]]" warning[ambiguous-link]: `same` matches 2 notes: a/one.md, b/two.md
                /c/three.md 33..41 "[[twin]]" warning[ambiguous-link]: `twin` matches 2 notes: b/two.md, c/three.md
            "#]],
        );
    }

    /// A plain vault (no kb.yaml): one file name in two folders, attachments, markdown links,
    /// property links and a block id right after an embed.
    const VAULT: &str = r#"
//- /Sync/Security.md
# Security (sync)
Near: [[Security]] [[Publish/Security]] [[../Publish/Security]] [[./Security#Security (sync)]]
//- /Publish/Security.md
# Security (publish)
[[Security]] [[Sync/Security.md]]
//- /Overview.md
---
type: ["[[Cities]]"]
tags: [travel, "[[Travel]]"]
up: "[[Nowhere Note]]"
---
Tie: [[Security]]. Files: ![[chart.png]] ![[assets/chart.png]] [[paper.pdf]] ![[missing.png]]
[[other/chart.png]]. Markdown: [Sec](Sync/Security.md) [up](Publish/Security.md#Security%20(publish))
[bad](Sync/Security.md#No%20Such) [gone](Gone%20Note.md) ![img](assets/chart.png) [w](https://x.org/a)
[here](#Files) [block](Overview.md#^sales-chart) [climb](../../etc/passwd.md)
![[chart.png]]^sales-chart

# Files
//- /Travel.md
//- /assets/chart.png
PNG
//- /docs/paper.pdf
%PDF
"#;

    #[test]
    fn plain_vaults_resolve_like_obsidian() {
        check(
            VAULT,
            expect![[r#"
                /Overview.md 12..22 "[[Cities]]" warning[broken-link]: no note `Cities` in vault `ws`
                /Overview.md 59..75 "[[Nowhere Note]]" warning[broken-link]: no note `Nowhere Note` in vault `ws`
                /Overview.md 158..174 "![[missing.png]]" warning[broken-link]: no file `missing.png` in vault `ws`
                /Overview.md 175..194 "[[other/chart.png]]" warning[broken-link]: no file `other/chart.png` in vault `ws`
                /Overview.md 300..309 "No%20Such" warning[broken-heading]: no heading `No Such` in `Security`
                /Overview.md 311..333 "[gone](Gone%20Note.md)" warning[broken-link]: no note `Gone Note.md` in vault `ws`
                /Overview.md 429..457 "[climb](../../etc/passwd.md)" warning[broken-link]: `../../etc/passwd.md` points outside the vault
            "#]],
        );
    }

    #[test]
    fn pyrite_kbs_keep_their_rules_for_the_same_files() {
        // The same files in a KB with kb.yaml: ids are unique there, so the repeated file name
        // is a duplicate id and every bare link to it ambiguous, and `../` leads nowhere.
        // Attachments, markdown links and property links work as in a plain vault.
        check(
            &format!("//- /kb.yaml\nname: ws\n{}", VAULT.trim_start()),
            expect![[r#"
                /Overview.md 12..22 "[[Cities]]" warning[broken-link]: no note `Cities` in KB `ws`
                /Overview.md 59..75 "[[Nowhere Note]]" warning[broken-link]: no note `Nowhere Note` in KB `ws`
                /Overview.md 86..98 "[[Security]]" warning[ambiguous-link]: `Security` matches 2 notes: Publish/Security.md, Sync/Security.md
                /Overview.md 158..174 "![[missing.png]]" warning[broken-link]: no file `missing.png` in KB `ws`
                /Overview.md 175..194 "[[other/chart.png]]" warning[broken-link]: no file `other/chart.png` in KB `ws`
                /Overview.md 300..309 "No%20Such" warning[broken-heading]: no heading `No Such` in `Security`
                /Overview.md 311..333 "[gone](Gone%20Note.md)" warning[broken-link]: no note `Gone Note.md` in KB `ws`
                /Overview.md 429..457 "[climb](../../etc/passwd.md)" warning[broken-link]: `../../etc/passwd.md` points outside the knowledge base
                /Publish/Security.md 0..0 "" error[duplicate-id]: duplicate id `Security` in KB `ws`: also used by Sync/Security.md
                /Publish/Security.md 21..33 "[[Security]]" warning[ambiguous-link]: `Security` matches 2 notes: Publish/Security.md, Sync/Security.md
                /Sync/Security.md 0..0 "" error[duplicate-id]: duplicate id `Security` in KB `ws`: also used by Publish/Security.md
                /Sync/Security.md 24..36 "[[Security]]" warning[ambiguous-link]: `Security` matches 2 notes: Publish/Security.md, Sync/Security.md
                /Sync/Security.md 58..81 "[[../Publish/Security]]" warning[broken-link]: `../Publish/Security` points outside the knowledge base
                /Sync/Security.md 82..112 "[[./Security#Security (sync)]]" warning[ambiguous-link]: `./Security` matches 2 notes: Publish/Security.md, Sync/Security.md
            "#]],
        );
    }

    #[test]
    fn plain_vaults_report_colliding_frontmatter_ids_and_true_ties() {
        check(
            r#"
//- /a/one.md
---
id: same
---
//- /b/one.md
//- /c/one.md
---
id: same
---
//- /d/x/note.md
[[one]] [[same]]
"#,
            expect![[r#"
                /a/one.md 8..12 "same" error[duplicate-id]: duplicate id `same` in KB `ws`: also used by c/one.md
                /c/one.md 8..12 "same" error[duplicate-id]: duplicate id `same` in KB `ws`: also used by a/one.md
                /d/x/note.md 8..16 "[[same]]" hint[ambiguous-link]: `same` matches 2 notes: a/one.md, c/one.md (paths of equal length; write the folder to choose)
            "#]],
        );
    }

    #[test]
    fn plain_vaults_warn_of_links_by_alias_which_obsidian_does_not_follow() {
        check(
            r#"
//- /Artificial intelligence.md
---
aliases: [AI]
---
//- /b.md
[[AI]] [[Artificial intelligence|AI]]
"#,
            expect![[r#"
                /b.md 0..6 "[[AI]]" warning[non-canonical-link]: `AI` is a title or alias of `Artificial intelligence`, and Obsidian does not follow links by title or alias: write `[[Artificial intelligence|AI]]`
            "#]],
        );
    }

    #[test]
    fn plain_vaults_pick_a_shared_name_as_obsidian_does() {
        // The exact path first (a top-level `Note.md` over one beside the link), then the
        // link's own folder, then the shortest path: a parent folder counts for nothing.
        check(
            r#"
//- /Note.md
# At the top
//- /b/Note.md
# Beside
//- /b/src.md
[[Note#At the top]] [[Note#Beside]] [[b/Note#Beside]]
//- /proj/N.md
# Only in proj
//- /z/N.md
# Only in z
//- /proj/sub/src.md
[[N#Only in z]] [[N#Only in proj]]
"#,
            expect![[r#"
                /b/src.md 27..33 "Beside" warning[broken-heading]: no heading `Beside` in `Note`
                /proj/sub/src.md 20..32 "Only in proj" warning[broken-heading]: no heading `Only in proj` in `N`
            "#]],
        );
    }

    #[test]
    fn names_match_whichever_unicode_form_they_are_written_in() {
        // The file was named on macOS (NFD: `e` + U+0301); the links are typed in NFC, as
        // Obsidian matches them. A name that differs in more than its form is still broken.
        check(
            "//- /Re\u{301}sume\u{301} draft.md\n# R\n//- /b.md\n[[Résumé draft]] [[résumé DRAFT]] [[Resume draft]]\n",
            expect![[r#"
                /b.md 38..54 "[[Resume draft]]" warning[broken-link]: no note `Resume draft` in vault `ws`
            "#]],
        );
    }

    #[test]
    fn template_placeholders_are_not_broken_links() {
        check(
            r#"
//- /Templates/Daily.md
[[{{date:YYYY-MM-DD}}]] [[<% tp.file.title %>]] ![[{{title}}.png]] [[Missing]] [[{{half]]
"#,
            expect![[r#"
                /Templates/Daily.md 67..78 "[[Missing]]" warning[broken-link]: no note `Missing` in vault `ws`
                /Templates/Daily.md 79..89 "[[{{half]]" warning[broken-link]: no note `{{half` in vault `ws`
            "#]],
        );
    }

    #[test]
    fn orphan_notes_only_when_turned_on() {
        let fixture = r#"
//- /kb/hub.md
---
id: hub
---
[[linked]] and [[#Top]] [[hub]]
# Top
//- /kb/linked.md
# Linked
//- /kb/referenced.md
---
title: Referenced
---
//- /kb/other.md
---
related: [referenced]
---
"#;
        check(fixture, expect![[""]]);
        let mut config = DiagnosticsConfig::default();
        config
            .severity
            .insert(DiagnosticCode::OrphanNote, Some(Severity::Hint));
        check_with(
            fixture,
            &config,
            expect![[r#"
                /kb/hub.md 8..11 "hub" hint[orphan-note]: no other note links to `hub`
                /kb/other.md 0..0 "" hint[orphan-note]: no other note links to `other`
            "#]],
        );
    }

    #[test]
    fn a_note_with_more_problems_than_the_cap_shows_the_first_and_a_summary() {
        let fixture = r#"
//- /vault/dump.md
# Dump
[[gone-1]] [[gone-2]] [[gone-3]]
[[gone-4]]
"#;
        let capped = DiagnosticsConfig {
            max_per_note: Some(2),
            ..DiagnosticsConfig::default()
        };
        check_with(
            fixture,
            &capped,
            expect![[r#"
                /vault/dump.md 0..0 "" information[too-many-problems]: 2 more problems in this note are not shown (only the first 2); `wikilink-lsp check` lists them all
                /vault/dump.md 7..17 "[[gone-1]]" warning[broken-link]: no note `gone-1` in vault `ws`
                /vault/dump.md 18..28 "[[gone-2]]" warning[broken-link]: no note `gone-2` in vault `ws`
            "#]],
        );
        // At the cap exactly, nothing is hidden and no summary is added; the summary can be
        // turned off like any code.
        let at_cap = DiagnosticsConfig {
            max_per_note: Some(4),
            ..DiagnosticsConfig::default()
        };
        let mut quiet = capped.clone();
        quiet.severity.insert(DiagnosticCode::TooManyProblems, None);
        check_with(
            fixture,
            &at_cap,
            expect![[r#"
                /vault/dump.md 7..17 "[[gone-1]]" warning[broken-link]: no note `gone-1` in vault `ws`
                /vault/dump.md 18..28 "[[gone-2]]" warning[broken-link]: no note `gone-2` in vault `ws`
                /vault/dump.md 29..39 "[[gone-3]]" warning[broken-link]: no note `gone-3` in vault `ws`
                /vault/dump.md 40..50 "[[gone-4]]" warning[broken-link]: no note `gone-4` in vault `ws`
            "#]],
        );
        check_with(
            fixture,
            &quiet,
            expect![[r#"
                /vault/dump.md 7..17 "[[gone-1]]" warning[broken-link]: no note `gone-1` in vault `ws`
                /vault/dump.md 18..28 "[[gone-2]]" warning[broken-link]: no note `gone-2` in vault `ws`
            "#]],
        );
    }
}
