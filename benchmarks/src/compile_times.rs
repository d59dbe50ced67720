//! `--compile-times`: how long the JIT takes to compile, from its own
//! telemetry. Runs each program once under Ruff with `--telemetry` and
//! reads the `compile_finished` events (µs per compiled function or loop).

use std::path::Path;

use benchmarks::programs::{Program, Size};

/// Compile times of one program, in microseconds.
struct Compiles {
    program: &'static str,
    micros: Vec<u64>,
}

/// Runs the programs and prints a Markdown table: per program the number
/// of units compiled, their median and maximum compile time; then the
/// median over every unit of every program.
pub fn report(
    programs: &[&'static Program],
    ruff: &Path,
    size: Size,
    scratch: &Path,
) -> Result<(), String> {
    std::fs::create_dir_all(scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let mut all = Vec::new();
    for program in programs {
        let events = scratch.join(format!("{}.jsonl", program.name));
        let flag = events.to_string_lossy().into_owned();
        let status = program
            .ruff_command(ruff, program.size_arg(size), &["--telemetry", &flag])
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(|e| format!("could not run ruff: {e}"))?;
        if !status.success() {
            return Err(format!("{} failed ({status})", program.name));
        }
        let text =
            std::fs::read_to_string(&events).map_err(|e| format!("{}: {e}", events.display()))?;
        let micros = text
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| e["event"] == "compile_finished")
            .filter_map(|e| e["micros"].as_u64())
            .collect();
        all.push(Compiles {
            program: program.name,
            micros,
        });
    }
    println!("| program | units compiled | median µs | max µs |");
    println!("|---|---:|---:|---:|");
    for c in &all {
        let mut m = c.micros.clone();
        println!(
            "| {} | {} | {} | {} |",
            c.program,
            m.len(),
            median(&mut m).map_or("—".to_string(), |v| v.to_string()),
            m.iter().max().map_or("—".to_string(), |v| v.to_string()),
        );
    }
    let mut every: Vec<u64> = all.iter().flat_map(|c| c.micros.iter().copied()).collect();
    let n = every.len();
    match median(&mut every) {
        Some(m) => println!("\nMedian compile time over all {n} units: {m} µs"),
        None => println!("\nNothing was compiled."),
    }
    Ok(())
}

fn median(v: &mut [u64]) -> Option<u64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[v.len() / 2])
}
