//! Programs whose shape is known, profiled end to end: the folded stacks
//! must show the right functions, lines, tiers and nesting.
//!
//! Native frames: where the JIT compiles (the hot loop, by on-stack
//! replacement) the test asserts that `[native]` frames dominate whenever
//! any native frame appears, and that interpreted frames dominate
//! otherwise (`--jit=off`, or a build whose JIT did not kick in), so it
//! holds for both and checks the JIT's marking when it is there.

mod common;

use common::*;

/// Samples of the stack `<main> (line 13) → work (loop line 4)` by the tier
/// of `work`'s frame.
fn in_hot_loop(folded: &[(Vec<String>, u64)], tier: &str) -> u64 {
    folded
        .iter()
        .filter(|(f, _)| {
            f.len() == 2
                && f[0] == "<main> (hot.ruff:13) [interpreted]"
                && f[1] == format!("work (hot.ruff:4) [{tier}]")
        })
        .map(|(_, n)| n)
        .sum()
}

#[test]
fn hot_loop_in_a_function_interpreted() {
    let s = Scratch::new("hot-off");
    let prog = s.write("hot.ruff", &timed_hot_loop(400));
    let (o, folded) = record_collapsed(&s, &prog, &["--jit", "off"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The program's stdout passes through untouched.
    assert_eq!(String::from_utf8_lossy(&o.stdout), "true\n");
    let all = total(&folded);
    assert!(all >= 20, "too few samples: {all}\n{}", stderr(&o));
    assert!(!folded
        .iter()
        .any(|(f, _)| f.iter().any(|x| x.ends_with("[native]"))));
    assert!(
        in_hot_loop(&folded, "interpreted") * 10 >= all * 8,
        "{folded:?}"
    );
    let err = stderr(&o);
    assert!(err.contains("loop work (hot.ruff:4)"), "{err}");
    assert!(err.contains("verdict: 0% native (JIT disabled)"), "{err}");
}

#[test]
fn hot_loop_in_a_function_native() {
    let s = Scratch::new("hot-on");
    let prog = s.write("hot.ruff", &timed_hot_loop(400));
    let (o, folded) = record_collapsed(&s, &prog, &["--jit", "on"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "true\n");
    let err = stderr(&o);
    if err.contains("JIT not available") {
        eprintln!("SKIP native assertions: this build has no JIT");
        return;
    }
    let all = total(&folded);
    assert!(all >= 20, "too few samples: {all}\n{err}");
    // The loop is compiled by OSR after ~1,000 iterations of the first
    // round: native frames dominate, interpreted ones are the warm-up.
    assert!(in_hot_loop(&folded, "native") * 10 >= all * 6, "{folded:?}");
    // Compile count and time come from the JIT's telemetry.
    let row = err
        .lines()
        .find(|l| l.ends_with(" loop work (hot.ruff:4)"))
        .unwrap_or_else(|| panic!("no loop row in\n{err}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    let compiles: u32 = cols[5].parse().unwrap_or_else(|_| panic!("{row}"));
    assert!(compiles >= 1, "{row}");
    assert!(cols[6].parse::<f64>().is_ok(), "compile ms in {row}");
    assert!(err.contains("% of time in native code"), "{err}");
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
    // The JIT's refusal reaches the verdict through its telemetry.
    let err = stderr(&o);
    if !err.contains("JIT not available") {
        assert!(err.contains("[unsupported-op: try]"), "{err}");
    }
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
