//! The speculative-page-fault cycle (issue 3), two ways:
//!
//! - `examples/spf.rs` itself, run as a child process in each of its three
//!   modes, with assertions on the kernel-style splat it prints;
//! - the same three models written here with lockdep types (same class
//!   names, threads run one after another), with assertions on
//!   `lockdep::reports()`: kinds and the classes of each cycle in order.
//!
//! The example is also compiled into this test as a module, so a change that
//! breaks it fails here too. Its items are private to it, hence the child
//! process for running it.

mod common;
use common::run_named;
use common::serial_reset as serial;

#[path = "../examples/spf.rs"]
#[allow(dead_code)]
mod spf;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use lockdep::{LockClass, LockMap, Mode, ReportKind, RwLock, SeqCount};

// ===== the example as a child process =====

/// Runs the `spf` example with `mode` as its argument. The example is built
/// once (`cargo build --example spf`), then its binary is run directly (the
/// same as `cargo run -q --example spf -- <mode>`, without a cargo per run).
fn run_example(mode: Option<&str>) -> Output {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    let exe = EXE.get_or_init(|| {
        let out = Command::new(env!("CARGO"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "-q", "--example", "spf", "--message-format=json"])
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "building the example failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "spf")
            .find_map(|m| m["executable"].as_str().map(PathBuf::from))
            .expect("cargo names the example's executable")
    });
    let mut cmd = Command::new(exe);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("LOCKDEP_ON_REPORT")
        .env("LOCKDEP", "1")
        .env("LOCKDEP_BACKTRACE", "1");
    if let Some(m) = mode {
        cmd.arg(m);
    }
    cmd.output().expect("run the spf example")
}

fn text(out: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const CIRCULAR: &str = "WARNING: possible circular locking dependency detected";

/// Index of the first line at or after `from` satisfying `pred`; panics with
/// the whole splat otherwise.
fn find_line(lines: &[&str], from: usize, what: &str, pred: impl Fn(&str) -> bool) -> usize {
    match lines[from..].iter().position(|l| pred(l)) {
        Some(i) => from + i,
        None => panic!(
            "expected {what} after line {from}, in:\n{}",
            lines.join("\n")
        ),
    }
}

/// `name/N is trying to acquire lock:` with N a number.
fn is_task_line(l: &str, task: &str, tail: &str) -> bool {
    l.strip_prefix(task)
        .and_then(|r| r.strip_prefix('/'))
        .and_then(|r| r.strip_suffix(tail))
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn example_kernel_mode_prints_the_kernels_splat() {
    for mode in [None, Some("kernel")] {
        let out = run_example(mode);
        let (stdout, stderr) = text(&out);
        assert!(
            out.status.success(),
            "exit status: {:?}\n{stderr}",
            out.status
        );
        assert_eq!(
            stderr.matches(CIRCULAR).count(),
            1,
            "exactly one circular splat:\n{stderr}"
        );
        assert_eq!(stderr.matches("WARNING:").count(), 1, "{stderr}");
        let lines: Vec<&str> = stderr.lines().collect();

        let mut i = find_line(&lines, 0, "the title", |l| l == CIRCULAR);
        i = find_line(&lines, i, "the acquiring task", |l| {
            is_task_line(l, "khugepaged", " is trying to acquire lock:")
        });
        assert!(
            lines[i + 1].contains("(&mapping->i_mmap_rwsem)"),
            "lock being acquired: {:?}",
            lines[i + 1]
        );
        i = find_line(&lines, i, "the held lock", |l| {
            l == "but task is already holding lock:"
        });
        assert!(
            lines[i + 1].contains("(fs_reclaim)"),
            "held lock: {:?}",
            lines[i + 1]
        );

        for entry in [
            "-> #3 (fs_reclaim):",
            "-> #2 (&vma->vm_sequence/1):",
            "-> #1 (&vma->vm_sequence):",
            "-> #0 (&mapping->i_mmap_rwsem):",
        ] {
            i = find_line(&lines, i, entry, |l| l == entry);
        }
        assert_eq!(stderr.matches("-> #").count(), 4, "{stderr}");

        i = find_line(&lines, i, "Chain exists of:", |l| l == "Chain exists of:");
        assert_eq!(
            lines[i + 1],
            "  &mapping->i_mmap_rwsem --> &vma->vm_sequence/1 --> fs_reclaim"
        );

        i = find_line(&lines, i, "the scenario header", |l| {
            l.trim() == "Possible unsafe locking scenario:"
        });
        let table = [
            "       CPU0                    CPU1",
            "       ----                    ----",
            "  lock(fs_reclaim);",
            "                               lock(&vma->vm_sequence/1);",
            "                               lock(fs_reclaim);",
            "  rlock(&mapping->i_mmap_rwsem);",
        ];
        let start = find_line(&lines, i, "the CPU table", |l| l == table[0]);
        assert_eq!(&lines[start..start + table.len()], &table, "{stderr}");
        i = find_line(&lines, start, "*** DEADLOCK ***", |l| {
            l.trim() == "*** DEADLOCK ***"
        });

        i = find_line(&lines, i, "the held-lock list", |l| {
            is_task_line(l, "1 lock held by khugepaged", ":")
        });
        assert!(
            lines[i + 1].starts_with(" #0: ") && lines[i + 1].contains("(fs_reclaim)"),
            "held lock line: {:?}",
            lines[i + 1]
        );

        assert!(stdout.contains("lockdep: 1 report(s)"), "{stdout}");
        assert!(
            stdout.contains(
                "CircularDependency: fs_reclaim <- &vma->vm_sequence/1 <- \
                 &vma->vm_sequence <- &mapping->i_mmap_rwsem"
            ),
            "{stdout}"
        );
    }
}

#[test]
fn example_retry_free_mode_reports_nothing() {
    let out = run_example(Some("retry-free"));
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "exit status: {:?}\n{stderr}",
        out.status
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(!stderr.contains("WARNING"), "no splat expected:\n{stderr}");
    assert!(!stdout.contains("WARNING"), "{stdout}");
    assert!(stdout.contains("lockdep: 0 report(s)"), "{stdout}");
    assert!(stdout.contains("speculative fault read vma"), "{stdout}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn example_spinning_mode_reports_the_real_deadlock() {
    let out = run_example(Some("spinning"));
    let (stdout, stderr) = text(&out);
    assert!(
        out.status.success(),
        "exit status: {:?}\n{stderr}",
        out.status
    );
    assert_eq!(stderr.matches(CIRCULAR).count(), 1, "{stderr}");
    assert_eq!(stderr.matches("WARNING:").count(), 1, "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();

    let mut i = find_line(&lines, 0, "the title", |l| l == CIRCULAR);
    i = find_line(&lines, i, "the acquiring task", |l| {
        is_task_line(l, "spf", " is trying to acquire lock:")
    });
    assert!(
        lines[i + 1].contains("(&vma->vm_sequence)"),
        "{:?}",
        lines[i + 1]
    );
    i = find_line(&lines, i, "the held lock", |l| {
        l == "but task is already holding lock:"
    });
    assert!(lines[i + 1].contains("(fs_reclaim)"), "{:?}", lines[i + 1]);
    for entry in ["-> #1 (fs_reclaim):", "-> #0 (&vma->vm_sequence):"] {
        i = find_line(&lines, i, entry, |l| l == entry);
    }
    assert_eq!(stderr.matches("-> #").count(), 2, "{stderr}");

    // The CPU table: the last CPU0 line is the reader's recursive read.
    let start = find_line(&lines, i, "the CPU table", |l| {
        l == "       CPU0                    CPU1"
    });
    let end = find_line(&lines, start, "*** DEADLOCK ***", |l| {
        l.trim() == "*** DEADLOCK ***"
    });
    let cpu0_last = lines[start + 2..end]
        .iter()
        .rev()
        .find(|l| l.starts_with("  ") && !l.starts_with("   "))
        .expect("a CPU0 line");
    assert_eq!(*cpu0_last, "  rlock(&vma->vm_sequence);", "{stderr}");

    find_line(&lines, end, "the held-lock list", |l| {
        is_task_line(l, "1 lock held by spf", ":")
    });
    assert!(stdout.contains("lockdep: 1 report(s)"), "{stdout}");
    assert!(
        stdout.contains("CircularDependency: fs_reclaim <- &vma->vm_sequence"),
        "{stdout}"
    );
}

#[test]
fn example_rejects_an_unknown_mode() {
    let out = run_example(Some("bogus"));
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown mode"), "{stderr}");
}

// ===== the same models in process =====

static MMAP_SEM: LockClass = LockClass::new("&mm->mmap_sem");
static I_MMAP_RWSEM: LockClass = LockClass::new("&mapping->i_mmap_rwsem");
static VM_SEQUENCE: LockClass = LockClass::new("&vma->vm_sequence");
static FS_RECLAIM: LockMap = LockMap::new("fs_reclaim");

// The in-process models share classes (one class per kernel name, so none
// prints as `name#2`) and reset the graph: one at a time, each under
// `common::serial_reset()`.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Model {
    Kernel,
    RetryFree,
    Spinning,
}

struct Vma {
    seq: SeqCount,
    start: AtomicU64,
    end: AtomicU64,
}

impl Vma {
    fn new(model: Model, start: u64, end: u64) -> Vma {
        let seq = SeqCount::with_class(&VM_SEQUENCE);
        Vma {
            seq: if model == Model::Kernel {
                seq
            } else {
                seq.serialized_by_class(&MMAP_SEM)
            },
            start: AtomicU64::new(start),
            end: AtomicU64::new(end),
        }
    }
}

/// Runs the model: munmap, mremap, khugepaged and (not in the kernel model)
/// a speculative fault, each on its own thread, one after another. Returns
/// what the speculative fault read.
fn run_model(model: Model) -> Option<Option<(u64, u64)>> {
    let mmap_sem = RwLock::with_class((), &MMAP_SEM);
    let i_mmap = RwLock::with_class((), &I_MMAP_RWSEM);
    let vma = Vma::new(model, 0x1000, 0x4000);
    let next = Vma::new(model, 0x4000, 0x8000);
    let new_vma = Vma::new(model, 0, 0);

    // munmap -> __vma_adjust()
    run_named("munmap", || {
        let _mmap = mmap_sem.write();
        let _i = i_mmap.write();
        vma.seq.write_begin();
        next.seq.write_begin_nested(1);
        vma.end.store(0x3000, Relaxed);
        next.start.store(0x3000, Relaxed);
        next.seq.write_end();
        vma.seq.write_end();
    });
    // mremap -> move_vma(): allocating page tables may enter reclaim.
    run_named("mremap", || {
        let _mmap = mmap_sem.write();
        vma.seq.write_begin();
        new_vma.seq.write_begin_nested(1);
        FS_RECLAIM.might_acquire();
        new_vma
            .start
            .store(vma.start.load(Relaxed) + 0x10000, Relaxed);
        new_vma.seq.write_end();
        vma.seq.write_end();
    });
    // khugepaged in direct reclaim walks the file rmap.
    run_named("khugepaged", || {
        let _reclaim = FS_RECLAIM.acquire();
        let _i = i_mmap.read();
    });
    if model == Model::Kernel {
        return None;
    }
    // A speculative page fault taken in reclaim context.
    Some(run_named("spf", || {
        let _reclaim = FS_RECLAIM.acquire();
        let read = || (vma.start.load(Relaxed), vma.end.load(Relaxed));
        match model {
            Model::RetryFree => vma.seq.try_read(read),
            _ => Some(vma.seq.read(read)),
        }
    }))
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn in_process_kernel_model_reports_the_four_class_cycle() {
    let _serial = serial();
    assert_eq!(run_model(Model::Kernel), None);
    let reports = lockdep::reports();
    assert_eq!(reports.len(), 1, "{reports:#?}");
    let r = &reports[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(
        r.classes(),
        [
            "fs_reclaim",
            "&vma->vm_sequence/1",
            "&vma->vm_sequence",
            "&mapping->i_mmap_rwsem"
        ]
    );
    assert_eq!(r.thread.name, "khugepaged");
    let acq = r.acquiring.as_ref().unwrap();
    assert_eq!(acq.class.name, "&mapping->i_mmap_rwsem");
    assert_eq!(acq.mode, Mode::Read);
    assert_eq!(r.holding.as_ref().unwrap().class.name, "fs_reclaim");
    let held: Vec<_> = r.held.iter().map(|l| l.class.name.as_str()).collect();
    assert_eq!(held, ["fs_reclaim"]);
    // Who recorded which edge of the chain.
    let threads: Vec<_> = r.chain.iter().map(|e| e.thread.name.as_str()).collect();
    assert_eq!(threads, ["mremap", "munmap", "munmap", "khugepaged"]);
    // The edges the kernel model records.
    let g = lockdep::graph();
    for (from, to) in [
        ("&mm->mmap_sem", "&mapping->i_mmap_rwsem"),
        ("&mapping->i_mmap_rwsem", "&vma->vm_sequence"),
        ("&vma->vm_sequence", "&vma->vm_sequence/1"),
        ("&vma->vm_sequence/1", "fs_reclaim"),
        ("&mm->mmap_sem", "&vma->vm_sequence"),
    ] {
        assert!(g.has_edge(from, to), "missing {from} -> {to}");
    }
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn in_process_retry_free_model_reports_nothing() {
    let _serial = serial();
    let seen = run_model(Model::RetryFree).expect("the spf thread ran");
    assert_eq!(seen, Some((0x1000, 0x3000)), "no writer was active");
    let reports = lockdep::reports();
    assert!(reports.is_empty(), "{reports:#?}");
    let g = lockdep::graph();
    // Serialized writers: no edge *into* a count ...
    assert!(
        g.edges
            .iter()
            .all(|e| !e.to.name.starts_with("&vma->vm_sequence")),
        "{:#?}",
        g.edges
    );
    // ... but edges out of them, and past them to mmap_sem.
    assert!(g.has_edge("&vma->vm_sequence/1", "fs_reclaim"));
    assert!(g.has_edge("&vma->vm_sequence", "fs_reclaim"));
    assert!(g.has_edge("&mm->mmap_sem", "fs_reclaim"));
    assert!(g.has_edge("fs_reclaim", "&mapping->i_mmap_rwsem"));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn in_process_spinning_model_reports_the_real_deadlock() {
    let _serial = serial();
    let seen = run_model(Model::Spinning).expect("the spf thread ran");
    assert_eq!(seen, Some((0x1000, 0x3000)));
    let reports = lockdep::reports();
    assert_eq!(reports.len(), 1, "{reports:#?}");
    let r = &reports[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(r.classes(), ["fs_reclaim", "&vma->vm_sequence"]);
    assert_eq!(r.thread.name, "spf");
    let acq = r.acquiring.as_ref().unwrap();
    assert_eq!(acq.class.name, "&vma->vm_sequence");
    assert_eq!(acq.mode, Mode::RecursiveRead);
    assert_eq!(r.holding.as_ref().unwrap().class.name, "fs_reclaim");
    let splat = r.splat();
    assert!(splat.contains("  rlock(&vma->vm_sequence);"), "{splat}");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn in_process_models_back_to_back_give_the_same_results() {
    // The three models in one sequence, resetting in between: each result is
    // independent of what ran before (classes are shared, the graph is not).
    let _serial = serial();
    for model in [
        Model::Spinning,
        Model::Kernel,
        Model::RetryFree,
        Model::Kernel,
    ] {
        lockdep::reset();
        run_model(model);
        let classes: Vec<Vec<String>> = lockdep::reports()
            .iter()
            .map(|r| {
                assert_eq!(r.kind, ReportKind::CircularDependency);
                r.classes().into_iter().map(str::to_owned).collect()
            })
            .collect();
        let expected: Vec<Vec<&str>> = match model {
            Model::Kernel => vec![vec![
                "fs_reclaim",
                "&vma->vm_sequence/1",
                "&vma->vm_sequence",
                "&mapping->i_mmap_rwsem",
            ]],
            Model::RetryFree => vec![],
            Model::Spinning => vec![vec!["fs_reclaim", "&vma->vm_sequence"]],
        };
        assert_eq!(classes, expected, "{model:?}");
    }
}
