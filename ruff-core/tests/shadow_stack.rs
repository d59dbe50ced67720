//! The shadow stack a profiler samples must mirror the Ruff call stack:
//! balanced across calls, builtins, caught errors and nested runs (builtins
//! calling back into Ruff), and readable from another thread while running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ruff_core::driver::{compile, run_compiled, RunOutcome};
use ruff_core::runtime::shadow::{ShadowStack, Tier};
use ruff_core::runtime::vm::VmOptions;

fn run_with(src: &str, shadow: Arc<ShadowStack>) -> RunOutcome {
    let compiled = compile(src).expect("compiles");
    let options = VmOptions {
        shadow: Some(shadow),
        ..VmOptions::default()
    };
    run_compiled(
        &compiled,
        "t.ruff",
        src,
        options,
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    )
}

#[test]
fn balanced_after_calls_builtins_errors_and_callbacks() {
    let src = r#"
func f(n) { if n == 0 { throw("bottom") } return f(n - 1) }
func g(x) { return x * 2 }
try { f(50) } except e { print(e.message) }
print(map([1, 2, 3], g))
try { map([1, 2], func(x) { return 1 / 0 }) } except e { print(e.message) }
try { push(1, 2) } except e { print(e.message) }
"#;
    let shadow = Arc::new(ShadowStack::new(1024));
    assert!(matches!(run_with(src, shadow.clone()), RunOutcome::Ok));
    // Only the top-level frame's entry remains (it is not popped by a return).
    assert!(shadow.depth() <= 1, "depth {}", shadow.depth());
}

#[test]
fn a_sampler_thread_sees_the_running_function() {
    let src = "func spin(n) {\n  mut i := 0\n  mut t := 0\n  while i < n {\n    t += i\n    i += 1\n  }\n  return t\n}\nprint(spin(3000000))\n";
    let compiled = compile(src).expect("compiles");
    let spin_id = compiled
        .functions
        .functions
        .iter()
        .position(|(name, _)| name == "spin")
        .expect("spin is in the function table") as u32;
    let shadow = Arc::new(ShadowStack::new(1024));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (shadow, done) = (shadow.clone(), done.clone());
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut frames = Vec::new();
            while !done.load(Ordering::Relaxed) {
                shadow.sample(&mut frames);
                seen.extend(frames.last().copied());
                std::thread::yield_now();
            }
            seen
        })
    };
    let options = VmOptions {
        shadow: Some(shadow),
        ..VmOptions::default()
    };
    let outcome = run_compiled(
        &compiled,
        "t.ruff",
        src,
        options,
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    done.store(true, Ordering::Relaxed);
    let seen = sampler.join().expect("sampler thread");
    assert!(matches!(outcome, RunOutcome::Ok));
    let in_spin: Vec<_> = seen.iter().filter(|f| f.func == spin_id).collect();
    assert!(!in_spin.is_empty(), "no sample saw `spin`");
    // Back edges record the loop's line (4..=6 in the source above). The
    // hot loop runs natively once the JIT enters it by OSR.
    assert!(in_spin
        .iter()
        .all(|f| matches!(f.tier, Tier::Interpreted | Tier::Native) && (1..=9).contains(&f.line)));
}
