//! The `lockdep` command end to end, on real processes: the `ingest` and
//! `flush` examples (one lock order each, same lock classes) and `abba` run
//! with `LOCKDEP_DUMP_DIR`, then the command on their dumps.
//!
//! The examples belong to the `lockdep` package, which cargo does not build
//! for this crate's tests. So the tests build them, and the command, once
//! with `cargo build -p lockdep-cli --bin lockdep -p lockdep --example ...`
//! (the cargo and target directory of the running test) and run the binaries
//! directly, in the workspace root.
//!
//! Every run of the command is checked for a panic message on stderr.
#![cfg(not(lockdep_off))] // its programs must produce reports

use std::collections::{BTreeSet, HashMap};
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use lockdep::{Dump, Report, ReportKind};
use lockdep_cli::Baseline;

// ===== building and running =====

struct Built {
    lockdep: PathBuf,
    examples: HashMap<String, PathBuf>,
}

const EXAMPLES: [&str; 3] = ["ingest", "flush", "abba"];

fn built() -> &'static Built {
    static BUILT: OnceLock<Built> = OnceLock::new();
    BUILT.get_or_init(|| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(workspace_root()).args([
            "build",
            "-q",
            "-p",
            "lockdep-cli",
            "--bin",
            "lockdep",
            "-p",
            "lockdep",
            "--message-format=json",
        ]);
        for e in EXAMPLES {
            cmd.args(["--example", e]);
        }
        let out = cmd.output().expect("run cargo build");
        assert!(
            out.status.success(),
            "building the command and the examples failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut lockdep = None;
        let mut examples = HashMap::new();
        for m in String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|m| m["reason"] == "compiler-artifact")
        {
            let (Some(name), Some(exe)) = (m["target"]["name"].as_str(), m["executable"].as_str())
            else {
                continue;
            };
            if name == "lockdep" && m["target"]["kind"][0] == "bin" {
                lockdep = Some(PathBuf::from(exe));
            } else if EXAMPLES.contains(&name) {
                examples.insert(name.to_owned(), PathBuf::from(exe));
            }
        }
        Built {
            lockdep: lockdep.expect("cargo names the lockdep executable"),
            examples,
        }
    })
}

/// The workspace root (this crate is `lockdep-cli/` in it): where the
/// examples' paths and the vendored schemas are relative to.
fn workspace_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("lockdep-cli is inside the workspace")
}

/// A fresh, empty directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch directory");
    dir
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs example `name` with its dumps going to `dir`; returns its stderr.
fn run_example(name: &str, dir: &Path) -> String {
    let exe = &built().examples[name];
    let out = Command::new(exe)
        .current_dir(workspace_root())
        .env("LOCKDEP_DUMP_DIR", dir)
        .env("LOCKDEP", "1")
        .env("LOCKDEP_BACKTRACE", "1")
        .env_remove("LOCKDEP_ON_REPORT")
        .output()
        .expect("run the example");
    assert!(out.status.success(), "example {name} failed: {out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs the command in the workspace root.
fn lockdep<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Run {
    let out = Command::new(&built().lockdep)
        .current_dir(workspace_root())
        .args(args)
        .output()
        .expect("run lockdep");
    let run = Run {
        code: out.status.code().expect("lockdep exited (no signal)"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "lockdep panicked:\n{}",
        run.stderr
    );
    run
}

/// `lockdep check DUMPS FLAG BASELINE EXTRA…`, FLAG being `--baseline` or
/// `--write-baseline`.
fn check(dumps: &Path, flag: &str, baseline: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "check".as_ref(),
        dumps.as_os_str(),
        flag.as_ref(),
        baseline.as_os_str(),
    ];
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    lockdep(&args)
}

/// The dumps of one run of `ingest` and one of `flush`, in a directory of
/// their own (made once).
fn ingest_flush() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = scratch("ingest-flush");
        run_example("ingest", &dir);
        run_example("flush", &dir);
        dir
    })
}

/// The `abba` example's dump and its stderr (made once).
fn abba() -> &'static (PathBuf, String) {
    static ABBA: OnceLock<(PathBuf, String)> = OnceLock::new();
    ABBA.get_or_init(|| {
        let dir = scratch("abba");
        let stderr = run_example("abba", &dir);
        (the_dump(&dir), stderr)
    })
}

fn dumps_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("read dump directory")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    v.sort();
    v
}

fn the_dump(dir: &Path) -> PathBuf {
    let v = dumps_in(dir);
    assert_eq!(v.len(), 1, "one dump in {}: {v:?}", dir.display());
    v.into_iter().next().unwrap()
}

fn dump_of(program: &str) -> (PathBuf, Dump) {
    for p in dumps_in(ingest_flush()) {
        let d = Dump::read(&p).expect("a readable dump");
        if d.process.program == program {
            return (p, d);
        }
    }
    panic!("no dump of {program} in {}", ingest_flush().display());
}

/// A directory holding the ingest, flush and abba dumps.
fn three_programs(name: &str) -> PathBuf {
    let dir = scratch(name);
    for p in dumps_in(ingest_flush()).iter().chain([&abba().0]) {
        std::fs::copy(p, dir.join(p.file_name().unwrap())).expect("copy a dump");
    }
    dir
}

/// The stable keys of the classes of the shared store (`examples/common/locks.rs`).
fn shared_class_keys() -> BTreeSet<String> {
    let (_, d) = dump_of("ingest");
    d.graph
        .classes
        .iter()
        .filter(|c| c.key.contains("examples/common/locks.rs"))
        .map(|c| c.key.clone())
        .collect()
}

// ===== each process alone, then merged =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn each_process_alone_reports_nothing_but_records_its_order() {
    let keys = shared_class_keys();
    assert_eq!(keys.len(), 2, "cache and index: {keys:?}");
    for (program, from, to) in [("ingest", "Mutex", "RwLock"), ("flush", "RwLock", "Mutex")] {
        let (_, d) = dump_of(program);
        assert!(d.reports.is_empty(), "{program}: {:#?}", d.reports);
        let edges: Vec<_> = d
            .graph
            .edges
            .iter()
            .filter(|e| keys.contains(&e.from.key) && keys.contains(&e.to.key))
            .collect();
        assert_eq!(edges.len(), 1, "{program}: one order");
        assert!(
            edges[0].from.name.starts_with(from),
            "{program}: {:?}",
            edges[0]
        );
        assert!(
            edges[0].to.name.starts_with(to),
            "{program}: {:?}",
            edges[0]
        );
        assert_eq!(edges[0].process.program, program);
    }
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn merge_finds_the_cycle_no_single_process_saw() {
    let dir = scratch("merge");
    let out = dir.join("merged.json");
    let run = lockdep(&[
        "merge".as_ref(),
        ingest_flush().as_os_str(),
        "-o".as_ref(),
        out.as_os_str(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let merged = Dump::read(&out).expect("the merged dump reads back");
    assert_eq!(merged.process.program, "lockdep-merge");
    let from: BTreeSet<&str> = merged
        .merged_from
        .iter()
        .map(|p| p.program.as_str())
        .collect();
    assert_eq!(from, BTreeSet::from(["flush", "ingest"]));

    assert_eq!(merged.reports.len(), 1, "{:#?}", merged.reports);
    let r = &merged.reports[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    let keys: BTreeSet<String> = r.chain.iter().map(|e| e.class.key.clone()).collect();
    assert_eq!(keys, shared_class_keys());
    let programs: BTreeSet<&str> = r.chain.iter().map(|e| e.process.program.as_str()).collect();
    assert_eq!(programs, BTreeSet::from(["flush", "ingest"]));
    // Each entry's site is in the program that recorded it.
    for e in &r.chain {
        assert!(
            e.location
                .starts_with(&format!("examples/{}.rs:", e.process.program)),
            "{e:?}"
        );
    }

    // The splat on stdout names both classes and says who recorded each edge.
    let splat = &run.stdout;
    assert!(
        splat.contains("WARNING: possible circular locking dependency detected"),
        "{splat}"
    );
    for c in &r.chain {
        assert!(splat.contains(&format!("({}):", c.class.name)), "{splat}");
    }
    assert!(splat.contains("(process ingest["), "{splat}");
    assert!(splat.contains("(process flush["), "{splat}");
    assert!(
        splat.contains("found by lockdep merge of 2 process dumps"),
        "{splat}"
    );
    assert!(
        splat.contains(
            "lockdep: merged 2 dump(s) of 2 process(es): 1 report(s), 1 found by merging"
        ),
        "{splat}"
    );

    // Without -o the dump goes to stdout and the splats to stderr.
    let run = lockdep(&["merge".as_ref(), ingest_flush().as_os_str()]);
    assert_eq!(run.code, 0);
    let again = Dump::parse(&run.stdout, "stdout").expect("stdout is a dump");
    assert_eq!(again.reports.len(), 1);
    assert_eq!(again.reports[0].fingerprint(), r.fingerprint());
    assert!(run.stderr.contains("(process ingest["), "{}", run.stderr);

    // Merging the merged dump with its inputs finds nothing more.
    let run = lockdep(&[
        "merge".as_ref(),
        out.as_os_str(),
        ingest_flush().as_os_str(),
    ]);
    assert_eq!(run.code, 0);
    let again = Dump::parse(&run.stdout, "stdout").expect("stdout is a dump");
    assert_eq!(again.reports.len(), 1, "{:#?}", again.reports);
}

// ===== check and baselines =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn check_fails_on_new_reports_and_a_baseline_accepts_known_ones() {
    let dir = scratch("check");
    let base = dir.join("known.json");

    // No baseline: the merged cycle is new.
    let run = lockdep(&["check".as_ref(), ingest_flush().as_os_str()]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("(process flush["), "{}", run.stdout);
    assert!(
        run.stdout
            .ends_with("lockdep: 1 report(s), 1 new, 0 known (baseline)\n"),
        "{}",
        run.stdout
    );

    // Record it, then it is known.
    let run = check(ingest_flush(), "--write-baseline", &base, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let b = Baseline::read(&base).expect("the baseline reads back");
    assert_eq!(b.reports.len(), 1);
    assert_eq!(b.reports[0].kind, "circular_dependency");
    let run = check(ingest_flush(), "--baseline", &base, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "lockdep: 1 report(s), 0 new, 1 known (baseline)\n"
    );

    // A new report (abba's) against that baseline: exit 1, naming it.
    let all = three_programs("check-all");
    let run = check(&all, "--baseline", &base, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "lockdep: new: possible circular locking dependency detected: \
             &bank->ledger -> &bank->accounts -> &bank->ledger"
        ),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("(process ingest["),
        "known: not printed"
    );
    assert!(
        run.stdout
            .ends_with("lockdep: 2 report(s), 1 new, 1 known (baseline)\n")
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn check_names_baseline_entries_no_longer_seen() {
    let dir = scratch("stale");
    let base = dir.join("known.json");
    // The baseline knows abba's cycle and the ingest/flush one...
    let all = three_programs("stale-all");
    let run = check(&all, "--write-baseline", &base, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // ...and today only ingest/flush ran: abba's entry is stale, not an error.
    let run = check(ingest_flush(), "--baseline", &base, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout,
        "lockdep: no longer seen (fixed? then refresh the baseline with --write-baseline): \
         circular_dependency &bank->ledger -> &bank->accounts\n\
         lockdep: 1 report(s), 0 new, 1 known (baseline)\n"
    );
    let run = check(ingest_flush(), "--baseline", &base, &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(v["summary"]["stale"], 1);
    assert_eq!(v["stale"][0]["kind"], "circular_dependency");
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn baseline_matching_ignores_line_numbers_threads_and_pids() {
    let dir = scratch("check-moved");
    let base = dir.join("known.json");
    let (abba_dump, _) = abba();
    let run = check(abba_dump, "--write-baseline", &base, &[]);
    assert_eq!(run.code, 0);

    // The same problem after an edit moved every acquisition, in another
    // process whose threads have other names.
    let text = std::fs::read_to_string(abba_dump).unwrap();
    let moved = text
        .replace("examples/abba.rs:", "examples/abba.rs:1")
        .replace("\"transfer\"", "\"worker-1\"")
        .replace("\"audit\"", "\"worker-2\"");
    assert_ne!(moved, text);
    let moved_path = dir.join("abba-moved.json");
    std::fs::write(&moved_path, moved).unwrap();
    let run = check(&moved_path, "--baseline", &base, &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);

    // Another class in the cycle is another problem.
    let renamed = text.replace("&bank->ledger", "&bank->journal");
    let renamed_path = dir.join("abba-renamed.json");
    std::fs::write(&renamed_path, renamed).unwrap();
    let run = check(&renamed_path, "--baseline", &base, &[]);
    assert_eq!(run.code, 1, "{}", run.stdout);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn check_json_lists_new_and_known() {
    let dir = scratch("check-json");
    let base = dir.join("known.json");
    let (abba_dump, _) = abba();
    check(abba_dump, "--write-baseline", &base, &[]);
    let all = three_programs("check-json-all");
    let run = check(&all, "--baseline", &base, &["--format", "json"]);
    assert_eq!(run.code, 1);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(v["summary"]["reports"], 2);
    assert_eq!(v["summary"]["new"], 1);
    assert_eq!(v["summary"]["known"], 1);
    let new: Vec<Report> = serde_json::from_value(v["new"].clone()).expect("reports");
    assert_eq!(new[0].chain.len(), 2);
    assert!(new[0].chain.iter().any(|e| e.process.program == "ingest"));
}

// ===== show =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn show_renders_the_splat_the_process_printed() {
    let (dump, stderr) = abba();
    let run = lockdep(&["show".as_ref(), dump.as_os_str()]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout
            .starts_with("\n======================================================\nWARNING: possible circular locking dependency detected\n"),
        "{}",
        run.stdout
    );
    // Byte for byte what abba printed when it happened: ident line with its
    // program and pid, chain entries, scenario, held locks, stack.
    assert!(
        stderr.contains(&run.stdout),
        "show:\n{}\nprinted:\n{stderr}",
        run.stdout
    );

    let run = lockdep(&[
        "show".as_ref(),
        dump.as_os_str(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    assert_eq!(run.code, 0);
    let reports: Vec<Report> = serde_json::from_str(&run.stdout).expect("JSON reports");
    assert_eq!(reports, Dump::read(dump).unwrap().reports);
}

// ===== dot =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn dot_draws_the_graph_with_cycle_edges_in_red() {
    // The two programs' dumps plus one with an extra class off the cycle.
    let dir = scratch("dot");
    let (_, mut d) = dump_of("ingest");
    let mut extra = d.graph.edges[0].clone();
    extra.from = extra.to.clone();
    extra.to.name = "\"journal\" lock".into();
    extra.to.key = "journal".into();
    d.graph.edges.push(extra);
    d.process.pid += 1_000_000;
    d.write_atomic(&dir.join("extra.json")).unwrap();
    for p in dumps_in(ingest_flush()) {
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }

    let run = lockdep(&["dot".as_ref(), dir.as_os_str()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dot = &run.stdout;
    assert!(
        dot.starts_with("digraph lockdep {\n") && dot.ends_with("}\n"),
        "{dot}"
    );
    let red: Vec<&str> = dot
        .lines()
        .filter(|l| l.contains("->") && l.contains("color=\"red\""))
        .collect();
    assert_eq!(red.len(), 2, "both edges of the cycle: {dot}");
    assert!(red.iter().any(|l| l.contains("label=\"EN\"")), "{dot}");
    assert!(red.iter().any(|l| l.contains("label=\"SN\"")), "{dot}");
    assert!(
        dot.contains("label=\"\\\"journal\\\" lock\""),
        "quotes escaped: {dot}"
    );
    assert_eq!(dot.lines().filter(|l| l.contains("->")).count(), 3, "{dot}");

    let run = lockdep(&["dot".as_ref(), dir.as_os_str(), "--only-cycles".as_ref()]);
    assert_eq!(run.code, 0);
    let only = &run.stdout;
    assert!(!only.contains("journal"), "{only}");
    assert_eq!(
        only.lines().filter(|l| l.contains("->")).count(),
        2,
        "{only}"
    );
    let nodes = only
        .lines()
        .filter(|l| l.contains("[label=") && !l.contains("->"));
    assert_eq!(nodes.count(), 2, "{only}");
}

// ===== SARIF and GitHub annotations =====

/// The official schema's `language` pattern. Its stray `]` is legal in
/// ECMA-262 regexes (Annex B: a literal `]`) but the `jsonschema` crate checks
/// a schema's patterns strictly and refuses to compile the file as published.
const LANGUAGE_PATTERN: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$""#;
/// The same pattern with that `]` escaped: the same language, strict syntax.
const LANGUAGE_PATTERN_ESCAPED: &str = r#""^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$""#;

/// A validator for the SARIF 2.1.0 schema vendored at
/// `docs/schema/sarif-2.1.0.json` (unmodified on disk; the one pattern above
/// is escaped in memory), with format checks on (`uri`, `uri-reference`,
/// `date-time`).
fn sarif_validator() -> jsonschema::Validator {
    let path = workspace_root().join("docs/schema/sarif-2.1.0.json");
    let text = std::fs::read_to_string(&path).expect("the vendored SARIF schema");
    assert_eq!(
        text.matches(LANGUAGE_PATTERN).count(),
        2,
        "the vendored schema changed: revisit LANGUAGE_PATTERN"
    );
    let text = text.replace(LANGUAGE_PATTERN, LANGUAGE_PATTERN_ESCAPED);
    let schema: serde_json::Value = serde_json::from_str(&text).expect("the schema is JSON");
    assert_eq!(
        schema["$schema"], "http://json-schema.org/draft-07/schema#",
        "draft-07"
    );
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

fn assert_valid_sarif(log: &serde_json::Value) {
    let errors: Vec<String> = sarif_validator()
        .iter_errors(log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn sarif_validates_against_the_schema_with_one_result_per_report() {
    let all = three_programs("sarif");
    let run = lockdep(&[
        "check".as_ref(),
        all.as_os_str(),
        "--format".as_ref(),
        "sarif".as_ref(),
    ]);
    assert_eq!(run.code, 1, "new reports");
    let log: serde_json::Value = serde_json::from_str(&run.stdout).expect("SARIF is JSON");
    assert_valid_sarif(&log);
    assert_eq!(log["version"], "2.1.0");
    let run0 = &log["runs"][0];
    assert_eq!(run0["tool"]["driver"]["name"], "lockdep");
    assert_eq!(
        run0["tool"]["driver"]["rules"][0]["id"],
        "circular_dependency"
    );
    let results = run0["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    for r in results {
        assert_eq!(r["ruleId"], "circular_dependency");
        assert_eq!(r["level"], "error");
        assert!(
            r["partialFingerprints"]["lockdep/v1"]
                .as_str()
                .unwrap()
                .starts_with("circular_dependency:")
        );
        assert!(r.get("suppressions").is_none());
    }
    // The cross-process cycle: one location per acquire site, in both programs.
    let cross = results
        .iter()
        .find(|r| {
            r["message"]["text"]
                .as_str()
                .unwrap()
                .contains("across processes")
        })
        .expect("the merged cycle");
    let uris: BTreeSet<&str> = cross["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            l["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert_eq!(
        uris,
        BTreeSet::from(["examples/flush.rs", "examples/ingest.rs"])
    );
    for l in cross["locations"].as_array().unwrap() {
        assert!(
            l["physicalLocation"]["region"]["startLine"]
                .as_u64()
                .unwrap()
                > 0
        );
        assert!(
            l["physicalLocation"]["region"]["startColumn"]
                .as_u64()
                .unwrap()
                > 0
        );
    }

    // With a baseline: known reports are suppressed, and it still validates.
    let base = all.join("known.txt");
    check(&all, "--write-baseline", &base, &[]);
    let run = check(&all, "--baseline", &base, &["--format", "sarif"]);
    assert_eq!(run.code, 0);
    let log: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_valid_sarif(&log);
    for r in log["runs"][0]["results"].as_array().unwrap() {
        assert_eq!(r["suppressions"][0]["kind"], "external");
    }
}

#[test]
fn the_schema_rejects_a_broken_log() {
    // The validator is not vacuous.
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": {} }, "results": [{ "level": "fatal" }] }],
    });
    assert!(!sarif_validator().is_valid(&bad));
}

/// Validates the SARIF file named by `LOCKDEP_SARIF_TO_VALIDATE` (`.ci/run`
/// does this for the SARIF of its own lockdep run). Ignored by default.
#[test]
#[ignore = "run by .ci/run with LOCKDEP_SARIF_TO_VALIDATE=<file>"]
fn validate_sarif_file_from_env() {
    let path = std::env::var_os("LOCKDEP_SARIF_TO_VALIDATE")
        .expect("set LOCKDEP_SARIF_TO_VALIDATE to the SARIF file to validate");
    let text = std::fs::read_to_string(&path).expect("read the SARIF file");
    let log: serde_json::Value = serde_json::from_str(&text).expect("the SARIF file is JSON");
    assert_valid_sarif(&log);
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert!(!results.is_empty(), "the CI run has reports");
    println!(
        "{}: valid SARIF 2.1.0, {} result(s)",
        Path::new(&path).display(),
        results.len()
    );
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn github_format_writes_error_annotations_for_new_reports() {
    let all = three_programs("github");
    let run = lockdep(&[
        "check".as_ref(),
        all.as_os_str(),
        "--format".as_ref(),
        "github".as_ref(),
    ]);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    for l in &lines[..2] {
        assert!(l.starts_with("::error file=examples/"), "{l}");
        assert!(
            l.contains(",title=lockdep%3A possible circular locking dependency detected::"),
            "{l}"
        );
        assert!(!l[2..].contains('\n'));
    }
    // The cross-process cycle's message lists each site with its program.
    assert!(
        lines
            .iter()
            .any(|l| l.contains(" in ingest[") && l.contains(" in flush[")),
        "{}",
        run.stdout
    );
    assert_eq!(lines[2], "lockdep: 2 report(s), 2 new, 0 known (baseline)");
}

// ===== bad input =====

/// 1-based line of the first occurrence of `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    let at = text.find(needle).expect("needle in text");
    text[..at].matches('\n').count() + 1
}

/// What a row of [`bad_input_table`] must print on stderr.
enum Says {
    /// `lockdep: <file>:<line>:<col>: ...`, one line.
    At(PathBuf, usize),
    /// `lockdep: <file>: ...`, one line (no position: the whole file is wrong).
    File(PathBuf),
    /// A usage error (clap's message, which may span lines).
    Usage,
}

/// One kind of bad input: every command line in `runs` must exit 2 with
/// nothing on stdout and a message on stderr as `says`, containing `what`.
struct Bad {
    name: &'static str,
    runs: Vec<Vec<OsString>>,
    says: Says,
    what: &'static str,
}

fn args(parts: &[&OsStr]) -> Vec<OsString> {
    parts.iter().map(|p| p.to_os_string()).collect()
}

/// Every kind of bad input the command is given, as one table: bad dumps
/// (to `show`, `check`, `merge` and `dot` alike), bad baselines (to `check
/// --baseline`), and bad usage.
fn bad_input_table() -> Vec<Bad> {
    let dir = scratch("bad");
    let (_, d) = dump_of("ingest");
    let good = d.to_json().unwrap();
    let pid = format!("\"pid\": {}", d.process.pid);
    let cut = &good[..good.len() * 2 / 3];
    let empty_dir = dir.join("no-dumps");
    std::fs::create_dir_all(&empty_dir).unwrap();

    /// Where a file row's message points.
    enum Points {
        /// This line.
        Line(usize),
        /// The line of the first occurrence of this text.
        At(&'static str),
        /// The file only.
        File,
    }
    use Points::{At, File, Line};
    let dumps: Vec<(&str, &str, String, Points, &str)> = vec![
        (
            "dump: not JSON",
            "not-json.json",
            "lockdep dump\n".into(),
            Line(1),
            "not valid JSON",
        ),
        (
            "dump: truncated",
            "truncated.json",
            cut.into(),
            Line(cut.matches('\n').count() + 1),
            "truncated file",
        ),
        (
            "dump: empty",
            "empty.json",
            String::new(),
            File,
            "empty file",
        ),
        (
            "dump: other version",
            "version.json",
            good.replacen("\"version\": 1", "\"version\": 2", 1),
            File,
            "unsupported schema version 2",
        ),
        (
            "dump: other format",
            "format.json",
            good.replacen("\"format\": \"lockdep-dump\"", "\"format\": \"sarif\"", 1),
            File,
            "not a lockdep dump",
        ),
        (
            "dump: a baseline",
            "baseline-not-dump.json",
            Baseline::from_reports([]).to_json().unwrap(),
            File,
            "not a lockdep dump",
        ),
        (
            "dump: field of the wrong type",
            "field-type.json",
            good.replacen(&pid, "\"pid\": \"many\"", 1),
            At("\"many\""),
            "wrong field type",
        ),
        (
            "dump: unknown dependency type",
            "dep-type.json",
            good.replacen("\"EN\"", "\"XY\"", 1),
            At("\"XY\""),
            "unknown variant `XY`",
        ),
        (
            "dump: reports not an array",
            "reports-type.json",
            good.replacen("\"reports\": []", "\"reports\": {}", 1),
            At("\"reports\": {}"),
            "wrong field type",
        ),
    ];
    let baselines: Vec<(&str, &str, String, Points, &str)> = vec![
        (
            "baseline: truncated",
            "truncated-baseline.json",
            "{\"format\": \"lockdep-baseline\",\n \"version\": 1, \"reports\": [".into(),
            Line(2),
            "truncated",
        ),
        (
            "baseline: entry of the wrong type",
            "entry.json",
            "{\"format\": \"lockdep-baseline\", \"version\": 1,\n \"reports\": [{\"fingerprint\": 7}]}"
                .into(),
            Line(2),
            "wrong field type",
        ),
    ];
    let on_dump = |path: &Path| -> Vec<Vec<OsString>> {
        ["show", "check", "merge", "dot"]
            .into_iter()
            .map(|cmd| args(&[cmd.as_ref(), path.as_os_str()]))
            .collect()
    };
    let as_baseline = |path: &Path| -> Vec<Vec<OsString>> {
        vec![args(&[
            "check".as_ref(),
            ingest_flush().as_os_str(),
            "--baseline".as_ref(),
            path.as_os_str(),
        ])]
    };
    let mut table = Vec::new();
    for (rows, runs) in [
        (dumps, &on_dump as &dyn Fn(&Path) -> _),
        (baselines, &as_baseline),
    ] {
        for (name, file, text, points, what) in rows {
            let path = dir.join(file);
            std::fs::write(&path, &text).unwrap();
            let says = match points {
                Line(l) => Says::At(path.clone(), l),
                At(needle) => Says::At(path.clone(), line_of(&text, needle)),
                File => Says::File(path.clone()),
            };
            table.push(Bad {
                name,
                runs: runs(&path),
                says,
                what,
            });
        }
    }
    let missing = |name, path: PathBuf, runs: &dyn Fn(&Path) -> Vec<Vec<OsString>>| Bad {
        name,
        runs: runs(&path),
        says: Says::File(path),
        what: "cannot read",
    };
    table.push(missing(
        "dump: missing file",
        dir.join("missing.json"),
        &on_dump,
    ));
    table.push(missing(
        "baseline: missing file",
        dir.join("missing-baseline.json"),
        &as_baseline,
    ));
    table.push(Bad {
        name: "dump: directory without dumps",
        runs: on_dump(&empty_dir),
        says: Says::File(empty_dir.clone()),
        what: "no dumps",
    });
    let not_json = dir.join("not-json.json");
    table.push(Bad {
        name: "dump: one bad file among good ones",
        runs: vec![args(&[
            "check".as_ref(),
            ingest_flush().as_os_str(),
            not_json.as_os_str(),
        ])],
        says: Says::At(not_json, 1),
        what: "not valid JSON",
    });
    table.push(Bad {
        name: "baseline: a dump",
        runs: as_baseline(&abba().0),
        says: Says::File(abba().0.clone()),
        what: "not a lockdep baseline",
    });
    for (name, line, what) in [
        (
            "usage: unknown subcommand",
            &["frobnicate"][..],
            "unrecognized subcommand",
        ),
        (
            "usage: no dump",
            &["check"],
            "required arguments were not provided",
        ),
        ("usage: no subcommand", &[], "Usage:"),
        (
            "usage: unknown format",
            &["check", "x.json", "--format", "xml"],
            "invalid value 'xml'",
        ),
    ] {
        table.push(Bad {
            name,
            runs: vec![line.iter().map(OsString::from).collect()],
            says: Says::Usage,
            what,
        });
    }
    table
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn bad_input_table_every_row_is_exit_2_with_a_precise_message() {
    let table = bad_input_table();
    for Bad {
        name,
        runs,
        says,
        what,
    } in &table
    {
        for argv in runs {
            let run = lockdep(argv.as_slice());
            let ctx = format!("{name}: lockdep {argv:?}");
            assert_eq!(run.code, 2, "{ctx}: {}", run.stderr);
            assert!(
                run.stdout.is_empty(),
                "{ctx}: nothing on stdout: {}",
                run.stdout
            );
            assert!(
                run.stderr.contains(what),
                "{ctx}: {what:?} in {:?}",
                run.stderr
            );
            let prefix = match says {
                Says::At(path, line) => format!("lockdep: {}:{line}:", path.display()),
                Says::File(path) => format!("lockdep: {}: ", path.display()),
                Says::Usage => continue,
            };
            assert!(
                run.stderr.starts_with(&prefix),
                "{ctx}: expected {prefix:?}..., got {:?}",
                run.stderr
            );
            if let Says::At(..) = says {
                let col = run.stderr[prefix.len()..]
                    .split(':')
                    .next()
                    .and_then(|c| c.parse::<usize>().ok());
                assert!(col.is_some(), "{ctx}: a column: {:?}", run.stderr);
            }
            assert_eq!(
                run.stderr.lines().count(),
                1,
                "{ctx}: one line: {:?}",
                run.stderr
            );
        }
    }
}

#[test]
fn help_and_version_are_exit_0() {
    let run = lockdep(&["--help"]);
    assert_eq!(run.code, 0);
    for c in ["show", "merge", "check", "dot"] {
        assert!(run.stdout.contains(c), "{}", run.stdout);
    }
    let run = lockdep(&["--version"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.starts_with("lockdep "), "{}", run.stdout);
}
