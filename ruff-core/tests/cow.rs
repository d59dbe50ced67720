//! Value semantics must not cost a copy per update: a uniquely held
//! collection is changed in place. Deterministic: counts the copies the
//! copy-on-write layer makes (no timing).

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

/// Run a program and return (stdout, copies made while running).
fn run(src: &str) -> (String, u64) {
    let out = Rc::new(RefCell::new(Vec::new()));
    let before = cow::copies();
    let outcome = run_source(
        "cow.ruff",
        src,
        VmOptions::default(),
        Box::new(Sink(out.clone())),
        Box::new(std::io::sink()),
    );
    let copies = cow::copies() - before;
    assert!(matches!(outcome, RunOutcome::Ok), "program failed:\n{src}");
    let text = String::from_utf8(out.borrow().clone()).unwrap();
    (text, copies)
}

const N: usize = 100_000;

#[test]
fn push_in_a_loop_does_not_copy() {
    for body in [
        "arr = push(arr, i)",
        "arr := push(arr, i)",
        "arr = arr.push(i)",
    ] {
        let src = format!("mut arr := []\nfor i in range({N}) {{ {body} }}\nprint(len(arr))\n");
        let (out, copies) = run(&src);
        assert_eq!(out, format!("{N}\n"));
        assert!(copies <= 2, "{body}: {copies} copies for {N} pushes");
    }
}

#[test]
fn push_inside_a_function_does_not_copy() {
    let src = format!(
        "func build(n) {{\n mut a := []\n mut i := 0\n while i < n {{\n a = push(a, i)\n i += 1\n }}\n return a\n}}\nprint(len(build({N})))\n"
    );
    let (out, copies) = run(&src);
    assert_eq!(out, format!("{N}\n"));
    assert!(copies <= 2, "{copies} copies");
}

#[test]
fn string_append_does_not_copy() {
    for body in ["s = s + \"x\"", "s += \"x\""] {
        let src = format!("mut s := \"\"\nfor i in range({N}) {{ {body} }}\nprint(len(s))\n");
        let (out, copies) = run(&src);
        assert_eq!(out, format!("{N}\n"));
        assert!(copies <= 2, "{body}: {copies} copies");
    }
}

#[test]
fn indexed_store_does_not_copy() {
    let src = format!(
        "mut m := {{}}\nfor i in range({N}) {{ m[i] := i * 2 }}\nprint(len(m), m[{}])\n",
        N - 1
    );
    let (out, copies) = run(&src);
    assert_eq!(out, format!("{N} {}\n", (N - 1) * 2));
    assert!(copies <= 2, "{copies} copies");

    let src = format!(
        "mut a := []\nfor i in range({N}) {{ a = push(a, 0) }}\nfor i in range({N}) {{ a[i] := i }}\nprint(a[{}])\n",
        N - 1
    );
    let (out, copies) = run(&src);
    assert_eq!(out, format!("{}\n", N - 1));
    assert!(copies <= 2, "{copies} copies");
}

#[test]
fn sharing_then_writing_copies_once() {
    // Value semantics: `b := a` shares; the first write to b copies once.
    let (out, copies) = run("a := [1, 2, 3]\nmut b := a\nb[0] := 9\nb[1] := 8\nprint(a, b)\n");
    assert_eq!(out, "[1, 2, 3] [9, 8, 3]\n");
    assert_eq!(copies, 1);
}
