//! The JIT really runs native code, as its telemetry reports: named
//! functions and loops are compiled *and entered natively*, a refused loop
//! carries its stable reason code, an exit is reported at the right line.
//! No timing thresholds: only counts and names.

use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

fn script(name: &str, source: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("jit_telemetry");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let path = dir.join(name);
    std::fs::write(&path, source).expect("write script");
    path
}

/// Run with telemetry; return stdout and the events.
fn run(name: &str, source: &str, extra: &[&str]) -> (String, Vec<Value>) {
    let path = script(name, source);
    let events = path.with_extension("jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_ruff"))
        .env_remove("RUFF_LOG")
        .arg("run")
        .args(extra)
        .arg("--telemetry")
        .arg(&events)
        .arg(&path)
        .output()
        .expect("run ruff");
    let text = std::fs::read_to_string(&events).expect("telemetry file");
    let events = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    (String::from_utf8_lossy(&out.stdout).into_owned(), events)
}

fn events<'a>(all: &'a [Value], kind: &str) -> Vec<&'a Value> {
    all.iter().filter(|e| e["event"] == kind).collect()
}

fn summary<'a>(all: &'a [Value], function: &str, loop_line: Option<u64>) -> &'a Value {
    events(all, "summary")
        .into_iter()
        .find(|e| {
            e["unit"]["function"] == function
                && match loop_line {
                    Some(l) => e["unit"]["loop_line"] == l,
                    None => e["unit"]["kind"] == "function",
                }
        })
        .unwrap_or_else(|| panic!("no summary for {function} {loop_line:?} in {all:#?}"))
}

#[test]
fn every_event_is_versioned() {
    let (_, all) = run(
        "versioned.ruff",
        "func f(x) { return x + 1 }\nmut i := 0\nwhile i < 300 { i = f(i) }\n",
        &[],
    );
    assert!(!all.is_empty());
    assert!(all.iter().all(|e| e["v"] == 1), "{all:#?}");
}

#[test]
fn recursive_function_is_compiled_and_entered_natively() {
    let src = "func fib(n) {\n  if n < 2 { return n }\n  return fib(n - 1) + fib(n - 2)\n}\nprint(fib(22))\n";
    let (out, all) = run("fib.ruff", src, &[]);
    assert_eq!(out, "17711\n");
    assert!(events(&all, "compile_finished")
        .iter()
        .any(|e| e["unit"]["function"] == "fib" && e["code_bytes"].as_u64().unwrap() > 0));
    let s = summary(&all, "fib", None);
    assert_eq!(s["compiled"], true);
    // Most of the 57,313 calls run natively (native → native calls).
    assert!(s["native_entries"].as_u64().unwrap() > 50_000, "{s}");
}

#[test]
fn top_level_loop_runs_natively_by_osr() {
    let src = "mut i := 0\nmut s := 0\nwhile i < 100000 {\n  s = s + i\n  i = i + 1\n}\nprint(s)\n";
    let (out, all) = run("osr.ruff", src, &[]);
    assert_eq!(out, "4999950000\n");
    let s = summary(&all, "<main>", Some(3));
    assert_eq!(s["compiled"], true);
    assert!(s["native_entries"].as_u64().unwrap() >= 1, "{s}");
    // Nearly all iterations ran in native code.
    assert!(s["native_iterations"].as_u64().unwrap() > 90_000, "{s}");
}

#[test]
fn loop_in_a_function_called_once_runs_natively() {
    let src = "func sum(n) {\n  mut t := 0.0\n  for k in range(0, n) {\n    t = t + k * 0.5\n  }\n  return t\n}\nprint(sum(50000))\n";
    let (out, all) = run("func_loop.ruff", src, &[]);
    assert_eq!(out, "624987500\n");
    let s = summary(&all, "sum", Some(3));
    assert!(s["native_iterations"].as_u64().unwrap() > 40_000, "{s}");
}

#[test]
fn loop_with_try_is_refused_with_its_reason_code() {
    let src = "mut n := 0\nfor i in range(0, 5000) {\n  try { n += 1 } except e { print(e) }\n}\nprint(n)\n";
    let (out, all) = run("refused.ruff", src, &[]);
    assert_eq!(out, "5000\n");
    let refused = events(&all, "compile_refused");
    let r = refused
        .iter()
        .find(|e| e["unit"]["kind"] == "loop" && e["unit"]["loop_line"] == 2)
        .unwrap_or_else(|| panic!("no refusal in {all:#?}"));
    assert_eq!(r["code"], "unsupported-op: try");
    assert_eq!(r["line"], 3);
}

#[test]
fn type_guard_exit_is_reported_at_its_line() {
    // `get` feeds ints for 300 calls, then a float: the guard on the
    // indexed value fails at line 2.
    let src = "func get(a, i) {\n  return a[i] + 1\n}\nmut xs := []\nfor i in range(0, 400) { xs = push(xs, i) }\nmut t := 0\nfor i in range(0, 300) { t = t + get(xs, i) }\nxs[5] := 2.5\nprint(t, get(xs, 5))\n";
    let (out, all) = run("deopt.ruff", src, &[]);
    assert_eq!(out, "45150 3.5\n");
    let exit = events(&all, "exit")
        .into_iter()
        .find(|e| e["unit"]["function"] == "get")
        .unwrap_or_else(|| panic!("no exit in {all:#?}"));
    assert_eq!(exit["line"], 2);
    assert_eq!(exit["reason"], "type-guard");
    assert_eq!(exit["expected"], "int");
    assert_eq!(exit["observed"], "float");
}

#[test]
fn code_that_keeps_exiting_is_recompiled_without_speculation() {
    // `get` is compiled for the ints of its first 300 calls; then every
    // other element is a float, its guard keeps failing, and after
    // `MAX_EXITS` (64) exits the function is compiled again generically,
    // which runs the rest natively without exits.
    let src = "func get(a, i) {\n  return a[i] + 1\n}\nmut xs := []\nfor i in range(0, 300) { xs = push(xs, i) }\nfor i in range(300, 700) {\n  if i % 2 == 0 { xs = push(xs, i) } else { xs = push(xs, 0.5) }\n}\nmut t := 0.0\nfor i in range(0, 700) { t = t + get(xs, i) }\nprint(t)\n";
    let (out, all) = run("recompile.ruff", src, &[]);
    assert_eq!(out, "145450\n");
    let of_get = |kind: &str| -> Vec<&Value> {
        events(&all, kind)
            .into_iter()
            .filter(|e| e["unit"]["function"] == "get")
            .collect()
    };
    let blacklisted = of_get("blacklisted");
    assert_eq!(blacklisted.len(), 1, "{all:#?}");
    assert_eq!(
        blacklisted[0]["reason"],
        "too many exits: recompiling without type speculation"
    );
    assert_eq!(blacklisted[0]["exits"], 64);
    let compiled = of_get("compile_finished");
    let generic: Vec<bool> = compiled
        .iter()
        .map(|e| e["generic"].as_bool().expect("generic flag"))
        .collect();
    assert_eq!(generic, [false, true], "{compiled:#?}");
    let s = summary(&all, "get", None);
    assert_eq!(s["exits"], 64, "no exits from the generic code: {s}");
    assert!(s["native_entries"].as_u64().unwrap() > 500, "{s}");
}

#[test]
fn overflow_in_native_code_is_the_interpreters_error() {
    let src = "func pow3(n) {\n  mut x := 1\n  for k in range(0, n) { x = x * 3 }\n  return x\n}\nprint(pow3(10))\nprint(pow3(100))\n";
    let path = script("overflow.ruff", src);
    let run = |mode: &str| {
        Command::new(env!("CARGO_BIN_EXE_ruff"))
            .args(["run", mode])
            .arg(&path)
            .output()
            .expect("run ruff")
    };
    let (off, always) = (run("--jit=off"), run("--jit=always"));
    assert_eq!(off.stdout, always.stdout);
    assert_eq!(off.stderr, always.stderr);
    assert_eq!(off.status.code(), Some(4));
    assert_eq!(always.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&always.stderr).contains("Integer overflow"));
}

#[test]
fn deep_native_recursion_hits_the_depth_limit_not_the_machine_stack() {
    let src = "func d(n) {\n  if n == 0 { return 0 }\n  return 1 + d(n - 1)\n}\nprint(d(50000))\nprint(d(200000))\n";
    let path = script("deep.ruff", src);
    let out = Command::new(env!("CARGO_BIN_EXE_ruff"))
        .args(["run", "--jit=always", "--max-depth", "100000"])
        .arg(&path)
        .output()
        .expect("run ruff");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "50000\n");
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Stack overflow"), "{err}");
    assert!(err.contains("repeated 99,998 more times"), "{err}");
}

#[test]
fn struct_methods_are_compiled_and_called_natively() {
    // `scaled` is called from a native loop: directly, not through the
    // interpreter (its native entries cover nearly every call).
    let src = "struct P {\n  x: int,\n  y: int,\n  func scaled(self, k) { return self.x * k + self.y }\n}\np := P { x: 3, y: 4 }\nmut t := 0\nfor i in range(0, 20000) {\n  t += p.scaled(i % 10)\n}\nprint(t)\n";
    let (out, all) = run("methods.ruff", src, &[]);
    assert_eq!(out, "350000\n");
    let m = summary(&all, "scaled", None);
    assert_eq!(m["compiled"], true);
    assert!(m["native_entries"].as_u64().unwrap() > 19_000, "{m}");
    let l = summary(&all, "<main>", Some(8));
    assert_eq!(l["compiled"], true);
    assert_eq!(l["exits"], 0, "{l}");
    assert!(l["native_iterations"].as_u64().unwrap() > 18_000, "{l}");
}

#[test]
fn closure_called_through_a_variable_runs_natively() {
    // `f(x)` in `apply` calls whatever `f` holds; it always held one
    // closure, so compiled `apply` calls its native code directly.
    let src = "func make_adder(k) {\n  return func(x) { return x + k }\n}\nfunc apply(f, x) {\n  return f(x)\n}\nadd3 := make_adder(3)\nmut t := 0\nfor i in range(0, 20000) {\n  t += apply(add3, i)\n}\nprint(t)\n";
    let (out, all) = run("closure.ruff", src, &[]);
    assert_eq!(out, "200050000\n");
    let inner = summary(&all, "<anonymous>", None);
    assert_eq!(inner["compiled"], true);
    assert!(
        inner["native_entries"].as_u64().unwrap() > 19_000,
        "{inner}"
    );
    let l = summary(&all, "<main>", Some(9));
    assert_eq!(l["exits"], 0, "{l}");
}

#[test]
fn array_loops_run_natively_without_exits() {
    // Building, filling and reading an array in top-level loops: every
    // loop compiles and none leaves native code.
    let src = "mut flags := []\nfor i in range(0, 20000) {\n  flags = push(flags, true)\n}\nfor j in range(0, 20000, 3) {\n  flags[j] := false\n}\nmut c := 0\nfor i in range(0, 20000) {\n  if flags[i] { c += 1 }\n}\nprint(c)\n";
    let (out, all) = run("arrays.ruff", src, &[]);
    assert_eq!(out, "13333\n");
    for line in [2, 5, 9] {
        let l = summary(&all, "<main>", Some(line));
        assert_eq!(l["compiled"], true, "{l}");
        assert_eq!(l["exits"], 0, "{l}");
        assert!(l["native_iterations"].as_u64().unwrap() > 5_000, "{l}");
    }
}

/// Lean telemetry (what `ruff-prof` asks for): the same compile events, but
/// native code counts nothing, so the summaries leave out the counts they
/// did not keep instead of reporting zeros. A loop's OSR entries (counted
/// by the VM) stay.
#[test]
fn lean_telemetry_keeps_events_and_leaves_out_uncounted_counts() {
    use ruff_core::driver;
    use ruff_core::runtime::vm::VmOptions;
    let src = "func fib(n) {\n  if n < 2 { return n }\n  return fib(n - 1) + fib(n - 2)\n}\nmut i := 0\nmut s := 0\nwhile i < 100000 {\n  s = s + i\n  i = i + 1\n}\nprint(fib(20) + s)\n";
    let events = script("lean.jsonl", "");
    let mut options = VmOptions::default();
    options.jit_tools.telemetry = Some(events.to_string_lossy().into_owned());
    options.jit_tools.lean_telemetry = true;
    let compiled = driver::compile(src).expect("compiles");
    let out = driver::run_compiled(
        &compiled,
        "lean.ruff",
        src,
        options,
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    assert_eq!(out.exit_code(), 0);
    let text = std::fs::read_to_string(&events).expect("telemetry file");
    let all: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert!(events_named(&all, "compile_finished", "fib"));
    assert!(events_named(&all, "compile_finished", "<main>"));
    let f = summary(&all, "fib", None);
    assert_eq!(f["compiled"], true);
    assert!(f.get("native_entries").is_none(), "{f}");
    let l = summary(&all, "<main>", Some(7));
    assert_eq!(l["compiled"], true);
    assert!(l["native_entries"].as_u64().unwrap() >= 1, "{l}");
    assert!(l.get("iterations").is_none(), "{l}");
    assert!(l.get("native_iterations").is_none(), "{l}");
}

fn events_named(all: &[Value], kind: &str, function: &str) -> bool {
    events(all, kind)
        .iter()
        .any(|e| e["unit"]["function"] == function)
}
