//! Programs whose shape is known, profiled end to end: the folded stacks
//! must show the right functions, lines, tiers and nesting.
//!
//! Native frames: this build's VM has no JIT yet, so every Ruff frame is
//! `[interpreted]` and these tests assert that. Where the JIT would compile
//! (the hot loop), the test switches to asserting that `[native]` frames
//! dominate as soon as any native frame appears in the profile, so the same
//! test checks the JIT once it is merged.

mod common;

use common::*;

#[test]
fn hot_loop_in_a_function() {
    let s = Scratch::new("hot");
    let prog = s.write("hot.ruff", &timed_hot_loop(400));
    let (o, folded) = record_collapsed(&s, &prog, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The program's stdout passes through untouched.
    assert_eq!(String::from_utf8_lossy(&o.stdout), "true\n");
    let all = total(&folded);
    assert!(all >= 20, "too few samples: {all}\n{}", stderr(&o));
    let in_loop = |tier: &str| -> u64 {
        folded
            .iter()
            .filter(|(f, _)| {
                f.len() == 2
                    && f[0] == "<main> (hot.ruff:13) [interpreted]"
                    && f[1] == format!("work (hot.ruff:4) [{tier}]")
            })
            .map(|(_, n)| n)
            .sum()
    };
    let any_native = folded
        .iter()
        .any(|(f, _)| f.iter().any(|x| x.ends_with("[native]")));
    if any_native {
        assert!(
            in_loop("native") * 2 > all,
            "native should dominate: {folded:?}"
        );
    } else {
        assert!(in_loop("interpreted") * 10 >= all * 8, "{folded:?}");
    }
    // The summary names the loop and the function.
    let err = stderr(&o);
    assert!(err.contains("loop work (hot.ruff:4)"), "{err}");
    assert!(err.contains("verdict: "), "{err}");
}

#[test]
fn a_function_that_never_compiles_stays_interpreted() {
    // `try` inside the loop: the JIT refuses it (`unsupported-op: try`).
    let s = Scratch::new("nojit");
    let prog = s.write(
        "guarded.ruff",
        "func guarded(n) {\n    mut t := 0\n    mut i := 0\n    while i < n {\n        try {\n            t += 10 / (i % 5 + 1)\n        } except e {\n            t = 0\n        }\n        i += 1\n    }\n    return t\n}\nprint(guarded(1500000))\n",
    );
    let (o, folded) = record_collapsed(&s, &prog, &["--jit", "on"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let guarded: Vec<&String> = folded
        .iter()
        .flat_map(|(f, _)| f.iter())
        .filter(|f| f.starts_with("guarded "))
        .collect();
    assert!(!guarded.is_empty(), "{folded:?}");
    assert!(
        guarded.iter().all(|f| f.ends_with("[interpreted]")),
        "{guarded:?}"
    );
    // Samples land on the loop's lines (4..=11).
    assert!(guarded.iter().all(|f| {
        let line: u32 = f["guarded (guarded.ruff:".len()..]
            .split(')')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        (1..=11).contains(&line)
    }));
}

#[test]
fn deep_recursion_shows_its_real_depth() {
    let s = Scratch::new("deep");
    let prog = s.write(
        "deep.ruff",
        "func spin(n) {\n    mut i := 0\n    mut t := 0\n    while i < n { t += i\n i += 1 }\n    return t\n}\nfunc down(d, n) {\n    if d == 0 { return spin(n) }\n    return down(d - 1, n)\n}\nprint(down(200, 3000000))\n",
    );
    // --jit=off: `down` is called 200 times, enough for the JIT to compile
    // it, and native calls are not (yet) recorded on the shadow stack.
    let (o, folded) = record_collapsed(&s, &prog, &["--jit", "off"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (deepest, n) = folded.iter().max_by_key(|(_, n)| *n).expect("samples");
    assert!(
        *n * 2 > total(&folded),
        "the spin stack dominates: {folded:?}"
    );
    // <main>, 200 recursive calls at line 10, the last call at line 9, spin.
    assert_eq!(deepest.len(), 203, "{deepest:?}");
    assert_eq!(deepest[0], "<main> (deep.ruff:12) [interpreted]");
    assert!(deepest[1..201]
        .iter()
        .all(|f| f == "down (deep.ruff:10) [interpreted]"));
    assert_eq!(deepest[201], "down (deep.ruff:9) [interpreted]");
    assert_eq!(deepest[202], "spin (deep.ruff:4) [interpreted]");
}

#[test]
fn builtins_are_runtime_frames_under_their_caller() {
    let s = Scratch::new("rt");
    let prog = s.write(
        "rt.ruff",
        "mut a := []\nfor i in range(0, 100000) { a = push(a, (i * 7919) % 100003) }\nmut k := 0\nwhile k < 8 { s := sort(a)\n k += 1 }\nprint(k)\n",
    );
    let (o, folded) = record_collapsed(&s, &prog, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let sort: u64 = folded
        .iter()
        .filter(|(f, _)| {
            f.len() == 2
                && f[0] == "<main> (rt.ruff:4) [interpreted]"
                && f[1] == "sort (builtin) [runtime]"
        })
        .map(|(_, n)| n)
        .sum();
    assert!(sort > 0, "{folded:?}");
    assert!(stderr(&o).contains("sort (builtin)"));
}
