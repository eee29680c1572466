//! Deterministic synthetic vault generator for wikilink-lsp tests and benchmarks.
//!
//! It writes a set of Pyrite-format knowledge bases (KBs) full of prose and
//! wiki-links, so that indexing, resolution and diagnostics can be exercised at
//! realistic scale without shipping real notes. Three shapes (`--shape`):
//! `classic` (the default: pseudo-word ids, a few KBs, ~2.5 KB notes), `wide`
//! (many KBs of 500 notes, ~4 KB notes, ids of common English words sharing
//! prefixes, 15-30 links a note) and `corpus` (sized like a real Pyrite corpus:
//! ~4.4k notes, ~45 MB, ~25 KBs, ~10 KB a note with a wide spread).
//!
//! # Usage
//!
//! ```text
//! cargo run --release --example gen_vault -- --notes 10000 --seed 42 --out /tmp/vault-10k
//! cargo run --release --example gen_vault -- --shape wide --notes 100000 --out /tmp/vault-wide-100k
//! cargo run --release --example gen_vault -- --shape corpus --out /tmp/vault-corpus
//! ```
//!
//! Flags:
//!
//! * `--shape S`   `classic` (default), `wide` or `corpus`; see below.
//! * `--notes N`   number of notes in total (default 10000; 4400 for `corpus`).
//! * `--kbs K`     number of KBs (default for `classic`: 1 below 2000 notes,
//!   otherwise 4 to 8 depending on the note count; `wide`: N/500; `corpus`:
//!   N/176, rounded).
//! * `--seed S`    PRNG seed (default 42). The same seed and flags always
//!   produce byte-identical output, whatever the thread count.
//! * `--out DIR`   output directory (required). It must be missing or empty.
//! * `--force`     replace the contents of a non-empty `DIR`, but only if it
//!   looks like earlier output of this tool (every entry is a KB folder with
//!   a `kb.yaml`).
//! * `--threads T` worker threads (default: available parallelism).
//!
//! # Layout
//!
//! Each KB is a folder `DIR/kbN/` holding a `kb.yaml` (name `kbN`, shortname
//! `kN`) and one subfolder per note type: `concepts/`, `people/` and
//! `writings/`. Every note is `<subfolder>/<id>.md`, where the id is a
//! pseudo-word slug such as `velor-tamin-412`. Ids are unique within a KB and
//! about 3% of them also occur in another KB.
//!
//! Each note has YAML frontmatter (`id`, `title`, `type`, `tags`, `aliases`,
//! `importance` and a type-specific list field of ids) followed by 1-3 KB of
//! prose with 1-4 headings, occasional `^block-id` markers, occasional fenced
//! and inline code containing fake `[[links]]`, and about five wiki-links:
//! `[[id]]`, `[[id|Display]]`, `[[kN:id]]` (cross-KB), `[[id#Heading]]`,
//! `[[id#^block]]` and roughly 5% links to ids that do not exist. Some links
//! are preceded by emoji or CJK text to exercise UTF-16 position handling.
//! About 0.1% of notes are large (200-500 KB) and about 2% use CRLF line
//! endings.
//!
//! The `classic` output is what every earlier version of this tool wrote, byte
//! for byte.
//!
//! # The `wide` and `corpus` shapes
//!
//! Same layout and `kb.yaml` files, but every word is common English. Ids are
//! 2-4 words from a list of about 300 (`history-of-the-garden`,
//! `light-and-water`, `the-stone-of-time`), chosen with a bias towards the
//! first words of the list, so prefixes are heavily shared; titles are the same
//! words in title case, sometimes with one more word. The frontmatter is
//! Pyrite's block style: `id`, `title`, `type`, `tags` (a block list),
//! `importance`, and the type's list field of ids (`related_concepts` or
//! `key_works`). Bodies have 1-12 headings, paragraphs, bullet lists, a
//! `^block-id` in about 30% of notes, and wiki-links: `[[id]]`,
//! `[[id|Title]]`, `[[id#Heading]]`, `[[id#^block]]`, about 10% cross-KB
//! `[[kN:id]]` and about 5% broken (near-miss typos of real ids or made-up word
//! combinations). Every note is LF, none is huge.
//!
//! * `wide`: KBs of 500 notes (`--notes 100000` gives 200 KBs, ~400 MB), bodies
//!   of 2.8-4.8 KB (~4 KB a note with its frontmatter), 15-30 links a note.
//! * `corpus`: 4400 notes in 25 KBs of uneven size by default (~45 MB);
//!   bodies of 2-10 KB (70%), 10-22 KB (25%) or 22-50 KB (5%), about 2.5 links
//!   per KB of text; as in real Pyrite KBs, about a quarter of the notes carry a
//!   `links:` list of `target`/`relation`/`kb` maps in the frontmatter, and
//!   some bodies hold multi-line list items and tables (shapes the parser's
//!   fast paths hand to pulldown-cmark and saphyr-parser).

// A command-line tool: its report goes to stdout.
#![allow(clippy::print_stdout)]

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread;
use std::time::Instant;
use std::{env, fs};

const USAGE: &str = "\
Usage: gen_vault --out DIR [--shape S] [--notes N] [--kbs K] [--seed S] [--threads T] [--force]

Generates a deterministic synthetic Pyrite vault of markdown notes.

  --out DIR     output directory; must be missing or empty (required)
  --shape S     classic (default): pseudo-word ids, 1-8 KBs, ~2.5 KB notes;
                wide: KBs of 500 notes, ~4 KB notes, ids of 2-4 common English
                  words sharing prefixes, 15-30 links a note (100k notes: 200
                  KBs, ~400 MB);
                corpus: like a real Pyrite corpus: 4400 notes in 25 KBs, ~45 MB,
                  ~10 KB a note (2-50 KB), nested frontmatter, lists, tables
  --notes N     total number of notes (default 10000; corpus: 4400)
  --kbs K       number of knowledge bases (default: classic 1 below 2000 notes,
                else 4-8; wide N/500; corpus N/176)
  --seed S      PRNG seed (default 42); same seed and flags give identical output
  --threads T   worker threads (default: available parallelism)
  --force       replace a non-empty DIR that holds earlier gen_vault output
  -h, --help    print this help
";

/// Average number of wiki-links in a normal-sized note.
const LINKS_PER_NOTE: f64 = 5.0;
/// Average number of bytes one prose word occupies, including its separator.
const BYTES_PER_WORD: f64 = 7.0;
/// Rough size of a generated paragraph, used to stay close to the size budget.
const AVERAGE_PARAGRAPH_BYTES: usize = 280;
/// Fraction of notes that are written with CRLF line endings.
const CRLF_FRACTION: f64 = 0.02;
/// Fraction of ids in a KB (other than the first) that are borrowed from another KB.
const SHARED_ID_FRACTION: f64 = 0.03;

/// Short English function words mixed into the prose so it reads like text.
const FUNCTION_WORDS: &[&str] = &[
    "the", "of", "and", "a", "to", "in", "is", "that", "for", "as", "with", "by", "on", "from",
    "which", "its", "or", "an", "be", "this", "are", "at", "not", "it", "was", "into", "also",
];

/// Syllable pieces used to build pronounceable pseudo-words.
const ONSETS: &[&str] = &[
    "b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "cr",
    "dr", "gl", "pr", "st", "th", "tr", "sh", "ch", "qu", "w",
];
const VOWELS: &[&str] = &[
    "a", "e", "i", "o", "u", "a", "e", "o", "ai", "ea", "io", "ou",
];
const CODAS: &[&str] = &[
    "", "", "", "", "n", "r", "l", "s", "m", "x", "th", "nd", "st",
];

/// Common heading words, so headings look like real section titles.
const HEADING_WORDS: &[&str] = &[
    "Overview",
    "Background",
    "History",
    "Details",
    "Notes",
    "References",
    "Examples",
    "Open Questions",
    "Summary",
    "Context",
    "Influence",
    "Criticism",
    "Method",
    "Sources",
];

/// Emoji and CJK snippets placed in front of some links. Several are outside
/// the Basic Multilingual Plane or are multi-codepoint sequences.
const WIDE_PREFIXES: &[&str] = &[
    "🚀",
    "📚",
    "✨",
    "🧠",
    "📝",
    "👩\u{200d}🔬",
    "漢字",
    "知識",
    "参照",
    "𠀀",
    "é",
    "🇯🇵",
];

/// Languages used on fenced code blocks.
const CODE_LANGUAGES: &[&str] = &["", "rust", "python", "text", "yaml", "markdown"];

// ---------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------

/// A tiny SplitMix64 generator: fast, seedable and plenty for synthetic text.
struct Rng {
    state: u64,
}

impl Rng {
    fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// Creates an independent stream for the entity identified by `(a, b)`.
    fn derived(seed: u64, a: u64, b: u64) -> Self {
        let mut mixer = Rng::new(
            seed ^ a.wrapping_mul(0xA24B_AED4_963E_E407) ^ b.wrapping_mul(0x9FB2_1C65_1E98_DF25),
        );
        Rng::new(mixer.next_u64())
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns an integer in `0..n`; `n` must be positive.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Returns an integer in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// Returns a float in `[0, 1)`.
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, probability: f64) -> bool {
        self.unit() < probability
    }

    /// Returns a copy of a random element; `items` must not be empty.
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    /// Returns a random word from a word list; `words` must not be empty.
    fn pick_word<'a>(&mut self, words: &'a [String]) -> &'a str {
        &words[self.below(words.len())]
    }

    /// Returns an index in `0..n` that mildly favours small values, giving
    /// prose a few common words and a long tail of rare ones.
    fn zipf_like_below(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((u * u * n as f64) as usize).min(n - 1)
    }

    /// Returns an index in `0..n` that strongly favours small values, which
    /// turns the first notes of a KB into popular hubs with many backlinks.
    fn skewed_below(&mut self, n: usize) -> usize {
        let u = self.unit();
        ((u * u * u * n as f64) as usize).min(n - 1)
    }
}

// ---------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------

/// Which kind of vault to write (`--shape`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Shape {
    /// Pseudo-word ids in a few KBs: what this tool always wrote.
    Classic,
    /// Many KBs of 500 notes, ids of common English words, many links.
    Wide,
    /// Sized like a real Pyrite corpus: 4.4k notes, 45 MB, 25 KBs.
    Corpus,
}

impl Shape {
    fn parse(text: &str) -> Option<Shape> {
        match text {
            "classic" => Some(Shape::Classic),
            "wide" => Some(Shape::Wide),
            "corpus" => Some(Shape::Corpus),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Shape::Classic => "classic",
            Shape::Wide => "wide",
            Shape::Corpus => "corpus",
        }
    }

    fn default_notes(self) -> usize {
        match self {
            Shape::Classic | Shape::Wide => 10_000,
            Shape::Corpus => 4_400,
        }
    }

    fn default_kbs(self, notes: usize) -> usize {
        match self {
            Shape::Classic => default_kb_count(notes),
            Shape::Wide => (notes / WIDE_KB_NOTES).max(1),
            Shape::Corpus => ((notes as f64 / CORPUS_KB_NOTES).round() as usize).clamp(1, notes),
        }
    }
}

struct Config {
    shape: Shape,
    notes: usize,
    kbs: usize,
    seed: u64,
    out: PathBuf,
    force: bool,
    threads: usize,
}

enum CliError {
    Help,
    Usage(String),
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Config, CliError> {
    let mut shape = Shape::Classic;
    let mut notes = None;
    let mut kbs = None;
    let mut seed = 42;
    let mut out = None;
    let mut force = false;
    let mut threads = thread::available_parallelism().map_or(1, |n| n.get());

    while let Some(arg) = args.next() {
        // Accept both `--flag value` and `--flag=value`.
        let (flag, inline_value) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_string(), Some(value.to_string()))
            }
            _ => (arg.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, CliError> {
            inline_value
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| CliError::Usage(format!("{name} needs a value")))
        };
        match flag.as_str() {
            "-h" | "--help" => return Err(CliError::Help),
            "--shape" => {
                let text = value("--shape")?;
                shape = Shape::parse(&text).ok_or_else(|| {
                    CliError::Usage(format!(
                        "--shape expects classic, wide or corpus, got `{text}`"
                    ))
                })?;
            }
            "--notes" => notes = Some(parse_number(&value("--notes")?, "--notes")?),
            "--kbs" => kbs = Some(parse_number(&value("--kbs")?, "--kbs")?),
            "--seed" => seed = parse_number(&value("--seed")?, "--seed")?,
            "--threads" => threads = parse_number(&value("--threads")?, "--threads")?,
            "--out" => out = Some(PathBuf::from(value("--out")?)),
            "--force" => force = true,
            other => return Err(CliError::Usage(format!("unknown argument `{other}`"))),
        }
    }

    let out = out.ok_or_else(|| CliError::Usage("--out DIR is required".to_string()))?;
    let notes = notes.unwrap_or_else(|| shape.default_notes());
    if notes == 0 {
        return Err(CliError::Usage("--notes must be at least 1".to_string()));
    }
    let kbs = kbs.unwrap_or_else(|| shape.default_kbs(notes));
    if kbs == 0 || kbs > notes {
        return Err(CliError::Usage(format!(
            "--kbs must be between 1 and the note count ({notes})"
        )));
    }
    Ok(Config {
        shape,
        notes,
        kbs,
        seed,
        out,
        force,
        threads: threads.max(1),
    })
}

fn parse_number<T: std::str::FromStr>(text: &str, flag: &str) -> Result<T, CliError> {
    text.parse().map_err(|_| {
        CliError::Usage(format!(
            "{flag} expects a non-negative integer, got `{text}`"
        ))
    })
}

/// One KB for small vaults, then four to eight KBs as the vault grows.
fn default_kb_count(notes: usize) -> usize {
    if notes < 2_000 {
        return 1;
    }
    4 + [10_000, 25_000, 50_000, 100_000]
        .iter()
        .filter(|&&threshold| notes >= threshold)
        .count()
}

// ---------------------------------------------------------------------------
// Output directory
// ---------------------------------------------------------------------------

/// Makes sure `out` exists and is empty, clearing earlier output under `--force`.
fn prepare_output_dir(out: &Path, force: bool) -> Result<(), String> {
    if !out.exists() {
        return fs::create_dir_all(out)
            .map_err(|e| format!("cannot create {}: {e}", out.display()));
    }
    if !out.is_dir() {
        return Err(format!("{} exists and is not a directory", out.display()));
    }
    let entries =
        read_dir_sorted(out).map_err(|e| format!("cannot read {}: {e}", out.display()))?;
    if entries.is_empty() {
        return Ok(());
    }
    if !force {
        return Err(format!(
            "{} exists and is not empty; pass --force to replace earlier gen_vault output",
            out.display()
        ));
    }
    // Only delete folders that look like KBs we wrote, never arbitrary data.
    if let Some(stranger) = entries.iter().find(|path| !path.join("kb.yaml").is_file()) {
        return Err(format!(
            "refusing to clear {}: {} is not a generated KB folder",
            out.display(),
            stranger.display()
        ));
    }
    for path in entries {
        fs::remove_dir_all(&path).map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
    }
    Ok(())
}

fn read_dir_sorted(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut entries = fs::read_dir(dir)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<io::Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

// ---------------------------------------------------------------------------
// Vault plan: everything other notes need to know before bodies are written
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum NoteType {
    Concept,
    Person,
    Writing,
}

impl NoteType {
    const ALL: [NoteType; 3] = [NoteType::Concept, NoteType::Person, NoteType::Writing];

    fn name(self) -> &'static str {
        match self {
            NoteType::Concept => "concept",
            NoteType::Person => "person",
            NoteType::Writing => "writing",
        }
    }

    fn subdirectory(self) -> &'static str {
        match self {
            NoteType::Concept => "concepts",
            NoteType::Person => "people",
            NoteType::Writing => "writings",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

struct Heading {
    level: u8,
    text: String,
}

struct Note {
    id: String,
    title: String,
    kind: NoteType,
    headings: Vec<Heading>,
    block_id: Option<String>,
    large: bool,
    /// Planned body size in bytes (word shapes only; the classic shape decides while writing).
    body_bytes: usize,
}

struct Kb {
    name: String,
    shortname: String,
    notes: Vec<Note>,
    ids: HashSet<String>,
    /// Note indices grouped by `NoteType::index`.
    by_type: [Vec<usize>; 3],
}

/// Word lists shared by every note.
struct Vocabulary {
    prose: Vec<String>,
    tags: Vec<String>,
}

struct Vault {
    seed: u64,
    kbs: Vec<Kb>,
    vocabulary: Vocabulary,
}

/// Builds a pronounceable pseudo-word of `min..=max` syllables.
fn pseudo_word(rng: &mut Rng, min_syllables: usize, max_syllables: usize) -> String {
    let mut word = String::new();
    let syllables = rng.range(min_syllables, max_syllables);
    for _ in 0..syllables {
        word.push_str(rng.pick(ONSETS));
        word.push_str(rng.pick(VOWELS));
    }
    word.push_str(rng.pick(CODAS));
    word
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn build_vocabulary(seed: u64) -> Vocabulary {
    let mut rng = Rng::derived(seed, u64::MAX, 0);
    let mut seen = HashSet::new();
    let mut distinct_words = |count: usize, min: usize, max: usize, rng: &mut Rng| {
        let mut words = Vec::with_capacity(count);
        while words.len() < count {
            let word = pseudo_word(rng, min, max);
            if seen.insert(word.clone()) {
                words.push(word);
            }
        }
        words
    };
    let prose = distinct_words(2_000, 1, 3, &mut rng);
    let tags = distinct_words(60, 1, 2, &mut rng);
    Vocabulary { prose, tags }
}

/// Splits `total` notes over `kbs` KBs with mildly uneven sizes.
fn kb_sizes(total: usize, kbs: usize, rng: &mut Rng) -> Vec<usize> {
    let weights: Vec<f64> = (0..kbs).map(|_| 0.6 + 0.8 * rng.unit()).collect();
    let weight_sum: f64 = weights.iter().sum();
    let spare = total - kbs;
    let mut sizes: Vec<usize> = weights
        .iter()
        .map(|w| 1 + (spare as f64 * w / weight_sum) as usize)
        .collect();
    let mut missing = total - sizes.iter().sum::<usize>();
    let mut next = 0;
    while missing > 0 {
        sizes[next % kbs] += 1;
        missing -= 1;
        next += 1;
    }
    sizes
}

fn pick_note_type(rng: &mut Rng) -> NoteType {
    match rng.below(4) {
        0 | 1 => NoteType::Concept,
        2 => NoteType::Person,
        _ => NoteType::Writing,
    }
}

/// Makes a fresh id such as `velor-tamin-412`, plus the two words it was made from.
fn fresh_id(rng: &mut Rng, ids: &HashSet<String>) -> (String, String, String) {
    loop {
        let first = pseudo_word(rng, 2, 2);
        let second = pseudo_word(rng, 2, 2);
        let id = format!("{first}-{second}-{}", rng.range(100, 999));
        if !ids.contains(&id) {
            return (id, first, second);
        }
    }
}

/// Derives a title-case title from the id words, shaped by the note type.
fn make_title(
    rng: &mut Rng,
    kind: NoteType,
    first: &str,
    second: &str,
    vocabulary: &Vocabulary,
) -> String {
    let (first, second) = (capitalize(first), capitalize(second));
    match kind {
        NoteType::Person => format!("{first} {second}"),
        NoteType::Concept if rng.chance(0.4) => {
            format!(
                "{first} {second} {}",
                capitalize(rng.pick_word(&vocabulary.prose))
            )
        }
        NoteType::Concept => format!("{first} {second}"),
        NoteType::Writing if rng.chance(0.3) => format!("The {first} {second}"),
        NoteType::Writing => format!(
            "{first} {second} {}",
            capitalize(rng.pick_word(&vocabulary.prose))
        ),
    }
}

/// Chooses distinct headings for a note; large notes get many more.
fn make_headings(rng: &mut Rng, large: bool, vocabulary: &Vocabulary) -> Vec<Heading> {
    let count = if large {
        rng.range(8, 30)
    } else {
        rng.range(1, 4)
    };
    let mut headings: Vec<Heading> = Vec::with_capacity(count);
    while headings.len() < count {
        let text = match rng.below(3) {
            0 => rng.pick(HEADING_WORDS).to_string(),
            1 => capitalize(rng.pick_word(&vocabulary.prose)),
            _ => format!(
                "{} {}",
                rng.pick(HEADING_WORDS),
                capitalize(rng.pick_word(&vocabulary.prose))
            ),
        };
        if headings.iter().any(|h| h.text == text) {
            continue;
        }
        // The first heading is always level 2 so level 3 never floats alone.
        let level = if headings.is_empty() || rng.chance(0.6) {
            2
        } else {
            3
        };
        headings.push(Heading { level, text });
    }
    headings
}

fn make_block_id(rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..6).map(|_| char::from(rng.pick(ALPHABET))).collect()
}

/// Decides ids, titles, types and headings of every note, in a fixed order.
fn plan_vault(config: &Config) -> Vault {
    let vocabulary = build_vocabulary(config.seed);
    let mut rng = Rng::derived(config.seed, u64::MAX, 1);
    let sizes = kb_sizes(config.notes, config.kbs, &mut rng);

    // Exactly one large note per thousand, at random positions.
    let mut large_notes = HashSet::new();
    while large_notes.len() < config.notes / 1_000 {
        large_notes.insert(rng.below(config.notes));
    }

    let mut kbs: Vec<Kb> = Vec::with_capacity(config.kbs);
    let mut global_index = 0;
    for (kb_index, &size) in sizes.iter().enumerate() {
        let mut kb = Kb {
            name: format!("kb{}", kb_index + 1),
            shortname: format!("k{}", kb_index + 1),
            notes: Vec::with_capacity(size),
            ids: HashSet::with_capacity(size),
            by_type: Default::default(),
        };
        for _ in 0..size {
            let kind = pick_note_type(&mut rng);
            let large = large_notes.contains(&global_index);
            global_index += 1;

            let borrowed = if kb_index > 0 && rng.chance(SHARED_ID_FRACTION) {
                let other: &Kb = &kbs[rng.below(kb_index)];
                let source = &other.notes[rng.below(other.notes.len())];
                (!kb.ids.contains(&source.id)).then(|| (source.id.clone(), source.title.clone()))
            } else {
                None
            };
            let (id, title) = match borrowed {
                Some(pair) => pair,
                None => {
                    let (id, first, second) = fresh_id(&mut rng, &kb.ids);
                    let title = make_title(&mut rng, kind, &first, &second, &vocabulary);
                    (id, title)
                }
            };
            let headings = make_headings(&mut rng, large, &vocabulary);
            let block_id = rng.chance(0.3).then(|| make_block_id(&mut rng));

            kb.ids.insert(id.clone());
            kb.by_type[kind.index()].push(kb.notes.len());
            kb.notes.push(Note {
                id,
                title,
                kind,
                headings,
                block_id,
                large,
                body_bytes: 0,
            });
        }
        kbs.push(kb);
    }
    Vault {
        seed: config.seed,
        kbs,
        vocabulary,
    }
}

// ---------------------------------------------------------------------------
// Rendering notes
// ---------------------------------------------------------------------------

/// Counters reported at the end of a run.
#[derive(Default)]
struct Stats {
    notes: usize,
    bytes: u64,
    links: usize,
    broken_links: usize,
    cross_kb_links: usize,
    heading_links: usize,
    block_links: usize,
    large_notes: usize,
    crlf_notes: usize,
}

impl Stats {
    fn add(&mut self, other: &Stats) {
        self.notes += other.notes;
        self.bytes += other.bytes;
        self.links += other.links;
        self.broken_links += other.broken_links;
        self.cross_kb_links += other.cross_kb_links;
        self.heading_links += other.heading_links;
        self.block_links += other.block_links;
        self.large_notes += other.large_notes;
        self.crlf_notes += other.crlf_notes;
    }
}

/// Writes one note's text into `out`; returns whether it should use CRLF.
fn render_note(
    vault: &Vault,
    kb_index: usize,
    note_index: usize,
    out: &mut String,
    stats: &mut Stats,
) -> bool {
    let mut rng = Rng::derived(vault.seed, kb_index as u64, note_index as u64);
    let crlf = rng.chance(CRLF_FRACTION);
    render_frontmatter(vault, kb_index, note_index, &mut rng, out);
    let mut body = BodyWriter {
        vault,
        kb_index,
        note_index,
        rng,
        out,
        stats,
        link_rate: 0.0,
    };
    body.write_body();
    crlf
}

fn render_frontmatter(
    vault: &Vault,
    kb_index: usize,
    note_index: usize,
    rng: &mut Rng,
    out: &mut String,
) {
    let kb = &vault.kbs[kb_index];
    let note = &kb.notes[note_index];
    let vocabulary = &vault.vocabulary;

    let tag_count = rng.range(1, 3);
    let mut tags: Vec<&str> = Vec::with_capacity(tag_count);
    while tags.len() < tag_count {
        let tag = rng.pick_word(&vocabulary.tags);
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }

    out.push_str("---\n");
    let _ = writeln!(out, "id: {}", note.id);
    let _ = writeln!(out, "title: \"{}\"", note.title);
    let _ = writeln!(out, "type: {}", note.kind.name());
    let _ = writeln!(out, "tags: [{}]", tags.join(", "));
    match make_alias(rng, note) {
        Some(alias) => {
            let _ = writeln!(out, "aliases: [\"{alias}\"]");
        }
        None => out.push_str("aliases: []\n"),
    }
    let _ = writeln!(out, "importance: {}", rng.range(1, 10));

    // The type-specific list field from kb.yaml, filled with real ids of this KB.
    let field = match note.kind {
        NoteType::Concept => Some(("related_concepts", NoteType::Concept, rng.range(2, 3))),
        NoteType::Person => Some(("key_works", NoteType::Writing, rng.range(1, 3))),
        NoteType::Writing => None,
    };
    if let Some((field_name, target_type, wanted)) = field {
        let candidates = &kb.by_type[target_type.index()];
        let available = candidates.iter().filter(|&&i| i != note_index).count();
        let mut chosen: Vec<usize> = Vec::with_capacity(wanted);
        while chosen.len() < wanted.min(available) {
            let candidate = rng.pick(candidates);
            if candidate != note_index && !chosen.contains(&candidate) {
                chosen.push(candidate);
            }
        }
        let ids: Vec<&str> = chosen.iter().map(|&i| kb.notes[i].id.as_str()).collect();
        let _ = writeln!(out, "{field_name}: [{}]", ids.join(", "));
    }
    out.push_str("---\n\n");
}

/// Gives about one note in five an alias derived from its title.
fn make_alias(rng: &mut Rng, note: &Note) -> Option<String> {
    if !rng.chance(0.2) {
        return None;
    }
    let words: Vec<&str> = note
        .title
        .split(' ')
        .filter(|w| *w != "The" && *w != "of")
        .collect();
    let alias = match note.kind {
        NoteType::Person => format!("{}. {}", &words[0][..1], words[words.len() - 1]),
        _ => words.iter().rev().copied().collect::<Vec<_>>().join(" "),
    };
    Some(alias)
}

/// Streams the markdown body of one note into a string buffer.
struct BodyWriter<'a> {
    vault: &'a Vault,
    kb_index: usize,
    note_index: usize,
    rng: Rng,
    out: &'a mut String,
    stats: &'a mut Stats,
    /// Probability that any given word slot becomes a wiki-link.
    link_rate: f64,
}

impl<'a> BodyWriter<'a> {
    fn note(&self) -> &'a Note {
        &self.vault.kbs[self.kb_index].notes[self.note_index]
    }

    fn write_body(&mut self) {
        let large = self.note().large;
        let (min_bytes, target_bytes) = if large {
            (200_000, self.rng.range(200_000, 490_000))
        } else {
            (1_024, self.rng.range(1_100, 2_900))
        };
        // A fixed link density: about five links in an average (2 KB) note.
        self.link_rate = LINKS_PER_NOTE / (2_048.0 / BYTES_PER_WORD);
        let start = self.out.len();

        // An optional lead paragraph before the first heading.
        if self.rng.chance(0.6) {
            self.write_paragraph(false);
        }

        let headings = &self.note().headings;
        let block_section = self
            .note()
            .block_id
            .as_ref()
            .map(|_| self.rng.below(headings.len()));
        let lead_bytes = self.out.len() - start;
        let section_bytes = target_bytes.saturating_sub(lead_bytes) / headings.len();
        for (section, heading) in headings.iter().enumerate() {
            for _ in 0..heading.level {
                self.out.push('#');
            }
            self.out.push(' ');
            self.out.push_str(&heading.text);
            self.out.push_str("\n\n");

            // Sections share the budget; each one ends where the running total
            // should be, and the last one also tops the note up to its minimum.
            let is_last = section + 1 == headings.len();
            let goal = lead_bytes + section_bytes * (section + 1);
            let mut first = true;
            loop {
                let written = self.out.len() - start;
                let wants_more = written + AVERAGE_PARAGRAPH_BYTES / 2 < goal
                    || (is_last && written < min_bytes);
                if !first && !wants_more {
                    break;
                }
                // Every section has at least one paragraph, so the block id always lands.
                self.write_paragraph(first && block_section == Some(section));
                if self.rng.chance(0.04) {
                    self.write_code_block();
                }
                first = false;
            }
        }
        // Finish with exactly one trailing newline.
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
    }

    fn write_paragraph(&mut self, with_block_id: bool) {
        let sentences = self.rng.range(2, 6);
        for i in 0..sentences {
            if i > 0 {
                self.out.push(' ');
            }
            self.write_sentence();
        }
        if with_block_id {
            let block_id = self.note().block_id.clone().unwrap_or_default();
            self.out.push_str(" ^");
            self.out.push_str(&block_id);
        }
        self.out.push_str("\n\n");
    }

    fn write_sentence(&mut self) {
        let words = self.rng.range(5, 16);
        for i in 0..words {
            if i > 0 {
                if self.rng.chance(0.06) {
                    self.out.push(',');
                }
                self.out.push(' ');
            }
            if self.rng.chance(self.link_rate) {
                self.write_link();
            } else if self.rng.chance(0.004) {
                self.write_inline_code();
            } else {
                self.write_word(i == 0);
            }
        }
        self.out.push('.');
    }

    fn write_word(&mut self, capitalized: bool) {
        let word: &str = if self.rng.chance(0.35) {
            self.rng.pick(FUNCTION_WORDS)
        } else {
            let vocabulary = &self.vault.vocabulary.prose;
            &vocabulary[self.rng.zipf_like_below(vocabulary.len())]
        };
        if capitalized {
            let title = capitalize(word);
            self.out.push_str(&title);
        } else {
            self.out.push_str(word);
        }
    }

    /// Inline code that looks like a link but must not be treated as one.
    fn write_inline_code(&mut self) {
        let word = self.rng.pick_word(&self.vault.vocabulary.prose);
        match self.rng.below(3) {
            0 => {
                let _ = write!(self.out, "`[[{word}]]`");
            }
            1 => {
                let id = &self.random_note(self.kb_index).id;
                let _ = write!(self.out, "`[[{id}]]`");
            }
            _ => {
                let _ = write!(self.out, "`{word}()`");
            }
        }
    }

    /// A fenced block whose contents contain link-like text that is not a link.
    fn write_code_block(&mut self) {
        let fence = if self.rng.chance(0.2) { "~~~" } else { "```" };
        let language = self.rng.pick(CODE_LANGUAGES);
        let _ = writeln!(self.out, "{fence}{language}");
        for _ in 0..self.rng.range(2, 6) {
            let word = self.rng.pick_word(&self.vault.vocabulary.prose);
            match self.rng.below(3) {
                0 => {
                    let _ = writeln!(self.out, "// see [[{word}]] for details");
                }
                1 => {
                    let id = &self.random_note(self.kb_index).id;
                    let _ = writeln!(self.out, "let link = \"[[{id}|{word}]]\";");
                }
                _ => {
                    let _ = writeln!(self.out, "{word}: [[fake-{word}#Heading]]");
                }
            }
        }
        let _ = writeln!(self.out, "{fence}\n");
    }

    /// Picks a note in a KB, favouring a few hub notes, and avoiding self-links.
    fn random_note(&mut self, kb_index: usize) -> &'a Note {
        let notes = &self.vault.kbs[kb_index].notes;
        let mut index = self.pick_index(notes.len());
        if kb_index == self.kb_index && index == self.note_index && notes.len() > 1 {
            index = (index + 1) % notes.len();
        }
        &self.vault.kbs[kb_index].notes[index]
    }

    fn pick_index(&mut self, len: usize) -> usize {
        if self.rng.chance(0.3) {
            self.rng.skewed_below(len)
        } else {
            self.rng.below(len)
        }
    }

    fn write_link(&mut self) {
        self.stats.links += 1;
        if self.rng.chance(0.03) {
            let prefix = self.rng.pick(WIDE_PREFIXES);
            self.out.push_str(prefix);
            if self.rng.chance(0.5) {
                self.out.push(' ');
            }
        }

        let roll = self.rng.unit();
        let kb_count = self.vault.kbs.len();
        if roll < 0.05 {
            self.write_broken_link();
        } else if roll < 0.15 && kb_count > 1 {
            self.write_cross_kb_link();
        } else if roll < 0.27 {
            self.write_heading_link();
        } else if roll < 0.30 {
            self.write_block_link();
        } else {
            self.write_plain_link();
        }
    }

    /// `[[id]]` or `[[id|Display Text]]` to a note in the same KB.
    fn write_plain_link(&mut self) {
        let target = self.random_note(self.kb_index);
        let id = &target.id;
        if self.rng.chance(0.4) {
            let display = self.display_text(&target.title);
            let _ = write!(self.out, "[[{id}|{display}]]");
        } else {
            let _ = write!(self.out, "[[{id}]]");
        }
    }

    /// `[[id#Heading]]`, sometimes with display text, to a real heading.
    fn write_heading_link(&mut self) {
        self.stats.heading_links += 1;
        let target = self.random_note(self.kb_index);
        let id = &target.id;
        let heading = &target.headings[self.rng.below(target.headings.len())].text;
        if self.rng.chance(0.25) {
            let _ = write!(self.out, "[[{id}#{heading}|{heading}]]");
        } else {
            let _ = write!(self.out, "[[{id}#{heading}]]");
        }
    }

    /// `[[id#^block]]` when the chosen target has a block id, otherwise a plain link.
    fn write_block_link(&mut self) {
        let target = self.random_note(self.kb_index);
        let id = &target.id;
        match &target.block_id {
            Some(block_id) => {
                self.stats.block_links += 1;
                let _ = write!(self.out, "[[{id}#^{block_id}]]");
            }
            None => {
                let _ = write!(self.out, "[[{id}]]");
            }
        }
    }

    /// `[[kN:id]]`, with optional heading or display text, to another KB.
    fn write_cross_kb_link(&mut self) {
        self.stats.cross_kb_links += 1;
        let kb_count = self.vault.kbs.len();
        let other = (self.kb_index + 1 + self.rng.below(kb_count - 1)) % kb_count;
        let shortname = &self.vault.kbs[other].shortname;
        let target = self.random_note(other);
        let id = &target.id;
        let heading = &target.headings[self.rng.below(target.headings.len())].text;
        match self.rng.below(4) {
            0 => {
                let display = self.display_text(&target.title);
                let _ = write!(self.out, "[[{shortname}:{id}|{display}]]");
            }
            1 => {
                self.stats.heading_links += 1;
                let _ = write!(self.out, "[[{shortname}:{id}#{heading}]]");
            }
            _ => {
                let _ = write!(self.out, "[[{shortname}:{id}]]");
            }
        }
    }

    /// A link to an id that does not exist: either a near-miss typo of a real
    /// id (useful for "did you mean" suggestions) or a made-up id.
    fn write_broken_link(&mut self) {
        self.stats.broken_links += 1;
        let ids = &self.vault.kbs[self.kb_index].ids;
        let mut target = None;
        if self.rng.chance(0.5) {
            let mut bytes = self.random_note(self.kb_index).id.clone().into_bytes();
            let position = self.rng.below(3);
            let replacement = b"aeiou"[self.rng.below(5)];
            if bytes[position] != replacement {
                bytes[position] = replacement;
                let typo = String::from_utf8(bytes).unwrap_or_default();
                if !ids.contains(&typo) {
                    target = Some(typo);
                }
            }
        }
        // Four-digit suffixes never collide with the three-digit real ids.
        let target = target.unwrap_or_else(|| {
            let first = pseudo_word(&mut self.rng, 2, 2);
            let second = pseudo_word(&mut self.rng, 2, 2);
            format!("{first}-{second}-{}", self.rng.range(1_000, 9_999))
        });
        if self.rng.chance(0.2) {
            let display = capitalize(&target.replace('-', " "));
            let _ = write!(self.out, "[[{target}|{display}]]");
        } else {
            let _ = write!(self.out, "[[{target}]]");
        }
    }

    /// Display text for a piped link: the target title or a short phrase.
    fn display_text(&mut self, title: &str) -> String {
        if self.rng.chance(0.5) {
            title.to_string()
        } else {
            let vocabulary = &self.vault.vocabulary.prose;
            let first = capitalize(&vocabulary[self.rng.below(vocabulary.len())]);
            let second = &vocabulary[self.rng.below(vocabulary.len())];
            format!("{first} {second}")
        }
    }
}

// ---------------------------------------------------------------------------
// Word shapes (`wide`, `corpus`): common English words, Pyrite block-style frontmatter
// ---------------------------------------------------------------------------

/// Notes per KB in the `wide` shape.
const WIDE_KB_NOTES: usize = 500;
/// Average notes per KB in the `corpus` shape (4,391 notes in 25 KBs).
const CORPUS_KB_NOTES: f64 = 176.0;
/// Average bytes of one English prose word with its separator.
const BYTES_PER_ENGLISH_WORD: f64 = 6.0;
/// Mixed into the seed so the word shapes never share a stream with the classic one.
const WORD_SHAPE_SALT: u64 = 0x5749_4445_5348_4150;

/// About three hundred common English words: ids, titles, headings, tags and prose. The first
/// ones are picked most often, so ids share their first words (and prefixes) heavily.
const COMMON_WORDS: &[&str] = &[
    "history",
    "time",
    "world",
    "life",
    "light",
    "water",
    "house",
    "garden",
    "system",
    "story",
    "place",
    "work",
    "people",
    "power",
    "state",
    "city",
    "river",
    "stone",
    "word",
    "book",
    "name",
    "land",
    "school",
    "family",
    "music",
    "game",
    "market",
    "art",
    "science",
    "theory",
    "practice",
    "design",
    "model",
    "change",
    "value",
    "order",
    "field",
    "process",
    "form",
    "method",
    "network",
    "language",
    "culture",
    "nature",
    "body",
    "mind",
    "memory",
    "image",
    "money",
    "energy",
    "health",
    "food",
    "paper",
    "letter",
    "road",
    "map",
    "table",
    "window",
    "door",
    "street",
    "forest",
    "mountain",
    "island",
    "ocean",
    "sea",
    "sky",
    "fire",
    "earth",
    "wind",
    "rain",
    "snow",
    "winter",
    "summer",
    "spring",
    "autumn",
    "morning",
    "night",
    "day",
    "year",
    "age",
    "war",
    "peace",
    "law",
    "rule",
    "right",
    "church",
    "king",
    "queen",
    "army",
    "ship",
    "train",
    "car",
    "bridge",
    "tower",
    "wall",
    "castle",
    "village",
    "country",
    "nation",
    "empire",
    "border",
    "trade",
    "industry",
    "factory",
    "machine",
    "engine",
    "tool",
    "computer",
    "software",
    "data",
    "code",
    "signal",
    "sound",
    "voice",
    "song",
    "dance",
    "film",
    "theatre",
    "poem",
    "novel",
    "painting",
    "drawing",
    "color",
    "shape",
    "line",
    "point",
    "space",
    "number",
    "question",
    "answer",
    "problem",
    "idea",
    "thought",
    "dream",
    "hope",
    "fear",
    "love",
    "friend",
    "child",
    "mother",
    "father",
    "brother",
    "sister",
    "home",
    "room",
    "kitchen",
    "bed",
    "chair",
    "glass",
    "bottle",
    "wood",
    "iron",
    "gold",
    "silver",
    "copper",
    "salt",
    "sugar",
    "bread",
    "milk",
    "tea",
    "coffee",
    "wine",
    "fruit",
    "tree",
    "flower",
    "seed",
    "leaf",
    "root",
    "grass",
    "animal",
    "bird",
    "fish",
    "horse",
    "dog",
    "cat",
    "wolf",
    "bear",
    "lion",
    "study",
    "research",
    "evidence",
    "experiment",
    "test",
    "result",
    "report",
    "record",
    "file",
    "archive",
    "library",
    "museum",
    "gallery",
    "office",
    "bank",
    "hospital",
    "temple",
    "prison",
    "court",
    "council",
    "party",
    "election",
    "government",
    "policy",
    "economy",
    "finance",
    "tax",
    "price",
    "cost",
    "profit",
    "labor",
    "union",
    "strike",
    "class",
    "society",
    "community",
    "group",
    "team",
    "company",
    "business",
    "management",
    "leadership",
    "strategy",
    "planning",
    "quality",
    "service",
    "product",
    "customer",
    "user",
    "client",
    "owner",
    "worker",
    "teacher",
    "student",
    "doctor",
    "nurse",
    "artist",
    "writer",
    "reader",
    "author",
    "editor",
    "critic",
    "scholar",
    "scientist",
    "engineer",
    "farmer",
    "soldier",
    "sailor",
    "pilot",
    "driver",
    "judge",
    "lawyer",
    "minister",
    "president",
    "leader",
    "master",
    "servant",
    "stranger",
    "neighbor",
    "guest",
    "north",
    "south",
    "east",
    "west",
    "center",
    "edge",
    "corner",
    "circle",
    "square",
    "valley",
    "lake",
    "coast",
    "harbor",
    "port",
    "station",
    "airport",
    "early",
    "late",
    "first",
    "last",
    "new",
    "old",
    "great",
    "small",
    "long",
    "short",
    "high",
    "low",
    "deep",
    "open",
    "free",
    "public",
    "private",
    "local",
    "global",
    "modern",
    "ancient",
    "classic",
    "digital",
    "social",
    "political",
    "natural",
    "human",
    "common",
    "simple",
    "complex",
    "general",
    "special",
    "central",
    "red",
    "blue",
    "green",
    "black",
    "white",
    "dark",
    "bright",
    "golden",
    "silent",
    "quiet",
    "wild",
    "true",
    "false",
    "good",
    "better",
    "best",
];

/// Connecting words inside ids and titles (`history-of-the-garden`).
const ID_CONNECTORS: &[&str] = &["of", "and", "the"];

/// Relations of Pyrite's `links:` frontmatter entries.
const RELATIONS: &[&str] = &[
    "related_to",
    "influenced_by",
    "develops",
    "authored_by",
    "part_of",
    "contrasts_with",
];

/// Research states of the `corpus` shape's notes.
const RESEARCH_STATES: &[&str] = &["draft", "stub", "complete", "reviewed"];

/// How a word shape sizes and decorates its notes.
struct WordShape {
    /// Body sizes: `(weight, min bytes, max bytes)`, a weighted mix of uniform ranges.
    body_sizes: &'static [(f64, usize, usize)],
    /// Links a note: a fixed range, or a density per 1,024 bytes of body.
    links: LinkBudget,
    /// Headings a note: `(min, max)`, or scaled with the body in the corpus shape.
    headings: HeadingBudget,
    /// Pyrite's richer shapes: `links:` maps in the frontmatter, `research_status`,
    /// multi-line list items and tables in bodies.
    pyrite_extras: bool,
    /// Share of sections that hold a bullet list.
    list_rate: f64,
}

enum LinkBudget {
    Range(usize, usize),
    PerKilobyte(f64),
}

enum HeadingBudget {
    Range(usize, usize),
    /// One heading per this many body bytes, plus one, at most 12.
    PerBytes(usize),
}

const WIDE_SHAPE: WordShape = WordShape {
    body_sizes: &[(1.0, 2_800, 4_800)],
    links: LinkBudget::Range(15, 30),
    headings: HeadingBudget::Range(2, 5),
    pyrite_extras: false,
    list_rate: 0.15,
};

const CORPUS_SHAPE: WordShape = WordShape {
    body_sizes: &[
        (0.70, 2_000, 10_000),
        (0.25, 10_000, 22_000),
        (0.05, 22_000, 50_000),
    ],
    links: LinkBudget::PerKilobyte(2.5),
    headings: HeadingBudget::PerBytes(2_500),
    pyrite_extras: true,
    list_rate: 0.35,
};

/// A planned word-shape vault: notes decided, bodies rendered on demand.
struct WordVault {
    seed: u64,
    shape: &'static WordShape,
    kbs: Vec<Kb>,
}

impl RenderNotes for WordVault {
    fn kbs(&self) -> &[Kb] {
        &self.kbs
    }

    fn render(
        &self,
        kb_index: usize,
        note_index: usize,
        out: &mut String,
        stats: &mut Stats,
    ) -> bool {
        render_word_note(self, kb_index, note_index, out, stats);
        false
    }
}

/// A common word, favouring the first ones of the list.
fn common_word(rng: &mut Rng) -> &'static str {
    COMMON_WORDS[rng.zipf_like_below(COMMON_WORDS.len())]
}

/// A common word different from `other`.
fn common_word_not(rng: &mut Rng, other: &str) -> &'static str {
    loop {
        let word = common_word(rng);
        if word != other {
            return word;
        }
    }
}

/// The words of a fresh id: 2-4 words, some joined by `of`, `and`, `the`.
fn word_id_words(rng: &mut Rng) -> Vec<&'static str> {
    let a = common_word(rng);
    let b = common_word_not(rng, a);
    let roll = rng.below(100);
    match roll {
        0..30 => vec![a, b],
        30..45 => vec![a, "of", b],
        45..55 => vec![a, "and", b],
        55..70 => vec![a, b, common_word_not(rng, b)],
        70..80 => vec![a, "of", "the", b],
        80..90 => vec!["the", a, "of", b],
        _ => vec![a, b, "of", common_word_not(rng, b)],
    }
}

/// A fresh id unique in `ids`, and its words.
fn fresh_word_id(rng: &mut Rng, ids: &HashSet<String>) -> (String, Vec<&'static str>) {
    loop {
        let words = word_id_words(rng);
        let id = words.join("-");
        if !ids.contains(&id) {
            return (id, words);
        }
    }
}

/// Title case, with connecting words in lower case after the first word.
fn word_title(rng: &mut Rng, words: &[&str]) -> String {
    let mut title = String::new();
    for (i, word) in words.iter().enumerate() {
        if i > 0 {
            title.push(' ');
        }
        if i > 0 && ID_CONNECTORS.contains(word) {
            title.push_str(word);
        } else {
            title.push_str(&capitalize(word));
        }
    }
    // Some titles say a little more than their id.
    if rng.chance(0.25) {
        title.push(' ');
        title.push_str(&capitalize(common_word(rng)));
    }
    title
}

fn word_headings(rng: &mut Rng, count: usize) -> Vec<Heading> {
    let mut headings: Vec<Heading> = Vec::with_capacity(count);
    while headings.len() < count {
        let text = match rng.below(3) {
            0 => rng.pick(HEADING_WORDS).to_string(),
            1 => capitalize(common_word(rng)),
            _ => format!("{} and {}", capitalize(common_word(rng)), common_word(rng)),
        };
        if headings.iter().any(|h| h.text == text) {
            continue;
        }
        let level = if headings.is_empty() || rng.chance(0.6) {
            2
        } else {
            3
        };
        headings.push(Heading { level, text });
    }
    headings
}

fn body_size(rng: &mut Rng, shape: &WordShape) -> usize {
    let total: f64 = shape.body_sizes.iter().map(|(weight, _, _)| weight).sum();
    let mut roll = rng.unit() * total;
    for &(weight, min, max) in shape.body_sizes {
        if roll < weight {
            return rng.range(min, max);
        }
        roll -= weight;
    }
    let (_, min, max) = shape.body_sizes[shape.body_sizes.len() - 1];
    rng.range(min, max)
}

/// Decides ids, titles, types, sizes and headings of every note of a word shape.
fn plan_word_vault(config: &Config) -> WordVault {
    let shape = match config.shape {
        Shape::Corpus => &CORPUS_SHAPE,
        Shape::Wide | Shape::Classic => &WIDE_SHAPE,
    };
    let seed = config.seed ^ WORD_SHAPE_SALT;
    let mut rng = Rng::derived(seed, u64::MAX, 1);
    let sizes = match config.shape {
        Shape::Corpus => kb_sizes(config.notes, config.kbs, &mut rng),
        _ => (0..config.kbs)
            .map(|i| config.notes / config.kbs + usize::from(i < config.notes % config.kbs))
            .collect(),
    };
    let mut kbs = Vec::with_capacity(config.kbs);
    for (kb_index, &size) in sizes.iter().enumerate() {
        let mut kb = Kb {
            name: format!("kb{}", kb_index + 1),
            shortname: format!("k{}", kb_index + 1),
            notes: Vec::with_capacity(size),
            ids: HashSet::with_capacity(size),
            by_type: Default::default(),
        };
        for _ in 0..size {
            let kind = pick_note_type(&mut rng);
            let (id, words) = fresh_word_id(&mut rng, &kb.ids);
            let title = word_title(&mut rng, &words);
            let body_bytes = body_size(&mut rng, shape);
            let heading_count = match shape.headings {
                HeadingBudget::Range(min, max) => rng.range(min, max),
                HeadingBudget::PerBytes(bytes) => (1 + body_bytes / bytes + rng.below(2)).min(12),
            };
            let headings = word_headings(&mut rng, heading_count);
            let block_id = rng.chance(0.3).then(|| make_block_id(&mut rng));
            kb.ids.insert(id.clone());
            kb.by_type[kind.index()].push(kb.notes.len());
            kb.notes.push(Note {
                id,
                title,
                kind,
                headings,
                block_id,
                large: false,
                body_bytes,
            });
        }
        kbs.push(kb);
    }
    WordVault { seed, shape, kbs }
}

fn render_word_note(
    vault: &WordVault,
    kb_index: usize,
    note_index: usize,
    out: &mut String,
    stats: &mut Stats,
) {
    let mut rng = Rng::derived(vault.seed, kb_index as u64, note_index as u64);
    render_word_frontmatter(vault, kb_index, note_index, &mut rng, out);
    let note = &vault.kbs[kb_index].notes[note_index];
    let words = note.body_bytes as f64 / BYTES_PER_ENGLISH_WORD;
    let links = match vault.shape.links {
        LinkBudget::Range(min, max) => rng.range(min, max) as f64,
        LinkBudget::PerKilobyte(rate) => {
            (note.body_bytes as f64 / 1_024.0 * rate * (0.6 + 0.8 * rng.unit())).max(2.0)
        }
    };
    let mut body = WordBodyWriter {
        vault,
        kb_index,
        note_index,
        rng,
        out,
        stats,
        link_rate: (links / words).min(0.5),
    };
    body.write_body();
}

fn render_word_frontmatter(
    vault: &WordVault,
    kb_index: usize,
    note_index: usize,
    rng: &mut Rng,
    out: &mut String,
) {
    let kb = &vault.kbs[kb_index];
    let note = &kb.notes[note_index];
    out.push_str("---\n");
    let _ = writeln!(out, "id: {}", note.id);
    let _ = writeln!(out, "title: {}", note.title);
    let _ = writeln!(out, "type: {}", note.kind.name());
    out.push_str("tags:\n");
    let tag_count = rng.range(1, 4);
    let mut tags: Vec<&str> = Vec::with_capacity(tag_count);
    while tags.len() < tag_count {
        let tag = common_word(rng);
        if !tags.contains(&tag) {
            tags.push(tag);
            let _ = writeln!(out, "- {tag}");
        }
    }
    let _ = writeln!(out, "importance: {}", rng.range(1, 10));
    if vault.shape.pyrite_extras {
        let _ = writeln!(out, "research_status: {}", rng.pick(RESEARCH_STATES));
    }
    // The type's list field from kb.yaml, filled with real ids of this KB.
    let field = match note.kind {
        NoteType::Concept => Some(("related_concepts", NoteType::Concept, rng.range(1, 4))),
        NoteType::Person => Some(("key_works", NoteType::Writing, rng.range(1, 4))),
        NoteType::Writing => None,
    };
    if let Some((field_name, target_type, wanted)) = field {
        let candidates = &kb.by_type[target_type.index()];
        let available = candidates.iter().filter(|&&i| i != note_index).count();
        let mut chosen: Vec<usize> = Vec::with_capacity(wanted);
        while chosen.len() < wanted.min(available) {
            let candidate = rng.pick(candidates);
            if candidate != note_index && !chosen.contains(&candidate) {
                chosen.push(candidate);
            }
        }
        if !chosen.is_empty() {
            let _ = writeln!(out, "{field_name}:");
            for i in chosen {
                let _ = writeln!(out, "- {}", kb.notes[i].id);
            }
        }
    }
    // Pyrite's typed links: a list of maps, sometimes into another KB.
    if vault.shape.pyrite_extras && rng.chance(0.25) {
        out.push_str("links:\n");
        for _ in 0..rng.range(1, 6) {
            let other = if vault.kbs.len() > 1 && rng.chance(0.2) {
                rng.below(vault.kbs.len())
            } else {
                kb_index
            };
            let notes = &vault.kbs[other].notes;
            let target = &notes[rng.below(notes.len())].id;
            let _ = writeln!(out, "- target: {target}");
            let _ = writeln!(out, "  relation: {}", rng.pick(RELATIONS));
            if other != kb_index {
                let _ = writeln!(out, "  kb: {}", vault.kbs[other].name);
            }
        }
    }
    out.push_str("---\n\n");
}

/// Streams the markdown body of one word-shape note into a string buffer.
struct WordBodyWriter<'a> {
    vault: &'a WordVault,
    kb_index: usize,
    note_index: usize,
    rng: Rng,
    out: &'a mut String,
    stats: &'a mut Stats,
    /// Probability that any given word slot becomes a wiki-link.
    link_rate: f64,
}

impl<'a> WordBodyWriter<'a> {
    fn note(&self) -> &'a Note {
        &self.vault.kbs[self.kb_index].notes[self.note_index]
    }

    fn write_body(&mut self) {
        let target_bytes = self.note().body_bytes;
        let start = self.out.len();
        if self.rng.chance(0.6) {
            self.write_paragraph(false);
        }
        let headings = &self.note().headings;
        let block_section = self
            .note()
            .block_id
            .as_ref()
            .map(|_| self.rng.below(headings.len()));
        let table_section = (self.vault.shape.pyrite_extras && self.rng.chance(0.1))
            .then(|| self.rng.below(headings.len()));
        let lead_bytes = self.out.len() - start;
        let section_bytes = target_bytes.saturating_sub(lead_bytes) / headings.len();
        for (section, heading) in headings.iter().enumerate() {
            for _ in 0..heading.level {
                self.out.push('#');
            }
            self.out.push(' ');
            self.out.push_str(&heading.text);
            self.out.push_str("\n\n");
            let goal = lead_bytes + section_bytes * (section + 1);
            let mut first = true;
            loop {
                let written = self.out.len() - start;
                if !first && written + 150 >= goal {
                    break;
                }
                self.write_paragraph(first && block_section == Some(section));
                if self.rng.chance(self.vault.shape.list_rate / 2.0) {
                    self.write_list();
                }
                if first && table_section == Some(section) {
                    self.write_table();
                }
                first = false;
            }
        }
        while self.out.ends_with("\n\n") {
            self.out.pop();
        }
    }

    fn write_paragraph(&mut self, with_block_id: bool) {
        let sentences = self.rng.range(2, 6);
        for i in 0..sentences {
            if i > 0 {
                self.out.push(' ');
            }
            self.write_sentence(5, 16);
        }
        if with_block_id {
            let block_id = self.note().block_id.clone().unwrap_or_default();
            self.out.push_str(" ^");
            self.out.push_str(&block_id);
        }
        self.out.push_str("\n\n");
    }

    fn write_sentence(&mut self, min_words: usize, max_words: usize) {
        let words = self.rng.range(min_words, max_words);
        for i in 0..words {
            if i > 0 {
                if self.rng.chance(0.06) {
                    self.out.push(',');
                }
                self.out.push(' ');
            }
            if self.rng.chance(self.link_rate) {
                self.write_link();
            } else {
                let word = if self.rng.chance(0.35) {
                    self.rng.pick(FUNCTION_WORDS)
                } else {
                    common_word(&mut self.rng)
                };
                if i == 0 {
                    let word = capitalize(word);
                    self.out.push_str(&word);
                } else if self.vault.shape.pyrite_extras && self.rng.chance(0.01) {
                    let _ = write!(self.out, "**{word}**");
                } else {
                    self.out.push_str(word);
                }
            }
        }
        self.out.push('.');
    }

    /// A bullet list; in the corpus shape some items go on over a second, indented line.
    fn write_list(&mut self) {
        for _ in 0..self.rng.range(3, 6) {
            self.out.push_str("- ");
            self.write_sentence(4, 10);
            if self.vault.shape.pyrite_extras && self.rng.chance(0.3) {
                self.out.push_str("\n  ");
                self.write_sentence(4, 10);
            }
            self.out.push('\n');
        }
        self.out.push('\n');
    }

    /// A small table whose first column links to notes.
    fn write_table(&mut self) {
        self.out
            .push_str("| Note | Kind | Summary |\n| --- | --- | --- |\n");
        for _ in 0..self.rng.range(2, 6) {
            self.out.push_str("| ");
            self.write_plain_link();
            let _ = write!(self.out, " | {} | ", common_word(&mut self.rng));
            self.write_sentence(3, 7);
            self.out.push_str(" |\n");
        }
        self.out.push('\n');
    }

    /// Picks a note in a KB, favouring a few hub notes, and avoiding self-links.
    fn random_note(&mut self, kb_index: usize) -> &'a Note {
        let notes = &self.vault.kbs[kb_index].notes;
        let mut index = if self.rng.chance(0.3) {
            self.rng.skewed_below(notes.len())
        } else {
            self.rng.below(notes.len())
        };
        if kb_index == self.kb_index && index == self.note_index && notes.len() > 1 {
            index = (index + 1) % notes.len();
        }
        &self.vault.kbs[kb_index].notes[index]
    }

    fn write_link(&mut self) {
        self.stats.links += 1;
        let roll = self.rng.unit();
        if roll < 0.05 {
            self.write_broken_link();
        } else if roll < 0.15 && self.vault.kbs.len() > 1 {
            self.write_cross_kb_link();
        } else if roll < 0.25 {
            self.stats.heading_links += 1;
            let target = self.random_note(self.kb_index);
            let heading = &target.headings[self.rng.below(target.headings.len())].text;
            let _ = write!(self.out, "[[{}#{heading}]]", target.id);
        } else if roll < 0.28 {
            let target = self.random_note(self.kb_index);
            match &target.block_id {
                Some(block_id) => {
                    self.stats.block_links += 1;
                    let _ = write!(self.out, "[[{}#^{block_id}]]", target.id);
                }
                None => {
                    let _ = write!(self.out, "[[{}]]", target.id);
                }
            }
        } else {
            self.write_plain_link();
        }
    }

    /// `[[id]]`, or `[[id|Title]]` to a note of the same KB.
    fn write_plain_link(&mut self) {
        let target = self.random_note(self.kb_index);
        if self.rng.chance(0.3) {
            let _ = write!(self.out, "[[{}|{}]]", target.id, target.title);
        } else {
            let _ = write!(self.out, "[[{}]]", target.id);
        }
    }

    fn write_cross_kb_link(&mut self) {
        self.stats.cross_kb_links += 1;
        let kb_count = self.vault.kbs.len();
        let other = (self.kb_index + 1 + self.rng.below(kb_count - 1)) % kb_count;
        let shortname = &self.vault.kbs[other].shortname;
        let target = self.random_note(other);
        if self.rng.chance(0.2) {
            let _ = write!(self.out, "[[{shortname}:{}|{}]]", target.id, target.title);
        } else {
            let _ = write!(self.out, "[[{shortname}:{}]]", target.id);
        }
    }

    /// A near-miss typo of a real id, or an id made of words that no note of the KB has.
    fn write_broken_link(&mut self) {
        self.stats.broken_links += 1;
        let ids = &self.vault.kbs[self.kb_index].ids;
        let mut target = None;
        if self.rng.chance(0.5) {
            let mut bytes = self.random_note(self.kb_index).id.clone().into_bytes();
            let position = self.rng.below(bytes.len());
            let replacement = b"aeiou"[self.rng.below(5)];
            if bytes[position] != b'-' && bytes[position] != replacement {
                bytes[position] = replacement;
                let typo = String::from_utf8(bytes).unwrap_or_default();
                if !ids.contains(&typo) {
                    target = Some(typo);
                }
            }
        }
        let target = target.unwrap_or_else(|| {
            loop {
                let id = word_id_words(&mut self.rng).join("-");
                if !ids.contains(&id) {
                    break id;
                }
            }
        });
        let _ = write!(self.out, "[[{target}]]");
    }
}

// ---------------------------------------------------------------------------
// Writing files
// ---------------------------------------------------------------------------

fn kb_yaml(kb_number: usize) -> String {
    format!(
        "name: kb{kb_number}
shortname: k{kb_number}
description: Synthetic knowledge base {kb_number}.
types:
  concept:
    subdirectory: concepts
    fields:
      related_concepts:
        type: list
        description: \"Related concepts (entry IDs)\"
  person:
    subdirectory: people
    fields:
      key_works:
        type: list
        description: \"Major works (entry IDs)\"
  writing:
    subdirectory: writings
"
    )
}

/// A planned vault whose notes can be rendered one at a time, in any order.
trait RenderNotes: Sync {
    fn kbs(&self) -> &[Kb];
    /// Writes one note's text into `out`; returns whether it should use CRLF.
    fn render(
        &self,
        kb_index: usize,
        note_index: usize,
        out: &mut String,
        stats: &mut Stats,
    ) -> bool;
}

impl RenderNotes for Vault {
    fn kbs(&self) -> &[Kb] {
        &self.kbs
    }

    fn render(
        &self,
        kb_index: usize,
        note_index: usize,
        out: &mut String,
        stats: &mut Stats,
    ) -> bool {
        render_note(self, kb_index, note_index, out, stats)
    }
}

/// Creates KB folders and `kb.yaml` files, then renders notes on worker threads.
fn write_vault(vault: &impl RenderNotes, config: &Config) -> io::Result<Stats> {
    let mut stats = Stats::default();
    for (kb_index, kb) in vault.kbs().iter().enumerate() {
        let kb_dir = config.out.join(&kb.name);
        for kind in NoteType::ALL {
            fs::create_dir_all(kb_dir.join(kind.subdirectory()))?;
        }
        let yaml = kb_yaml(kb_index + 1);
        fs::write(kb_dir.join("kb.yaml"), &yaml)?;
        stats.bytes += yaml.len() as u64;
    }

    // Every note has its own PRNG stream, so the split over threads does not
    // affect the output.
    let jobs: Vec<(usize, usize)> = vault
        .kbs()
        .iter()
        .enumerate()
        .flat_map(|(kb_index, kb)| {
            (0..kb.notes.len()).map(move |note_index| (kb_index, note_index))
        })
        .collect();
    let chunk_size = jobs.len().div_ceil(config.threads);
    let results: Vec<io::Result<Stats>> = thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(chunk_size)
            .map(|chunk| scope.spawn(move || write_notes(vault, &config.out, chunk)))
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("worker thread panicked"))
            .collect()
    });
    for result in results {
        stats.add(&result?);
    }
    Ok(stats)
}

fn write_notes(
    vault: &impl RenderNotes,
    out_dir: &Path,
    jobs: &[(usize, usize)],
) -> io::Result<Stats> {
    let mut stats = Stats::default();
    let mut text = String::with_capacity(16 * 1024);
    for &(kb_index, note_index) in jobs {
        text.clear();
        let crlf = vault.render(kb_index, note_index, &mut text, &mut stats);
        let kb = &vault.kbs()[kb_index];
        let note = &kb.notes[note_index];
        let path = out_dir
            .join(&kb.name)
            .join(note.kind.subdirectory())
            .join(format!("{}.md", note.id));
        if crlf {
            let converted = text.replace('\n', "\r\n");
            fs::write(&path, &converted)?;
            stats.bytes += converted.len() as u64;
            stats.crlf_notes += 1;
        } else {
            fs::write(&path, &text)?;
            stats.bytes += text.len() as u64;
        }
        stats.notes += 1;
        stats.large_notes += usize::from(note.large);
    }
    Ok(stats)
}

/// Renders a whole vault in memory, byte for byte what `gen_vault --notes N --seed S` writes
/// (default KB count): `(path relative to DIR, text)` for each `kb.yaml`, then each note.
/// The benchmarks include this file as a module to build vaults without touching the disk.
#[allow(dead_code)] // Only the benchmarks call it.
pub fn generate_in_memory(notes: usize, seed: u64) -> Vec<(PathBuf, String)> {
    let config = Config {
        shape: Shape::Classic,
        notes: notes.max(1),
        kbs: default_kb_count(notes.max(1)),
        seed,
        out: PathBuf::new(),
        force: false,
        threads: 1,
    };
    let vault = plan_vault(&config);
    let mut files = Vec::with_capacity(config.notes + config.kbs);
    for (kb_index, kb) in vault.kbs.iter().enumerate() {
        files.push((Path::new(&kb.name).join("kb.yaml"), kb_yaml(kb_index + 1)));
    }
    let mut stats = Stats::default();
    for (kb_index, kb) in vault.kbs.iter().enumerate() {
        for (note_index, note) in kb.notes.iter().enumerate() {
            let mut text = String::new();
            if render_note(&vault, kb_index, note_index, &mut text, &mut stats) {
                text = text.replace('\n', "\r\n");
            }
            let path = Path::new(&kb.name)
                .join(note.kind.subdirectory())
                .join(format!("{}.md", note.id));
            files.push((path, text));
        }
    }
    files
}

fn print_summary(config: &Config, stats: &Stats, elapsed_secs: f64) {
    let mib = stats.bytes as f64 / (1024.0 * 1024.0);
    println!("wrote vault to {}", config.out.display());
    println!("shape:       {}", config.shape.name());
    println!("notes:       {}", stats.notes);
    println!("kbs:         {}", config.kbs);
    println!("total bytes: {} ({mib:.1} MiB)", stats.bytes);
    println!(
        "links:       {} ({:.2} per note; {} broken, {} cross-kb, {} to headings, {} to blocks)",
        stats.links,
        stats.links as f64 / stats.notes as f64,
        stats.broken_links,
        stats.cross_kb_links,
        stats.heading_links,
        stats.block_links
    );
    println!("large notes: {}", stats.large_notes);
    println!("crlf notes:  {}", stats.crlf_notes);
    println!("seed:        {}", config.seed);
    println!("elapsed:     {elapsed_secs:.2}s");
}

fn main() -> ExitCode {
    let config = match parse_args(env::args().skip(1)) {
        Ok(config) => config,
        Err(CliError::Help) => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(CliError::Usage(message)) => {
            eprintln!("gen_vault: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Err(message) = prepare_output_dir(&config.out, config.force) {
        eprintln!("gen_vault: {message}");
        return ExitCode::from(2);
    }

    let start = Instant::now();
    let written = match config.shape {
        Shape::Classic => write_vault(&plan_vault(&config), &config),
        Shape::Wide | Shape::Corpus => write_vault(&plan_word_vault(&config), &config),
    };
    match written {
        Ok(stats) => {
            print_summary(&config, &stats, start.elapsed().as_secs_f64());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gen_vault: failed to write vault: {error}");
            ExitCode::FAILURE
        }
    }
}
