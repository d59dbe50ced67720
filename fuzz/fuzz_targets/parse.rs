//! Lexes and parses arbitrary input. The parser must never panic, hang or
//! overflow the stack, and every span it reports must lie inside the source.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Files are read as UTF-8; invalid bytes become U+FFFD as a lossy loader
    // would, which keeps the fuzzer exploring instead of bailing out early.
    let source = String::from_utf8_lossy(data);
    let parsed = ruff_core::syntax::parse(&source);
    for d in &parsed.errors {
        assert!(d.span.start <= d.span.end && d.span.end as usize <= source.len());
    }
});
