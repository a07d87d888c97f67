//! JSON dumps (`docs/report-format.md`): the automatic dumps of
//! `LOCKDEP_DUMP_DIR` (after a report, before an abort, at exit), the JSON
//! Schema in `docs/schema/`, class keys across processes, stack capture, and
//! every error of the dump reader.
//!
//! Dumps are per process, so most cases re-run this test binary as a child
//! process (`common::ChildTest`, as `tests/policy.rs` does). The `child_*`
//! tests are the children's entry points: `#[ignore]`d, and they do nothing
//! unless `common::is_child()`.

// Compiled out, a lock has no `Drop` of its own: these tests drop locks on
// purpose (and are ignored in that build).
#![cfg_attr(lockdep_off, allow(clippy::drop_non_drop))]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Barrier;
use std::thread;

use common::child::ChildOutput;
use common::{ChildTest, is_child};
use lockdep::dump::{DumpError, FORMAT, VERSION};
use lockdep::report::LockRef;
use lockdep::{
    DepType, Dump, LockClass, LockMap, Mode, Mutex, RecursiveRwLock, ReportKind, RwLock, SeqCount,
};

const SCHEMA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/schema/lockdep-dump-v1.schema.json"
);

/// The number printed after `CHILD-LINE <what>=` on the child's stdout.
fn child_line(child: &ChildOutput, what: &str) -> u32 {
    let tag = format!("CHILD-LINE {what}=");
    let at = child
        .stdout
        .find(&tag)
        .unwrap_or_else(|| panic!("no {tag} in:\n{}", child.stdout));
    let rest = &child.stdout[at + tag.len()..];
    rest[..rest.find('\n').unwrap()].parse().unwrap()
}

/// Runs the ignored test `name` of this binary in a child process with `env`
/// (and none of the `LOCKDEP*` variables of this process); it must have
/// reached its `CHILD-START`.
fn run_child(name: &str, env: &[(&str, &str)]) -> ChildOutput {
    let child = ChildTest::new(name).envs(env).run();
    assert!(
        child.stdout.contains("CHILD-START"),
        "child did not run {name}:\n{}\n{}",
        child.stdout,
        child.stderr
    );
    child
}

/// A fresh directory under the system temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("lockdep-dump-test-{}-{tag}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the temporary directory");
        TempDir(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
    fn as_str(&self) -> &str {
        self.0.to_str().expect("UTF-8 temporary path")
    }
    /// The names of the files in the directory, sorted.
    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .expect("list the directory")
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The program name dumps use for this binary: its file name without cargo's
/// `-<16 hex digits>` suffix.
fn program() -> String {
    let exe = std::env::current_exe().unwrap();
    let stem = exe.file_stem().unwrap().to_string_lossy().into_owned();
    let (base, hash) = stem.rsplit_once('-').expect("cargo test binary name");
    assert_eq!(hash.len(), 16, "{stem}");
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{stem}");
    assert_eq!(base, "dump", "this file is tests/dump.rs");
    base.to_owned()
}

/// Reads the one dump a child wrote into `dir`: `<program>-<pid>.json`, with
/// nothing else left beside it (no temporary files).
fn read_child_dump(dir: &TempDir, child: &ChildOutput) -> Dump {
    let name = format!("{}-{}.json", program(), child.pid);
    assert_eq!(
        dir.files(),
        std::slice::from_ref(&name),
        "exactly the dump, no temporary files\nstderr:\n{}",
        child.stderr
    );
    let path = dir.path().join(&name);
    let dump = Dump::read(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dump.format, FORMAT);
    assert_eq!(dump.version, VERSION);
    assert_eq!(dump.process.pid, child.pid);
    assert_eq!(dump.process.program, program());
    assert!(dump.merged_from.is_empty());
    assert_schema_valid(&std::fs::read_to_string(&path).unwrap());
    dump
}

/// Checks `json` against `docs/schema/lockdep-dump-v1.schema.json`.
fn assert_schema_valid(json: &str) {
    let errors = schema_errors(json);
    assert!(
        errors.is_empty(),
        "schema violations:\n{}",
        errors.join("\n")
    );
}

fn schema_errors(json: &str) -> Vec<String> {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(SCHEMA).expect("read the schema"))
            .expect("the schema is JSON");
    jsonschema::meta::validate(&schema).expect("the schema is a valid JSON Schema");
    let validator = jsonschema::validator_for(&schema).expect("compile the schema");
    let instance: serde_json::Value = serde_json::from_str(json).expect("the dump is JSON");
    validator
        .iter_errors(&instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

fn starts_at(location: &str, line: u32) -> bool {
    location.starts_with(&format!("{}:{line}:", file!()))
}

// ===== child entry points =====

/// ABBA on this thread with named classes; prints the lines of the
/// acquisitions on stdout before making them.
fn abba() {
    static A: LockClass = LockClass::new("dump::A");
    static B: LockClass = LockClass::new("dump::B");
    let a = Mutex::with_class(0u32, &A);
    let b = Mutex::with_class(0u32, &B);
    println!("CHILD-START");
    {
        let _ga = a.lock();
        println!("CHILD-LINE b_under_a={}", line!() + 1);
        let _gb = b.lock();
    }
    {
        println!("CHILD-LINE b_alone={}", line!() + 1);
        let _gb = b.lock();
        println!("CHILD-LINE a_under_b={}", line!() + 1);
        let mut ga = a.lock();
        *ga = 1;
    }
    println!("CHILD-AFTER-ABBA");
    // A dependency recorded after the report: only the exit-time dump has it.
    static C: LockClass = LockClass::new("dump::C");
    let c = Mutex::with_class(0u32, &C);
    let _ga = a.lock();
    let _gc = c.lock();
}

#[test]
#[ignore = "child process entry point, run by the dump tests"]
fn child_abba() {
    if is_child() {
        abba();
    }
}

/// Builds edges of several types without any report, then exits normally.
fn clean_graph() {
    static OUTER: Mutex<u32> = Mutex::new(0);
    static TABLE: RecursiveRwLock<Vec<u8>> = RecursiveRwLock::new(Vec::new());
    static INNER: LockClass = LockClass::new("dump::inner");
    static EXTRA: LockClass = LockClass::new("dump::extra");
    println!("CHILD-START");
    println!("CHILD-LINE inner_created={}", line!() + 1);
    let inner = Mutex::with_class((), &INNER);
    let extra = Mutex::with_class((), &EXTRA);
    {
        let _o = OUTER.lock();
        println!("CHILD-LINE table_under_outer={}", line!() + 1);
        let _t = TABLE.read(); // OUTER -(ER)-> TABLE
    }
    {
        let _t = TABLE.read();
        let _i = inner.lock(); // TABLE -(SN)-> inner
    }
    {
        let _t = TABLE.write();
        let _i = inner.lock(); // and -(EN)->
    }
    {
        let _o = OUTER.lock();
        let _i = inner.lock(); // OUTER -> inner, chain 1
    }
    {
        let _x = extra.lock();
        let _o = OUTER.lock();
        let _i = inner.lock(); // OUTER -> inner again, chain 2
    }
    println!("CHILD-REPORTS={}", lockdep::reports().len());
}

#[test]
#[ignore = "child process entry point, run by the dump tests"]
fn child_clean_exit() {
    if is_child() {
        clean_graph();
    }
}

/// Locks built at fixed places of this file: a site class, a named pseudo-lock
/// (keyed by its site too) and a named class. Returns nothing: everything is
/// taken and released here.
fn fixed_sites() {
    static PSEUDO: LockMap = LockMap::new("dump::pseudo");
    static NAMED: LockClass = LockClass::new("dump::named");
    let site = RwLock::new(String::new());
    let named = Mutex::with_class((), &NAMED);
    let _p = PSEUDO.acquire();
    let _s = site.write();
    let _n = named.lock();
}

#[test]
#[ignore = "child process entry point, run by the dump tests"]
fn child_fixed_sites() {
    if is_child() {
        println!("CHILD-START");
        fixed_sites();
    }
}

/// Reaches the held-depth limit (the child runs with `LOCKDEP_MAX_DEPTH=2`).
#[test]
#[ignore = "child process entry point, run by the dump tests"]
fn child_capacity() {
    if !is_child() {
        return;
    }
    println!("CHILD-START");
    static C1: LockClass = LockClass::new("dump::cap1");
    static C2: LockClass = LockClass::new("dump::cap2");
    static C3: LockClass = LockClass::new("dump::cap3");
    let (a, b, c) = (
        Mutex::with_class((), &C1),
        Mutex::with_class((), &C2),
        Mutex::with_class((), &C3),
    );
    let _ga = a.lock();
    let _gb = b.lock();
    let _gc = c.lock();
    println!("CHILD-REPORTS={}", lockdep::reports().len());
}

// ===== after a report, and abort =====

#[cfg(unix)]
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn abort_right_after_a_report_leaves_a_complete_dump() {
    use std::os::unix::process::ExitStatusExt;
    let dir = TempDir::new("abort");
    let child = run_child(
        "child_abba",
        &[
            ("LOCKDEP_DUMP_DIR", dir.as_str()),
            ("LOCKDEP_ON_REPORT", "abort"),
        ],
    );
    let (stdout, stderr) = (&child.stdout, &child.stderr);
    assert_eq!(
        child.status.signal(),
        Some(6),
        "SIGABRT expected: {:?}\n{stderr}",
        child.status
    );
    assert!(!stdout.contains("CHILD-AFTER-ABBA"), "{stdout}");

    let dump = read_child_dump(&dir, &child);
    assert_eq!(dump.reports.len(), 1, "{:#?}", dump.reports);
    let r = &dump.reports[0];
    assert_eq!(r.kind, ReportKind::CircularDependency);
    assert_eq!(r.title, "possible circular locking dependency detected");
    assert_eq!(r.process, dump.process);
    assert!(!r.time.is_empty() && r.time.ends_with('Z'), "{}", r.time);
    assert_eq!(r.classes(), ["dump::B", "dump::A"]);
    assert_eq!(r.fingerprint(), "circular_dependency:dump::A/0,dump::B/0");

    // The chain: #1 is B, by the edge A -> B recorded at `b_under_a`; #0 is
    // A, the new edge B -> A being added at `a_under_b`.
    let (b_under_a, b_alone, a_under_b) = (
        child_line(&child, "b_under_a"),
        child_line(&child, "b_alone"),
        child_line(&child, "a_under_b"),
    );
    assert_eq!(r.chain.len(), 2, "{:#?}", r.chain);
    let (c1, c0) = (&r.chain[0], &r.chain[1]);
    assert_eq!((c1.index, c0.index), (1, 0));
    for (entry, name, line) in [(c1, "dump::B", b_under_a), (c0, "dump::A", a_under_b)] {
        assert_eq!(entry.class.name, name);
        assert_eq!(entry.class.key, name, "a named class's key is its name");
        assert_eq!(entry.class.subclass, 0);
        assert_eq!(entry.dep, DepType::EN);
        assert!(starts_at(&entry.location, line), "{entry:#?}");
        assert_eq!(entry.thread, r.thread);
        assert_eq!(entry.process, dump.process);
        // Capture is on by default: each edge's stack, symbolised for the dump.
        assert!(
            entry.stack.iter().any(|f| f.starts_with("dump::abba (")),
            "{entry:#?}"
        );
    }
    let lock = |l: &Option<LockRef>| l.clone().expect("lock present");
    let (acq, hold) = (lock(&r.acquiring), lock(&r.holding));
    assert_eq!(
        (acq.class.key.as_str(), acq.mode),
        ("dump::A", Mode::Exclusive)
    );
    assert!(starts_at(&acq.location, a_under_b), "{acq:#?}");
    assert_eq!(hold.class.key, "dump::B");
    assert!(starts_at(&hold.location, b_alone), "{hold:#?}");
    assert_eq!(r.held, [hold]);
    assert!(
        r.stack.iter().any(|f| f.starts_with("dump::abba (")),
        "{r:#?}"
    );

    // The graph went into the same dump, both directions of the cycle.
    assert!(dump.graph.has_edge("dump::A", "dump::B"));
    assert!(dump.graph.has_edge("dump::B", "dump::A"));
    let keys: Vec<&str> = dump.graph.classes.iter().map(|c| c.key.as_str()).collect();
    assert_eq!(keys, ["dump::A", "dump::B"]);
    assert!(dump.graph.classes.iter().all(|c| c.created.is_some()));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn warn_policy_dump_has_the_report_and_is_rewritten_at_exit() {
    let dir = TempDir::new("warn");
    let child = run_child("child_abba", &[("LOCKDEP_DUMP_DIR", dir.as_str())]);
    assert!(child.status.success(), "{}", child.stderr);
    assert!(child.stdout.contains("CHILD-AFTER-ABBA"));
    let dump = read_child_dump(&dir, &child);
    let kinds: Vec<ReportKind> = dump.reports.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [ReportKind::CircularDependency]);
    // Written again at exit: it has the edge recorded after the report.
    assert!(
        dump.graph.has_edge("dump::A", "dump::C"),
        "{:#?}",
        dump.graph
    );
    assert!(dump.time >= dump.reports[0].time);
}

/// Eight threads each raise their own report at the same moment, then the
/// process aborts without an exit-time dump.
#[test]
#[ignore = "child process entry point, run by the dump tests"]
fn child_concurrent_reports_then_abort() {
    if !is_child() {
        return;
    }
    const N: usize = 8;
    println!("CHILD-START");
    let classes: Vec<[&'static LockClass; 2]> = (0..N)
        .map(|i| {
            [
                LockClass::new_dynamic(format!("dump::conc{i}a")),
                LockClass::new_dynamic(format!("dump::conc{i}b")),
            ]
        })
        .collect();
    let go = Barrier::new(N);
    thread::scope(|s| {
        for [ca, cb] in &classes {
            let go = &go;
            s.spawn(move || {
                let (a, b) = (Mutex::with_class((), ca), Mutex::with_class((), cb));
                drop((a.lock(), b.lock()));
                go.wait();
                let _gb = b.lock();
                let _ga = a.lock();
            });
        }
    });
    println!("CHILD-REPORTS={}", lockdep::reports().len());
    std::process::abort();
}

#[cfg(unix)]
#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn concurrent_reports_all_reach_the_dump() {
    let dir = TempDir::new("concurrent");
    let child = run_child(
        "child_concurrent_reports_then_abort",
        &[("LOCKDEP_DUMP_DIR", dir.as_str())],
    );
    assert!(child.stdout.contains("CHILD-REPORTS=8"), "{}", child.stdout);
    let dump = read_child_dump(&dir, &child);
    assert_eq!(
        dump.reports.len(),
        8,
        "the last write must carry every report: {:#?}",
        dump.reports.iter().map(|r| r.classes()).collect::<Vec<_>>()
    );
}

// ===== at exit =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn normal_exit_writes_the_graph_without_reports() {
    let dir = TempDir::new("exit");
    let child = run_child("child_clean_exit", &[("LOCKDEP_DUMP_DIR", dir.as_str())]);
    let (stdout, stderr) = (&child.stdout, &child.stderr);
    assert!(child.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("CHILD-REPORTS=0"), "{stdout}");
    assert!(!stderr.contains("lockdep"), "{stderr}");

    let dump = read_child_dump(&dir, &child);
    assert!(dump.reports.is_empty(), "{:#?}", dump.reports);
    let g = &dump.graph;

    // Classes: every one with where it was created.
    let class = |prefix: &str| {
        g.classes
            .iter()
            .find(|c| c.name.starts_with(prefix))
            .unwrap_or_else(|| panic!("no class {prefix}: {:#?}", g.classes))
    };
    let outer = class("Mutex<u32> @ ");
    let created = outer
        .created
        .as_deref()
        .expect("site classes know their site");
    assert!(created.starts_with(concat!(file!(), ":")), "{outer:#?}");
    assert_eq!(outer.name, format!("Mutex<u32> @ {created}"));
    assert_eq!(
        outer.key,
        format!("{}@{created}", std::any::type_name::<Mutex<u32>>())
    );
    let table = class("RecursiveRwLock<Vec<u8>> @ ");
    assert_eq!(
        table.key,
        format!(
            "{}@{}",
            std::any::type_name::<RecursiveRwLock<Vec<u8>>>(),
            table.created.as_deref().unwrap()
        )
    );
    let inner = class("dump::inner");
    assert_eq!(inner.key, "dump::inner");
    assert!(
        starts_at(
            inner.created.as_deref().unwrap(),
            child_line(&child, "inner_created")
        ),
        "a named class was created where its first lock was built: {inner:#?}"
    );

    // Edges: types, where first recorded, how often, stacks.
    let edge = |from: &str, to: &str| {
        g.edges
            .iter()
            .find(|e| e.from.name == from && e.to.name == to)
            .unwrap_or_else(|| panic!("no edge {from} -> {to}: {:#?}", g.edges))
    };
    let e = edge(&outer.name, &table.name);
    assert_eq!(e.types, [DepType::ER]);
    assert!(
        starts_at(&e.location, child_line(&child, "table_under_outer")),
        "{e:#?}"
    );
    assert!(e.from_location.starts_with(concat!(file!(), ":")), "{e:#?}");
    assert_eq!(e.count, 1);
    assert_eq!(e.process, dump.process);
    assert!(
        e.stack.iter().any(|f| f.starts_with("dump::clean_graph (")),
        "{e:#?}"
    );
    assert_eq!(
        edge(&table.name, "dump::inner").types,
        [DepType::EN, DepType::SN]
    );
    assert_eq!(edge(&outer.name, "dump::inner").count, 2);
    assert_eq!(edge("dump::extra", &outer.name).types, [DepType::EN]);
    // Each acquisition adds an edge from the lock held just below it only.
    assert_eq!(g.edges.len(), 4, "{:#?}", g.edges);
    assert!(g.chains >= 5, "{}", g.chains);
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn backtrace_off_leaves_every_stack_empty() {
    let dir = TempDir::new("nobt");
    let env = [
        ("LOCKDEP_DUMP_DIR", dir.as_str()),
        ("LOCKDEP_BACKTRACE", "0"),
    ];
    let child = run_child("child_clean_exit", &env);
    assert!(child.status.success(), "{}", child.stderr);
    let dump = read_child_dump(&dir, &child);
    assert!(!dump.graph.edges.is_empty());
    assert!(
        dump.graph.edges.iter().all(|e| e.stack.is_empty()),
        "{dump:#?}"
    );
    drop(dump);

    let dir = TempDir::new("nobt-abba");
    let env = [
        ("LOCKDEP_DUMP_DIR", dir.as_str()),
        ("LOCKDEP_BACKTRACE", "0"),
    ];
    let child = run_child("child_abba", &env);
    assert!(child.status.success(), "{}", child.stderr);
    let dump = read_child_dump(&dir, &child);
    let r = &dump.reports[0];
    assert_eq!(r.chain.len(), 2);
    assert!(r.stack.is_empty(), "{r:#?}");
    assert!(r.chain.iter().all(|c| c.stack.is_empty()), "{r:#?}");
    assert!(dump.graph.edges.iter().all(|e| e.stack.is_empty()));
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn an_uncreatable_dump_dir_warns_once_and_the_program_runs_on() {
    let dir = TempDir::new("baddir");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let under_file = file.join("dumps");
    let child = run_child(
        "child_abba",
        &[("LOCKDEP_DUMP_DIR", under_file.to_str().unwrap())],
    );
    let (stdout, stderr) = (&child.stdout, &child.stderr);
    assert!(child.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("CHILD-AFTER-ABBA"), "{stdout}");
    let warning = format!(
        "lockdep: LOCKDEP_DUMP_DIR={}: cannot create the directory: ",
        under_file.display()
    );
    assert_eq!(stderr.matches(&warning).count(), 1, "{stderr}");
    assert!(stderr.contains("; no dumps will be written\n"), "{stderr}");
    // Only that warning: no per-report or exit-time write errors.
    assert_eq!(stderr.matches("lockdep: ").count(), 1, "{stderr}");
    assert!(
        stderr.contains("possible circular locking dependency detected"),
        "{stderr}"
    );
    assert_eq!(dir.files(), ["a-file"]);
}

/// Blocks its own dump path with a non-empty directory, then runs ABBA.
#[test]
#[ignore = "child process entry point, run by the dump tests"]
fn child_blocked_dump_path() {
    if !is_child() {
        return;
    }
    let dir = PathBuf::from(std::env::var_os("LOCKDEP_DUMP_DIR").unwrap());
    let blocker = dir.join(format!("{}-{}.json", program(), std::process::id()));
    std::fs::create_dir_all(blocker.join("occupied")).unwrap();
    abba();
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn a_failed_write_warns_cleans_up_and_the_program_runs_on() {
    let dir = TempDir::new("blocked");
    let child = run_child(
        "child_blocked_dump_path",
        &[("LOCKDEP_DUMP_DIR", dir.as_str())],
    );
    let (stdout, stderr) = (&child.stdout, &child.stderr);
    assert!(child.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("CHILD-AFTER-ABBA"), "{stdout}");
    let path = dir.path().join(format!("{}-{}.json", program(), child.pid));
    let warning = format!("lockdep: cannot write dump {}: ", path.display());
    // Once after the report, once at exit.
    assert_eq!(stderr.matches(&warning).count(), 2, "{stderr}");
    assert!(path.is_dir(), "the blocker is untouched");
    assert_eq!(
        dir.files(),
        [format!("{}-{}.json", program(), child.pid)],
        "no temporary file left behind"
    );
}

// ===== class keys across processes =====

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn two_processes_agree_on_class_keys() {
    let dir = TempDir::new("keys");
    let first = run_child("child_fixed_sites", &[("LOCKDEP_DUMP_DIR", dir.as_str())]);
    let second = run_child("child_fixed_sites", &[("LOCKDEP_DUMP_DIR", dir.as_str())]);
    for c in [&first, &second] {
        assert!(c.status.success(), "{}", c.stderr);
    }
    assert_ne!(first.pid, second.pid);
    let read = |c: &ChildOutput| {
        let path = dir.path().join(format!("{}-{}.json", program(), c.pid));
        Dump::read(&path).unwrap_or_else(|e| panic!("{e}"))
    };
    let (a, b) = (read(&first), read(&second));
    assert_ne!(a.process, b.process);
    let keys =
        |d: &Dump| -> Vec<String> { d.graph.classes.iter().map(|c| c.key.clone()).collect() };
    assert_eq!(keys(&a).len(), 3, "{:#?}", a.graph.classes);
    assert_eq!(keys(&a), keys(&b));
    let edge_keys = |d: &Dump| -> Vec<(String, String)> {
        d.graph
            .edges
            .iter()
            .map(|e| (e.from.key.clone(), e.to.key.clone()))
            .collect()
    };
    assert_eq!(edge_keys(&a).len(), 2);
    assert_eq!(edge_keys(&a), edge_keys(&b));

    // The key forms: `name@site` for a pseudo-lock, `type@site` for a lock
    // built at a site, the name for a named class.
    let k = keys(&a);
    assert!(
        k[0].starts_with(concat!("dump::pseudo@", file!(), ":")),
        "{k:?}"
    );
    let rwlock = std::any::type_name::<RwLock<String>>();
    assert!(k[1].starts_with(&format!("{rwlock}@{}:", file!())), "{k:?}");
    assert_eq!(k[2], "dump::named");

    // And this process, building the same locks, agrees too.
    fixed_sites();
    let here: Vec<String> = lockdep::graph()
        .classes
        .into_iter()
        .map(|c| c.key)
        .collect();
    for key in &k {
        assert!(here.contains(key), "{key} not in {here:#?}");
    }
}

// ===== lockdep::dump and the JSON Schema =====

/// Raises every kind of report but `capacity_reached` in this process.
fn raise_every_report_kind() {
    // circular_dependency
    static CA: LockClass = LockClass::new("dumpall::A");
    static CB: LockClass = LockClass::new("dumpall::B");
    let (a, b) = (Mutex::with_class((), &CA), Mutex::with_class((), &CB));
    {
        let _ga = a.lock();
        let _gb = b.lock();
    }
    {
        let _gb = b.lock();
        let _ga = a.lock();
    }
    // recursive_locking
    static REC: LockClass = LockClass::new("dumpall::rec");
    let (r1, r2) = (Mutex::with_class((), &REC), Mutex::with_class((), &REC));
    {
        let _g1 = r1.lock();
        let _g2 = r2.lock();
    }
    // bad_unlock_balance
    static NEVER: LockMap = LockMap::new("dumpall::never-held");
    NEVER.unlock();
    // held_lock_freed
    static FREED: LockClass = LockClass::new("dumpall::freed");
    let freed = Mutex::with_class((), &FREED);
    std::mem::forget(freed.lock());
    drop(freed);
    // nest_lock_not_held
    static NEST: LockMap = LockMap::new("dumpall::nest");
    static ITEM: LockMap = LockMap::new("dumpall::item");
    assert!(ITEM.lock(Mode::Exclusive, 0, Some(&NEST)));
    ITEM.unlock();
    // locks_held_at_exit
    static LEAK: LockMap = LockMap::new("dumpall::leaked");
    common::run_named("dumpall-leaky", || {
        LEAK.lock(Mode::Exclusive, 0, None);
    });
    // seqcount_writer_without_lock
    static SER_CLASS: LockClass = LockClass::new("dumpall::serializer");
    static SER: Mutex<()> = Mutex::with_class((), &SER_CLASS);
    static SC_CLASS: LockClass = LockClass::new("dumpall::seq");
    static SC: SeqCount = SeqCount::with_class(&SC_CLASS).serialized_by(SER.lock_map());
    drop(SC.write());
    // concurrent_seqcount_writers
    static CONC_CLASS: LockClass = LockClass::new("dumpall::conc");
    static CONC: SeqCount = SeqCount::with_class(&CONC_CLASS);
    let (inside, done) = (Barrier::new(2), Barrier::new(2));
    thread::scope(|s| {
        s.spawn(|| {
            CONC.write_begin();
            inside.wait();
            done.wait();
            CONC.write_end();
        });
        s.spawn(|| {
            inside.wait();
            CONC.write_begin();
            CONC.write_end();
            done.wait();
        });
    });
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn programmatic_dump_validates_against_the_schema_and_round_trips() {
    raise_every_report_kind();
    let dir = TempDir::new("inproc");
    let path = dir.path().join("all.json");
    lockdep::dump(&path).expect("write the dump");
    assert_eq!(dir.files(), ["all.json"], "no temporary file left");
    let text = std::fs::read_to_string(&path).unwrap();
    assert_schema_valid(&text);

    let dump = Dump::read(&path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(dump.process.pid, std::process::id());
    let mut kinds: Vec<ReportKind> = dump
        .reports
        .iter()
        .filter(|r| {
            r.classes().iter().any(|c| c.starts_with("dumpall::"))
                || r.held.iter().any(|l| l.class.name.starts_with("dumpall::"))
        })
        .map(|r| r.kind)
        .collect();
    kinds.sort_by_key(|k| format!("{k:?}"));
    assert_eq!(
        kinds,
        [
            ReportKind::BadUnlockBalance,
            ReportKind::CircularDependency,
            ReportKind::ConcurrentSeqcountWriters,
            ReportKind::HeldLockFreed,
            ReportKind::LocksHeldAtExit,
            ReportKind::NestLockNotHeld,
            ReportKind::RecursiveLocking,
            ReportKind::SeqcountWriterWithoutLock,
        ],
        "{:#?}",
        dump.reports
    );
    for r in &dump.reports {
        assert_eq!(r.title, r.kind.title());
    }

    // Round trip: what serde writes reads back to the same value.
    assert_eq!(Dump::parse(&dump.to_json().unwrap(), "x").unwrap(), dump);
    let current = Dump::current();
    assert_eq!(
        Dump::parse(&current.to_json().unwrap(), "x").unwrap(),
        current
    );
    assert_schema_valid(&current.to_json().unwrap());
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn capacity_report_dump_validates_against_the_schema() {
    let dir = TempDir::new("capacity");
    let child = run_child(
        "child_capacity",
        &[
            ("LOCKDEP_DUMP_DIR", dir.as_str()),
            ("LOCKDEP_MAX_DEPTH", "2"),
        ],
    );
    assert!(child.status.success(), "{}", child.stderr);
    let dump = read_child_dump(&dir, &child);
    let kinds: Vec<ReportKind> = dump.reports.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [ReportKind::CapacityReached]);
    let r = &dump.reports[0];
    assert_eq!(r.title, "lockdep capacity reached");
    assert!(
        r.note.as_deref().unwrap().contains("LOCKDEP_MAX_DEPTH"),
        "{r:#?}"
    );
    assert_eq!(r.fingerprint().split('|').next(), Some("capacity_reached:"));
}

#[test]
fn the_schema_rejects_what_the_reader_rejects() {
    let good = Dump::current().to_json().unwrap();
    assert_schema_valid(&good);
    for (from, to, why) in [
        ("\"version\": 1", "\"version\": 2", "version"),
        (
            "\"format\": \"lockdep-dump\"",
            "\"format\": \"other\"",
            "format",
        ),
        ("\"merged_from\": []", "\"merged_from\": {}", "type"),
        ("\"graph\": {", "\"graph\": null, \"g\": {", "type"),
    ] {
        assert!(good.contains(from), "{from}");
        let bad = good.replacen(from, to, 1);
        assert!(!schema_errors(&bad).is_empty(), "{why}: {to} accepted");
        assert!(Dump::parse(&bad, "x").is_err(), "{why}: {to} read");
    }
    // A report of an unknown kind, a lock in an unknown mode.
    let report = r#"{"format":"lockdep-dump","version":1,"process":{"program":"p","pid":1},
        "time":"2026-01-01T00:00:00.000Z","merged_from":[],"graph":{"classes":[],"edges":[],"chains":0},
        "reports":[{"kind":"KIND","title":"t","thread":{"name":"main","id":1},
        "process":{"program":"p","pid":1},"time":"2026-01-01T00:00:00.000Z","test":null,
        "acquiring":{"class":{"name":"A","key":"A","subclass":0},"mode":"MODE","trylock":false,
        "instance":1,"location":"src/a.rs:1:2"},"holding":null,"chain":[],"held":[],"note":null,
        "location":null,"stack":[]}]}"#;
    let ok = report
        .replace("KIND", "bad_unlock_balance")
        .replace("MODE", "exclusive");
    assert_schema_valid(&ok);
    Dump::parse(&ok, "x").unwrap_or_else(|e| panic!("{e}"));
    for bad in [
        report
            .replace("KIND", "deadlock")
            .replace("MODE", "exclusive"),
        report
            .replace("KIND", "bad_unlock_balance")
            .replace("MODE", "write"),
    ] {
        assert!(!schema_errors(&bad).is_empty(), "{bad}");
        assert!(Dump::parse(&bad, "x").is_err(), "{bad}");
    }
    // Unknown fields are allowed by both.
    let extra = ok.replacen("\"chains\":0", "\"chains\":0,\"future\":[1]", 1);
    assert_schema_valid(&extra);
    Dump::parse(&extra, "x").unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn the_documented_example_is_a_valid_dump() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/report-format.md"
    ))
    .unwrap();
    let marker = "keep it a real dump. -->\n```json\n";
    let start = doc.find(marker).expect("the example's marker") + marker.len();
    let json = &doc[start..start + doc[start..].find("\n```").unwrap()];
    assert_schema_valid(json);
    let d = Dump::parse(json, "docs/report-format.md").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(d.reports[0].kind, ReportKind::CircularDependency);
    assert_eq!(d.reports[0].title, d.reports[0].kind.title());
    assert_eq!(
        d.reports[0].fingerprint(),
        "circular_dependency:&bank->accounts/0,&bank->ledger/0",
        "the fingerprint the page quotes"
    );
    assert!(doc.contains(&d.reports[0].fingerprint()));
}

// ===== the reader's errors =====

/// A valid dump as text, with one report, pretty-printed as `lockdep` writes it.
fn sample() -> String {
    let report = r#"{"kind":"circular_dependency","title":"t","thread":{"name":"main","id":1},
        "process":{"program":"p","pid":7},"time":"2026-01-01T00:00:00.000Z","test":null,
        "acquiring":null,"holding":null,"chain":[],"held":[],"note":null,"location":null,"stack":[]}"#;
    let dump = format!(
        r#"{{"format":"lockdep-dump","version":1,"process":{{"program":"p","pid":7}},
        "time":"2026-01-01T00:00:00.000Z","merged_from":[],"reports":[{report}],
        "graph":{{"classes":[],"edges":[],"chains":0}}}}"#
    );
    Dump::parse(&dump, "sample").unwrap().to_json().unwrap()
}

/// 1-based line and column of the first `needle` in `text`.
fn position(text: &str, needle: &str) -> (usize, usize) {
    let at = text.find(needle).unwrap_or_else(|| panic!("{needle}"));
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

fn parse_err(text: &str) -> DumpError {
    Dump::parse(text, "in.json").expect_err("must be rejected")
}

/// The error is about `line`, somewhere in `[from_col, to_col]`.
fn assert_at(e: &DumpError, line: usize, cols: std::ops::RangeInclusive<usize>) {
    assert_eq!(e.file, "in.json");
    assert_eq!(e.line, line, "{e}");
    assert!(
        cols.contains(&e.column),
        "column {} not in {cols:?}: {e}",
        e.column
    );
    assert_eq!(
        e.to_string(),
        format!("in.json:{}:{}: {}", e.line, e.column, e.message)
    );
}

/// The error is about the whole document: `file: message`.
fn assert_no_position(e: &DumpError) {
    assert_eq!((e.line, e.column), (0, 0), "{e:?}");
    assert_eq!(e.to_string(), format!("{}: {}", e.file, e.message));
}

#[test]
fn the_sample_is_a_valid_dump() {
    let text = sample();
    assert_schema_valid(&text);
    let d = Dump::parse(&text, "sample").unwrap();
    assert_eq!(d.reports[0].kind, ReportKind::CircularDependency);
    assert_eq!(d.process.pid, 7);
}

#[test]
fn empty_file_is_an_empty_file() {
    for text in ["", "  \n\t\n"] {
        let e = parse_err(text);
        assert_no_position(&e);
        assert_eq!(e.message, "empty file: expected a lockdep dump (JSON)");
    }
}

#[test]
fn not_json_is_a_syntax_error_at_its_place() {
    let e = parse_err("{nope");
    assert!(e.message.starts_with("not valid JSON: "), "{e}");
    assert!(e.message.contains("key must be a string"), "{e}");
    assert_at(&e, 1, 2..=2);
}

#[test]
fn truncated_dump_says_truncated_where_it_ends() {
    let text = sample();
    let half = &text[..text.len() / 2];
    let e = parse_err(half);
    assert!(e.message.contains("truncated"), "{e}");
    let last_line = half.lines().count();
    assert!(e.line >= 1 && e.line <= last_line, "{e}");
    assert!(e.column >= 1, "{e}");
    assert_at(&e, e.line, 1..=usize::MAX);
}

#[test]
fn valid_json_that_is_not_an_object_is_not_a_dump() {
    // Not even an array of the fields in order, which serde alone would accept.
    let fields = r#"["lockdep-dump", 1, {"program": "p", "pid": 7}, "2026-01-01T00:00:00.000Z",
        [], [], {"classes": [], "edges": [], "chains": 0}]"#;
    for text in [fields, "[1, 2]", "42", "\"lockdep-dump\"", "null"] {
        let e = parse_err(text);
        assert_eq!(
            e.message, "not a lockdep dump: the document is not a JSON object",
            "{text}"
        );
        assert_no_position(&e);
    }
    // A syntax error is still reported as one, with its place.
    let e = parse_err("[1, 2");
    assert!(e.message.contains("truncated"), "{e}");
    assert_at(&e, 1, 1..=6);
}

#[test]
fn wrong_or_missing_format_is_not_a_lockdep_dump() {
    let text = sample();
    let e = parse_err(&text.replacen("\"lockdep-dump\"", "\"lockdep-trace\"", 1));
    assert_eq!(
        e.message,
        "not a lockdep dump: \"format\" is \"lockdep-trace\", expected \"lockdep-dump\""
    );
    assert_no_position(&e);

    let e = parse_err(&text.replacen("\"format\": \"lockdep-dump\",", "", 1));
    assert_eq!(
        e.message,
        "not a lockdep dump: no \"format\": \"lockdep-dump\" field"
    );
    assert_no_position(&e);

    // Another JSON document altogether.
    let e = parse_err(r#"{"name": "x", "version": "1.0.0"}"#);
    assert!(e.message.starts_with("not a lockdep dump"), "{e}");
}

#[test]
fn other_versions_are_unsupported() {
    let text = sample();
    let e = parse_err(&text.replacen("\"version\": 1", "\"version\": 2", 1));
    assert_eq!(
        e.message,
        "unsupported schema version 2: this lockdep reads version 1"
    );
    assert_no_position(&e);
    assert_eq!(
        e.to_string(),
        "in.json: unsupported schema version 2: this lockdep reads version 1"
    );
    let e = parse_err(&text.replacen("\"version\": 1,", "", 1));
    assert_eq!(e.message, "no \"version\" field");
}

#[test]
fn a_field_of_the_wrong_type_is_located() {
    let text = sample();
    let bad = text.replacen("\"pid\": 7", "\"pid\": \"x\"", 1);
    let (line, col) = position(&bad, "\"pid\": \"x\"");
    let e = parse_err(&bad);
    assert!(e.message.starts_with("wrong field type or value: "), "{e}");
    assert!(e.message.contains("invalid type: string \"x\""), "{e}");
    assert_at(&e, line, col..=col + "\"pid\": \"x\"".len());
}

#[test]
fn an_unknown_report_kind_is_located() {
    let text = sample();
    let bad = text.replacen("\"circular_dependency\"", "\"deadlock_of_doom\"", 1);
    let (line, col) = position(&bad, "\"kind\": \"deadlock_of_doom\"");
    let e = parse_err(&bad);
    assert!(
        e.message.contains("unknown variant `deadlock_of_doom`"),
        "{e}"
    );
    assert!(e.message.contains("`circular_dependency`"), "{e}");
    assert_at(&e, line, col..=col + "\"kind\": \"deadlock_of_doom\"".len());
}

#[test]
fn a_missing_required_field_is_named() {
    let text = sample();
    let bad = text.replacen("\"merged_from\": [],", "", 1);
    let e = parse_err(&bad);
    assert!(e.message.contains("missing field `merged_from`"), "{e}");
    assert!(e.line >= 1, "{e}");
}

#[test]
fn a_dump_without_titles_reads_them_from_the_kind() {
    let text = sample();
    let bad = text.replacen("\"title\": \"t\",", "", 1);
    assert!(!bad.contains("\"title\""));
    let d = Dump::parse(&bad, "old.json").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        d.reports[0].title,
        "possible circular locking dependency detected"
    );
}

#[test]
fn a_missing_file_cannot_be_read() {
    let dir = TempDir::new("missing");
    let path = dir.path().join("nope.json");
    let e = Dump::read(&path).expect_err("no such file");
    assert_eq!(e.file, path.display().to_string());
    assert!(e.message.starts_with("cannot read: "), "{e}");
    assert_no_position(&e);

    // A file's errors name the file.
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{nope").unwrap();
    let e = Dump::read(&bad).expect_err("not JSON");
    assert_eq!(
        e.to_string(),
        format!("{}:1:2: {}", bad.display(), e.message)
    );
}
