//! Snapshots of the bytecode the compiler emits for a few representative
//! functions (review changes with `cargo insta review` or by reading the
//! `.snap` diff).

use ruff_core::bytecode::disasm::disassemble;
use ruff_core::driver::compile;

fn bytecode(src: &str) -> String {
    match compile(src) {
        Ok(c) => disassemble(&c.main),
        Err(e) => panic!("static errors: {e:?}"),
    }
}

#[test]
fn recursive_function() {
    insta::assert_snapshot!(bytecode(
        "func fib(n) {\n    if n < 2 { return n }\n    return fib(n - 1) + fib(n - 2)\n}\nprint(fib(20))\n"
    ));
}

#[test]
fn closure_over_a_local() {
    insta::assert_snapshot!(bytecode(
        "func counter() {\n    mut n := 0\n    return func() { n += 1; return n }\n}\nc := counter()\nprint(c(), c())\n"
    ));
}

#[test]
fn loops_and_in_place_updates() {
    insta::assert_snapshot!(bytecode(
        "func build(n) {\n    mut a := []\n    for i in range(n) { a = push(a, i * i) }\n    mut s := \"\"\n    while len(s) < 3 { s += \"x\" }\n    mut m := {}\n    for k in a { m[k] := true }\n    return [a, s, m]\n}\nprint(build(4))\n"
    ));
}

#[test]
fn struct_method_with_self_write_back() {
    insta::assert_snapshot!(bytecode(
        "struct Counter {\n    n: int = 0,\n    func inc(self) { self.n += 1 }\n}\nmut c := Counter {}\nc.inc()\nprint(c)\n"
    ));
}

#[test]
fn match_and_try() {
    insta::assert_snapshot!(bytecode(
        "func classify(r) {\n    match r {\n        case Ok(v) if v > 10: { return \"big\" }\n        case Ok(v): { return \"ok ${v}\" }\n        case Err(e): { throw(e) }\n    }\n}\ntry { print(classify(Ok(3))); classify(Err(\"no\")) } except e { print(e.message) }\n"
    ));
}
