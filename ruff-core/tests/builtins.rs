//! The standard library through the real pipeline: closures as callbacks
//! (which the unit tests' fake host cannot run), errors raised inside them,
//! methods, and in-place updates proven by the copy-on-write counter.

use std::cell::RefCell;
use std::rc::Rc;

use ruff_core::driver::{run_source, RunOutcome};
use ruff_core::runtime::cow;
use ruff_core::runtime::vm::VmOptions;

struct Sink(Rc<RefCell<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs a program that must succeed; returns (stdout, copies made).
fn run(src: &str) -> (String, u64) {
    let out = Rc::new(RefCell::new(Vec::new()));
    let before = cow::copies();
    let outcome = run_source(
        "builtins.ruff",
        src,
        VmOptions::default(),
        Box::new(Sink(out.clone())),
        Box::new(std::io::sink()),
    );
    let copies = cow::copies() - before;
    match outcome {
        RunOutcome::Ok => {}
        RunOutcome::Error(e) => panic!("program failed: {}\n{src}", e.message),
        _ => panic!("program did not finish normally:\n{src}"),
    }
    let text = String::from_utf8(out.borrow().clone()).unwrap();
    (text, copies)
}

fn output(src: &str) -> String {
    run(src).0
}

#[test]
fn higher_order_builtins_call_closures() {
    let src = r#"
k := 10
xs := [1, 2, 3, 4]
print(map(xs, func(x) { return x * k }))
print(xs.filter(func(x) { return x % 2 == 0 }))
print(reduce(xs, 0, func(acc, x) { return acc + x }))
print(find(xs, func(x) { return x > 2 }), find(xs, func(x) { return x > 9 }))
print(any(xs, func(x) { return x > 3 }), all(xs, func(x) { return x > 3 }))
print(xs |> map(func(x) { return to_string(x) }) |> join("+"))
"#;
    assert_eq!(
        output(src),
        "[10, 20, 30, 40]\n[2, 4]\n10\n3 null\ntrue false\n1+2+3+4\n"
    );
}

#[test]
fn errors_inside_callbacks_propagate_and_are_catchable() {
    let src = r#"
func bad(x) {
    return x / 0
}
try {
    map([1], bad)
} except e {
    print(e.message, e.line, e.stack)
}
try {
    push("not an array", 1)
} except e {
    print(e.message)
}
"#;
    assert_eq!(
        output(src),
        "Division by zero 3 [bad]\npush() expects an array, got string\n"
    );
}

#[test]
fn methods_dispatch_on_the_receiver() {
    let src = r#"
s := "Hello World"
print(s.len(), s.upper(), s.to_snake_case(), s.split(" ").len())
a := [3, 1, 2]
print(a.sort(), a.reverse(), a.contains(2), a.index_of(9), a)
d := {"b": 1, "a": 2}
print(d.keys(), d.get("a"), d.merge({"c": 3}).len(), d.is_empty())
"#;
    assert_eq!(
        output(src),
        "11 HELLO WORLD hello_world 2\n[1, 2, 3] [2, 1, 3] true -1 [3, 1, 2]\n[a, b] 2 3 false\n"
    );
}

const N: usize = 50_000;

#[test]
fn updating_builtins_work_in_place() {
    let bodies = [
        "a = append(a, i)",
        "a = a.insert(i, i)",
        "d = update(d, i, i)",
        "d = d.update({\"k\": i})",
        "d = merge(d, {\"m\": i})",
        "a = push(a, i)\n a = remove_at(a, -1)\n a = push(a, i)",
        "a = push(a, i)\n a = a.take(len(a))\n a = skip(a, 0)",
        "a = push(a, i)\n a = reverse(a)",
        // Not `d = remove(d, k)[0]`: the emitter moves a variable only when
        // a call's result is assigned straight back to it.
    ];
    for body in bodies {
        let src = format!(
            "mut a := []\nmut d := {{}}\nfor i in range({N}) {{\n {body}\n}}\nprint(\"done\")\n"
        );
        let (out, copies) = run(&src);
        assert_eq!(out, "done\n", "{body}");
        assert!(copies <= 2, "{body}: {copies} copies for {N} iterations");
    }
}

#[test]
fn value_semantics_are_kept() {
    let src = r#"
a := [1, 2]
b := push(a, 3)
d := {"x": 1}
e := update(d, "y", 2)
print(a, b, d, e, sort([2, 1]), pop(b), b)
"#;
    assert_eq!(
        output(src),
        "[1, 2] [1, 2, 3] {\"x\": 1} {\"x\": 1, \"y\": 2} [1, 2] [[1, 2], 3] [1, 2, 3]\n"
    );
}

#[test]
fn exit_and_args() {
    let out = Rc::new(RefCell::new(Vec::new()));
    let outcome = run_source(
        "exit.ruff",
        "print(args())\nexit(3)\nprint(\"no\")\n",
        VmOptions {
            args: vec!["x".into()],
            ..VmOptions::default()
        },
        Box::new(Sink(out.clone())),
        Box::new(std::io::sink()),
    );
    assert!(matches!(outcome, RunOutcome::Exit(3)));
    assert_eq!(String::from_utf8(out.borrow().clone()).unwrap(), "[x]\n");
}
