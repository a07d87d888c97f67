//! Stack traces: captured raw on a new dependency, symbolised only when a
//! report or a dump is written (once per trace), with the checker's own
//! frames trimmed.

use std::panic::Location;
use std::sync::Arc;

use backtrace::Backtrace;
use std::sync::OnceLock;

/// A stack captured on the slow path: raw frames (cheap: a walk of return
/// addresses), symbolised at most once, the first time a report or a dump
/// needs it.
pub(crate) struct Trace {
    raw: Backtrace,
    symbols: OnceLock<Vec<String>>,
}

impl Trace {
    /// The trace as `function (file:line)` lines, symbolising it on first use.
    /// Never call with an internal lock held: symbolisation is slow.
    pub(crate) fn symbols(&self) -> &[String] {
        self.symbols.get_or_init(|| symbolise(&self.raw))
    }
}

impl std::fmt::Debug for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trace")
    }
}

/// `file:line:col`, the file without the machine-specific prefix of a
/// dependency's checkout (see [`crate::path::portable_path`]).
pub(crate) fn location(at: &Location<'_>) -> String {
    file_location(at.file(), at.line(), at.column())
}

/// [`location`] from its parts.
pub(crate) fn file_location(file: &str, line: u32, col: u32) -> String {
    format!("{}:{line}:{col}", crate::path::portable_path(file))
}

/// The most frames a trace keeps (the checker's own frames on top included):
/// capture is bounded in time and memory however deep the stack.
pub(crate) const MAX_FRAMES: usize = 64;

/// At most [`MAX_FRAMES`] raw frames of the current stack: a walk of return
/// addresses, no symbol lookup.
fn walk() -> Backtrace {
    let mut frames: Vec<backtrace::BacktraceFrame> = Vec::with_capacity(32);
    backtrace::trace(|frame| {
        frames.push(frame.clone().into());
        frames.len() < MAX_FRAMES
    });
    Backtrace::from(frames)
}

/// Raw frames of the current stack, unless capture is off (`LOCKDEP_BACKTRACE=0`).
pub(crate) fn capture() -> Option<Arc<Trace>> {
    crate::config::backtraces().then(|| {
        Arc::new(Trace {
            raw: walk(),
            symbols: OnceLock::new(),
        })
    })
}

/// The current stack, symbolised and trimmed.
pub(crate) fn current() -> Vec<String> {
    symbolise(&walk())
}

/// Symbolises `raw`: one `function (file:line)` string per frame, without the
/// frames of the checker and the capture machinery on top, and without the
/// runtime's start-up frames at the bottom.
fn symbolise(raw: &Backtrace) -> Vec<String> {
    let mut bt = raw.clone();
    bt.resolve();
    let mut frames = Vec::new();
    'frames: for frame in bt.frames() {
        for sym in frame.symbols() {
            let name = sym
                .name()
                .map(|n| format!("{n:#}"))
                .unwrap_or_else(|| "<unknown>".into());
            if is_bottom(&name) {
                break 'frames;
            }
            let text = match (sym.filename(), sym.lineno()) {
                (Some(file), Some(line)) => {
                    format!("{name} ({}:{line})", crate::site::display_path(file))
                }
                _ => name.clone(),
            };
            frames.push((is_internal(&name), text));
        }
    }
    // Innermost first: drop everything up to the outermost checker frame.
    let start = frames
        .iter()
        .rposition(|(internal, _)| *internal)
        .map_or(0, |i| i + 1);
    frames
        .into_iter()
        .skip(start)
        .map(|(_, text)| text)
        .collect()
}

/// Frames of the checker itself and of the unwinder.
fn is_internal(name: &str) -> bool {
    let name = name.trim_start_matches('<');
    name.starts_with("lockdep::") || name.starts_with("backtrace::")
}

/// Where the interesting part of a stack ends.
fn is_bottom(name: &str) -> bool {
    let name = name.trim_start_matches('<');
    name.contains("__rust_begin_short_backtrace")
        || name.starts_with("std::rt::lang_start")
        || name.starts_with("std::thread::lifecycle::")
        || name.starts_with("std::panicking::catch_unwind")
        || name.starts_with("std::panic::catch_unwind")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[inline(never)]
    fn deep(n: u32) -> Backtrace {
        if n == 0 {
            walk()
        } else {
            std::hint::black_box(deep(n - 1))
        }
    }

    #[test]
    fn capture_keeps_at_most_max_frames() {
        assert_eq!(deep(3 * MAX_FRAMES as u32).frames().len(), MAX_FRAMES);
        let shallow = deep(0).frames().len();
        assert!(shallow > 0 && shallow <= MAX_FRAMES);
    }
}
