//! parking_lot 0.13's own unit tests, compiled against `lockdep`.
//!
//! At run time this finds `parking_lot-0.13.*/src/` in
//! `$CARGO_HOME/registry/src/*/` (the crate is a dependency, so cargo has
//! already unpacked it; nothing is vendored here), cuts the `#[cfg(test)]`
//! modules out of `mutex.rs`, `rwlock.rs`, `condvar.rs`, `fair_mutex.rs`,
//! `remutex.rs` and `recursive_rwlock.rs`, changes `crate::` to `lockdep::`
//! (the only edit), writes them into a scratch crate under
//! `target/parking-lot-suite/` that depends on this crate by path (feature
//! `arc_lock` and `serde` on, `postcard` for the serde tests), and runs
//! `cargo test` there (fetching `postcard` from the registry the first time).
//!
//! A test that does not compile is taken out (found from the compiler's
//! error spans) and counted as such, and the crate is built again; an import
//! `lockdep` lacks is dropped from its `use` list. The verdict per file is
//! printed, and the test fails if any parking_lot test fails or does not
//! compile (except the two listed in `CRATE_PRIVATE`, which cannot compile
//! outside parking_lot). It takes minutes (a cold build of the scratch crate), so it is
//! `#[ignore]`d: `cargo test --test parking_lot_suite -- --ignored --nocapture`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Tests that call `pub(crate)` parking_lot API (`RawRwLock::has_parked_threads`):
/// they cannot compile outside parking_lot, against parking_lot either.
const CRATE_PRIVATE: [&str; 2] = [
    "test_read_with_waiting_writer",
    "recursive_read_with_waiting_writer",
];

const FILES: [&str; 6] = [
    "mutex",
    "rwlock",
    "condvar",
    "fair_mutex",
    "remutex",
    "recursive_rwlock",
];

fn parking_lot_src() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    let mut found = Vec::new();
    for index in fs::read_dir(home.join("registry/src")).expect("cargo registry") {
        let index = index.unwrap().path();
        for krate in fs::read_dir(&index).into_iter().flatten().flatten() {
            let name = krate.file_name().to_string_lossy().into_owned();
            if name.starts_with("parking_lot-0.13.") {
                found.push(krate.path().join("src"));
            }
        }
    }
    found.sort();
    found
        .pop()
        .expect("parking_lot 0.13 unpacked in the cargo registry")
}

/// The `#[cfg(test)]` modules of a source file, `crate::` made `lockdep::`.
fn test_modules(source: &str) -> String {
    let mut out = String::new();
    let mut rest = source;
    while let Some(at) = rest.find("#[cfg(test)]") {
        let tail = &rest[at..];
        let open = tail.find('{').expect("mod body");
        let end = open + matching_brace(&tail[open..]);
        out.push_str(&tail[..=end]);
        out.push('\n');
        rest = &tail[end + 1..];
    }
    out.replace("crate::", "lockdep::")
}

/// Offset of the brace closing the one `s` starts with (skips string literals).
fn matching_brace(s: &str) -> usize {
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for (i, c) in s.char_indices() {
        if in_str {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced braces")
}

/// The test functions of a module: name -> (first line, last line), 1-based,
/// the attribute lines included.
fn test_fns(text: &str) -> BTreeMap<String, (usize, usize)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut fns = BTreeMap::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "#[test]" {
            let start = i;
            let mut j = i;
            while !lines[j].trim_start().starts_with("fn ") {
                j += 1;
            }
            let name = lines[j].trim_start()[3..]
                .split(['(', '<'])
                .next()
                .unwrap()
                .to_string();
            let offset: usize = lines[..j].iter().map(|l| l.len() + 1).sum();
            let from_fn = &text[offset..];
            let open = from_fn.find('{').unwrap();
            let end = offset + open + matching_brace(&from_fn[open..]);
            let last = text[..end].lines().count();
            fns.insert(name, (start + 1, last));
            i = last;
        } else {
            i += 1;
        }
    }
    fns
}

/// Removes lines `from..=to` (1-based).
fn cut(text: &str, from: usize, to: usize) -> String {
    text.lines()
        .enumerate()
        .filter(|(i, _)| *i + 1 < from || *i + 1 > to)
        .map(|(_, l)| format!("{l}\n"))
        .collect()
}

fn cargo(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo")
}

#[derive(Default, Debug)]
struct Verdict {
    total: usize,
    passed: BTreeSet<String>,
    failed: BTreeSet<String>,
    not_compiled: BTreeSet<String>,
}

#[test]
#[ignore = "builds and runs a scratch crate (minutes): run with --ignored"]
fn parking_lot_unit_tests_pass_against_lockdep() {
    let src = parking_lot_src();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/parking-lot-suite");
    fs::create_dir_all(dir.join("src")).unwrap();
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"parking-lot-suite\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [workspace]\n\n[features]\ndefault = [\"arc_lock\", \"serde\"]\narc_lock = []\nserde = []\n\n\
             [dependencies]\nlockdep = {{ path = {:?}, features = [\"arc_lock\", \"serde\"] }}\nrand = \"0.10\"\n\
             postcard = {{ version = \"1.1.3\", default-features = false, features = [\"use-std\"] }}\n",
            root.display().to_string()
        ),
    )
    .unwrap();
    let _ = fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"));

    let mut texts: BTreeMap<&str, String> = BTreeMap::new();
    let mut verdicts: BTreeMap<&str, Verdict> = BTreeMap::new();
    let mut lib = String::from("#![allow(unused, clippy::all)]\n");
    for f in FILES {
        let text = test_modules(&fs::read_to_string(src.join(format!("{f}.rs"))).unwrap());
        verdicts.insert(
            f,
            Verdict {
                total: test_fns(&text).len(),
                ..Verdict::default()
            },
        );
        texts.insert(f, text);
        lib.push_str(&format!("mod {f};\n"));
    }
    fs::write(dir.join("src/lib.rs"), lib).unwrap();

    // Build, taking out what does not compile, until it does.
    for round in 0.. {
        assert!(round < 60, "the scratch crate never compiled");
        for (f, text) in &texts {
            fs::write(dir.join(format!("src/{f}.rs")), text).unwrap();
        }
        let out = cargo(&dir, &["test", "--no-run", "--message-format=json"]);
        if out.status.success() {
            break;
        }
        let mut progressed = false;
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let m = &msg["message"];
            if msg["reason"] != "compiler-message" || m["level"] != "error" {
                continue;
            }
            let text_msg = m["message"].as_str().unwrap_or_default();
            for span in m["spans"].as_array().into_iter().flatten() {
                if span["is_primary"] != true {
                    continue;
                }
                let file = span["file_name"].as_str().unwrap_or_default();
                let Some(f) = FILES
                    .iter()
                    .find(|f| file == format!("src/{f}.rs"))
                    .copied()
                else {
                    continue;
                };
                let line_no = span["line_start"].as_u64().unwrap() as usize;
                let text = texts.get_mut(f).unwrap();
                if let Some((name, &(from, to))) = test_fns(text)
                    .iter()
                    .find(|(_, (from, to))| (*from..=*to).contains(&line_no))
                {
                    println!("{f}::{name} does not compile: {text_msg}");
                    verdicts
                        .get_mut(f)
                        .unwrap()
                        .not_compiled
                        .insert(name.clone());
                    *text = cut(text, from, to);
                    progressed = true;
                    break;
                }
                // An import lockdep lacks: drop the name from the `use`.
                let bad = text
                    .lines()
                    .nth(line_no - 1)
                    .unwrap_or_default()
                    .to_string();
                if bad.trim_start().starts_with("use ") {
                    let (s, e) = (
                        span["column_start"].as_u64().unwrap() as usize - 1,
                        span["column_end"].as_u64().unwrap() as usize - 1,
                    );
                    let name = &bad[s..e];
                    println!("{f}: import {name} dropped: {text_msg}");
                    let fixed = format!("{}{}", &bad[..s], &bad[e..])
                        .replace("{, ", "{")
                        .replace(", ,", ",")
                        .replace(", }", "}");
                    *text = text.replacen(&bad, &fixed, 1);
                    progressed = true;
                    break;
                }
            }
        }
        if !progressed {
            let stderr = String::from_utf8_lossy(&out.stderr);
            panic!("scratch crate does not compile, outside any test:\n{stderr}");
        }
    }

    let out = cargo(&dir, &["test", "--", "--test-threads=2"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let Some(rest) = line.strip_prefix("test ") else {
            continue;
        };
        let Some((path, result)) = rest.split_once(" ... ") else {
            continue;
        };
        let f = path.split("::").next().unwrap();
        let name = path.rsplit("::").next().unwrap().to_string();
        if let Some(v) = verdicts.get_mut(f) {
            if result.starts_with("ok") {
                v.passed.insert(name);
            } else {
                v.failed.insert(name);
            }
        }
    }
    let mut all_good = true;
    println!(
        "\nparking_lot 0.13 unit tests against lockdep (from {}):",
        src.display()
    );
    for (f, v) in &verdicts {
        // `total` counts `#[test]` lines; tests made by a macro (condvar's
        // webkit queue tests) are only seen when they run.
        let seen = v.passed.len() + v.failed.len() + v.not_compiled.len();
        let total = v.total.max(seen);
        println!(
            "  {f:<17} {total:>3} tests: {:>3} pass, {:>2} fail, {:>2} do not compile, {:>2} not run{}{}",
            v.passed.len(),
            v.failed.len(),
            v.not_compiled.len(),
            total - seen,
            if v.failed.is_empty() {
                String::new()
            } else {
                format!("; failed: {:?}", v.failed)
            },
            if v.not_compiled.is_empty() {
                String::new()
            } else {
                format!("; not compiled: {:?}", v.not_compiled)
            },
        );
        all_good &= v.failed.is_empty()
            && total == seen
            && v.not_compiled
                .iter()
                .all(|t| CRATE_PRIVATE.contains(&t.as_str()));
    }
    if !out.status.success() || !all_good {
        println!("{}", String::from_utf8_lossy(&out.stderr));
    }
    assert!(all_good, "some parking_lot tests fail or do not compile");
}
