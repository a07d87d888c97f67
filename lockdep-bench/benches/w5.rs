//! Workload w5 of issue 9: graph growth. 1,000 lock classes and 100,000
//! pseudo-random pairs `i < j` (fixed seed), each taken `i` then `j` and
//! released. Pass 1 starts from an empty graph (growth); pass 2 takes the same
//! pairs again (steady state). Reported per checker: growth ns/op, steady
//! ns/op, their ratios to plain `parking_lot`, and the peak RSS growth. Times
//! are wall-clock and, beside them, the measuring thread's CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`), which a loaded shared machine inflates less.
//!
//! Every repetition of every checker runs in a fresh process, so that growth
//! really starts from an empty graph: this binary re-executes itself with
//! `W5_CHILD=<checker>` set, and reads the child's `W5 ...` result lines.
//!
//! Environment (all optional):
//! - `W5_PAIRS` (default 100000): pairs per pass.
//! - `W5_REPS` (default 3): fresh processes per checker; medians are reported.
//! - `W5_TIMEOUT` (default 240): seconds before a child is killed; its row then
//!   reports how far pass 1 got (a lower bound of the growth cost).
//! - `W5_REP_BUDGET` (default 30): once one repetition of a checker took longer
//!   than this many seconds, it is not repeated (today's lockdep with raised
//!   limits takes minutes per repetition).
//! - `RUST_BACKTRACE` and `RUST_LIB_BACKTRACE` are removed from the children's
//!   environment; the `tracing-mutex-bt` row sets `RUST_LIB_BACKTRACE=1`
//!   (tracing-mutex then captures a stack per new edge, as lockdep does).
//! - `W5_ONLY`: a comma-separated list of the checkers to run (the names in
//!   the table).
//!
//! The growth curve (cumulative time every 5,000 pairs, with the number of
//! distinct edges so far) of every child is written to
//! `target/w5/<checker>-<rep>.csv`; `cd lockdep-bench && cargo run --features
//! plot --bin w5-plot` draws `docs/w5-growth.svg` from it.
//!
//! `cd lockdep-bench && cargo bench --bench w5`.

use std::collections::HashSet;
use std::hint::black_box;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// CPU time consumed by the calling thread so far.
fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant
    // that Linux supports.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

use lockdep_bench::{proc_status_kib, w5_pairs};

/// Number of classes (lock objects for the checkers that have no classes).
const CLASSES: u32 = 1000;
/// The growth curve is sampled every this many pairs.
const SAMPLE_EVERY: usize = 5000;

/// A checker run as a child: its name in the table and its environment.
struct Config {
    name: &'static str,
    checker: &'static str,
    env: &'static [(&'static str, &'static str)],
}

const RAISED: [(&str, &str); 2] = [
    ("LOCKDEP_MAX_EDGES", "200000"),
    ("LOCKDEP_MAX_CHAINS", "400000"),
];

const CONFIGS: &[Config] = &[
    Config {
        name: "parking_lot",
        checker: "parking_lot",
        env: &[],
    },
    Config {
        name: "std",
        checker: "std",
        env: &[],
    },
    Config {
        name: "tracing-mutex",
        checker: "tracing-mutex",
        env: &[],
    },
    Config {
        name: "tracing-mutex-bt",
        checker: "tracing-mutex",
        env: &[("RUST_LIB_BACKTRACE", "1")],
    },
    Config {
        name: "deloxide",
        checker: "deloxide",
        env: &[],
    },
    Config {
        name: "lockdep",
        checker: "lockdep",
        env: &[],
    },
    Config {
        name: "lockdep-nobt",
        checker: "lockdep",
        env: &[("LOCKDEP_BACKTRACE", "0")],
    },
    Config {
        name: "lockdep-raised",
        checker: "lockdep",
        env: &RAISED,
    },
    Config {
        name: "lockdep-raised-nobt",
        checker: "lockdep",
        env: &[RAISED[0], RAISED[1], ("LOCKDEP_BACKTRACE", "0")],
    },
];

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn out_dir() -> PathBuf {
    // `target/` of the workspace (CARGO_TARGET_TMPDIR is `target/tmp`).
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .map(|p| p.join("w5"))
        .unwrap_or_else(|| PathBuf::from("w5"));
    std::fs::create_dir_all(&dir).expect("create target/w5");
    dir
}

fn main() {
    match std::env::var("W5_CHILD") {
        Ok(checker) => child(&checker),
        Err(_) => parent(),
    }
}

/// One child's measurements.
#[derive(Clone, Copy, Default)]
struct Result {
    growth_ns: f64,
    steady_ns: f64,
    growth_cpu_ns: f64,
    steady_cpu_ns: f64,
    rss_kib: u64,
    edges: u64,
}

fn parent() {
    // `cargo test --benches` runs bench targets with no `--bench`: do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let reps = env_num("W5_REPS", 3).max(1);
    let timeout = Duration::from_secs(env_num("W5_TIMEOUT", 240));
    let rep_budget = Duration::from_secs(env_num("W5_REP_BUDGET", 30));
    let only: Option<Vec<String>> = std::env::var("W5_ONLY")
        .ok()
        .map(|s| s.split(',').map(str::to_owned).collect());
    let dir = out_dir();
    let exe = std::env::current_exe().expect("current_exe");
    let pairs = env_num("W5_PAIRS", 100_000);
    eprintln!(
        "w5: {CLASSES} classes, {pairs} pairs, {reps} fresh processes per checker, timeout {timeout:?}"
    );

    let mut rows: Vec<(&str, Option<Result>, String)> = Vec::new();
    for cfg in CONFIGS {
        if let Some(only) = &only
            && !only.iter().any(|o| o == cfg.name)
        {
            continue;
        }
        let mut results = Vec::new();
        let mut note = String::new();
        for rep in 0..reps {
            let csv = dir.join(format!("{}-{rep}.csv", cfg.name));
            let mut cmd = Command::new(&exe);
            // tracing-mutex captures a stack per new edge only when
            // `RUST_LIB_BACKTRACE`/`RUST_BACKTRACE` ask for one: unset both
            // so that a developer's shell does not change its row
            // (`tracing-mutex-bt` is the row with stacks, like lockdep's).
            cmd.env_remove("RUST_BACKTRACE")
                .env_remove("RUST_LIB_BACKTRACE")
                .env("W5_CHILD", cfg.checker)
                .env("W5_CSV", &csv)
                .envs(cfg.env.iter().copied())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::from(
                    std::fs::File::create(dir.join(format!("{}-{rep}.stderr", cfg.name)))
                        .expect("stderr file"),
                ));
            let start = Instant::now();
            let mut child = cmd.spawn().expect("spawn w5 child");
            let status = loop {
                if let Some(status) = child.try_wait().expect("wait") {
                    break Some(status);
                }
                if start.elapsed() > timeout {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            let mut out = String::new();
            if let Some(mut stdout) = child.stdout.take() {
                use std::io::Read;
                let _ = stdout.read_to_string(&mut out);
            }
            match status {
                None => {
                    note = format!("killed after {timeout:?}{}", progress(&csv));
                    eprintln!("w5 {:<20} rep {rep}: {note}", cfg.name);
                    break;
                }
                Some(s) if !s.success() => {
                    note = format!("child failed: {s}");
                    eprintln!("w5 {:<20} rep {rep}: {note}", cfg.name);
                    break;
                }
                Some(_) => {}
            }
            let Some(r) = parse(&out) else {
                note = "no result line".into();
                break;
            };
            eprintln!(
                "w5 {:<20} rep {rep}: growth {:>10.1} ns/op (cpu {:>10.1}), steady {:>8.1} ns/op (cpu {:>8.1}), peak RSS +{} KiB, {} edges",
                cfg.name,
                r.growth_ns,
                r.growth_cpu_ns,
                r.steady_ns,
                r.steady_cpu_ns,
                r.rss_kib,
                r.edges
            );
            results.push(r);
            if start.elapsed() > rep_budget && rep + 1 < reps {
                note = format!(
                    "{} rep(s): one took {:.0?} > W5_REP_BUDGET",
                    results.len(),
                    start.elapsed()
                );
                break;
            }
        }
        if results.is_empty() {
            rows.push((cfg.name, None, note));
            continue;
        }
        let med = |f: fn(&Result) -> f64| {
            let mut v: Vec<f64> = results.iter().map(f).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        let m = Result {
            growth_ns: med(|r| r.growth_ns),
            steady_ns: med(|r| r.steady_ns),
            growth_cpu_ns: med(|r| r.growth_cpu_ns),
            steady_cpu_ns: med(|r| r.steady_cpu_ns),
            rss_kib: med(|r| r.rss_kib as f64) as u64,
            edges: results[0].edges,
        };
        rows.push((cfg.name, Some(m), note));
    }

    let base = rows
        .iter()
        .find(|r| r.0 == "parking_lot")
        .and_then(|r| r.1)
        .unwrap_or_default();
    let mut table = String::new();
    table.push_str(&format!(
        "w5, {pairs} pairs, {} distinct edges, median of {reps} fresh processes\n",
        base.edges
    ));
    table.push_str("| checker | growth ns/op (cpu) | × parking_lot (cpu) | steady ns/op (cpu) | × parking_lot (cpu) | peak RSS growth | note |\n|---|---|---|---|---|---|---|\n");
    for (name, r, note) in &rows {
        match r {
            Some(r) => table.push_str(&format!(
                "| {name} | {} ({}) | {:.1}× ({:.1}×) | {} ({}) | {:.1}× ({:.1}×) | {} | {note} |\n",
                ns(r.growth_ns),
                ns(r.growth_cpu_ns),
                r.growth_ns / base.growth_ns,
                r.growth_cpu_ns / base.growth_cpu_ns,
                ns(r.steady_ns),
                ns(r.steady_cpu_ns),
                r.steady_ns / base.steady_ns,
                r.steady_cpu_ns / base.steady_cpu_ns,
                kib(r.rss_kib),
            )),
            None => table.push_str(&format!("| {name} | – | | – | | | {note} |\n")),
        }
    }
    println!("{table}");
    let _ = std::fs::write(dir.join("table.md"), table);
}

/// Nanoseconds, to 3 significant digits.
fn ns(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// How far a killed child's pass 1 got, from its growth curve.
fn progress(csv: &std::path::Path) -> String {
    let text = std::fs::read_to_string(csv).unwrap_or_default();
    let Some(last) = text.lines().skip(1).last() else {
        return String::new();
    };
    let f: Vec<u64> = last.split(',').filter_map(|x| x.parse().ok()).collect();
    match f[..] {
        [pairs, edges, wall, cpu, ..] => format!(
            ": pass 1 had taken {pairs} pairs ({edges} edges) in {:.1} s, {:.0} ns/op ({:.0} cpu)",
            wall as f64 / 1e9,
            wall as f64 / pairs as f64,
            cpu as f64 / pairs as f64
        ),
        _ => String::new(),
    }
}

fn kib(k: u64) -> String {
    if k >= 10 * 1024 {
        format!("{:.0} MiB", k as f64 / 1024.0)
    } else if k >= 1024 {
        format!("{:.1} MiB", k as f64 / 1024.0)
    } else {
        format!("{k} KiB")
    }
}

fn parse(out: &str) -> Option<Result> {
    let line = out.lines().find(|l| l.starts_with("W5 "))?;
    let mut r = Result::default();
    for kv in line.split_whitespace().skip(1) {
        let (k, v) = kv.split_once('=')?;
        match k {
            "growth_ns" => r.growth_ns = v.parse().ok()?,
            "steady_ns" => r.steady_ns = v.parse().ok()?,
            "growth_cpu_ns" => r.growth_cpu_ns = v.parse().ok()?,
            "steady_cpu_ns" => r.steady_cpu_ns = v.parse().ok()?,
            "rss_kib" => r.rss_kib = v.parse().ok()?,
            "edges" => r.edges = v.parse().ok()?,
            _ => {}
        }
    }
    Some(r)
}

/// The child: builds the locks of one checker, runs both passes, prints one
/// `W5 key=value...` line and writes the growth curve to `$W5_CSV`.
fn child(checker: &str) {
    let count = env_num("W5_PAIRS", 100_000) as usize;
    let pairs = w5_pairs(CLASSES, count);
    // Distinct edges after each sample point (the graph size on the plot).
    let mut seen = HashSet::with_capacity(count);
    let mut edges_at = Vec::new();
    for (k, p) in pairs.iter().enumerate() {
        seen.insert(*p);
        if (k + 1) % SAMPLE_EVERY == 0 || k + 1 == count {
            edges_at.push((k + 1, seen.len()));
        }
    }
    let edges = seen.len();
    drop(seen);

    if checker == "deloxide" {
        deloxide::Deloxide::new()
            .with_lock_order_checking()
            .start()
            .expect("deloxide detector");
    }
    // Reset the peak (VmHWM) to the current RSS, so that the pair list's
    // hash set above does not count (Linux: `5` to `clear_refs`).
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = proc_status_kib("VmRSS");

    // The growth curve, written as it is measured so that a killed child
    // still tells how far it got.
    let mut csv = std::env::var("W5_CSV")
        .ok()
        .and_then(|path| std::fs::File::create(path).ok());
    if let Some(f) = csv.as_mut() {
        let _ = writeln!(f, "pairs,edges,cumulative_ns,cumulative_cpu_ns");
    }
    let mut edges_at = edges_at.into_iter().peekable();

    /// Runs both passes over `$locks` with `$lock` (an expression of `$m`);
    /// returns ((wall, cpu) of pass 1, (wall, cpu) of pass 2).
    macro_rules! run {
        ($locks:expr, |$m:ident| $lock:expr) => {{
            let locks = $locks;
            let (start, cpu) = (Instant::now(), thread_cpu());
            for (k, &(i, j)) in pairs.iter().enumerate() {
                let a = {
                    let $m = &locks[i as usize];
                    $lock
                };
                let b = {
                    let $m = &locks[j as usize];
                    $lock
                };
                black_box((&a, &b));
                drop(b);
                drop(a);
                if edges_at.peek().is_some_and(|&(at, _)| at == k + 1) {
                    let (at, e) = edges_at.next().unwrap();
                    let (wall, c) = (start.elapsed(), thread_cpu() - cpu);
                    if let Some(f) = csv.as_mut() {
                        let _ = writeln!(f, "{at},{e},{},{}", wall.as_nanos(), c.as_nanos());
                    }
                }
            }
            let growth = (start.elapsed(), thread_cpu() - cpu);
            let (start, cpu) = (Instant::now(), thread_cpu());
            for &(i, j) in &pairs {
                let a = {
                    let $m = &locks[i as usize];
                    $lock
                };
                let b = {
                    let $m = &locks[j as usize];
                    $lock
                };
                black_box((&a, &b));
                drop(b);
                drop(a);
            }
            let steady = (start.elapsed(), thread_cpu() - cpu);
            (growth, steady)
        }};
    }

    let (growth, steady) = match checker {
        "parking_lot" => run!(
            (0..CLASSES)
                .map(|_| parking_lot::Mutex::new(0u64))
                .collect::<Vec<_>>(),
            |m| m.lock()
        ),
        "std" => run!(
            (0..CLASSES)
                .map(|_| std::sync::Mutex::new(0u64))
                .collect::<Vec<_>>(),
            |m| m.lock().unwrap()
        ),
        "tracing-mutex" => run!(
            (0..CLASSES)
                .map(|_| tracing_mutex::stdsync::tracing::Mutex::new(0u64))
                .collect::<Vec<_>>(),
            |m| m.lock().unwrap()
        ),
        "deloxide" => run!(
            (0..CLASSES)
                .map(|_| deloxide::Mutex::new(0u64))
                .collect::<Vec<_>>(),
            |m| m.lock()
        ),
        "lockdep" => run!(
            (0..CLASSES)
                .map(|i| {
                    lockdep::Mutex::with_class(
                        0u64,
                        lockdep::LockClass::new_dynamic(format!("w5-{i}")),
                    )
                })
                .collect::<Vec<_>>(),
            |m| m.lock()
        ),
        other => panic!("unknown W5_CHILD checker {other:?}"),
    };
    let rss_peak = proc_status_kib("VmHWM");

    let per_op = |d: Duration| d.as_nanos() as f64 / count as f64;
    println!(
        "W5 growth_ns={:.1} steady_ns={:.1} growth_cpu_ns={:.1} steady_cpu_ns={:.1} rss_kib={} edges={edges}",
        per_op(growth.0),
        per_op(steady.0),
        per_op(growth.1),
        per_op(steady.1),
        rss_peak.saturating_sub(rss_before),
    );
}
