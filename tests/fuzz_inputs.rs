//! Issue 10, "Bad input": the three readers of outside text never panic and
//! never take long, whatever they are given.
//!
//! - `lockdep::scenario::parse` (`.lds` scenario files),
//! - `lockdep::Dump::parse` (JSON dumps), and `lockdep merge` on every dump
//!   it accepts,
//! - `lockdep::tools::Baseline::parse` (JSON baselines).
//!
//! First the committed corpus `tests/fuzz-corpus/{scenario,dump,baseline}/`
//! (files named `ok-*` must be accepted, `bad-*` rejected), then proptest
//! inputs: corpus files mutated (bytes flipped, deleted, duplicated, tokens of
//! the format inserted, truncated), token soup, and arbitrary bytes. A reader
//! must return `Ok` or `Err` within [`TIME_LIMIT`]; an accepted dump or
//! baseline must read back equal from its own JSON. `LOCKDEP_FUZZ_CASES=N`
//! sets the number of generated inputs per property (default 2,000).
//!
//! The coverage-guided counterpart is `fuzz/` (cargo fuzz, nightly).

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use lockdep::Dump;
use lockdep::tools::Baseline;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed, TestRunner};

/// The longest one read may take (the dev profile; inputs are at most a few
/// tens of KiB).
const TIME_LIMIT: Duration = Duration::from_secs(2);

/// Which reader.
#[derive(Clone, Copy, Debug)]
enum Reader {
    Scenario,
    Dump,
    Baseline,
}

impl Reader {
    fn dir(self) -> &'static str {
        match self {
            Reader::Scenario => "scenario",
            Reader::Dump => "dump",
            Reader::Baseline => "baseline",
        }
    }

    /// Tokens of the format, inserted by the mutator.
    fn tokens(self) -> &'static [&'static str] {
        match self {
            Reader::Scenario => &[
                "case ",
                "expect ",
                "t0:",
                "t12:",
                "W(",
                "R(",
                "RR(",
                "T(",
                "TR(",
                "U(",
                "INIT(",
                "(",
                ")",
                " ; ",
                ";",
                "!",
                "@",
                "/",
                "/7",
                "/8",
                "/99999",
                " nest=",
                "nest=",
                "\n",
                "\n\n",
                "# ",
                " ",
                "ok",
                "deadlock",
                "recursive",
                "A",
                "A@1",
                "é",
                "\u{0}",
                "\r\n",
                "\t",
                ":",
                "x",
            ],
            Reader::Dump | Reader::Baseline => &[
                "{",
                "}",
                "[",
                "]",
                "\"",
                ":",
                ",",
                "null",
                "true",
                "0",
                "-1",
                "1e999",
                "18446744073709551616",
                "\"\\u0000\"",
                "\"\\ud800\"",
                "\\",
                "\"format\"",
                "\"version\"",
                "\"lockdep-dump\"",
                "\"lockdep-baseline\"",
                "\"reports\"",
                "\"kind\"",
                "\"circular_dependency\"",
                "\"subclass\"",
                "\"EN\"",
                "{}",
                "[]",
                "\n",
                " ",
            ],
        }
    }
}

/// Runs `read` (one reader on one input, `Ok(accepted)` or a failed
/// property) catching a panic and timing it against `limit`.
fn guarded(
    what: &str,
    limit: Duration,
    read: impl FnOnce() -> Result<bool, String>,
) -> Result<bool, String> {
    let started = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(read));
    let took = started.elapsed();
    let accepted = match outcome {
        Ok(r) => r?,
        Err(p) => {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            return Err(format!("{what} panicked: {msg}"));
        }
    };
    if took > limit {
        return Err(format!("{what} took {took:?}"));
    }
    Ok(accepted)
}

/// Runs `reader` on `text`: no panic, within [`TIME_LIMIT`]. Returns whether
/// it was accepted. An accepted dump or baseline must read back equal from
/// its own JSON.
fn check(reader: Reader, text: &str) -> Result<bool, String> {
    let what = format!("{reader:?} reader on {} bytes", text.len());
    guarded(&what, TIME_LIMIT, || {
        Ok(match reader {
            Reader::Scenario => lockdep::scenario::parse("fuzz.lds", text).is_ok(),
            Reader::Dump => match Dump::parse(text, "fuzz.json") {
                Ok(d) => {
                    let again = Dump::parse(&d.to_json().unwrap(), "again.json")
                        .map_err(|e| format!("an accepted dump does not read back: {e}"))?;
                    if again != d {
                        return Err("an accepted dump reads back different".into());
                    }
                    // `lockdep merge` on what the reader accepts: this dump
                    // with itself and with an empty one (no panic, a dump that
                    // reads back).
                    let empty = Dump::parse(
                        r#"{"format":"lockdep-dump","version":1,"process":{"program":"e","pid":1},"time":"t","merged_from":[],"reports":[],"graph":{"classes":[],"edges":[],"chains":0}}"#,
                        "empty.json",
                    )
                    .map_err(|e| format!("the empty dump: {e}"))?;
                    let merged = lockdep::tools::merge::merge(&[d.clone(), again, empty]);
                    Dump::parse(&merged.to_json().unwrap(), "merged.json")
                        .map_err(|e| format!("a merged dump does not read back: {e}"))?;
                    true
                }
                Err(_) => false,
            },
            Reader::Baseline => match Baseline::parse(text, "fuzz.json") {
                Ok(b) => {
                    let again = Baseline::parse(&b.to_json().unwrap(), "again.json")
                        .map_err(|e| format!("an accepted baseline does not read back: {e}"))?;
                    if again != b {
                        return Err("an accepted baseline reads back different".into());
                    }
                    true
                }
                Err(_) => false,
            },
        })
    })
}

/// The committed corpus files of `reader`, sorted by name, with their bytes.
fn corpus(reader: Reader) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(reader.dir());
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).expect("read corpus file");
            (p, bytes)
        })
        .collect()
}

/// Every corpus file: `ok-*` accepted, `bad-*` rejected, no panic, quick.
fn run_corpus(reader: Reader) {
    let files = corpus(reader);
    let (mut ok, mut bad) = (0, 0);
    for (path, bytes) in &files {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let accepted = check(reader, &String::from_utf8_lossy(bytes))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if name.starts_with("ok-") {
            assert!(accepted, "{name} is rejected");
            ok += 1;
        } else {
            assert!(name.starts_with("bad-"), "{name}: name it ok-* or bad-*");
            assert!(!accepted, "{name} is accepted");
            bad += 1;
        }
    }
    assert!(ok >= 2 && bad >= 5, "{reader:?} corpus: {ok} ok, {bad} bad");
}

#[test]
fn scenario_corpus() {
    run_corpus(Reader::Scenario);
}

#[test]
fn dump_corpus() {
    run_corpus(Reader::Dump);
}

#[test]
fn baseline_corpus() {
    run_corpus(Reader::Baseline);
}

/// One edit of the mutator.
#[derive(Clone, Debug)]
enum Edit {
    FlipBit(Index, u8),
    SetByte(Index, u8),
    Delete(Index, u8),
    Duplicate(Index, u8),
    Insert(Index, Index),
    Truncate(Index),
}

/// One edit; token insertions weigh three times as much as each other edit.
fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        1 => (any::<Index>(), 0u8..8).prop_map(|(i, b)| Edit::FlipBit(i, b)),
        1 => (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::SetByte(i, b)),
        1 => (any::<Index>(), 1u8..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => (any::<Index>(), 1u8..64).prop_map(|(i, n)| Edit::Duplicate(i, n)),
        3 => (any::<Index>(), any::<Index>()).prop_map(|(i, t)| Edit::Insert(i, t)),
        1 => any::<Index>().prop_map(Edit::Truncate),
    ]
}

/// Applies `edits` in order (an edit of an empty input that needs a byte does nothing).
fn apply(reader: Reader, mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |i: &Index, len: usize| i.index(len + 1);
        match e {
            Edit::FlipBit(i, b) if !bytes.is_empty() => {
                let k = i.index(bytes.len());
                bytes[k] ^= 1 << b;
            }
            Edit::SetByte(i, v) if !bytes.is_empty() => {
                let k = i.index(bytes.len());
                bytes[k] = *v;
            }
            Edit::Delete(i, n) => {
                let k = at(i, bytes.len());
                let end = (k + *n as usize).min(bytes.len());
                bytes.drain(k..end);
            }
            Edit::Duplicate(i, n) => {
                let k = at(i, bytes.len());
                let end = (k + *n as usize).min(bytes.len());
                let copy = bytes[k..end].to_vec();
                bytes.splice(k..k, copy);
            }
            Edit::Insert(i, t) => {
                let k = at(i, bytes.len());
                let tok = reader.tokens()[t.index(reader.tokens().len())];
                bytes.splice(k..k, tok.bytes());
            }
            Edit::Truncate(i) => {
                let k = at(i, bytes.len());
                bytes.truncate(k);
            }
            _ => {}
        }
    }
    bytes
}

/// Generated inputs per property: `LOCKDEP_FUZZ_CASES`, default 2,000.
fn cases() -> u32 {
    std::env::var("LOCKDEP_FUZZ_CASES")
        .ok()
        .map(|v| v.parse().expect("LOCKDEP_FUZZ_CASES is a number"))
        .unwrap_or(2_000)
}

/// Runs `cases()` inputs from `strategy` through `reader`; returns how many
/// were accepted.
fn fuzz(reader: Reader, strategy: impl Strategy<Value = Vec<u8>>) -> u32 {
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0xF022),
        ..Config::default()
    });
    let accepted = std::cell::Cell::new(0u32);
    let result = runner.run(&strategy, |bytes| {
        let text = String::from_utf8_lossy(&bytes);
        match check(reader, &text) {
            Ok(a) => {
                accepted.set(accepted.get() + u32::from(a));
                Ok(())
            }
            Err(e) => Err(TestCaseError::fail(e)),
        }
    });
    if let Err(e) = result {
        panic!("{reader:?}: {e}");
    }
    accepted.get()
}

/// Mutated corpus files, 1-4 edits each.
fn mutated(reader: Reader) -> impl Strategy<Value = Vec<u8>> {
    let seeds: Vec<Vec<u8>> = corpus(reader).into_iter().map(|(_, b)| b).collect();
    (any::<Index>(), prop::collection::vec(edit(), 1..=4)).prop_map(move |(seed, edits)| {
        apply(reader, seeds[seed.index(seeds.len())].clone(), &edits)
    })
}

/// Tokens of the format strung together, and arbitrary bytes.
fn soup(reader: Reader) -> impl Strategy<Value = Vec<u8>> {
    let tokens = reader.tokens();
    prop_oneof![
        prop::collection::vec(any::<Index>(), 0..200).prop_map(move |picks| {
            picks
                .iter()
                .flat_map(|i| tokens[i.index(tokens.len())].bytes())
                .collect()
        }),
        prop::collection::vec(any::<u8>(), 0..512),
    ]
}

/// Mutated corpus files reach both the accepting and the rejecting path of
/// the reader (with the default number of cases, whose fixed seed makes the
/// count the same every run): a mutator that broke every input, or none,
/// would test one path only.
fn assert_both_paths(reader: Reader, accepted: u32) {
    eprintln!(
        "{reader:?}: {accepted} of {} mutated inputs accepted",
        cases()
    );
    if cases() >= 1_000 {
        assert!(
            accepted > 0 && accepted < cases(),
            "{reader:?}: {accepted} of {} mutated inputs accepted",
            cases()
        );
    }
}

#[test]
fn scenario_parser_survives_mutated_corpus() {
    let accepted = fuzz(Reader::Scenario, mutated(Reader::Scenario));
    assert_both_paths(Reader::Scenario, accepted);
}

#[test]
fn scenario_parser_survives_token_soup_and_bytes() {
    fuzz(Reader::Scenario, soup(Reader::Scenario));
}

#[test]
fn dump_reader_survives_mutated_corpus() {
    let accepted = fuzz(Reader::Dump, mutated(Reader::Dump));
    assert_both_paths(Reader::Dump, accepted);
}

#[test]
fn dump_reader_survives_token_soup_and_bytes() {
    fuzz(Reader::Dump, soup(Reader::Dump));
}

#[test]
fn baseline_reader_survives_mutated_corpus() {
    let accepted = fuzz(Reader::Baseline, mutated(Reader::Baseline));
    assert_both_paths(Reader::Baseline, accepted);
}

#[test]
fn baseline_reader_survives_token_soup_and_bytes() {
    fuzz(Reader::Baseline, soup(Reader::Baseline));
}

/// The guard can fail: a reader that panics, one that is too slow and a
/// failed read-back property are each an error, not a pass.
#[test]
fn the_guard_catches_panics_slowness_and_failed_properties() {
    let e = guarded("panicking reader", TIME_LIMIT, || panic!("boom")).unwrap_err();
    assert!(e.contains("panicked: boom"), "{e}");
    let e = guarded("slow reader", Duration::from_millis(1), || {
        std::thread::sleep(Duration::from_millis(20));
        Ok(true)
    })
    .unwrap_err();
    assert!(e.contains("took"), "{e}");
    let e = guarded("reader", TIME_LIMIT, || Err("reads back different".into())).unwrap_err();
    assert_eq!(e, "reads back different");
    assert_eq!(guarded("reader", TIME_LIMIT, || Ok(false)), Ok(false));
}
