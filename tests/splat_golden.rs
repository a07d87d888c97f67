//! Golden-structure tests of the text splats against the kernel layout
//! (kernel-lockdep.md §6). Each splat is normalised (instance numbers, thread
//! ids, pid, columns, stack frames) and compared with its golden file,
//! `tests/golden/<name>.txt`; line numbers of lock sites are checked exactly.
//!
//! After an intended change of the splat text, re-bless the golden files with
//! `LOCKDEP_BLESS=1 cargo test --test splat_golden` and review
//! `git diff tests/golden/` (docs/testing.md).

// Compiled out, a lock has no `Drop` of its own: these tests drop locks on
// purpose (and are ignored in that build).
#![cfg_attr(lockdep_off, allow(clippy::drop_non_drop))]

mod common;

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};

use common::run_named;
use lockdep::{LockClass, LockMap, Mutex, Report, ReportKind, RwLock};

/// Runs `f` on a thread called `name` and returns the one report naming `class`.
fn report_on(name: &str, class: &str, f: impl FnOnce() + Send + 'static) -> Report {
    run_named(name, f);
    let found: Vec<Report> = lockdep::reports()
        .into_iter()
        .filter(|r| r.classes().contains(&class) || r.held.iter().any(|l| l.class.name == class))
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    found.into_iter().next().unwrap()
}

/// Replaces 16-hex-digit instance numbers with `<inst>`, `name/<digits>` with
/// `name/<tid>` for the given thread names, this file's `file:line:col` with
/// `file:line:<col>` and the identity line with `<ident>`; takes the stack
/// frame lines out (a chain entry's frames become nothing, the backtrace
/// becomes `<frames>`) and returns them per section: one list per `-> #k`
/// entry in order, then the final backtrace.
fn normalise(splat: &str, threads: &[&str]) -> (String, Vec<Vec<String>>) {
    let mut out = Vec::new();
    let mut sections: Vec<Vec<String>> = Vec::new();
    let mut in_entry = false; // after "-> #k (..):" until the blank line
    let mut in_backtrace = false;
    for (i, line) in splat.split('\n').enumerate() {
        if i == 3 {
            // <ident>: "lockdep <version> <program> pid <pid>"
            let parts: Vec<&str> = line.split(' ').collect();
            assert_eq!(parts.len(), 5, "ident line {line:?}");
            assert_eq!(parts[0], "lockdep");
            assert_eq!(parts[1], env!("CARGO_PKG_VERSION"));
            assert!(parts[2].starts_with("splat_golden"), "{line}");
            assert_eq!(parts[3], "pid");
            assert_eq!(parts[4], std::process::id().to_string());
            out.push("<ident>".to_string());
            continue;
        }
        if in_backtrace {
            if !line.is_empty() {
                assert!(line.starts_with(' '), "backtrace line {line:?}");
                sections.last_mut().unwrap().push(line.trim().to_string());
            }
            continue;
        }
        if line == "stack backtrace:" {
            in_backtrace = true;
            sections.push(Vec::new());
            out.push(line.to_string());
            out.push("<frames>".to_string());
            continue;
        }
        if line.starts_with("-> #") {
            in_entry = true;
            sections.push(Vec::new());
            out.push(norm_line(line, threads));
            continue;
        }
        if in_entry {
            if line.is_empty() {
                in_entry = false;
            } else if line.starts_with("       ") && !line.ends_with(']') {
                sections.last_mut().unwrap().push(line.trim().to_string());
                continue;
            }
        }
        out.push(norm_line(line, threads));
    }
    let mut text = out.join("\n");
    if splat.ends_with('\n') {
        text.push('\n');
    }
    (text, sections)
}

fn norm_line(line: &str, threads: &[&str]) -> String {
    let mut s = line.to_string();
    // Instance numbers: any run of exactly 16 hex digits.
    let mut res = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let run = chars[i..]
            .iter()
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        let boundary_before = i == 0 || !chars[i - 1].is_ascii_alphanumeric();
        let boundary_after = chars
            .get(i + run)
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if run == 16 && boundary_before && boundary_after {
            res.push_str("<inst>");
            i += run;
        } else if run > 0 {
            res.extend(&chars[i..i + run]);
            i += run;
        } else {
            res.push(chars[i]);
            i += 1;
        }
    }
    s = res;
    // Thread ids.
    for t in threads {
        let pat = format!("{t}/");
        let mut res = String::new();
        let mut rest = s.as_str();
        while let Some(p) = rest.find(&pat) {
            res.push_str(&rest[..p + pat.len()]);
            rest = &rest[p + pat.len()..];
            let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
            if digits > 0 {
                res.push_str("<tid>");
                rest = &rest[digits..];
            }
        }
        res.push_str(rest);
        s = res;
    }
    // Columns of this file's locations.
    let file = concat!(file!(), ":");
    let mut res = String::new();
    let mut rest = s.as_str();
    while let Some(p) = rest.find(file) {
        res.push_str(&rest[..p + file.len()]);
        rest = &rest[p + file.len()..];
        let line_digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        res.push_str(&rest[..line_digits]);
        rest = &rest[line_digits..];
        if let Some(after) = rest.strip_prefix(':') {
            let col = after.chars().take_while(|c| c.is_ascii_digit()).count();
            if col > 0 {
                res.push_str(":<col>");
                rest = &after[col..];
            }
        }
    }
    res.push_str(rest);
    res
}

/// The rules are as long as the title line (kernel-lockdep.md §6.0).
fn check_rules(splat: &str, title: &str, rule_len: usize) {
    let lines: Vec<&str> = splat.split('\n').collect();
    assert_eq!(lines[0], "", "a splat starts with a blank line");
    assert_eq!(lines[1], "=".repeat(rule_len));
    assert_eq!(lines[2], title);
    assert_eq!(lines[4], "-".repeat(rule_len));
}

/// The backtrace starts in user code: the checker's own frames are trimmed.
fn check_frames(frames: &[String], user_fn: &str) {
    assert!(
        frames.iter().any(|f| f.contains(user_fn)),
        "a frame of {user_fn} in {frames:#?}"
    );
    assert!(
        !frames
            .iter()
            .any(|f| f.starts_with("lockdep::") || f.starts_with("<lockdep::")),
        "checker frames are trimmed: {frames:#?}"
    );
}

/// Normalises `splat` ([`normalise`]) and compares it with
/// `tests/golden/<golden>.txt` (`common::golden`; re-bless with
/// `LOCKDEP_BLESS=1 cargo test --test splat_golden`). In the golden file a
/// lock site of this file is `tests/splat_golden.rs:<NAME>:<col>`, NAME being
/// one of `lines`, so that the file does not change when this one moves and
/// line numbers are still checked exactly: every site of this file in the
/// splat must be on one of the named lines. Returns the stack frames per
/// section, as [`normalise`] does.
fn assert_golden_splat(
    golden: &str,
    splat: &str,
    threads: &[&str],
    lines: &[(&str, u32)],
) -> Vec<Vec<String>> {
    let (mut norm, frames) = normalise(splat, threads);
    let file = file!();
    for (i, (name, line)) in lines.iter().enumerate() {
        assert!(
            lines[..i].iter().all(|(_, other)| other != line),
            "the named lines must differ: {lines:?}"
        );
        norm = norm.replace(&format!("{file}:{line}:"), &format!("{file}:<{name}>:"));
    }
    let unnamed = format!("{file}:");
    let stray = norm
        .match_indices(&unnamed)
        .map(|(at, _)| &norm[at + unnamed.len()..])
        .find(|rest| rest.starts_with(|c: char| c.is_ascii_digit()));
    assert!(
        stray.is_none(),
        "a site of this file on none of the lines {lines:?}:\n{splat}"
    );
    common::golden::check(golden, &norm);
    frames
}

// ===== possible circular locking dependency detected =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn circular_two_classes_exact_layout() {
    static A: LockClass = LockClass::new("golden2::A");
    static B: LockClass = LockClass::new("golden2::B");
    static LOCKS: (Mutex<()>, Mutex<()>) = (Mutex::with_class((), &A), Mutex::with_class((), &B));
    static LINES: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());
    fn first() {
        let (a, b) = &LOCKS;
        let _ga = a.lock();
        let (_gb, l) = (b.lock(), line!());
        LINES.lock().unwrap().push(l);
    }
    fn second() {
        let (a, b) = &LOCKS;
        let (_gb, l1) = (b.lock(), line!());
        let (_ga, l2) = (a.lock(), line!());
        LINES.lock().unwrap().extend([l1, l2]);
    }
    run_named("golden2-t1", first);
    let r = report_on("golden2-t2", "golden2::A", second);
    assert_eq!(r.kind, ReportKind::CircularDependency);
    let lines = LINES.lock().unwrap().clone();
    let (edge_b, held_b, acq_a) = (lines[0], lines[1], lines[2]);

    let splat = r.splat();
    check_rules(
        &splat,
        "WARNING: possible circular locking dependency detected",
        54,
    );
    let frames = assert_golden_splat(
        "circular-two-classes",
        &splat,
        &["golden2-t1", "golden2-t2"],
        &[("edge_b", edge_b), ("held_b", held_b), ("acq_a", acq_a)],
    );
    assert_eq!(frames.len(), 3, "two chain entries and the backtrace");
    check_frames(
        &frames[0],
        "splat_golden::circular_two_classes_exact_layout::first",
    );
    check_frames(
        &frames[2],
        "splat_golden::circular_two_classes_exact_layout::second",
    );
    // #0's trace is the current stack (the same as the backtrace).
    assert_eq!(frames[1], frames[2]);
    // The held lock in the listing is the same object as "already holding".
    let held = r.holding.as_ref().unwrap();
    assert!(splat.contains(&format!(" #0: {:016x} (golden2::B)", held.instance)));
    assert!(splat.contains(&format!(
        "{:016x} (golden2::A)",
        r.acquiring.as_ref().unwrap().instance
    )));
}

/// Three classes over three threads: the chain has three entries and the
/// scenario is preceded by `Chain exists of:` (kernel-lockdep.md §6.1, Example B).
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn circular_three_classes_layout() {
    static A: LockClass = LockClass::new("golden3::A");
    static B: LockClass = LockClass::new("golden3::B");
    static C: LockClass = LockClass::new("golden3::C");
    static LOCKS: (Mutex<()>, Mutex<()>, Mutex<()>) = (
        Mutex::with_class((), &A),
        Mutex::with_class((), &B),
        Mutex::with_class((), &C),
    );
    static LINES: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());
    fn ab() {
        let _a = LOCKS.0.lock();
        let (_b, l) = (LOCKS.1.lock(), line!());
        LINES.lock().unwrap().push(l);
    }
    fn bc() {
        let _b = LOCKS.1.lock();
        let (_c, l) = (LOCKS.2.lock(), line!());
        LINES.lock().unwrap().push(l);
    }
    fn ca() {
        let (_c, l1) = (LOCKS.2.lock(), line!());
        let (_a, l2) = (LOCKS.0.lock(), line!());
        LINES.lock().unwrap().extend([l1, l2]);
    }
    for (name, f) in [("golden3-ab", ab as fn()), ("golden3-bc", bc)] {
        run_named(name, f);
    }
    let r = report_on("golden3-ca", "golden3::A", ca);
    assert_eq!(r.kind, ReportKind::CircularDependency);
    let l = LINES.lock().unwrap().clone();
    let (edge_b, edge_c, held_c, acq_a) = (l[0], l[1], l[2], l[3]);
    let splat = r.splat();
    check_rules(
        &splat,
        "WARNING: possible circular locking dependency detected",
        54,
    );
    let frames = assert_golden_splat(
        "circular-three-classes",
        &splat,
        &["golden3-ab", "golden3-bc", "golden3-ca"],
        &[
            ("edge_b", edge_b),
            ("edge_c", edge_c),
            ("held_c", held_c),
            ("acq_a", acq_a),
        ],
    );
    assert_eq!(frames.len(), 4);
    check_frames(
        &frames[0],
        "splat_golden::circular_three_classes_layout::bc",
    );
    check_frames(
        &frames[1],
        "splat_golden::circular_three_classes_layout::ab",
    );
    check_frames(
        &frames[3],
        "splat_golden::circular_three_classes_layout::ca",
    );
}

/// Reader in the cycle (rwsem_ABBA-like): the held lock was taken with
/// `read`, so CPU0's first line is `rlock(...)`; the kernel prints CPU1's
/// lines with `lock(` unconditionally (print_circular_lock_scenario,
/// kernel-lockdep.md §6.1), and CPU0's last line is `lock(` for a writer.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn circular_with_reader_held_scenario_table() {
    static X: LockClass = LockClass::new("goldenr::X");
    static Y: LockClass = LockClass::new("goldenr::Y");
    static X_LOCK: RwLock<()> = RwLock::with_class((), &X);
    static Y_LOCK: Mutex<()> = Mutex::with_class((), &Y);
    run_named("goldenr-t0", || {
        let _y = Y_LOCK.lock();
        let _x = X_LOCK.write();
    });
    let r = report_on("goldenr-t1", "goldenr::X", || {
        let _x = X_LOCK.read();
        let _y = Y_LOCK.lock();
    });
    assert_eq!(r.classes(), ["goldenr::X", "goldenr::Y"]);
    let splat = r.splat();
    let table = "       CPU0                    CPU1
       ----                    ----
  rlock(goldenr::X);
                               lock(goldenr::Y);
                               lock(goldenr::X);
  lock(goldenr::Y);

 *** DEADLOCK ***
";
    assert!(splat.contains(table), "expected\n{table}\nin\n{splat}");
}

/// The parts of the reader scenario that already follow the kernel.
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn circular_with_reader_held_marks_the_reader() {
    static X: LockClass = LockClass::new("goldenr2::X");
    static Y: LockClass = LockClass::new("goldenr2::Y");
    static X_LOCK: RwLock<()> = RwLock::with_class((), &X);
    static Y_LOCK: Mutex<()> = Mutex::with_class((), &Y);
    run_named("goldenr2-t0", || {
        let _x = X_LOCK.write();
        let _y = Y_LOCK.lock();
    });
    // Held Y (writer), acquiring X as a non-recursive reader.
    let r = report_on("goldenr2-t1", "goldenr2::X", || {
        let _y = Y_LOCK.lock();
        let _x = X_LOCK.read();
    });
    assert_eq!(r.classes(), ["goldenr2::Y", "goldenr2::X"]);
    let splat = r.splat();
    let table = "       CPU0                    CPU1
       ----                    ----
  lock(goldenr2::Y);
                               lock(goldenr2::X);
                               lock(goldenr2::Y);
  rlock(goldenr2::X);

 *** DEADLOCK ***
";
    assert!(splat.contains(table), "expected\n{table}\nin\n{splat}");
}

// ===== possible recursive locking detected =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn recursive_locking_exact_layout() {
    static R: LockClass = LockClass::new("goldenrec::R");
    static LINES: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());
    fn twice() {
        let a = Mutex::with_class((), &R);
        let b = Mutex::with_class((), &R);
        let (_ga, l1) = (a.lock(), line!());
        let (_gb, l2) = (b.lock(), line!());
        LINES.lock().unwrap().extend([l1, l2]);
    }
    let r = report_on("goldenrec-t", "goldenrec::R", twice);
    assert_eq!(r.kind, ReportKind::RecursiveLocking);
    let l = LINES.lock().unwrap().clone();
    let splat = r.splat();
    check_rules(&splat, "WARNING: possible recursive locking detected", 44);
    let frames = assert_golden_splat(
        "recursive-locking",
        &splat,
        &["goldenrec-t"],
        &[("first", l[0]), ("second", l[1])],
    );
    assert_eq!(frames.len(), 1);
    check_frames(
        &frames[0],
        "splat_golden::recursive_locking_exact_layout::twice",
    );
    // Two different objects: two different instance numbers.
    assert_ne!(
        r.holding.as_ref().unwrap().instance,
        r.acquiring.as_ref().unwrap().instance
    );
}

/// The kernel's print_deadlock_scenario prints `lock(` for both lines, also
/// for readers (kernel-lockdep.md §6.2).
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn recursive_read_read_scenario_uses_lock() {
    static R: LockClass = LockClass::new("goldenrec-rr::R");
    let r = report_on("goldenrec-rr", "goldenrec-rr::R", || {
        let a = RwLock::with_class((), &R);
        let b = RwLock::with_class((), &R);
        let _ga = a.read();
        let _gb = b.read();
    });
    let splat = r.splat();
    let table = "       CPU0
       ----
  lock(goldenrec-rr::R);
  lock(goldenrec-rr::R);

 *** DEADLOCK ***
";
    assert!(splat.contains(table), "expected\n{table}\nin\n{splat}");
}

// ===== bad unlock balance detected! =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn bad_unlock_exact_layout() {
    static U: LockMap = LockMap::new("goldenunl::U");
    static HELD: LockClass = LockClass::new("goldenunl::held");
    static LINES: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());
    fn unbalanced() {
        let m = Mutex::with_class((), &HELD);
        let (_g, l1) = (m.lock(), line!());
        let ((), l2) = (U.unlock(), line!());
        LINES.lock().unwrap().extend([l1, l2]);
    }
    let r = report_on("goldenunl-t", "goldenunl::U", unbalanced);
    assert_eq!(r.kind, ReportKind::BadUnlockBalance);
    let l = LINES.lock().unwrap().clone();
    let splat = r.splat();
    check_rules(&splat, "WARNING: bad unlock balance detected!", 37);
    let frames = assert_golden_splat(
        "bad-unlock",
        &splat,
        &["goldenunl-t"],
        &[("held", l[0]), ("unlock", l[1])],
    );
    check_frames(
        &frames[0],
        "splat_golden::bad_unlock_exact_layout::unbalanced",
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn bad_unlock_with_nothing_held_says_no_locks_held() {
    static U: LockMap = LockMap::new("goldenunl0::U");
    static LINE: AtomicU32 = AtomicU32::new(0);
    let r = report_on("goldenunl0-t", "goldenunl0::U", || {
        let ((), l) = (U.unlock(), line!());
        LINE.store(l, Relaxed);
    });
    assert_eq!(r.kind, ReportKind::BadUnlockBalance);
    assert_golden_splat(
        "bad-unlock-nothing-held",
        &r.splat(),
        &["goldenunl0-t"],
        &[("unlock", LINE.load(Relaxed))],
    );
}

// ===== held lock freed! =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn held_lock_freed_exact_layout() {
    static OUTER: LockClass = LockClass::new("goldenfree::outer");
    static FREED: LockClass = LockClass::new("goldenfree::F");
    static LINES: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());
    fn free_held() {
        let outer = Mutex::with_class((), &OUTER);
        let (_o, l1) = (outer.lock(), line!());
        let m = Mutex::with_class(0u8, &FREED);
        let ((), l2) = (std::mem::forget(m.lock()), line!());
        drop(m);
        LINES.lock().unwrap().extend([l1, l2]);
    }
    let r = report_on("goldenfree-t", "goldenfree::F", free_held);
    assert_eq!(r.kind, ReportKind::HeldLockFreed);
    let l = LINES.lock().unwrap().clone();
    let splat = r.splat();
    check_rules(&splat, "WARNING: held lock freed!", 25);
    let inst = format!("{:016x}", r.acquiring.as_ref().unwrap().instance);
    assert!(
        splat.contains(&format!(
            "is freeing memory {inst}-{inst}, with a lock still held there!\n{inst} (goldenfree::F)"
        )),
        "{splat}"
    );
    let frames = assert_golden_splat(
        "held-lock-freed",
        &splat,
        &["goldenfree-t"],
        &[("outer", l[0]), ("freed", l[1])],
    );
    check_frames(
        &frames[0],
        "splat_golden::held_lock_freed_exact_layout::free_held",
    );
}

// ===== still has locks held! (thread exit) =====

fn exit_report(thread_name: &'static str, class: &'static str) -> (Report, u32) {
    let map: &'static LockMap = Box::leak(Box::new(LockMap::new(class)));
    let line = run_named(thread_name, move || {
        let (_, l) = (map.lock(lockdep::Mode::Exclusive, 0, None), line!());
        l
    });
    let found: Vec<Report> = lockdep::reports()
        .into_iter()
        .filter(|r| r.held.iter().any(|h| h.class.name == class))
        .collect();
    assert_eq!(found.len(), 1, "{found:#?}");
    (found.into_iter().next().unwrap(), line)
}

/// The whole report, ending like the others with `\nstack backtrace:\n` and a
/// dump (kernel-lockdep.md §6.7).
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn locks_held_at_exit_layout() {
    let (r, line) = exit_report("goldenexit-t", "goldenexit::M");
    assert_eq!(r.kind, ReportKind::LocksHeldAtExit);
    let splat = r.splat();
    // The title carries the thread; the rules are fixed at 36 characters.
    let title = format!(
        "WARNING: goldenexit-t/{} still has locks held!",
        r.thread.id
    );
    check_rules(&splat, &title, 36);
    assert_golden_splat(
        "locks-held-at-exit",
        &splat,
        &["goldenexit-t"],
        &[("lock", line)],
    );
}

// ===== Nested lock was not taken =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn nest_lock_not_held_layout() {
    static NEST: LockMap = LockMap::new("goldennest::nest");
    static ITEM: LockMap = LockMap::new("goldennest::item");
    static LINE: AtomicU32 = AtomicU32::new(0);
    let r = report_on("goldennest-t", "goldennest::item", || {
        let (_, l) = (ITEM.lock(lockdep::Mode::Exclusive, 0, Some(&NEST)), line!());
        LINE.store(l, Relaxed);
        ITEM.unlock();
    });
    assert_eq!(r.kind, ReportKind::NestLockNotHeld);
    let splat = r.splat();
    check_rules(&splat, "WARNING: Nested lock was not taken", 34);
    let frames = assert_golden_splat(
        "nest-lock-not-held",
        &splat,
        &["goldennest-t"],
        &[("lock", LINE.load(Relaxed))],
    );
    check_frames(&frames[0], "splat_golden::nest_lock_not_held_layout");
}
