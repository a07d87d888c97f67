//! Draws `docs/w5-growth.svg`: nanoseconds per new dependency edge against
//! graph size during w5's growth pass, from the curves that
//! `cd lockdep-bench && cargo bench --bench w5` leaves in `target/w5/`.
//!
//! `cd lockdep-bench && cargo run --features plot --bin w5-plot [-- TARGET_W5_DIR OUT.svg]`
//!
//! Each point is one window of 5,000 pairs: the CPU time the window took divided
//! by the distinct edges it added, at the graph size reached at its end; the
//! median over the repetitions (fresh processes) of a checker.

use std::path::{Path, PathBuf};

use plotters::prelude::*;

/// The series drawn: CSV prefix in `target/w5/`, legend, colour.
const SERIES: &[(&str, &str, RGBColor)] = &[
    ("lockdep-raised", "lockdep (limits raised, stacks on)", RED),
    (
        "lockdep-raised-nobt",
        "lockdep (limits raised, LOCKDEP_BACKTRACE=0)",
        MAGENTA,
    ),
    (
        "lockdep",
        "lockdep (default limits: full at 32,768 edges)",
        RGBColor(255, 160, 0),
    ),
    ("tracing-mutex", "tracing-mutex 0.3", BLUE),
    (
        "tracing-mutex-bt",
        "tracing-mutex 0.3 (RUST_LIB_BACKTRACE=1)",
        CYAN,
    ),
    ("deloxide", "deloxide 1.1 (lock-order-graph)", GREEN),
];

/// (graph size, ns per new edge) points of one CSV file.
fn points(path: &Path) -> Option<Vec<(f64, f64)>> {
    let text = std::fs::read_to_string(path).ok()?;
    let mut prev = (0u64, 0u64);
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let mut f = line.split(',').map(|x| x.parse::<u64>().ok());
        // pairs, edges, wall ns, CPU ns: the CPU time, which other load on
        // the machine inflates less.
        let (_pairs, edges, _wall, ns) = (f.next()??, f.next()??, f.next()??, f.next()??);
        let new_edges = edges.saturating_sub(prev.0);
        if new_edges > 0 {
            out.push((edges as f64, (ns - prev.1) as f64 / new_edges as f64));
        }
        prev = (edges, ns);
    }
    Some(out)
}

/// The point-wise median of the repetitions `<name>-<rep>.csv`.
fn median_series(dir: &Path, name: &str) -> Vec<(f64, f64)> {
    let reps: Vec<Vec<(f64, f64)>> = (0..100)
        .map_while(|rep| points(&dir.join(format!("{name}-{rep}.csv"))))
        .collect();
    let Some(len) = reps.iter().map(Vec::len).min() else {
        return Vec::new();
    };
    (0..len)
        .map(|k| {
            let mut ys: Vec<f64> = reps.iter().map(|r| r[k].1).collect();
            ys.sort_by(f64::total_cmp);
            (reps[0][k].0, ys[ys.len() / 2])
        })
        .collect()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut args = std::env::args().skip(1);
    let dir = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/w5"));
    let out = args
        .next()
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("docs/w5-growth.svg"));

    let series: Vec<_> = SERIES
        .iter()
        .map(|(name, label, colour)| (median_series(&dir, name), *label, *colour))
        .filter(|(pts, _, _)| !pts.is_empty())
        .collect();
    if series.is_empty() {
        return Err(format!("no w5 curves in {}: run the w5 bench first", dir.display()).into());
    }
    let x_max = series
        .iter()
        .flat_map(|s| s.0.iter().map(|p| p.0))
        .fold(1.0, f64::max);
    let y_max = series
        .iter()
        .flat_map(|s| s.0.iter().map(|p| p.1))
        .fold(10.0, f64::max);
    let y_min = series
        .iter()
        .flat_map(|s| s.0.iter().map(|p| p.1))
        .fold(f64::MAX, f64::min)
        .max(1.0);

    let area = SVGBackend::new(&out, (900, 560)).into_drawing_area();
    area.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&area)
        .caption(
            "w5 growth: CPU ns per new edge against graph size (1,000 classes, random pairs i<j)",
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..x_max * 1.02, (y_min / 2.0..y_max * 2.0).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("distinct edges in the graph")
        .y_desc("CPU time per new edge (log)")
        .x_label_formatter(&|x| format!("{}k", (x / 1000.0).round()))
        .y_label_formatter(&|y| {
            if *y >= 1000.0 {
                format!("{} µs", y / 1000.0)
            } else {
                format!("{y} ns")
            }
        })
        .draw()?;
    for (pts, label, colour) in &series {
        chart
            .draw_series(LineSeries::new(pts.iter().copied(), colour.stroke_width(2)))?
            .label(*label)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
            });
        chart.draw_series(pts.iter().map(|&p| Circle::new(p, 2, colour.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    area.present()?;
    println!("wrote {}", out.display());
    Ok(())
}
