//! The kernel-style text splat, as `kernel/locking/lockdep.c` prints it (format: `docs/report-format.md`).
//!
//! The layout is the kernel's, line for line. Rust stands in for kernel
//! things: `thread-name/id` for `comm/pid`, a lock object's instance number
//! (16 hex digits) for its address, `file:line:col` for the instruction
//! pointer after `at:`, symbolised Rust frames for stack entries. The kernel's
//! usage string and wait-type suffix (`{+.+.}-{0:0}`) describe irq states this
//! checker has no model of, so lock lines end at the class name:
//! `0000000000000007 (&mm->mmap_sem), at: src/mm.rs:12:9`.
//!
//! The identity line names the report's process (`lockdep 0.1.0 abba pid
//! 4242`), so a report read back from a dump renders exactly as it was
//! printed. A cycle `lockdep merge` found across processes adds
//! `(process name[pid])` to each chain entry's site line and prints its note
//! under "other info".

use std::fmt::Write as _;

use super::{LockRef, Report, ReportKind};
use crate::mode::Mode;

/// Renders `r` as the kernel prints it, starting with a blank line.
pub fn render(r: &Report) -> String {
    let mut out = String::new();
    let title = match r.kind {
        ReportKind::LocksHeldAtExit => format!("WARNING: {} {}", r.thread, r.kind.title()),
        ReportKind::CapacityReached => format!("BUG: {}", r.kind.title()),
        k => format!("WARNING: {}", k.title()),
    };
    let rule_len = match r.kind {
        ReportKind::LocksHeldAtExit => 36,
        _ => title.len(),
    };
    let _ = writeln!(
        out,
        "\n{}\n{title}\n{}\n{}",
        "=".repeat(rule_len),
        ident(r),
        "-".repeat(rule_len)
    );
    match r.kind {
        ReportKind::CircularDependency => circular(&mut out, r),
        ReportKind::RecursiveLocking => recursive(&mut out, r),
        ReportKind::BadUnlockBalance => bad_unlock(&mut out, r),
        ReportKind::HeldLockFreed => freed(&mut out, r),
        ReportKind::NestLockNotHeld => {
            not_holding(&mut out, r, "lock", "but this task is not holding")
        }
        ReportKind::LocksHeldAtExit => held_list(&mut out, r),
        ReportKind::SeqcountWriterWithoutLock => not_holding(
            &mut out,
            r,
            "begin a write section of",
            "but this task is not holding, for write, its serializing lock",
        ),
        ReportKind::ConcurrentSeqcountWriters => seqcount_concurrent(&mut out, r),
        ReportKind::BlockingLockHeldAcrossAwait => held_across_await(&mut out, r),
        ReportKind::CapacityReached => {
            let _ = writeln!(out, "{}", r.note.as_deref().unwrap_or(""));
        }
    }
    stack_backtrace(&mut out, r);
    out
}

/// The identity line under the title (the kernel's release/version/taint
/// line): the checker's version and the process the report happened in, so
/// that a report read back from a dump (`lockdep show`) renders as printed.
fn ident(r: &Report) -> String {
    format!(
        "lockdep {} {} pid {}",
        env!("CARGO_PKG_VERSION"),
        r.process.program,
        r.process.pid
    )
}

fn lock_line(l: &LockRef) -> String {
    format!("{:016x} ({}), at: {}", l.instance, l.class.name, l.location)
}

fn op(mode: Mode) -> &'static str {
    if mode.is_read() { "rlock" } else { "lock" }
}

fn circular(out: &mut String, r: &Report) {
    let (Some(next), Some(prev)) = (&r.acquiring, &r.holding) else {
        return;
    };
    let _ = write!(
        out,
        "{} is trying to acquire lock:\n{}\n\nbut task is already holding lock:\n{}\n\n\
         which lock already depends on the new lock.\n\n\nthe existing dependency chain (in reverse order) is:\n",
        r.thread,
        lock_line(next),
        lock_line(prev)
    );
    // A cycle `lockdep merge` found across processes says which process
    // recorded each edge; one found in-process does not repeat its own.
    let cross_process = r.chain.iter().any(|e| e.process != r.process);
    for e in &r.chain {
        let _ = writeln!(out, "\n-> #{} ({}):", e.index, e.class.name);
        if cross_process {
            let _ = writeln!(
                out,
                "       {} [{}] (process {})",
                e.location, e.thread, e.process
            );
        } else {
            let _ = writeln!(out, "       {} [{}]", e.location, e.thread);
        }
        for f in &e.stack {
            let _ = writeln!(out, "       {f}");
        }
    }
    out.push_str("\nother info that might help us debug this:\n\n");
    if let Some(note) = &r.note {
        let _ = write!(out, " {note}\n\n");
    }
    // chain[0] = prev (#N), chain[1] = C(N-1), last = next (#0).
    let parent = r
        .chain
        .get(1)
        .map(|e| e.class.name.as_str())
        .unwrap_or(&next.class.name);
    if r.chain.len() > 2 {
        let _ = write!(
            out,
            "Chain exists of:\n  {} --> {} --> {}\n\n",
            next.class.name, parent, prev.class.name
        );
    }
    let _ = write!(
        out,
        " Possible unsafe locking scenario:\n\n\
         \x20      CPU0                    CPU1\n\
         \x20      ----                    ----\n\
         \x20 {}({});\n\
         \x20                              lock({});\n\
         \x20                              lock({});\n\
         \x20 {}({});\n\n *** DEADLOCK ***\n\n",
        op(prev.mode),
        prev.class.name,
        parent,
        prev.class.name,
        op(next.mode),
        next.class.name
    );
    held_list(out, r);
}

fn recursive(out: &mut String, r: &Report) {
    let (Some(next), Some(prev)) = (&r.acquiring, &r.holding) else {
        return;
    };
    let _ = write!(
        out,
        "{} is trying to acquire lock:\n{}\n\nbut task is already holding lock:\n{}\n\n\
         other info that might help us debug this:\n Possible unsafe locking scenario:\n\n\
         \x20      CPU0\n       ----\n  lock({});\n  lock({});\n\n *** DEADLOCK ***\n\n\
         \x20May be due to missing lock nesting notation\n\n",
        r.thread,
        lock_line(next),
        lock_line(prev),
        prev.class.name,
        next.class.name
    );
    if let Some(note) = &r.note {
        for line in note.lines() {
            let _ = writeln!(out, " {line}");
        }
        out.push('\n');
    }
    held_list(out, r);
}

fn bad_unlock(out: &mut String, r: &Report) {
    let Some(l) = &r.acquiring else { return };
    let _ = write!(
        out,
        "{} is trying to release lock ({}) at:\n{}\nbut there are no more locks to release!\n\n\
         other info that might help us debug this:\n",
        r.thread,
        l.class.name,
        r.location.as_deref().unwrap_or(&l.location)
    );
    held_list(out, r);
}

fn freed(out: &mut String, r: &Report) {
    let Some(l) = &r.acquiring else { return };
    let _ = writeln!(
        out,
        "{} is freeing memory {:016x}-{:016x}, with a lock still held there!\n{}",
        r.thread,
        l.instance,
        l.instance,
        lock_line(l)
    );
    held_list(out, r);
}

/// `<thread> is trying to <doing>:` the lock, then `<missing>:` the lock
/// the thread should hold (the note), then the held locks.
fn not_holding(out: &mut String, r: &Report, doing: &str, missing: &str) {
    let Some(l) = &r.acquiring else { return };
    let _ = write!(
        out,
        "{} is trying to {doing}:\n{}\n\n{missing}:\n{}\n\nother info that might help us debug this:\n",
        r.thread,
        lock_line(l),
        r.note.as_deref().unwrap_or("?")
    );
    held_list(out, r);
}

fn seqcount_concurrent(out: &mut String, r: &Report) {
    let Some(l) = &r.acquiring else { return };
    let _ = write!(
        out,
        "{} is trying to begin a write section of:\n{}\n\nwhile {}.\n\n\
         other info that might help us debug this:\n",
        r.thread,
        lock_line(l),
        r.note.as_deref().unwrap_or("another writer is inside one")
    );
    held_list(out, r);
}

/// The kernel has no such report; it follows `sleeping function called from
/// invalid context`: who, what is held, where it waits.
fn held_across_await(out: &mut String, r: &Report) {
    let Some(l) = &r.acquiring else { return };
    let _ = write!(
        out,
        "{} is awaiting (its poll returned Pending) while holding a blocking lock:
{}

         the task was polled at: {}

         other info that might help us debug this:
          Another task on this worker that takes ({}) blocks the thread forever.
          Release the guard before .await, or use an async lock.

",
        r.thread,
        lock_line(l),
        r.location.as_deref().unwrap_or("?"),
        l.class.name
    );
    held_list(out, r);
}

/// `N locks held by name/id:` and one ` #i: ` line per lock.
fn held_list(out: &mut String, r: &Report) {
    match r.held.len() {
        0 => {
            let _ = writeln!(out, "no locks held by {}.", r.thread);
        }
        n => {
            let _ = writeln!(
                out,
                "{n} lock{} held by {}:",
                if n > 1 { "s" } else { "" },
                r.thread
            );
            for (i, l) in r.held.iter().enumerate() {
                let _ = writeln!(out, " #{i}: {}", lock_line(l));
            }
        }
    }
}

fn stack_backtrace(out: &mut String, r: &Report) {
    out.push_str("\nstack backtrace:\n");
    if r.stack.is_empty() {
        out.push_str(" (stack capture off: LOCKDEP_BACKTRACE=0)\n");
    }
    for f in &r.stack {
        let _ = writeln!(out, " {f}");
    }
}
