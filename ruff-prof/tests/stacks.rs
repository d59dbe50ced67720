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

/// Samples of the stack `<main> (line 13) → work (in the loop, lines
/// 4-6)` by the tier of `work`'s frame. (Interpreted frames show the
/// loop's header line; JIT code the line of the instruction it runs.)
fn in_hot_loop(folded: &[(Vec<String>, u64)], tier: &str) -> u64 {
    folded
        .iter()
        .filter(|(f, _)| {
            f.len() == 2
                && f[0] == "<main> (hot.ruff:13) [interpreted]"
                && (4..=6).any(|l| f[1] == format!("work (hot.ruff:{l}) [{tier}]"))
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
    assert!(err.contains("% of time in compiled code"), "{err}");
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
    // Interpreted throughout; a sample may land in the JIT's attempt to
    // compile the loop, which it refuses (`[jit-compiler]`).
    assert!(
        guarded
            .iter()
            .all(|f| f.ends_with("[interpreted]") || f.ends_with("[jit-compiler]")),
        "{guarded:?}"
    );
    assert!(
        guarded.iter().any(|f| f.ends_with("[interpreted]")),
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
    // --jit=off: every frame interpreted (the JIT-on variant is below).
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

/// A top-level loop running natively (OSR) that calls a compiled
/// function on another line: while the callee runs, the loop's frame is at
/// the call's line, which OSR code does not store as a line (its record's
/// instruction has it).
#[test]
fn an_osr_loop_in_a_call_is_at_the_calls_line() {
    let s = Scratch::new("osrcall");
    let prog = s.write(
        "osr.ruff",
        "func work(n) {\n    mut t := 0\n    mut j := 0\n    while j < n {\n        t = (t + j * 7) % 1000003\n        j += 1\n    }\n    return t\n}\nmut total := 0\nmut i := 0\nwhile i < 4000 {\n    total += work(3000)\n    i += 1\n}\nprint(total)\n",
    );
    let (o, folded) = record_collapsed(&s, &prog, &["--jit", "on"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let under_main = |line: u32, tier: &str| -> u64 {
        folded
            .iter()
            .filter(|(f, _)| {
                f.len() >= 2
                    && f[0] == format!("<main> (osr.ruff:{line}) [{tier}]")
                    && f[1].starts_with("work (osr.ruff:")
            })
            .map(|(_, n)| n)
            .sum()
    };
    // The loop ran natively, and in `work` its frame is at line 13.
    assert!(under_main(13, "native") > 0, "{folded:?}");
    assert_eq!(under_main(12, "native"), 0, "{folded:?}");
    assert_eq!(under_main(12, "interpreted"), 0, "{folded:?}");
}

/// The same recursion with the JIT: `down` is compiled at its 100th call
/// (the default threshold) and recurses natively from there, calling the
/// compiled `spin` directly. Native frames are on the stack one per call,
/// above the interpreted ones, at the lines of their calls.
#[test]
fn native_recursion_shows_its_real_depth() {
    let s = Scratch::new("deep-native");
    let prog = s.write(
        "deep.ruff",
        "func spin(n) {\n    mut i := 0\n    mut t := 0\n    while i < n { t += i\n i += 1 }\n    return t\n}\nfunc down(d, n) {\n    if d == 0 { return spin(n) }\n    return down(d - 1, n)\n}\nmut r := 0\nwhile r < 40 { down(200, 3000000)\n r += 1 }\nprint(r)\n",
    );
    let (o, folded) = record_collapsed(&s, &prog, &["--jit", "on"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (deepest, n) = folded.iter().max_by_key(|(_, n)| *n).expect("samples");
    assert!(
        *n * 2 > total(&folded),
        "the spin stack dominates: {folded:?}"
    );
    // <main>, 200 recursive calls at line 10, the last call at line 9, spin.
    assert_eq!(deepest.len(), 203, "{deepest:?}");
    assert!(
        deepest[0].starts_with("<main> (deep.ruff:13) ["),
        "{deepest:?}"
    );
    let interp = "down (deep.ruff:10) [interpreted]";
    let native = "down (deep.ruff:10) [native]";
    let k = deepest[1..201].iter().take_while(|f| *f == interp).count();
    assert!(
        deepest[1 + k..201].iter().all(|f| f == native),
        "interpreted frames, then native ones: {deepest:?}"
    );
    // The first 99 calls ran in the interpreter, the rest natively.
    assert!(200 - k >= 100, "{k} interpreted frames: {deepest:?}");
    assert_eq!(deepest[201], "down (deep.ruff:9) [native]");
    assert_eq!(deepest[202], "spin (deep.ruff:4) [native]");
}

/// Recursive `fib` compiled by the JIT: samples show the recursion as
/// nested native frames (not one frame for the whole tree), and native
/// code dominates the profile.
#[test]
fn native_fib_recursion_is_nested_native_frames() {
    let s = Scratch::new("fib-native");
    let prog = s.write(
        "fib.ruff",
        "func fib(n) {\n    if n < 2 {\n        return n\n    }\n    return fib(n - 1) + fib(n - 2)\n}\nstart := clock()\nmut total := 0\nwhile total == 0 || clock() - start < 400 {\n    total += fib(24)\n}\nprint(total > 0)\n",
    );
    let (o, folded) = record_collapsed(&s, &prog, &["--jit", "on"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "true\n");
    let all = total(&folded);
    assert!(all >= 100, "too few samples: {all}\n{}", stderr(&o));
    let fib_native = "fib (fib.ruff:5) [native]";
    // Every fib frame is called from <main> (line 10) or from fib (line 5).
    for (f, _) in &folded {
        assert!(f[0].starts_with("<main> (fib.ruff:"), "{f:?}");
        for w in f.windows(2) {
            if w[1].starts_with("fib ") {
                assert!(
                    w[0].starts_with("<main> (fib.ruff:10)")
                        || w[0].starts_with("fib (fib.ruff:5)"),
                    "{f:?}"
                );
            }
        }
    }
    let depth = |f: &Vec<String>| f.iter().filter(|x| *x == fib_native).count();
    // Samples whose innermost frame is native fib code.
    let native: u64 = folded
        .iter()
        .filter(|(f, _)| {
            f.last()
                .is_some_and(|x| x.starts_with("fib ") && x.ends_with("[native]"))
        })
        .map(|(_, n)| n)
        .sum();
    assert!(
        native * 10 >= all * 7,
        "native {native} of {all}: {folded:?}"
    );
    // The call tree of fib(24) is mostly deeper than 10 calls.
    let deep: u64 = folded
        .iter()
        .filter(|(f, _)| depth(f) >= 10)
        .map(|(_, n)| n)
        .sum();
    assert!(deep * 2 >= all, "deep {deep} of {all}: {folded:?}");
    assert!(folded.iter().map(|(f, _)| depth(f)).max().unwrap_or(0) >= 18);
    let err = stderr(&o);
    assert!(!err.contains("no sample saw a native frame"), "{err}");
}

/// Compiling shows as `jit-compiler` frames named after the function
/// being compiled. A program that is almost only compile work (300
/// distinct functions, each compiled at its first and only call with
/// `--jit always`) is sampled at a high rate, so the share is large and
/// never zero.
#[test]
fn compiles_show_as_jit_compiler_frames() {
    let s = Scratch::new("compile");
    let mut src = String::new();
    let n = 300;
    for i in 0..n {
        // Function f{i} is declared on line 8*i + 1.
        src.push_str(&format!(
            "func f{i}(a, b) {{\n    mut t := a * {i} + b\n    mut j := 0\n    while j < 3 {{ t = (t * 31 + j) % 1000003\n j += 1 }}\n    if t > b {{ t -= b }} else {{ t += a }}\n    return t + a * b - {i}\n}}\n"
        ));
    }
    src.push_str("mut total := 0\n");
    for i in 0..n {
        src.push_str(&format!("total += f{i}({i}, 7)\n"));
    }
    src.push_str("print(total != 0)\n");
    let prog = s.write("comp.ruff", &src);
    let (o, folded) = record_collapsed_at(&s, &prog, "10000", &["--jit", "always"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "true\n");
    let compiling: Vec<&(Vec<String>, u64)> = folded
        .iter()
        .filter(|(f, _)| f.last().is_some_and(|x| x.ends_with("[jit-compiler]")))
        .collect();
    let samples: u64 = compiling.iter().map(|(_, n)| n).sum();
    assert!(samples >= 5, "{folded:?}\n{}", stderr(&o));
    for (f, _) in &compiling {
        // <main> (at the call's line), then the function being compiled,
        // at its declaration line.
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f[0].starts_with("<main> (comp.ruff:") && f[0].ends_with("[interpreted]"));
        let name = f[1].split(' ').next().expect("name");
        let i: usize = name[1..].parse().unwrap_or_else(|_| panic!("{f:?}"));
        assert_eq!(
            f[1],
            format!("f{i} (comp.ruff:{}) [jit-compiler]", 8 * i + 1)
        );
        assert_eq!(
            f[0],
            format!("<main> (comp.ruff:{}) [interpreted]", 8 * n + 2 + i)
        );
    }
    // The summary's split counts them.
    let err = stderr(&o);
    assert!(!err.contains("compiling 0.0%"), "{err}");
}
