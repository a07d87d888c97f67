//! The `.lds` scenario runner: `cargo run --release --example scenarios -- FILE...`
//!
//! Prints one JSON line per case and a closing `N passed, M failed` line.
//! Exit status: 0 if every case passed, 1 if any failed, 2 if a file cannot be
//! read or parsed (the message names the file and line).

use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: scenarios FILE.lds...");
        return ExitCode::from(2);
    }
    let mut cases = Vec::new();
    for file in &files {
        let text = match std::fs::read_to_string(file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("error: {file}: {e}");
                return ExitCode::from(2);
            }
        };
        match lockdep_scenario::parse(file, &text) {
            Ok(c) => cases.extend(c),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let (mut passed, mut failed) = (0, 0);
    for case in &cases {
        let outcome = lockdep_scenario::run_case(case);
        println!(
            "{}",
            serde_json::to_string(&outcome).expect("outcome serialises")
        );
        if outcome.pass {
            passed += 1;
        } else {
            failed += 1;
        }
    }
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
