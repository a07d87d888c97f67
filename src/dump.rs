//! JSON dumps: everything this process knows (reports and class graph) in one
//! versioned document, for the `lockdep` command and other tools.
//!
//! - [`dump`] writes one on demand; [`Dump::current`] builds one in memory.
//! - With `LOCKDEP_DUMP_DIR=dir`, every process that uses a lock writes
//!   `dir/<program>-<pid>.json` after each new report and again at exit, so a
//!   crash or an abort loses nothing already reported. Every write is atomic
//!   (a temporary file in the same directory, then a rename): a reader never
//!   sees half a dump.
//! - [`Dump::read`] / [`Dump::parse`] read one back, with errors that name the
//!   file and the position.
//!
//! The format is documented in `docs/report-format.md` and described by the
//! JSON Schema `docs/schema/lockdep-dump-v1.schema.json`.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex as RawMutex;
use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

use crate::report::store::{self, Sink};
use crate::report::{self, ProcessInfo, Report};
use crate::snapshot::{self, GraphSnapshot};

/// The value of a dump's `format` field.
pub const FORMAT: &str = "lockdep-dump";
/// The schema version this crate writes and reads. It changes only when a
/// field is removed, renamed or changes type; readers ignore fields they do
/// not know, so adding a field keeps the version.
pub const VERSION: u32 = 1;

/// One process's reports and class graph (or, with `merged_from`, several
/// processes' as `lockdep merge` combined them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dump {
    /// Always [`FORMAT`].
    pub format: String,
    /// The schema version, [`VERSION`].
    pub version: u32,
    /// The process that wrote the dump.
    pub process: ProcessInfo,
    /// When it was written (RFC 3339, UTC).
    pub time: String,
    /// For a merged dump: the processes whose dumps went into it.
    pub merged_from: Vec<ProcessInfo>,
    /// Every report, in the order raised.
    pub reports: Vec<Report>,
    /// The class graph.
    pub graph: GraphSnapshot,
}

impl Dump {
    /// A dump of this process now, stacks symbolised.
    pub fn current() -> Dump {
        Dump {
            format: FORMAT.to_owned(),
            version: VERSION,
            process: ProcessInfo::current(),
            time: report::now(),
            merged_from: Vec::new(),
            reports: store::reports(),
            graph: snapshot::snapshot(true),
        }
    }

    /// The dump as pretty-printed JSON. An error only if a value cannot be
    /// represented (never for dumps this crate builds; checked, not assumed).
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string_pretty(self)
    }

    /// Writes the dump to `path` atomically: a temporary file next to it, then
    /// a rename over `path`.
    pub fn write_atomic(&self, path: &Path) -> std::io::Result<()> {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| String::from("dump.json"));
        let tmp = path.with_file_name(format!(
            ".{name}.{}.{}.tmp",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let result = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.to_json().map_err(std::io::Error::other)?.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()?;
            std::fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Reads and checks the dump in file `path`.
    pub fn read(path: &Path) -> Result<Dump, DumpError> {
        let origin = path.display().to_string();
        Dump::parse(&read_text(path, &origin)?, &origin)
    }

    /// Parses and checks a dump; `origin` names it in errors (a file name).
    pub fn parse(text: &str, origin: &str) -> Result<Dump, DumpError> {
        let mut dump: Dump = parse_versioned(text, origin, "dump", FORMAT, VERSION)?;
        // `title` was added within version 1: a dump without it gets the kind's.
        for r in &mut dump.reports {
            if r.title.is_empty() {
                r.title = r.kind.title().to_owned();
            }
        }
        Ok(dump)
    }
}

/// The text of file `path` (`origin` names it in the error).
pub fn read_text(path: &Path, origin: &str) -> Result<String, DumpError> {
    std::fs::read_to_string(path).map_err(|e| DumpError {
        file: origin.to_owned(),
        line: 0,
        column: 0,
        message: format!("cannot read: {e}"),
    })
}

/// Parses a versioned JSON document of ours (a dump, a baseline): checks
/// that it is a non-empty JSON object whose `"format"` is `format` and whose
/// `"version"` is `version` before reading it as a `T`, so every error says
/// what is wrong (`what` names the kind of document) and, where the problem
/// is at one place, its line and column.
pub fn parse_versioned<T: serde::de::DeserializeOwned>(
    text: &str,
    origin: &str,
    what: &str,
    format: &str,
    version: u32,
) -> Result<T, DumpError> {
    #[derive(Deserialize)]
    struct Header {
        format: Option<serde_json::Value>,
        version: Option<serde_json::Value>,
    }
    let at = |e: serde_json::Error| DumpError::from_json(origin, e);
    let no_pos = |message: String| DumpError {
        file: origin.to_owned(),
        line: 0,
        column: 0,
        message,
    };
    if text.trim().is_empty() {
        return Err(no_pos(format!(
            "empty file: expected a lockdep {what} (JSON)"
        )));
    }
    if !text.trim_start().starts_with('{') {
        // Syntax errors first; valid JSON that is not an object (serde
        // would read an array as a struct's fields in order) is not ours.
        serde_json::from_str::<serde::de::IgnoredAny>(text).map_err(at)?;
        return Err(no_pos(format!(
            "not a lockdep {what}: the document is not a JSON object"
        )));
    }
    let header: Header = serde_json::from_str(text).map_err(at)?;
    match header.format {
        Some(serde_json::Value::String(f)) if f == format => {}
        Some(other) => {
            return Err(no_pos(format!(
                "not a lockdep {what}: \"format\" is {other}, expected \"{format}\""
            )));
        }
        None => {
            return Err(no_pos(format!(
                "not a lockdep {what}: no \"format\": \"{format}\" field"
            )));
        }
    }
    match header.version {
        Some(v) if v.as_u64() == Some(u64::from(version)) => {}
        Some(v) => {
            return Err(no_pos(format!(
                "unsupported schema version {v}: this lockdep reads version {version}"
            )));
        }
        None => return Err(no_pos(String::from("no \"version\" field"))),
    }
    serde_json::from_str(text).map_err(at)
}

/// Why a dump (or another JSON input of the `lockdep` command) could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DumpError {
    /// The file.
    pub file: String,
    /// 1-based line of the problem, 0 if it is not about one place.
    pub line: usize,
    /// 1-based column, 0 if unknown.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl DumpError {
    /// Wraps a JSON error, keeping its position.
    pub fn from_json(file: &str, e: serde_json::Error) -> DumpError {
        use serde_json::error::Category;
        let what = match e.classify() {
            Category::Eof => "truncated file: unexpected end of JSON".to_owned(),
            Category::Syntax => format!("not valid JSON: {}", strip_position(&e)),
            Category::Data => format!("wrong field type or value: {}", strip_position(&e)),
            Category::Io => format!("cannot read: {}", strip_position(&e)),
        };
        DumpError {
            file: file.to_owned(),
            line: e.line(),
            column: e.column(),
            message: what,
        }
    }
}

/// serde_json's message without its trailing ` at line L column C`.
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for DumpError {}

/// Writes a dump of this process to `path` (atomically).
pub fn dump(path: impl AsRef<Path>) -> std::io::Result<()> {
    Dump::current().write_atomic(path.as_ref())
}

// ===== LOCKDEP_DUMP_DIR =====

/// `LOCKDEP_DUMP_DIR/<program>-<pid>.json`, if the variable is set.
static AUTO_PATH: LazyLock<Option<PathBuf>> = LazyLock::new(|| {
    let dir = std::env::var_os("LOCKDEP_DUMP_DIR").filter(|d| !d.is_empty())?;
    let dir = PathBuf::from(dir);
    if let Err(e) = std::fs::create_dir_all(&dir) {
        crate::config::stderr(format_args!(
            "lockdep: LOCKDEP_DUMP_DIR={}: cannot create the directory: {e}; no dumps will be written\n",
            dir.display()
        ));
        return None;
    }
    let p = ProcessInfo::current();
    Some(dir.join(format!("{}-{}.json", p.program, p.pid)))
});

/// Serialises automatic dumps (an internal lock, held while taking the
/// snapshot and writing the file; taken before any other internal lock and
/// never while one is held).
static AUTO_LOCK: RawMutex<()> = RawMutex::new(());

/// The `LOCKDEP_DUMP_DIR` writer as a report sink: rewrites the dump after
/// each new report.
pub(crate) struct AutoDump;

impl Sink for AutoDump {
    fn stored(&self, _report: &Report, _splat: &str) {
        write_auto();
    }
}

/// Called once at start-up (the process's first lock event): arranges the
/// dump at exit.
pub(crate) fn init() {
    if AUTO_PATH.is_none() {
        return;
    }
    unsafe extern "C" {
        fn atexit(f: extern "C" fn()) -> std::ffi::c_int;
    }
    extern "C" fn at_exit() {
        // Never unwind out of an `extern "C"` function.
        let _ = std::panic::catch_unwind(write_auto);
    }
    // SAFETY: `atexit` is the C library's; registering a plain `extern "C"`
    // function with no arguments is its documented use, and `at_exit` cannot
    // unwind (it catches panics).
    let rc = unsafe { atexit(at_exit) };
    if rc != 0 {
        crate::config::stderr(format_args!(
            "lockdep: cannot register the exit-time dump (atexit failed)\n"
        ));
    }
}

/// Writes the automatic dump, if `LOCKDEP_DUMP_DIR` is set (after each new
/// report and at exit). Errors are printed, never raised.
pub(crate) fn write_auto() {
    let Some(path) = AUTO_PATH.as_ref() else {
        return;
    };
    // Take the snapshot under the lock too: two threads reporting at once
    // must not write their dumps in the opposite order of their snapshots, or
    // the older one (missing the newer report) would be left on disk.
    let written = {
        let _serial = AUTO_LOCK.lock();
        Dump::current().write_atomic(path)
    };
    if let Err(e) = written {
        crate::config::stderr(format_args!(
            "lockdep: cannot write dump {}: {e}\n",
            path.display()
        ));
    }
}
