//! Prints the w1–w4 table of docs/performance.md from the estimates that
//! `cd lockdep-bench && cargo bench --bench compare` left in `target/criterion/`:
//! criterion's median time per iteration of every checker, and its ratio to
//! plain `parking_lot` in the same run.
//!
//! `cd lockdep-bench && cargo run --bin table [-- CRITERION_DIR...]`: with
//! several directories (one per run, see `lockdep-bench/compare.sh`), each
//! cell is the median over the runs of the time and, separately, of the ratio
//! to `parking_lot` measured in the same run.
//!
//! `cd lockdep-bench && cargo run --bin table -- iai` prints instead the
//! instructions per operation of `benches/instructions.rs` from the callgrind
//! files iai-callgrind left in `target/iai/`: (Ir(n=1100) − Ir(n=100)) / 1000.

use std::path::{Path, PathBuf};

/// Checkers in column order.
const CHECKERS: &[&str] = &[
    "parking_lot",
    "std",
    "tracing-mutex",
    "deloxide",
    "lockdep",
    "lockdep-off",
    "lockdep-stdsync",
];

/// Rows: label, criterion group, parameter (thread count) if any.
const ROWS: &[(&str, &str, Option<&str>)] = &[
    ("w1: one mutex, lock+unlock", "w1", None),
    ("w2: 4 nested, LIFO release", "w2-lifo", None),
    ("w2: 4 nested, FIFO release", "w2-fifo", None),
    ("w3: own 4 nested per thread, 1 thread", "w3", Some("1")),
    ("w3: 2 threads", "w3", Some("2")),
    ("w3: 4 threads", "w3", Some("4")),
    ("w3: 8 threads", "w3", Some("8")),
    ("w4: shared RwLock read, 1 thread", "w4", Some("1")),
    ("w4: 8 threads", "w4", Some("8")),
];

/// The median point estimate (ns) of one benchmark, if it ran.
fn median(dir: &Path, group: &str, checker: &str, param: Option<&str>) -> Option<f64> {
    let mut path = dir.join(group).join(checker);
    if let Some(p) = param {
        path = path.join(p);
    }
    let text = std::fs::read_to_string(path.join("new/estimates.json")).ok()?;
    let rest = &text[text.find("\"median\"")?..];
    let rest = &rest[rest.find("\"point_estimate\":")? + "\"point_estimate\":".len()..];
    let end = rest.find([',', '}'])?;
    rest[..end].trim().parse().ok()
}

fn ns(x: f64) -> String {
    if x >= 1000.0 {
        format!("{:.2} µs", x / 1000.0)
    } else if x >= 100.0 {
        format!("{x:.0} ns")
    } else {
        format!("{x:.1} ns")
    }
}

/// The total instruction count (`summary:` line) of one callgrind file.
fn callgrind_ir(dir: &Path, bench: &str, case: &str) -> Option<u64> {
    let path = dir
        .join(format!("{bench}.{case}"))
        .join(format!("callgrind.{bench}.{case}.out"));
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with("summary:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The instruction-count table (`table iai`).
fn iai() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../target/iai/lockdep-bench/instructions/fast_path");
    let per_op = |bench: &str| -> Option<f64> {
        let lo = callgrind_ir(&dir, bench, "n_0")?;
        let hi = callgrind_ir(&dir, bench, "n_1")?;
        Some((hi as f64 - lo as f64) / 1000.0)
    };
    let cell = |x: Option<f64>| x.map_or("–".to_string(), |x| format!("{x:.0}"));
    println!("| workload | parking_lot | lockdep | ratio | lockdep, checking off |");
    println!("|---|---|---|---|---|");
    for (label, bench) in [
        ("w1: one mutex, lock+unlock", "w1"),
        ("w2: 4 nested, LIFO release", "w2_lifo"),
        ("w2: 4 nested, FIFO release", "w2_fifo"),
    ] {
        let pl = per_op(&format!("{bench}_parking_lot"));
        let ld = per_op(&format!("{bench}_lockdep"));
        let off = per_op(&format!("{bench}_lockdep_off"));
        let ratio = match (pl, ld) {
            (Some(p), Some(l)) => format!("{:.1}×", l / p),
            _ => "–".into(),
        };
        println!(
            "| {label} | {} | {} | {ratio} | {} |",
            cell(pl),
            cell(ld),
            cell(off)
        );
    }
}

/// The median of `v` (which must not be empty).
fn med(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("iai") {
        return iai();
    }
    let mut dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    if dirs.is_empty() {
        dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/criterion"));
    }
    let present: Vec<&str> = CHECKERS
        .iter()
        .copied()
        .filter(|c| ROWS.iter().any(|r| median(&dirs[0], r.1, c, r.2).is_some()))
        .collect();
    if present.is_empty() {
        eprintln!(
            "no estimates in {}: run `cd lockdep-bench && cargo bench --bench compare` first",
            dirs[0].display()
        );
        std::process::exit(1);
    }
    println!("| workload | {} |", present.join(" | "));
    println!("|---|{}", "---|".repeat(present.len()));
    for (label, group, param) in ROWS {
        let cells: Vec<String> = present
            .iter()
            .map(|c| {
                let mut times = Vec::new();
                let mut ratios = Vec::new();
                for dir in &dirs {
                    let t = median(dir, group, c, *param);
                    let b = median(dir, group, "parking_lot", *param);
                    if let Some(t) = t {
                        times.push(t);
                        if let Some(b) = b {
                            ratios.push(t / b);
                        }
                    }
                }
                if times.is_empty() {
                    "–".into()
                } else if *c == "parking_lot" || ratios.is_empty() {
                    ns(med(times))
                } else {
                    format!("{} ({:.1}×)", ns(med(times)), med(ratios))
                }
            })
            .collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
}
