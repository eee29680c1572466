//! Command-line entry: `wikilink-lsp` (serve LSP over stdio) and `wikilink-lsp check`.
//! Parses arguments and hands over; no logic lives here.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use wikilink_lsp::check::{self, CheckOptions, OutputFormat};
use wikilink_lsp::ide::{DiagnosticCode, Severity};

/// `--version`: the crate version and the commit it was built from (set by `build.rs`), e.g.
/// `0.1.0 (f600059d2)` or `0.1.0 (unknown commit)`.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("WIKILINK_LSP_COMMIT"),
    ")"
);

/// A language server and checker for linked markdown knowledge bases (wiki-links, Pyrite KBs,
/// Obsidian vaults).
#[derive(Parser)]
#[command(name = "wikilink-lsp", version = VERSION, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Speak LSP over stdin/stdout (the default; accepted for clients that pass it).
    #[arg(long, global = true, hide = true)]
    stdio: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Language Server Protocol over stdin/stdout (the default).
    Serve,
    /// Check every note under PATHs and report broken links and other problems.
    Check(CheckArgs),
}

#[derive(clap::Args)]
struct CheckArgs {
    /// Workspace roots to check.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Fail (exit 1) on problems of this severity or worse.
    #[arg(long, value_enum, default_value_t = Deny::Errors)]
    deny: Deny,
    /// Gitignore-style glob of files or folders not to check (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// A frontmatter field whose values are note ids, in every KB (repeatable).
    #[arg(long, value_name = "FIELD")]
    reference_field: Vec<String>,
    /// Change a code's severity, as CODE=LEVEL (error, warning, information, hint, off).
    #[arg(long, value_name = "CODE=LEVEL")]
    severity: Vec<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow annotations.
    Github,
}

#[derive(Clone, Copy, ValueEnum)]
enum Deny {
    Errors,
    Warnings,
    Information,
    Hints,
}

fn main() -> ExitCode {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    limit_malloc_arenas();
    let cli = Cli::parse();
    match cli.command {
        None | Some(Command::Serve) => {
            wikilink_lsp::lsp::init_logging();
            match wikilink_lsp::lsp::serve_stdio() {
                Ok(code) => ExitCode::from(code),
                Err(error) => {
                    tracing::error!("server failed: {error}");
                    ExitCode::from(1)
                }
            }
        }
        Some(Command::Check(args)) => run_check(args),
    }
}

/// One glibc malloc arena per core, not eight: glibc gives each thread that allocates an arena
/// of its own, up to eight per core, and memory freed in one stays there for that arena's
/// threads. At 100,000 notes on 2 cores the server's peak RSS was 198 MB with glibc's default
/// and 187 MB with two arenas, at the same speed (BENCHMARKS.md, round eleven). A
/// `MALLOC_ARENA_MAX` in the environment is left to decide.
///
/// The crate's one `unsafe` block: `mallopt` takes two integers and touches no memory of ours.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn limit_malloc_arenas() {
    if std::env::var_os("MALLOC_ARENA_MAX").is_some() {
        return;
    }
    let cores = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .max(2);
    let arenas = i32::try_from(cores).unwrap_or(i32::MAX);
    // SAFETY: an allocator setting, called before any thread starts; no pointer is passed.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, arenas);
    }
}

#[allow(clippy::print_stderr)]
fn run_check(args: CheckArgs) -> ExitCode {
    // The flags as settings, laid over the roots' `.wikilink.toml` (see `check::CheckOptions`).
    let mut severity = serde_json::Map::new();
    for spec in &args.severity {
        let parsed = spec
            .split_once('=')
            .ok_or_else(|| format!("`{spec}`: expected CODE=LEVEL"))
            .and_then(|(code, level)| {
                DiagnosticCode::parse(code)
                    .ok_or_else(|| format!("unknown diagnostic code `{code}`"))?;
                Severity::parse(level)?;
                Ok((code, level))
            });
        match parsed {
            Ok((code, level)) => {
                severity.insert(code.to_owned(), level.into());
            }
            Err(message) => {
                eprintln!("error: --severity {message}");
                return ExitCode::from(check::EXIT_USAGE as u8);
            }
        }
    }
    let mut settings = serde_json::Map::new();
    if !args.exclude.is_empty() {
        settings.insert("exclude".to_owned(), args.exclude.into());
    }
    if !args.reference_field.is_empty() {
        settings.insert("referenceFields".to_owned(), args.reference_field.into());
    }
    if !severity.is_empty() {
        settings.insert(
            "diagnostics".to_owned(),
            serde_json::json!({ "severity": severity }),
        );
    }
    let options = CheckOptions {
        roots: args.paths,
        format: match args.format {
            Format::Text => OutputFormat::Text,
            Format::Json => OutputFormat::Json,
            Format::Sarif => OutputFormat::Sarif,
            Format::Github => OutputFormat::Github,
        },
        deny: match args.deny {
            Deny::Errors => Severity::Error,
            Deny::Warnings => Severity::Warning,
            Deny::Information => Severity::Information,
            Deny::Hints => Severity::Hint,
        },
        settings: serde_json::Value::Object(settings),
    };
    // Buffered: a locked stdout is line-buffered, one write call for each line of a report.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let code = check::run(&options, &mut out, &mut std::io::stderr().lock());
    if let Err(error) = std::io::Write::flush(&mut out) {
        eprintln!("error: writing the report: {error}");
        return ExitCode::from(2);
    }
    ExitCode::from(code as u8)
}
