//! The `lockdep` command: reads the JSON dumps that programs using lockdep
//! write with `LOCKDEP_DUMP_DIR`, and shows, merges, checks or draws them.
//!
//! ```text
//! lockdep show  DUMP... [--format text|json]
//! lockdep merge DUMP... [-o merged.json]
//! lockdep check DUMP... [--baseline known.json] [--format text|json|sarif|github]
//!                       [--write-baseline known.json]
//! lockdep dot   DUMP... [--only-cycles]
//! ```
//!
//! A `DUMP` is a dump file or a directory of them (`*.json`). Exit codes:
//! 0 fine, 1 `check` found reports not in the baseline, 2 bad input or usage.
//! Errors go to stderr as `lockdep: <file>:<line>:<col>: <message>`.
//! Installed with `cargo install --path lockdep-cli`, or run in this
//! workspace with `cargo run -p lockdep-cli -- ...`. See `docs/ci.md`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use lockdep::dump::{Dump, DumpError};
use lockdep::{Report, ReportKind};
use lockdep_cli::{self as tools, Baseline};

#[derive(Parser)]
#[command(
    name = "lockdep",
    version,
    about = "Show, merge, check and draw lockdep dumps (LOCKDEP_DUMP_DIR)",
    after_help = "Exit codes: 0 ok, 1 `check` found new reports, 2 bad input or usage."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the reports of the dumps as kernel-style splats.
    Show {
        /// Dump files, or directories of `*.json` dumps.
        #[arg(required = true, value_name = "DUMP")]
        dumps: Vec<PathBuf>,
        /// `text`: the splats; `json`: an array of the reports.
        #[arg(long, value_enum, default_value_t = ShowFormat::Text)]
        format: ShowFormat,
    },
    /// Union the class graphs of many processes and report the cycles no
    /// single process saw.
    Merge {
        /// Dump files, or directories of `*.json` dumps.
        #[arg(required = true, value_name = "DUMP")]
        dumps: Vec<PathBuf>,
        /// Write the merged dump here (default: stdout). The splats of the
        /// new cycles then go to stdout, else to stderr.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Merge the dumps and fail (exit 1) on reports not in the baseline.
    Check {
        /// Dump files, or directories of `*.json` dumps.
        #[arg(required = true, value_name = "DUMP")]
        dumps: Vec<PathBuf>,
        /// Known reports (matched by kind and class keys, not line numbers).
        #[arg(long, value_name = "FILE")]
        baseline: Option<PathBuf>,
        /// Record today's reports as the baseline in FILE and exit 0.
        #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
        write_baseline: Option<PathBuf>,
        /// Output: splats + summary, JSON, SARIF 2.1.0, or GitHub annotations.
        #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
        format: CheckFormat,
    },
    /// Print the class graph in Graphviz's DOT language, reported cycles in red.
    Dot {
        /// Dump files, or directories of `*.json` dumps.
        #[arg(required = true, value_name = "DUMP")]
        dumps: Vec<PathBuf>,
        /// Draw only the classes and edges of reported cycles.
        #[arg(long)]
        only_cycles: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ShowFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum CheckFormat {
    Text,
    Json,
    Sarif,
    Github,
}

/// What ends a command early: a message for stderr and an exit code.
struct Failure {
    message: String,
    code: u8,
}

impl From<DumpError> for Failure {
    fn from(e: DumpError) -> Failure {
        Failure {
            message: e.to_string(),
            code: 2,
        }
    }
}

fn io_failure(path: &Path, what: &str, e: std::io::Error) -> Failure {
    Failure {
        message: format!("{}: cannot {what}: {e}", path.display()),
        code: 2,
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version print to stdout and exit 0; usage errors
            // print to stderr and exit 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match run(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(f) => {
            eprintln!("lockdep: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn run(command: Command) -> Result<u8, Failure> {
    match command {
        Command::Show { dumps, format } => show(&read_all(&dumps)?, format),
        Command::Merge { dumps, output } => merge(&read_all(&dumps)?, output.as_deref()),
        Command::Check {
            dumps,
            baseline,
            write_baseline,
            format,
        } => check(
            &read_all(&dumps)?,
            baseline.as_deref(),
            write_baseline.as_deref(),
            format,
        ),
        Command::Dot { dumps, only_cycles } => {
            let merged = tools::merge(&read_all(&dumps)?);
            out(&tools::dot::dot(&merged, only_cycles))?;
            Ok(0)
        }
    }
}

/// The dump files named by `args`: files as given, directories expanded to
/// their `*.json` files (sorted; hidden files, such as a dump being written,
/// skipped).
fn dump_paths(args: &[PathBuf]) -> Result<Vec<PathBuf>, Failure> {
    let mut paths = Vec::new();
    for arg in args {
        if !arg.is_dir() {
            paths.push(arg.clone());
            continue;
        }
        let entries = std::fs::read_dir(arg).map_err(|e| io_failure(arg, "read directory", e))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && p.file_name()
                        .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
                    && p.is_file()
            })
            .collect();
        if found.is_empty() {
            return Err(Failure {
                message: format!("{}: no dumps (*.json) in this directory", arg.display()),
                code: 2,
            });
        }
        found.sort();
        paths.extend(found);
    }
    Ok(paths)
}

fn read_all(args: &[PathBuf]) -> Result<Vec<Dump>, Failure> {
    dump_paths(args)?
        .iter()
        .map(|p| Dump::read(p).map_err(Failure::from))
        .collect()
}

/// Writes to stdout; a closed pipe (`lockdep show x | head`) is not an error.
fn out(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure {
            message: format!("cannot write to stdout: {e}"),
            code: 2,
        }),
    }
}

fn json_text<T: serde::Serialize>(value: &T) -> String {
    // Plain data with string keys: serialisation cannot fail.
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

fn show(dumps: &[Dump], format: ShowFormat) -> Result<u8, Failure> {
    let reports: Vec<&Report> = dumps.iter().flat_map(|d| &d.reports).collect();
    match format {
        ShowFormat::Text => {
            let text: String = reports.iter().map(|r| r.splat()).collect();
            out(&text)?;
        }
        ShowFormat::Json => out(&json_text(&reports))?,
    }
    Ok(0)
}

fn merge(dumps: &[Dump], output: Option<&Path>) -> Result<u8, Failure> {
    let merged = tools::merge(dumps);
    let found = tools::merge::found_by_merge(&merged);
    let mut text: String = found.iter().map(|r| r.splat()).collect();
    text.push_str(&format!(
        "lockdep: merged {} dump(s) of {} process(es): {} report(s), {} found by merging\n",
        dumps.len(),
        merged.merged_from.len(),
        merged.reports.len(),
        found.len()
    ));
    match output {
        Some(path) => {
            merged
                .write_atomic(path)
                .map_err(|e| io_failure(path, "write", e))?;
            out(&text)?;
        }
        None => {
            let json = merged.to_json().map_err(|e| Failure {
                message: format!("lockdep merge: cannot serialise the merged dump: {e}"),
                code: 2,
            })?;
            out(&(json + "\n"))?;
            eprint!("{text}");
        }
    }
    Ok(0)
}

fn check(
    dumps: &[Dump],
    baseline: Option<&Path>,
    write_baseline: Option<&Path>,
    format: CheckFormat,
) -> Result<u8, Failure> {
    let merged = tools::merge(dumps);
    let reports = &merged.reports;
    if let Some(path) = write_baseline {
        let b = Baseline::from_reports(reports);
        b.write(path).map_err(|e| io_failure(path, "write", e))?;
        out(&format!(
            "lockdep: wrote {} report(s) to the baseline {}\n",
            b.reports.len(),
            path.display()
        ))?;
        return Ok(0);
    }
    let base = match baseline {
        Some(p) => Some(Baseline::read(p)?),
        None => None,
    };
    let is_known = |r: &Report| base.as_ref().is_some_and(|b| b.contains(&r.fingerprint()));
    let (new, known): (Vec<&Report>, Vec<&Report>) = reports.iter().partition(|r| !is_known(r));
    let stale = base.as_ref().map(|b| b.stale(reports)).unwrap_or_default();
    let mut summary = String::new();
    for e in &stale {
        summary.push_str(&format!(
            "lockdep: no longer seen (fixed? then refresh the baseline with --write-baseline): {} {}\n",
            e.kind,
            e.classes.join(" -> ")
        ));
    }
    summary.push_str(&format!(
        "lockdep: {} report(s), {} new, {} known (baseline)\n",
        reports.len(),
        new.len(),
        known.len()
    ));
    let baseline_name = baseline.map(|p| p.display().to_string());
    match format {
        CheckFormat::Text => {
            let mut text: String = new.iter().map(|r| r.splat()).collect();
            if !new.is_empty() {
                text.push('\n');
                for r in &new {
                    text.push_str(&format!("lockdep: new: {}\n", tools::summary(r)));
                }
            }
            text.push_str(&summary);
            out(&text)?;
        }
        CheckFormat::Json => {
            let value = serde_json::json!({
                "summary": {
                    "reports": reports.len(),
                    "new": new.len(),
                    "known": known.len(),
                    "stale": stale.len(),
                    "baseline": baseline_name,
                },
                "stale": stale,
                "new": new,
                "known": known,
            });
            out(&json_text(&value))?;
        }
        CheckFormat::Sarif => {
            let log = tools::sarif::sarif(reports, is_known, baseline_name.as_deref());
            out(&json_text(&log))?;
        }
        CheckFormat::Github => {
            let mut text = String::new();
            for r in &new {
                text.push_str(&tools::github::annotation(r, level(r)));
                text.push('\n');
            }
            text.push_str(&summary);
            out(&text)?;
        }
    }
    Ok(if new.is_empty() { 0 } else { 1 })
}

/// Annotation level: every report is a possible deadlock or a misuse, except
/// a capacity limit, which is a warning about the checker itself.
fn level(r: &Report) -> &'static str {
    if r.kind == ReportKind::CapacityReached {
        "warning"
    } else {
        "error"
    }
}
