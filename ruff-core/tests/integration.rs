//! ruff-core's integration tests, one module per file, in one test binary
//! (see `autotests = false` in Cargo.toml for why). Run one area with a
//! filter: `cargo test --release -p ruff-core --test integration programs::`.

mod parser_util;

mod builtins;
mod bytecode_snapshots;
mod cli;
mod cow;
mod dependency_rules;
mod jit_diff;
mod jit_stress;
mod jit_telemetry;
mod jit_tools;
mod opcode_facts;
mod parser_constructs;
mod parser_limits;
mod parser_props;
mod parser_snapshots;
mod programs;
mod shadow_stack;
