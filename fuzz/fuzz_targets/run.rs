//! Parse, compile and run arbitrary text. The program's output is discarded;
//! any panic (or a hang, caught by libFuzzer's timeout) is a bug. Recursion
//! and output are bounded so a fuzz case cannot run away.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ruff_core::driver::run_source;
use ruff_core::runtime::vm::VmOptions;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let options = VmOptions {
        max_depth: 200,
        ..VmOptions::default()
    };
    let _ = run_source(
        "fuzz.ruff",
        source,
        options,
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
});
