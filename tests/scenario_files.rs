//! Every `tests/scenarios/*.lds` file, run through `lockdep::scenario`
//! (`parse` + `run_case`): every case must pass. And malformed scenario text:
//! each mistake is a `ParseError` with the 1-based line and a message naming
//! the problem, never a silently skipped case.

mod common;

use std::path::{Path, PathBuf};

use common::serial;
use lockdep::scenario::{self, OpKind, ParseError, Verdict};

// `run_case` resets the global checker state: one case at a time, under
// `common::serial()`.

fn scenario_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios")
}

fn lds_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenario_dir())
        .expect("tests/scenarios exists")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "lds"))
        .collect();
    files.sort();
    files
}

fn parse_file(path: &Path) -> Vec<scenario::Case> {
    let text = std::fs::read_to_string(path).expect("read scenario file");
    let name = path.display().to_string();
    scenario::parse(&name, &text).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs every case of `path`; returns (passed, failing outcomes as JSON-ish lines).
fn run_file(path: &Path) -> (usize, Vec<String>) {
    let _serial = serial();
    let cases = parse_file(path);
    assert!(!cases.is_empty(), "{}: no cases", path.display());
    let mut passed = 0;
    let mut failed = Vec::new();
    for case in &cases {
        let outcome = scenario::run_case(case);
        if outcome.pass {
            passed += 1;
        } else {
            failed.push(format!("{} ({}): {outcome:?}", case.id, case.origin));
        }
    }
    (passed, failed)
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn every_scenario_file_passes() {
    let files = lds_files();
    assert!(
        files.iter().any(|f| f.ends_with("spf.lds")),
        "spf.lds is among {files:?}"
    );
    let mut total = 0;
    let mut failures = Vec::new();
    for f in &files {
        let (passed, failed) = run_file(f);
        eprintln!("{}: {passed} passed, {} failed", f.display(), failed.len());
        total += passed + failed.len();
        failures.extend(failed);
    }
    assert!(total > 0);
    assert!(
        failures.is_empty(),
        "{} of {total} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The kinds of the operations of `case` on the VMSEQ count, but releases.
fn vmseq_op_kinds(case: &scenario::Case) -> Vec<OpKind> {
    case.lines
        .iter()
        .flat_map(|l| &l.ops)
        .filter(|o| o.object.class == "VMSEQ" && o.kind != OpKind::U)
        .map(|o| o.kind)
        .collect()
}

#[test]
fn spf_file_has_the_kernel_model_cases_with_their_verdicts_and_marks() {
    let cases = parse_file(&scenario_dir().join("spf.lds"));
    let get = |id: &str| {
        cases
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("case {id} missing"))
    };

    let kernel = get("spf_kernel");
    assert_eq!(kernel.expect, Verdict::Deadlock);
    assert_eq!(kernel.lines.len(), 3);
    assert_eq!(kernel.expect_at().as_deref(), Some("t2:2"));
    let marked = &kernel.lines[2].ops[1];
    assert_eq!(
        (marked.kind, marked.object.class.as_str()),
        (OpKind::R, "IMMAP")
    );
    // Bare counts: the writers are W.
    let vmseq_ops = vmseq_op_kinds(kernel);
    assert!(!vmseq_ops.is_empty());
    assert!(vmseq_ops.iter().all(|k| *k == OpKind::W), "{vmseq_ops:?}");

    let retry_free = get("spf_retry_free");
    assert_eq!(retry_free.expect, Verdict::Ok);
    assert_eq!(retry_free.expect_at(), None);
    // Serialized counts: the writers are T, and nothing reads VMSEQ.
    let vmseq_ops = vmseq_op_kinds(retry_free);
    assert!(!vmseq_ops.is_empty());
    assert!(vmseq_ops.iter().all(|k| *k == OpKind::T), "{vmseq_ops:?}");

    let spinning = get("spf_spinning");
    assert_eq!(spinning.expect, Verdict::Deadlock);
    assert_eq!(spinning.lines.len(), 4);
    assert_eq!(spinning.expect_at().as_deref(), Some("t3:2"));
    assert_eq!(spinning.lines[3].ops[0].kind, OpKind::W);
    assert_eq!(spinning.lines[3].ops[0].object.class, "FS_RECLAIM");
    assert_eq!(spinning.lines[3].ops[1].kind, OpKind::RR);
    assert_eq!(spinning.lines[3].ops[1].object.class, "VMSEQ");
    assert_eq!(spinning.lines[3].ops[1].object.object, "a");
    // Its first three lines are spf_retry_free's.
    assert_eq!(spinning.lines[..3], retry_free.lines[..3]);

    assert!(cases.len() >= 6, "plus own seqcount cases: {}", cases.len());
}

/// The kernel's own locking self-test matrix (`lib/locking-selftest.c`) is
/// whole: its 90 cases (run by [`every_scenario_file_passes`]), which
/// between them expect every verdict.
#[test]
fn kernel_selftest_matrix_has_its_90_cases_and_every_verdict() {
    let cases = parse_file(&scenario_dir().join("kernel-selftests.lds"));
    assert_eq!(cases.len(), 90, "the matrix has 90 cases");
    for v in Verdict::ALL {
        assert!(
            cases.iter().any(|c| c.expect == v),
            "no case expects {}",
            v.as_str()
        );
    }
}

#[test]
#[cfg_attr(lockdep_off, ignore = "needs checking")]
fn spf_cases_report_at_the_marked_op() {
    let _serial = serial();
    let cases = parse_file(&scenario_dir().join("spf.lds"));
    for id in ["spf_kernel", "spf_spinning"] {
        let case = cases.iter().find(|c| c.id == id).unwrap();
        let out = scenario::run_case(case);
        assert!(out.pass, "{out:?}");
        assert_eq!(out.got, "deadlock");
        assert_eq!(out.at, case.expect_at(), "{out:?}");
    }
    let case = cases.iter().find(|c| c.id == "spf_retry_free").unwrap();
    let out = scenario::run_case(case);
    assert!(out.pass && out.got == "ok" && out.at.is_none(), "{out:?}");
}

// ===== malformed input =====

fn parse_err(text: &str) -> ParseError {
    match scenario::parse("bad.lds", text) {
        Ok(cases) => panic!("expected a parse error, got {cases:#?}"),
        Err(e) => {
            assert_eq!(e.file, "bad.lds");
            // Display is `file:line: message`.
            assert_eq!(e.to_string(), format!("bad.lds:{}: {}", e.line, e.message));
            e
        }
    }
}

fn assert_err(text: &str, line: usize, words: &[&str]) {
    let e = parse_err(text);
    assert_eq!(e.line, line, "wrong line for {text:?}: {e}");
    for w in words {
        assert!(
            e.message.contains(w),
            "message {:?} should mention {w:?}",
            e.message
        );
    }
}

const GOOD: &str = "case ok1\nexpect ok\nt0: W(A) ; U(A)\n";

#[test]
fn well_formed_text_parses() {
    let cases = scenario::parse("good.lds", GOOD).expect("parses");
    assert_eq!(cases.len(), 1);
    assert_eq!(cases[0].id, "ok1");
    assert_eq!(cases[0].origin, "good.lds:1");
}

#[test]
fn unknown_op_is_an_error_on_its_line() {
    assert_err(
        &format!("{GOOD}\ncase x\nexpect ok\nt0: W(A) ; X(B) ; U(A)\n"),
        7,
        &["unknown op", "X"],
    );
    assert_err(
        "case x\nexpect ok\nt0: LOCK(A)\n",
        3,
        &["unknown op", "LOCK"],
    );
}

#[test]
fn unbalanced_parenthesis_is_an_error_on_its_line() {
    assert_err(
        "case x\nexpect ok\nt0: W(A ; U(A)\n",
        3,
        &["unbalanced parenthesis"],
    );
    assert_err(
        "case x\nexpect ok\nt0: W(A)) ; U(A)\n",
        3,
        &["unbalanced parenthesis"],
    );
    assert_err(
        "# c\ncase x\nexpect ok\nt0: W(A) ; U(A)\nt1: W((B) ; U(B)\n",
        5,
        &["unbalanced parenthesis"],
    );
}

#[test]
fn missing_expect_is_an_error_at_the_case() {
    // Reported at the `case` line of the case that lacks it.
    assert_err("case x\nt0: W(A) ; U(A)\n", 1, &["expect", "missing", "x"]);
    assert_err(
        &format!("{GOOD}\n# comment\ncase noexp\nt0: W(A) ; U(A)\n"),
        6,
        &["expect", "missing", "noexp"],
    );
    // Also at the end of the file without a trailing newline.
    assert_err("case last\nt0: W(A)", 1, &["expect", "missing"]);
}

#[test]
fn unknown_verdict_is_an_error_on_its_line() {
    assert_err(
        "case x\nexpect maybe\nt0: W(A)\n",
        2,
        &["unknown verdict", "maybe"],
    );
    assert_err(
        &format!("{GOOD}\ncase y\n# a comment\nexpect Deadlock\nt0: W(A)\n"),
        7,
        &["unknown verdict", "Deadlock"],
    );
}

#[test]
fn op_line_outside_a_case_is_an_error() {
    assert_err("t0: W(A) ; U(A)\n", 1, &["outside a case"]);
    // After a blank line, the previous case has ended.
    assert_err(
        &format!("{GOOD}\nt1: W(B) ; U(B)\n"),
        5,
        &["outside a case"],
    );
    assert_err("# only a comment\nexpect ok\n", 2, &["outside a case"]);
}

#[test]
fn bad_subclass_is_an_error_on_its_line() {
    assert_err("case x\nexpect ok\nt0: W(A/x)\n", 3, &["bad subclass", "x"]);
    assert_err(
        "case x\nexpect ok\nt0: W(A/8)\n",
        3,
        &["subclass", "8", "out of range"],
    );
    assert_err(
        "case x\nexpect ok\nt0: W(A)\nt1: W(A@2/-1)\n",
        4,
        &["bad subclass"],
    );
    // Releases name the object only.
    assert_err(
        "case x\nexpect ok\nt0: W(A/1) ; U(A/1)\n",
        3,
        &["U and INIT"],
    );
}

#[test]
fn other_mistakes_are_errors_too() {
    assert_err("case x\nexpect ok\nt0 W(A)\n", 3, &["expected"]);
    assert_err("case x\nexpect ok\nthread0: W(A)\n", 3, &["bad line name"]);
    assert_err("case x\nexpect ok\nt0: W()\n", 3, &["missing lock name"]);
    assert_err("case x\nexpect ok\nt0: W(A-B)\n", 3, &["bad lock name"]);
    assert_err("case x\nexpect ok\n\n", 1, &["no `tN:` lines"]);
    assert_err(
        "case x\nexpect deadlock\nt0: W(A)! ; W(B)!\n",
        1,
        &["`!` marks"],
    );
    assert_err("case x\nexpect ok\nt0: W(A foo)\n", 3, &["nest="]);
}

#[test]
fn a_parse_error_runs_no_case() {
    // A good case before a bad one is not returned on its own.
    let e = parse_err(&format!("{GOOD}\ncase bad\nexpect ok\nt0: Q(A)\n"));
    assert_eq!(e.line, 7);
}
