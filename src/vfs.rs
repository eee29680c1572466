//! The only code that reads the disk: walking workspace roots, reading notes and kb.yaml files
//! (a closed note read again for its links too). Used by `check`, by the language server and by
//! [`crate::load`], which loads a whole workspace in parallel through it.
//!
//! Rules: the `ignore` crate walks each root (honouring `.gitignore`, `.ignore` and the
//! `exclude` globs, skipping hidden files and folders); symlinks are never followed, so nothing
//! outside a root is read and links cannot loop; files that are not valid UTF-8 are skipped with
//! a warning naming them. Every other file the walk finds is an attachment: it is sized with one
//! `stat` and never read.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::syntax::CROSS_KB_LINKS;

/// What a walked file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    Note,
    KbConfig,
    /// Any other file: a link target by its name and path (see `workspace::Attachment`).
    Attachment,
    /// The settings file at a root (hidden: walks never find it; it is read by name).
    Settings,
}

/// The name of the settings file at the top of a root.
pub const SETTINGS_FILE: &str = ".wikilink.toml";

/// Which kind of file `path` is by its name, or `None` if it has no (UTF-8) file name.
pub fn file_kind(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    if name == "kb.yaml" {
        return Some(FileKind::KbConfig);
    }
    if name == SETTINGS_FILE {
        return Some(FileKind::Settings);
    }
    // A KB's links into other KBs: indexed like a note (see `syntax::parse_file`).
    if name == CROSS_KB_LINKS {
        return Some(FileKind::Note);
    }
    let is_note = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|extension| {
            extension.eq_ignore_ascii_case("md") || extension.eq_ignore_ascii_case("markdown")
        });
    Some(if is_note {
        FileKind::Note
    } else {
        FileKind::Attachment
    })
}

/// The size of the attachment at `path` (one `stat`, never a read), or `None` when it cannot
/// be indexed: gone, not a regular file, a symlink, or outside `roots`.
pub fn attachment_size(path: &Path, roots: &[PathBuf]) -> Option<u64> {
    if !is_readable_in_roots(path, roots) || is_hidden_in_roots(path, roots) {
        return None;
    }
    let metadata = std::fs::symlink_metadata(path).ok()?;
    metadata.is_file().then_some(metadata.len())
}

/// The size of the walked file at `path` (one `stat` of the path itself, never a read).
pub fn walked_file_size(path: &Path) -> Option<u64> {
    Some(std::fs::symlink_metadata(path).ok()?.len())
}

/// Whether `path` is, or is inside, a hidden file or folder (a name starting with `.`) below
/// its root: the walk skips those, so watched changes there are skipped too.
pub fn is_hidden_in_roots(path: &Path, roots: &[PathBuf]) -> bool {
    let Some(root) = roots
        .iter()
        .filter(|r| path.starts_with(r))
        .max_by_key(|r| r.as_os_str().len())
    else {
        return false;
    };
    path.strip_prefix(root).is_ok_and(|inside| {
        inside
            .components()
            .any(|c| c.as_os_str().to_string_lossy().starts_with('.'))
    })
}

/// What the disk layer could not read or use; each names its file or glob, and `Display` gives
/// the sentence the shells print. Read errors keep the `io::Error` (and so its `ErrorKind`).
#[derive(Debug)]
pub enum DiskError {
    /// A file could not be read (a missing one "no longer exists").
    Read {
        path: PathBuf,
        error: io::Error,
    },
    NotUtf8 {
        path: PathBuf,
    },
    /// A symlink met while walking: not followed.
    Symlink {
        path: PathBuf,
    },
    /// An entry the walk could not visit.
    Walk(ignore::Error),
    /// An `exclude` glob that does not parse (it is ignored).
    ExcludeGlob {
        glob: String,
        error: ignore::Error,
    },
    /// The `exclude` globs together could not be built (all are ignored).
    ExcludeGlobs(ignore::Error),
    /// A kb.yaml read but partly invalid (the KB is still used).
    KbConfig {
        path: PathBuf,
        message: String,
    },
    /// A root that is not a folder.
    NotAFolder {
        path: PathBuf,
    },
    /// A root that cannot be inspected.
    Root {
        path: PathBuf,
        error: io::Error,
    },
}

impl DiskError {
    /// The kind of the I/O error behind this one, if there is one.
    pub fn io_kind(&self) -> Option<io::ErrorKind> {
        match self {
            DiskError::Read { error, .. } | DiskError::Root { error, .. } => Some(error.kind()),
            _ => None,
        }
    }
}

impl std::fmt::Display for DiskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DiskError::Read { path, error } if error.kind() == io::ErrorKind::NotFound => {
                write!(f, "{}: no longer exists", path.display())
            }
            DiskError::Read { path, error } | DiskError::Root { path, error } => {
                write!(f, "{}: {error}", path.display())
            }
            DiskError::NotUtf8 { path } => {
                write!(f, "{}: skipped, not valid UTF-8", path.display())
            }
            DiskError::Symlink { path } => {
                write!(f, "{}: skipped, symlinks are not followed", path.display())
            }
            DiskError::Walk(error) => write!(f, "skipped: {error}"),
            DiskError::ExcludeGlob { glob, error } => {
                write!(f, "exclude glob `{glob}` ignored: {error}")
            }
            DiskError::ExcludeGlobs(error) => write!(f, "exclude globs ignored: {error}"),
            DiskError::KbConfig { path, message } => write!(
                f,
                "{}: {message}; the KB is named after its folder",
                path.display()
            ),
            DiskError::NotAFolder { path } => write!(f, "{}: not a folder", path.display()),
        }
    }
}

/// Checks that every root is a readable folder; the error names the first that is not.
pub fn validate_roots(roots: &[PathBuf]) -> Result<(), DiskError> {
    for root in roots {
        match std::fs::metadata(root) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(DiskError::NotAFolder { path: root.clone() }),
            Err(error) => {
                return Err(DiskError::Root {
                    path: root.clone(),
                    error,
                });
            }
        }
    }
    Ok(())
}

/// Walks `roots` and returns every note, kb.yaml and attachment in them, sorted by path.
pub fn walk(roots: &[PathBuf], exclude: &[String]) -> (Vec<(PathBuf, FileKind)>, Vec<DiskError>) {
    let found = Mutex::new(Vec::new());
    let warnings = Mutex::new(Vec::new());
    for root in roots {
        let mut builder = ignore::WalkBuilder::new(root);
        builder
            .hidden(true)
            .follow_links(false)
            .require_git(false)
            .git_global(false)
            .threads(rayon::current_num_threads().min(8));
        if !exclude.is_empty() {
            let mut overrides = ignore::overrides::OverrideBuilder::new(root);
            for glob in exclude {
                if let Err(error) = overrides.add(&format!("!{glob}")) {
                    lock(&warnings).push(DiskError::ExcludeGlob {
                        glob: glob.clone(),
                        error,
                    });
                }
            }
            match overrides.build() {
                Ok(overrides) => {
                    builder.overrides(overrides);
                }
                Err(error) => lock(&warnings).push(DiskError::ExcludeGlobs(error)),
            }
        }
        builder.build_parallel().run(|| {
            Box::new(|entry| {
                match entry {
                    Ok(entry) => {
                        let is_file = entry.file_type().is_some_and(|t| t.is_file());
                        if let (true, Some(kind)) = (is_file, file_kind(entry.path())) {
                            lock(&found).push((entry.into_path(), kind));
                        } else if entry.path_is_symlink() {
                            lock(&warnings).push(DiskError::Symlink {
                                path: entry.path().to_path_buf(),
                            });
                        }
                    }
                    Err(error) => lock(&warnings).push(DiskError::Walk(error)),
                }
                ignore::WalkState::Continue
            })
        });
    }
    let mut found = found.into_inner().unwrap_or_else(|e| e.into_inner());
    // File ids follow this order, which is `Path` order. For plain paths (see `is_plain_path`) that
    // is byte order with the separator lowest, much cheaper to compare, and two paths are the
    // same path when their bytes are; any other path (a root like `./notes` or `a//b`) gets
    // a sort and a dedup by `Path`.
    found.par_sort_unstable_by(|(a, _), (b, _)| separator_first_order(a, b));
    if found.iter().all(|(path, _)| is_plain_path(path)) {
        found.dedup_by(|(a, _), (b, _)| a.as_os_str() == b.as_os_str());
    } else {
        found.sort();
        found.dedup();
    }
    let warnings = warnings.into_inner().unwrap_or_else(|e| e.into_inner());
    (found, warnings)
}

/// `a` and `b` compared byte by byte, a path separator before any other byte.
fn separator_first_order(a: &Path, b: &Path) -> std::cmp::Ordering {
    let (a, b) = (
        a.as_os_str().as_encoded_bytes(),
        b.as_os_str().as_encoded_bytes(),
    );
    // The common prefix eight bytes at a time (walked paths share long ones), then by byte.
    let words = a
        .chunks_exact(8)
        .zip(b.chunks_exact(8))
        .take_while(|(x, y)| x == y)
        .count();
    let common = words * 8
        + a[words * 8..]
            .iter()
            .zip(&b[words * 8..])
            .take_while(|(x, y)| x == y)
            .count();
    let rank = |byte: Option<&u8>| {
        byte.map(|&byte| match std::path::is_separator(char::from(byte)) {
            true => 0,
            false => u16::from(byte) + 1,
        })
    };
    rank(a.get(common)).cmp(&rank(b.get(common)))
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// Reads a file as UTF-8 text, with an error that names the file and says what is wrong.
pub fn read_text(path: &Path) -> Result<String, DiskError> {
    let bytes = std::fs::read(path).map_err(|error| DiskError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    String::from_utf8(bytes).map_err(|_| DiskError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

/// Reads again a note indexed from inside `roots`, likely `expected_len` bytes long (a closed
/// note whose links an answer needs): `None` when it is not inside them, or climbs out of them;
/// a symlink is refused as it is opened (`O_NOFOLLOW` on Unix, with no `lstat` before it).
/// Its room is made at once, with no `stat`, one byte more than expected: one `read` call when
/// it is that long (a read that does not fill the room met the end of a regular file; were it
/// ever cut short otherwise, the text would not be the one indexed, and would be parsed again).
pub fn read_note_again(
    path: &Path,
    roots: &[PathBuf],
    expected_len: usize,
) -> Option<Result<String, DiskError>> {
    let mut buffer = Vec::new();
    let read = read_note_bytes(path, roots, expected_len, &mut buffer)?;
    Some(read.and_then(|len| {
        buffer.truncate(len);
        String::from_utf8(buffer).map_err(|_| DiskError::NotUtf8 {
            path: path.to_path_buf(),
        })
    }))
}

/// [`read_note_again`] into `buffer`, whose room is kept from one note to the next (the link
/// table's build reads every closed note this way, with no allocation per note).
pub fn read_note_again_into<'b>(
    path: &Path,
    roots: &[PathBuf],
    expected_len: usize,
    buffer: &'b mut Vec<u8>,
) -> Option<Result<&'b str, DiskError>> {
    let read = read_note_bytes(path, roots, expected_len, buffer)?;
    Some(read.and_then(|len| {
        std::str::from_utf8(&buffer[..len]).map_err(|_| DiskError::NotUtf8 {
            path: path.to_path_buf(),
        })
    }))
}

/// The bytes of [`read_note_again`] into `buffer` (grown to one byte more than
/// `expected_len`); how many were read. Not checked as UTF-8: each caller checks once.
fn read_note_bytes(
    path: &Path,
    roots: &[PathBuf],
    expected_len: usize,
    buffer: &mut Vec<u8>,
) -> Option<Result<usize, DiskError>> {
    if !is_inside_roots(path, roots) || (!cfg!(unix) && is_symlink(path)) {
        return None;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NOFOLLOW);
    let file = options.open(path).map_err(|error| DiskError::Read {
        path: path.to_path_buf(),
        error,
    });
    // Room for one byte more than the note had: a read that fills less is the whole file.
    if buffer.len() < expected_len + 1 {
        buffer.resize(expected_len + 1, 0);
    }
    Some(file.and_then(|file| read_into(path, file, buffer, ReadTo::ShortRead)))
}

fn is_symlink(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink())
}

/// Reads a file as UTF-8 text into `buffer`, whose room (zeroed once, kept from one file to the
/// next) the read fills: the load reads every note this way, with no allocation and no `stat`
/// per note, in two `read` calls for a note that fits.
pub(crate) fn read_text_into<'a>(
    path: &Path,
    buffer: &'a mut Vec<u8>,
) -> Result<&'a str, DiskError> {
    let file = std::fs::File::open(path).map_err(|error| DiskError::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let len = read_into(path, file, buffer, ReadTo::End)?;
    std::str::from_utf8(&buffer[..len]).map_err(|_| DiskError::NotUtf8 {
        path: path.to_path_buf(),
    })
}

/// Where [`read_into`] stops reading.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReadTo {
    /// At a read of nothing.
    End,
    /// At a read that does not fill the room left (the end of a regular file).
    ShortRead,
}

/// Reads `file` (at `path`) into `buffer`'s room, growing it when the file is longer; returns
/// how many bytes it holds.
fn read_into(
    path: &Path,
    mut file: std::fs::File,
    buffer: &mut Vec<u8>,
    to: ReadTo,
) -> Result<usize, DiskError> {
    use std::io::Read;
    let read_error = |error| DiskError::Read {
        path: path.to_path_buf(),
        error,
    };
    let mut filled = 0;
    loop {
        if filled == buffer.len() {
            let more = buffer.len().max(READ_BUFFER_START);
            buffer.resize(buffer.len() + more, 0);
        }
        match file.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => {
                filled += read;
                if to == ReadTo::ShortRead && filled < buffer.len() {
                    break;
                }
            }
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) => return Err(read_error(error)),
        }
    }
    Ok(filled)
}

/// The first room of a [`read_text_into`] buffer: most notes fit.
const READ_BUFFER_START: usize = 64 * 1024;

/// A [`read_text_into`] buffer that grew past this (for a huge note) is not kept.
pub(crate) const READ_BUFFER_KEEP: usize = 1 << 20;

/// What is wrong with a kb.yaml, one problem each, naming the file (the KB is still used,
/// with whatever could be read and its folder's name as a fallback).
pub fn kb_config_problems(path: &Path, text: &str) -> Vec<DiskError> {
    crate::syntax::parse_kb_config(text)
        .errors
        .into_iter()
        .map(|error| DiskError::KbConfig {
            path: path.to_path_buf(),
            message: error.message,
        })
        .collect()
}

/// Whether `path` is absolute and `/`-separated with no empty, `.` or `..` part (as walked
/// paths under a plain root are): then its folders are the text before each `/`, two such paths
/// are the same when their bytes are, and their byte order with `/` lowest is `Path` order.
pub fn is_plain_path(path: &Path) -> bool {
    if cfg!(windows) {
        return false;
    }
    let bytes = path.as_os_str().as_encoded_bytes();
    bytes.first() == Some(&b'/') && has_plain_parts(&bytes[1..])
}

/// Whether `text` is `/`-separated names with no empty, `.` or `..` one (so not empty either).
pub(crate) fn has_plain_parts(text: &[u8]) -> bool {
    text.split(|&b| b == b'/')
        .all(|part| !part.is_empty() && part != b"." && part != b"..")
}

/// Whether the server may read `path`: inside one of `roots`, without `..`, and not a symlink
/// (a symlink may lead outside the roots or into a loop).
pub fn is_readable_in_roots(path: &Path, roots: &[PathBuf]) -> bool {
    is_inside_roots(path, roots) && !is_symlink(path)
}

/// Whether `path` is inside one of `roots`, without `..`.
fn is_inside_roots(path: &Path, roots: &[PathBuf]) -> bool {
    let inside = roots.iter().any(|root| path.starts_with(root));
    let climbs = path
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir));
    inside && !climbs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_read_again_is_inside_the_roots_and_no_symlink() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("vault");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("a.md"), "[[b]]\n").unwrap();
        std::fs::write(dir.path().join("outside.md"), "secret [[s]]\n").unwrap();
        let roots = [root.clone()];
        let read = |path: &Path, len| read_note_again(path, &roots, len).map(|r| r.ok());
        assert_eq!(
            read(&root.join("a.md"), 6),
            Some(Some("[[b]]\n".to_owned()))
        );
        // Longer or shorter than expected, read whole.
        assert_eq!(
            read(&root.join("a.md"), 2),
            Some(Some("[[b]]\n".to_owned()))
        );
        assert_eq!(
            read(&root.join("a.md"), 100),
            Some(Some("[[b]]\n".to_owned()))
        );
        assert_eq!(read(&dir.path().join("outside.md"), 13), None);
        assert_eq!(read(&root.join("../outside.md"), 13), None);
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("outside.md"), root.join("link.md"))
                .unwrap();
            assert_eq!(read(&root.join("link.md"), 13), Some(None));
        }
        assert_eq!(read(&root.join("gone.md"), 3), Some(None));
    }

    #[test]
    fn walked_paths_sort_like_paths() {
        let mut paths: Vec<PathBuf> = [
            "/r/a-b.md",
            "/r/a/b.md",
            "/r/a.md",
            "/r/a b/c.md",
            "/r/a",
            "/r/ab",
            "/r/notes-and-more/long-shared-prefix/x.md",
            "/r/notes-and-more/long-shared-prefix.md",
            "/r/notes-and-more/long-shared-prefix-2/x.md",
            "/r/notes-and-more/long-shared-prefix/x.md",
        ]
        .into_iter()
        .map(PathBuf::from)
        .collect();
        assert!(paths.iter().all(|path| is_plain_path(path)));
        let mut by_path = paths.clone();
        by_path.sort();
        paths.sort_by(|a, b| separator_first_order(a, b));
        assert_eq!(paths, by_path);
    }

    #[test]
    fn paths_with_empty_dot_or_dot_dot_parts_are_not_plain() {
        for path in [
            "r/a.md",
            "/r//a.md",
            "/r/./a.md",
            "/r/../a.md",
            "/r/a/",
            "/r/.",
            "/",
        ] {
            assert!(!is_plain_path(Path::new(path)), "{path}");
        }
        assert!(is_plain_path(Path::new("/r/.hidden/a..md")));
    }
}
