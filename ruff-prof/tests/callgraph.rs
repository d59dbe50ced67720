//! Every sampled stack is one the program can have (issue 25, point 6):
//! programs sampled under `--jit always`, each caller frame checked against
//! the program's call graph, read from its source: a Ruff frame at line L
//! may only have above it a function or builtin called on line L (or the
//! JIT compiling one, or its own loop), a helper or C library code.

mod common;

use std::collections::HashMap;

use common::{record_collapsed_at, stderr, Scratch};

/// Per line, the names called on it (`name(` and `.name(`).
fn calls_by_line(source: &str) -> HashMap<u32, Vec<String>> {
    let mut out = HashMap::new();
    for (i, line) in source.lines().enumerate() {
        let b = line.as_bytes();
        let mut names = Vec::new();
        for (j, &c) in b.iter().enumerate() {
            if c != b'(' {
                continue;
            }
            let start = b[..j]
                .iter()
                .rposition(|c| !(c.is_ascii_alphanumeric() || *c == b'_'))
                .map_or(0, |p| p + 1);
            if start < j {
                names.push(line[start..j].to_string());
            }
        }
        out.insert(i as u32 + 1, names);
    }
    out
}

/// `name (file:line) [tier]` → (name without `Struct.`, line, tier).
fn parts(frame: &str) -> (String, Option<u32>, String) {
    let tier = frame
        .rsplit_once(" [")
        .map_or("", |(_, t)| t.trim_end_matches(']'))
        .to_string();
    let name = frame.split(" (").next().unwrap_or(frame);
    let name = name.rsplit('.').next().unwrap_or(name).to_string();
    let line = frame
        .split_once(" (")
        .and_then(|(_, r)| r.split_once(')'))
        .and_then(|(loc, _)| loc.rsplit_once(':'))
        .and_then(|(_, l)| l.parse().ok());
    (name, line, tier)
}

fn check(name: &str, source: &str) {
    let s = Scratch::new(&format!("cg-{name}"));
    let prog = s.write(&format!("{name}.ruff"), source);
    let (o, folded) = record_collapsed_at(&s, &prog, "4000", &["--jit", "always"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let calls = calls_by_line(source);
    let mut bad = Vec::new();
    for (stack, n) in &folded {
        for w in stack.windows(2) {
            let (caller, line, ctier) = parts(&w[0]);
            let (callee, _, tier) = parts(&w[1]);
            if matches!(tier.as_str(), "helper" | "system")
                || matches!(ctier.as_str(), "runtime" | "jit-compiler")
            {
                // Helpers, libc, what builtins call back, and the
                // callees the JIT compiles before a function.
                continue;
            }
            let Some(line) = line else { continue };
            // An anonymous function is called through a variable.
            let called = calls
                .get(&line)
                .is_some_and(|c| c.contains(&callee) || (callee.starts_with('<') && !c.is_empty()));
            // Compiling a loop of the caller's own function.
            let own_loop = tier == "jit-compiler" && callee == caller;
            if !called && !own_loop {
                bad.push(format!("{} ({n}): {} → {}", stack.join(";"), w[0], w[1]));
            }
        }
    }
    assert!(bad.is_empty(), "impossible stacks:\n{}", bad.join("\n"));
}

#[test]
fn recursion_and_calls_on_several_lines() {
    check(
        "calls",
        "func fib(n) {\n    if n < 2 {\n        return n\n    }\n    return fib(n - 1) + fib(n - 2)\n}\nfunc sq(x) {\n    return x * x\n}\nfunc twice(x) {\n    a := sq(x)\n    b := sq(a % 1000)\n    return a + b\n}\nmut t := 0\nfor i in range(0, 300000) {\n    t = t + twice(i % 100)\n    t = t % 1000003\n    t = t + fib(i % 15)\n}\nprint(t)\n",
    );
}

#[test]
fn methods_closures_and_builtins() {
    check(
        "methods",
        "struct P {\n    x: int,\n    func get(self, k) {\n        return self.x * k\n    }\n}\nfunc mk(n) {\n    return func(v) { return v + n }\n}\np := P { x: 3 }\nf := mk(5)\nmut xs := []\nmut t := 0\nfor i in range(0, 400000) {\n    t = t + p.get(i % 10)\n    t = f(t) % 1000003\n    if i % 1000 == 0 { xs = push(xs, t) }\n}\nprint(t, len(sort(xs)))\n",
    );
}
