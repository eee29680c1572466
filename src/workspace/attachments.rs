//! Attachments: every file under a root that is neither a note nor a `kb.yaml` (images, PDFs,
//! canvases, bases, videos…) is a link target, by its file name with extension
//! (`[[chart.png]]`) and by its path (`[[assets/chart.png]]`), as in Obsidian. Only its path,
//! KB and size are kept: the walk finds it and a `stat` sizes it; its bytes are never read.
//!
//! Attachments share the [`FileId`] space with notes: an attachment's id has
//! [`ATTACHMENT_BIT`] set, so it never names a note (`Workspace::note` of it is `None`) and a
//! note's id never names an attachment.

use std::path::{Path, PathBuf};

use rustc_hash::FxHashMap as HashMap;

use super::note::KbId;
use crate::keys;
use crate::text::FileId;

/// Set in the [`FileId`] of every attachment (note ids stay far below it).
pub const ATTACHMENT_BIT: u32 = 1 << 30;

/// A file under a root that is not a note.
#[derive(Clone, Debug)]
pub struct Attachment {
    pub path: PathBuf,
    pub kb: KbId,
    /// The path inside the KB, `/`-separated, with the extension.
    kb_path: Box<str>,
    /// In bytes, as `stat` said when it was indexed.
    pub size: u64,
}

impl Attachment {
    /// The path inside the KB folder, `/`-separated, with the extension (`assets/chart.png`).
    pub fn kb_path(&self) -> &str {
        &self.kb_path
    }

    /// The file name with its extension (`chart.png`).
    pub fn name(&self) -> &str {
        self.kb_path.rsplit('/').next().unwrap_or(&self.kb_path)
    }

    /// The extension, lowercased (`png`), or empty.
    pub fn extension(&self) -> String {
        match self.name().rsplit_once('.') {
            Some((stem, extension)) if !stem.is_empty() => extension.to_ascii_lowercase(),
            _ => String::new(),
        }
    }

    /// Whether the file is an image a markdown renderer can show.
    pub fn is_image(&self) -> bool {
        matches!(
            self.extension().as_str(),
            "png"
                | "jpg"
                | "jpeg"
                | "gif"
                | "bmp"
                | "svg"
                | "webp"
                | "avif"
                | "ico"
                | "tif"
                | "tiff"
        )
    }

    /// What kind of file it is, for people: `image`, `PDF`, `video`, … (by extension).
    pub fn kind(&self) -> &'static str {
        match self.extension().as_str() {
            _ if self.is_image() => "image",
            "pdf" => "PDF",
            "mp4" | "webm" | "ogv" | "mov" | "mkv" => "video",
            "mp3" | "wav" | "m4a" | "ogg" | "3gp" | "flac" => "audio",
            "canvas" => "canvas",
            "base" => "base",
            "excalidraw" => "drawing",
            "txt" | "csv" | "json" | "yaml" | "yml" | "toml" | "xml" | "html" | "css" | "js" => {
                "text file"
            }
            _ => "file",
        }
    }
}

/// The attachments, with lookups by folded file name and by path.
#[derive(Clone, Default)]
pub(super) struct Attachments {
    /// By index (the id without [`ATTACHMENT_BIT`]); removed ones are `None`.
    items: Vec<Option<Attachment>>,
    by_name: HashMap<Box<str>, Vec<FileId>>,
    by_path: HashMap<PathBuf, FileId>,
}

impl Attachments {
    pub(super) fn get(&self, file: FileId) -> Option<&Attachment> {
        if file.0 & ATTACHMENT_BIT == 0 {
            return None;
        }
        self.items
            .get((file.0 & !ATTACHMENT_BIT) as usize)?
            .as_ref()
    }

    pub(super) fn id(&self, path: &Path) -> Option<FileId> {
        self.by_path.get(path).copied()
    }

    pub(super) fn by_name(&self, folded_name: &str) -> &[FileId] {
        self.by_name.get(folded_name).map_or(&[], Vec::as_slice)
    }

    pub(super) fn len(&self) -> usize {
        self.by_path.len()
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = (FileId, &Attachment)> {
        self.items
            .iter()
            .enumerate()
            .filter_map(|(i, a)| Some((FileId(ATTACHMENT_BIT | i as u32), a.as_ref()?)))
    }

    /// Adds or updates the attachment at `path`; returns its id.
    pub(super) fn set(&mut self, path: PathBuf, kb: KbId, kb_path: Box<str>, size: u64) -> FileId {
        if let Some(file) = self.id(&path)
            && let Some(Some(existing)) = self.items.get_mut((file.0 & !ATTACHMENT_BIT) as usize)
        {
            existing.size = size;
            existing.kb = kb;
            existing.kb_path = kb_path;
            return file;
        }
        let file = FileId(ATTACHMENT_BIT | self.items.len() as u32);
        let attachment = Attachment {
            path: path.clone(),
            kb,
            kb_path,
            size,
        };
        self.by_name
            .entry(keys::fold(attachment.name()).into())
            .or_default()
            .push(file);
        self.by_path.insert(path, file);
        self.items.push(Some(attachment));
        file
    }

    /// Forgets the attachment at `path`; returns it.
    pub(super) fn remove(&mut self, path: &Path) -> Option<Attachment> {
        let file = self.by_path.remove(path)?;
        let attachment = self
            .items
            .get_mut((file.0 & !ATTACHMENT_BIT) as usize)?
            .take()?;
        let name: Box<str> = keys::fold(attachment.name()).into();
        if let Some(files) = self.by_name.get_mut(&name) {
            files.retain(|&f| f != file);
            if files.is_empty() {
                self.by_name.remove(&name);
            }
        }
        Some(attachment)
    }

    /// Moves every attachment below `dir` to the KB `kb_of` gives, at the path it gives.
    pub(super) fn reassign_under(&mut self, dir: &Path, kb_of: impl Fn(&Path) -> (KbId, Box<str>)) {
        for attachment in self.items.iter_mut().flatten() {
            if attachment.path.starts_with(dir) {
                let (kb, kb_path) = kb_of(&attachment.path);
                attachment.kb = kb;
                attachment.kb_path = kb_path;
            }
        }
    }
}
