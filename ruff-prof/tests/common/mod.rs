//! Helpers shared by the integration tests: a scratch directory per test,
//! running the `ruff-prof` binary, reading folded stacks.

#![allow(dead_code)] // each test file uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh directory under the system temp dir, removed on drop.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("ruff-prof-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }

    pub fn write(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).expect("write");
        p.to_string_lossy().into_owned()
    }

    pub fn path(&self, name: &str) -> String {
        self.0.join(name).to_string_lossy().into_owned()
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.0.join(name)).expect("output file")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn ruff_prof(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruff-prof"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run ruff-prof")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Folded stacks as (frames, count).
pub fn parse_folded(text: &str) -> Vec<(Vec<String>, u64)> {
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (stack, n) = l.rsplit_once(' ').expect("`stack count`");
            (
                stack.split(';').map(str::to_string).collect(),
                n.parse().expect("count"),
            )
        })
        .collect()
}

/// Record `program` as folded stacks at a high rate.
pub fn record_collapsed(
    s: &Scratch,
    program: &str,
    extra: &[&str],
) -> (Output, Vec<(Vec<String>, u64)>) {
    record_collapsed_at(s, program, "2000", extra)
}

/// `record_collapsed` at `rate` samples per second.
pub fn record_collapsed_at(
    s: &Scratch,
    program: &str,
    rate: &str,
    extra: &[&str],
) -> (Output, Vec<(Vec<String>, u64)>) {
    let out = s.path("profile.collapsed");
    let mut args = vec![
        "record",
        "-o",
        &out,
        "--format",
        "collapsed",
        "--rate",
        rate,
    ];
    args.extend_from_slice(extra);
    args.push("--");
    args.push(program);
    let o = ruff_prof(&args, &s.0);
    let folded = parse_folded(&s.read("profile.collapsed"));
    (o, folded)
}

pub fn total(folded: &[(Vec<String>, u64)]) -> u64 {
    folded.iter().map(|(_, n)| n).sum()
}

/// A loop of `n` iterations in `work` (loop header on line 4), called from
/// line 10.
pub fn hot_loop(n: u64) -> String {
    format!(
        "func work(n) {{\n    mut t := 0\n    mut i := 0\n    while i < n {{\n        t += i % 7\n        i += 1\n    }}\n    return t\n}}\nprint(work({n}))\n"
    )
}

/// `work`'s loop (line 4) run from line 13 in rounds of 5M iterations until
/// `ms` milliseconds have passed: long enough to sample whether or not the
/// JIT makes the loop fast, and fewer calls than the JIT's call threshold,
/// so the loop is compiled by on-stack replacement while `work` stays an
/// ordinary frame. Prints `true`.
pub fn timed_hot_loop(ms: u32) -> String {
    format!(
        "func work(n) {{\n    mut t := 0\n    mut i := 0\n    while i < n {{\n        t += i % 7\n        i += 1\n    }}\n    return t\n}}\nstart := clock()\nmut total := 0\nmut rounds := 0\nwhile rounds == 0 || clock() - start < {ms} {{ total += work(5000000)\n rounds += 1 }}\nprint(total > 0)\n"
    )
}
