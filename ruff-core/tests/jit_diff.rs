//! Generative differential test: random programs of int/float arithmetic,
//! comparisons, loops, calls, arrays and dicts, whose values change type
//! midway (so guards fail), run with `--jit=off` and `--jit=always` (and a
//! low threshold): stdout, stderr and exit code must be identical,
//! overflow and division errors included.

use std::path::PathBuf;
use std::process::Command;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

#[derive(Clone, Debug)]
enum E {
    Int(i64),
    Float(f64),
    Var(&'static str),
    Bin(Box<E>, &'static str, Box<E>),
    Neg(Box<E>),
    Index(Box<E>),
    DictGet(Box<E>),
    Call(Box<E>),
}

fn show(e: &E) -> String {
    match e {
        E::Int(i) => i.to_string(),
        E::Float(f) => format!("{f:?}"),
        E::Var(v) => v.to_string(),
        E::Bin(a, op, b) => format!("({} {op} {})", show(a), show(b)),
        E::Neg(a) => format!("(-{})", show(a)),
        E::Index(i) => format!("arr[abs(to_int({})) % 4]", show(i)),
        E::DictGet(k) => format!("get_default(d, abs(to_int({})) % 3, 7)", show(k)),
        E::Call(a) => format!("g({})", show(a)),
    }
}

fn expr() -> impl Strategy<Value = E> {
    let leaf = prop_oneof![
        (-20i64..20).prop_map(E::Int),
        prop_oneof![
            Just(0i64),
            Just(i64::MAX),
            Just(i64::MIN + 1),
            Just(3_037_000_500)
        ]
        .prop_map(E::Int),
        (-8i32..8).prop_map(|f| E::Float(f as f64 * 0.75)),
        prop_oneof![Just("a"), Just("b"), Just("x"), Just("y"), Just("k")].prop_map(E::Var),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop_oneof![Just("+"), Just("-"), Just("*"), Just("/"), Just("%")],
                inner.clone()
            )
                .prop_map(|(a, op, b)| E::Bin(Box::new(a), op, Box::new(b))),
            (
                inner.clone(),
                prop_oneof![Just("<"), Just("<="), Just("=="), Just("!="), Just(">")],
                inner.clone()
            )
                .prop_map(|(a, op, b)| E::Bin(Box::new(a), op, Box::new(b))),
            inner.clone().prop_map(|a| E::Neg(Box::new(a))),
            inner.clone().prop_map(|a| E::Index(Box::new(a))),
            inner.clone().prop_map(|a| E::DictGet(Box::new(a))),
            inner.prop_map(|a| E::Call(Box::new(a))),
        ]
    })
}

#[derive(Clone, Debug)]
enum S {
    Assign(&'static str, E),
    If(E, Vec<S>, Vec<S>),
    For(u8, Vec<S>),
    SetIndex(E, E),
    SetDict(E, E),
}

fn stmt() -> impl Strategy<Value = S> {
    let simple = prop_oneof![
        (prop_oneof![Just("x"), Just("y")], expr()).prop_map(|(v, e)| S::Assign(v, e)),
        (expr(), expr()).prop_map(|(i, v)| S::SetIndex(i, v)),
        (expr(), expr()).prop_map(|(k, v)| S::SetDict(k, v)),
    ];
    simple.prop_recursive(2, 12, 3, |inner| {
        prop_oneof![
            (
                expr(),
                prop::collection::vec(inner.clone(), 1..3),
                prop::collection::vec(inner.clone(), 0..2)
            )
                .prop_map(|(c, t, e)| S::If(c, t, e)),
            (1u8..12, prop::collection::vec(inner, 1..3)).prop_map(|(n, b)| S::For(n, b)),
        ]
    })
}

fn show_stmts(ss: &[S], indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    for s in ss {
        match s {
            S::Assign(v, e) => out.push_str(&format!("{pad}{v} = {}\n", show(e))),
            S::SetIndex(i, v) => out.push_str(&format!(
                "{pad}arr[abs(to_int({})) % 4] := {}\n",
                show(i),
                show(v)
            )),
            S::SetDict(k, v) => out.push_str(&format!(
                "{pad}d[abs(to_int({})) % 3] := {}\n",
                show(k),
                show(v)
            )),
            S::If(c, t, e) => {
                out.push_str(&format!("{pad}if {} {{\n", show(c)));
                show_stmts(t, indent + 1, out);
                out.push_str(&format!("{pad}}} else {{\n"));
                show_stmts(e, indent + 1, out);
                out.push_str(&format!("{pad}}}\n"));
            }
            S::For(n, b) => {
                out.push_str(&format!("{pad}for k in range(0, {n}) {{\n"));
                show_stmts(b, indent + 1, out);
                out.push_str(&format!("{pad}}}\n"));
            }
        }
    }
}

/// A program: `f` runs the statements; main calls it with arguments whose
/// type changes after a while, catching errors so the run goes on.
fn program(body: &[S], ret: &E, switch_at: u8) -> String {
    let mut out = String::from("func g(v) {\n  if v > 3 { return v - 1 }\n  return v * 2\n}\n");
    out.push_str("func f(a, b) {\n  mut x := a\n  mut y := b\n  mut k := 1\n  mut arr := [1, 2.5, 3, 4]\n  mut d := {0: 1, 1: 2}\n");
    show_stmts(body, 1, &mut out);
    out.push_str(&format!("  return [{}, x, y, arr, d]\n}}\n", show(ret)));
    out.push_str(&format!(
        "mut total := 0\nfor i in range(0, 60) {{\n  mut a := i\n  if i > {switch_at} {{ a = i * 0.5 }}\n  try {{\n    print(f(a, i % 7))\n  }} except e {{\n    print(\"error:\", e.message, e.line, e.stack)\n  }}\n}}\nmut j := 0\nwhile j < 200 {{\n  total = total + j * {switch_at}\n  j = j + 1\n}}\nprint(total)\n"
    ));
    out
}

fn run(path: &PathBuf, args: &[&str]) -> (Vec<u8>, Vec<u8>, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_ruff"))
        .env_remove("RUFF_LOG")
        .arg("run")
        .args(args)
        .arg(path)
        .output()
        .expect("run ruff");
    (out.stdout, out.stderr, out.status.code())
}

#[test]
fn interpreter_and_jit_agree_on_random_programs() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("jit_diff");
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let mut runner = TestRunner::new(Config {
        cases: 96,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = (prop::collection::vec(stmt(), 1..6), expr(), 0u8..60);
    let case = std::cell::Cell::new(0u32);
    runner
        .run(&strategy, |(body, ret, switch_at)| {
            case.set(case.get() + 1);
            let src = program(&body, &ret, switch_at);
            let path = dir.join(format!("case{}.ruff", case.get() % 8));
            std::fs::write(&path, &src).expect("write program");
            let off = run(&path, &["--jit=off"]);
            for mode in [&["--jit=always"][..], &["--jit-threshold", "3"][..]] {
                let jit = run(&path, mode);
                prop_assert_eq!(
                    (
                        String::from_utf8_lossy(&off.0),
                        String::from_utf8_lossy(&off.1),
                        off.2
                    ),
                    (
                        String::from_utf8_lossy(&jit.0),
                        String::from_utf8_lossy(&jit.1),
                        jit.2
                    ),
                    "mode {:?}, program:\n{}",
                    mode,
                    src
                );
            }
            Ok(())
        })
        .unwrap();
}
