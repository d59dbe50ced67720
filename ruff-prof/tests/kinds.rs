//! The kinds of time (JIT code, named helpers, interpreter, compiler,
//! builtins, libc/kernel) and lines inside JIT code, on real programs run
//! by the real binary (issue 25, points 1 and 2).

mod common;

use common::{record_collapsed, ruff_prof, stderr, total, Scratch};

/// Samples whose innermost frame has tier tag `tag`.
fn leaf_share(folded: &[(Vec<String>, u64)], pred: impl Fn(&str) -> bool) -> f64 {
    let n: u64 = folded
        .iter()
        .filter(|(s, _)| s.last().is_some_and(|f| pred(f)))
        .map(|(_, n)| n)
        .sum();
    n as f64 / total(folded).max(1) as f64
}

fn bench(name: &str) -> String {
    format!(
        "{}/../benchmarks/programs/{name}/bench.ruff",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A loop whose sixth line does nine tenths of the work.
pub const LINE6: &str = "func work(n) {
    mut t := 0
    mut i := 0
    while i < n {
        t = t + 1
        t = (t * 7 + i * 3 + (t / 3) * 5 + (i % 11) * (t % 13) + (t * i) % 17 + (t % 19) * 3 + (i % 23)) % 1000003 + (t % 29) * (i % 31) % 7 + (t * 3 + i * 5) % 37 + (t % 41) * (i % 43) % 11
        i = i + 1
    }
    return t
}
print(work(8000000))
";

#[test]
fn a_hash_map_program_is_mostly_in_named_helpers() {
    let s = Scratch::new("kinds-hash");
    let (o, folded) = record_collapsed(&s, &bench("hash_map"), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    // Helpers, and the C library they call, innermost.
    let in_helpers = leaf_share(&folded, |f| f.ends_with("[helper]"))
        + folded
            .iter()
            .filter(|(st, _)| {
                st.len() >= 2
                    && st[st.len() - 1].ends_with("[system]")
                    && st[st.len() - 2].ends_with("[helper]")
            })
            .map(|(_, n)| *n as f64)
            .sum::<f64>()
            / total(&folded) as f64;
    assert!(in_helpers > 0.5, "helpers {in_helpers:.2}: {folded:?}");
    let jit = leaf_share(&folded, |f| f.ends_with("[native]"));
    assert!(jit < 0.3, "JIT code {jit:.2}");
    // Named after the helper table, under the native frame that called.
    let named = folded.iter().any(|(st, _)| {
        st.windows(2).any(|w| {
            w[0].ends_with("[native]")
                && (w[1] == "store_index_int [helper]" || w[1] == "index_var [helper]")
        })
    });
    assert!(named, "{folded:?}");
    // The summary and verdict speak of the same kinds.
    let err = stderr(&o);
    assert!(
        err.contains("JIT code ") && err.contains("helpers "),
        "{err}"
    );
    assert!(err.contains("in runtime helpers it calls ("), "{err}");
}

#[test]
fn a_numeric_loop_is_mostly_jit_code_on_its_sixth_line() {
    let s = Scratch::new("kinds-line6");
    let prog = s.write("line6.ruff", LINE6);
    let (o, folded) = record_collapsed(&s, &prog, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let jit = leaf_share(&folded, |f| f.ends_with("[native]"));
    assert!(jit > 0.8, "JIT code {jit:.2}: {folded:?}");
    let line6 = leaf_share(&folded, |f| f == "work (line6.ruff:6) [native]");
    assert!(line6 >= 0.8, "line 6: {line6:.2}: {folded:?}");
}

#[test]
fn annotate_prints_each_lines_share_and_kind() {
    let s = Scratch::new("annotate");
    let prog = s.write("line6.ruff", LINE6);
    let o = ruff_prof(&["annotate", "--rate", "2000", &prog], &s.0);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    let row = err
        .lines()
        .find(|l| l.contains(" 6 |"))
        .unwrap_or_else(|| panic!("{err}"));
    let share: f64 = row
        .trim_start()
        .split('%')
        .next()
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("{row}"));
    assert!(share >= 80.0, "{row}");
    assert!(row.contains("JIT code"), "{row}");
    // `run --annotate` prints the same view after the summary.
    let o = ruff_prof(&["run", &prog, "--annotate"], &s.0);
    assert!(stderr(&o).contains(" 6 |"), "{}", stderr(&o));
}

#[test]
fn builtins_interpreter_and_compiler_are_their_own_kinds() {
    let s = Scratch::new("kinds-interp");
    let prog = s.write(
        "mixed.ruff",
        "mut xs := []\nfor i in range(0, 200000) { xs = push(xs, (i * 7919) % 10007) }\nmut t := 0\nfor k in range(0, 20) { t = t + len(sort(xs)) }\nprint(t)\n",
    );
    let (o, folded) = record_collapsed(&s, &prog, &["--jit", "off"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let builtin = leaf_share(&folded, |f| f.starts_with("sort (builtin) [runtime]"))
        + leaf_share(&folded, |f| f.ends_with("[system]"));
    assert!(builtin > 0.3, "{folded:?}");
    assert!(
        leaf_share(&folded, |f| f.ends_with("[native]")
            || f.ends_with("[helper]"))
            == 0.0,
        "no JIT with --jit off"
    );
}
