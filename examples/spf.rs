//! The speculative-page-fault (SPF) cycle, modelled on three real threads.
//!
//! In 2017 the kernel's SPF patches gave each VMA a sequence count,
//! `vm_sequence`, and lockdep reported a circular dependency through it:
//!
//! 1. munmap → `__vma_adjust()`: holds `mmap_sem` and `i_mmap_rwsem` for
//!    write, write-begins the VMA's `vm_sequence`, then the next VMA's with
//!    subclass 1;
//! 2. mremap → `move_vma()`: holds `mmap_sem`, both counts, and allocates page
//!    tables, which may enter direct reclaim (`fs_reclaim`);
//! 3. khugepaged in direct reclaim: holds `fs_reclaim` and takes
//!    `i_mmap_rwsem` for read in `rmap_walk_file()`.
//!
//! The SPF reader never waits on `vm_sequence` (it checks the count once and
//! falls back to the normal fault path), so the cycle cannot deadlock. But a
//! reader that *spins* on the count while holding `fs_reclaim` would.
//!
//! ```text
//! cargo run --example spf                 # kernel: bare seqcounts, the kernel's splat
//! cargo run --example spf -- retry-free   # counts serialized by mmap_sem + retry-free SPF reader: no report
//! cargo run --example spf -- spinning     # same, but the SPF reader spins: a real deadlock, reported
//! ```

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread;

use lockdep::{LockClass, LockMap, RwLock, SeqCount};

static MMAP_SEM: LockClass = LockClass::new("&mm->mmap_sem");
static I_MMAP_RWSEM: LockClass = LockClass::new("&mapping->i_mmap_rwsem");
static VM_SEQUENCE: LockClass = LockClass::new("&vma->vm_sequence");
/// The page allocator's reclaim pseudo-lock (mm/page_alloc.c `__fs_reclaim_map`).
static FS_RECLAIM: LockMap = LockMap::new("fs_reclaim");

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Kernel,
    RetryFree,
    Spinning,
}

struct Mm {
    mmap_sem: RwLock<()>,
}

struct AddressSpace {
    i_mmap_rwsem: RwLock<()>,
}

struct Vma {
    vm_sequence: SeqCount,
    start: AtomicU64,
    end: AtomicU64,
}

impl Vma {
    fn new(mode: Mode, start: u64, end: u64) -> Vma {
        let count = SeqCount::with_class(&VM_SEQUENCE);
        let vm_sequence = if mode == Mode::Kernel {
            count
        } else {
            count.serialized_by_class(&MMAP_SEM)
        };
        Vma {
            vm_sequence,
            start: AtomicU64::new(start),
            end: AtomicU64::new(end),
        }
    }
}

/// Allocating memory may enter direct reclaim (`might_alloc(GFP_KERNEL)`).
fn alloc_page_tables() {
    FS_RECLAIM.might_acquire();
}

/// munmap → `__vma_adjust()`: shrink `vma`, grow `next`.
fn vma_adjust(mm: &Mm, mapping: &AddressSpace, vma: &Vma, next: &Vma) {
    let _mmap = mm.mmap_sem.write();
    let _i_mmap = mapping.i_mmap_rwsem.write();
    vma.vm_sequence.write_begin();
    next.vm_sequence.write_begin_nested(1);
    vma.end.store(0x3000, Relaxed);
    next.start.store(0x3000, Relaxed);
    next.vm_sequence.write_end();
    vma.vm_sequence.write_end();
}

/// mremap → `move_vma()`: copy `vma` to `new_vma`, allocating page tables.
fn move_vma(mm: &Mm, vma: &Vma, new_vma: &Vma) {
    let _mmap = mm.mmap_sem.write();
    vma.vm_sequence.write_begin();
    new_vma.vm_sequence.write_begin_nested(1);
    alloc_page_tables();
    new_vma
        .start
        .store(vma.start.load(Relaxed) + 0x10000, Relaxed);
    new_vma.vm_sequence.write_end();
    vma.vm_sequence.write_end();
}

/// khugepaged under memory pressure: direct reclaim walks the file rmap.
fn direct_reclaim(mapping: &AddressSpace) {
    let _reclaim = FS_RECLAIM.acquire();
    let _i_mmap = mapping.i_mmap_rwsem.read(); // rmap_walk_file → i_mmap_lock_read
}

/// A speculative page fault taken while in reclaim context.
fn speculative_fault(mode: Mode, vma: &Vma) -> Option<(u64, u64)> {
    let _reclaim = FS_RECLAIM.acquire();
    let read = || (vma.start.load(Relaxed), vma.end.load(Relaxed));
    match mode {
        // Retry-free: check the count once, fall back if a write is in progress.
        Mode::RetryFree => vma.vm_sequence.try_read(read),
        // Spinning: wait for the writer (which may be waiting for reclaim).
        _ => Some(vma.vm_sequence.read(read)),
    }
}

fn run(name: &str, f: impl FnOnce() + Send) {
    thread::scope(|s| {
        thread::Builder::new()
            .name(name.into())
            .spawn_scoped(s, f)
            .expect("spawn")
            .join()
            .expect("thread ran");
    });
}

fn main() -> ExitCode {
    let mode = match std::env::args().nth(1).as_deref() {
        None | Some("kernel") => Mode::Kernel,
        Some("retry-free") => Mode::RetryFree,
        Some("spinning") => Mode::Spinning,
        Some(other) => {
            eprintln!("spf: unknown mode {other:?}; use kernel, retry-free or spinning");
            return ExitCode::from(2);
        }
    };
    let mm = Mm {
        mmap_sem: RwLock::with_class((), &MMAP_SEM),
    };
    let mapping = AddressSpace {
        i_mmap_rwsem: RwLock::with_class((), &I_MMAP_RWSEM),
    };
    let (vma, next, new_vma) = (
        Vma::new(mode, 0x1000, 0x4000),
        Vma::new(mode, 0x4000, 0x8000),
        Vma::new(mode, 0, 0),
    );

    run("munmap", || vma_adjust(&mm, &mapping, &vma, &next));
    run("mremap", || move_vma(&mm, &vma, &new_vma));
    run("khugepaged", || direct_reclaim(&mapping));
    if mode != Mode::Kernel {
        run("spf", || {
            let seen = speculative_fault(mode, &vma);
            println!("speculative fault read vma {seen:x?}");
        });
    }

    let reports = lockdep::reports();
    println!("lockdep: {} report(s)", reports.len());
    for r in &reports {
        println!("  {:?}: {}", r.kind, r.classes().join(" <- "));
    }
    ExitCode::SUCCESS
}
