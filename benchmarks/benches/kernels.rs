//! In-process micro benchmarks for Ruff developers: `cargo bench -p benchmarks`.
//!
//! Each kernel is a benchmark program (`programs/<name>/bench.ruff`) compiled
//! once with `ruff_core::driver::compile` and then run in-process with
//! `ruff_core::driver::run_compiled` on a small input, output discarded — so
//! the numbers are execution time without process start-up. A second group
//! times the front end (parse, resolve, emit) on every program.
//!
//! The cross-language, whole-process comparison is the runner
//! (`cargo run --release -p benchmarks`), not this.

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use benchmarks::programs::{self, normalize_output, Size, PROGRAMS};
use criterion::{criterion_group, criterion_main, Criterion};
use ruff_core::driver::{self, RunOutcome};
use ruff_core::jit::JitMode;
use ruff_core::runtime::vm::VmOptions;

/// Kernels and the size argument each iteration runs with: big enough for
/// the work to dominate, small enough for many samples.
const KERNELS: &[(&str, u64)] = &[
    ("fib", 20),
    ("while_sum", 200_000),
    ("small_dicts", 50_000),
    ("hash_map", 50_000),
    ("closures", 50_000),
];

/// A `Write` whose bytes can be read after the VM that owned it is gone.
#[derive(Clone, Default)]
struct SharedBuffer(Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn options(n: u64, jit: JitMode) -> VmOptions {
    VmOptions {
        args: vec![n.to_string()],
        jit,
        ..VmOptions::default()
    }
}

/// Runs `compiled` once, panicking with Ruff's error report if it fails;
/// returns what it printed.
fn run(compiled: &ruff_core::compiler::Compiled, name: &str, source: &str, n: u64) -> String {
    let out = SharedBuffer::default();
    let err = SharedBuffer::default();
    let outcome = driver::run_compiled(
        compiled,
        name,
        source,
        options(n, JitMode::Off),
        Box::new(out.clone()),
        Box::new(err.clone()),
    );
    match outcome {
        RunOutcome::Ok => {}
        RunOutcome::Error(e) => panic!("{}", driver::render_runtime_error(name, source, &e)),
        other => panic!("{name} ended with exit code {}", other.exit_code()),
    }
    let bytes = out.0.borrow();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn kernels(c: &mut Criterion) {
    let mut group = c.benchmark_group("run");
    group.sample_size(20);
    for &(name, n) in KERNELS {
        let program = programs::find(name).expect("kernel names are benchmark programs");
        let path = program.source("ruff");
        let source = std::fs::read_to_string(&path).expect("benchmark source is readable");
        let file_name = path.display().to_string();
        let compiled = driver::compile(&source).unwrap_or_else(|errors| {
            panic!(
                "{}",
                driver::render_diagnostics(&file_name, &source, &errors)
            )
        });
        // Guard against timing a wrong program: the tiny size must print
        // the expected checksum.
        let tiny = program.size_arg(Size::Tiny).expect("kernels take a size");
        let expected = program
            .expected(Size::Tiny)
            .expect("expected output exists");
        let got = normalize_output(&run(&compiled, &file_name, &source, tiny));
        assert_eq!(got, expected, "{name} printed the wrong checksum");

        // The interpreter alone, then with the JIT (the compiled program
        // keeps its native code between iterations, as a long run would).
        for (mode_name, mode) in [("interpreter", JitMode::Off), ("jit", JitMode::On)] {
            group.bench_function(format!("{name}/{mode_name}"), |b| {
                b.iter(|| {
                    driver::run_compiled(
                        &compiled,
                        &file_name,
                        &source,
                        options(n, mode),
                        Box::new(std::io::sink()),
                        Box::new(std::io::sink()),
                    )
                })
            });
        }
    }
    group.finish();

    let sources: Vec<String> = PROGRAMS
        .iter()
        .map(|p| std::fs::read_to_string(p.source("ruff")).expect("benchmark source is readable"))
        .collect();
    c.bench_function("compile/all_programs", |b| {
        b.iter(|| {
            for source in &sources {
                let _ = std::hint::black_box(driver::compile(source));
            }
        })
    });
}

criterion_group!(benches, kernels);
criterion_main!(benches);
