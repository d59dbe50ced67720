//! The CI stage of program-level differential testing (issue 22): a few
//! thousand generated programs, each run in every JIT mode of the default
//! matrix against `--jit=off`, through the real `difftest` binary (so a JIT
//! crash or hang is reported, not fatal). Fails listing the mismatching
//! seeds, with the first few shrunk programs and both outputs.
//!
//! `DIFFTEST_SEEDS=A:B` runs other seeds (e.g. a longer range locally).

use std::process::Command;
use std::time::Instant;

/// Seeds of the CI run: about two minutes on two cores.
const SEEDS: &str = "0:3000";

#[test]
fn generated_programs_print_the_same_in_every_jit_mode() {
    let seeds = std::env::var("DIFFTEST_SEEDS").unwrap_or_else(|_| SEEDS.to_string());
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_difftest"))
        .args(["--seeds", &seeds, "--jobs", "2"])
        // Shrink a few mismatches (most share a cause); list the rest.
        .args(["--shrink-limit", "4", "--shrink-time", "30"])
        .output()
        .expect("run difftest");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!(
        "difftest --seeds {seeds}: {:.1} s",
        start.elapsed().as_secs_f64()
    );
    eprint!("{stdout}");
    assert!(
        out.status.success(),
        "the JIT changed what generated programs print ({}):\n{stdout}\n{stderr}\n\
         reproduce one with `cargo run --release -p difftest -- --seeds N` \
         (shrinks it; `--keep` saves it as a regression test)",
        out.status
    );
}
