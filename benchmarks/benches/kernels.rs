//! In-process-style micro benchmarks for Ruff developers: `cargo bench -p benchmarks`.
//!
//! `ruff_core` has no embedding API yet, so each iteration spawns the release
//! `ruff` binary on a small input (start-up included; `hello` measures start-up
//! alone, to subtract). Build ruff first: `cargo build --release -p ruff-core
//! --bin ruff`. When an in-process entry point lands, call it here instead.

use std::path::Path;
use std::process::Stdio;

use benchmarks::programs;
use criterion::{criterion_group, criterion_main, Criterion};

/// Kernels and the size argument each iteration runs with: big enough for
/// the work to show above process start-up, small enough for many samples.
const KERNELS: &[(&str, u64)] = &[
    ("hello", 0),
    ("fib", 20),
    ("while_sum", 200_000),
    ("small_dicts", 50_000),
    ("hash_map", 50_000),
];

fn run(ruff: &Path, name: &str, n: u64) {
    let program = programs::find(name).expect("kernel names are benchmark programs");
    let mut command = program.ruff_command(ruff, program.full.map(|_| n), &[]);
    let status = command
        .stdout(Stdio::null())
        .status()
        .expect("ruff can be started");
    assert!(status.success(), "ruff failed on {name}: {status}");
}

fn kernels(c: &mut Criterion) {
    let ruff = benchmarks::paths::find_ruff_binary().unwrap_or_else(|message| panic!("{message}"));
    let mut group = c.benchmark_group("ruff_run");
    group.sample_size(20);
    for &(name, n) in KERNELS {
        group.bench_function(name, |b| b.iter(|| run(&ruff, name, n)));
    }
    group.finish();
}

criterion_group!(benches, kernels);
criterion_main!(benches);
