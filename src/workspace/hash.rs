//! The workspace tables' hashing: FxHash folded to 32 bits and stored beside each entry, so a
//! table grows without reading a key or path again and a probe compares the stored hash before
//! the text; and the 8-byte head that orders keys and ids without reading most of them.

use std::hash::BuildHasher;
use std::path::Path;

use rustc_hash::FxBuildHasher;

/// A path's hash, stored beside its entry in the path table (see [`table_hash`]).
pub(super) fn hash_path(path: &Path) -> u32 {
    fold_hash(FxBuildHasher.hash_one(path))
}

/// A key's hash, stored beside its entry in the key table (see [`table_hash`]).
pub(super) fn hash_key(key: &str) -> u32 {
    fold_hash(FxBuildHasher.hash_one(key))
}

fn fold_hash(hash: u64) -> u32 {
    (hash ^ hash >> 32) as u32
}

/// The hash a table probes with, from the 32-bit one stored beside each entry: a table grows
/// without reading any key or path again, and a probe compares the stored hash before the text.
pub(super) fn table_hash(hash: u32) -> u64 {
    u64::from(hash) << 32 | u64::from(hash)
}

/// The 8-byte head that orders keys and ids without reading most of them (defined with the
/// keys, which sort by it too).
pub use crate::keys::text_head;
