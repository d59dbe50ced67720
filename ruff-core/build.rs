//! Link the `ruff` binary as a position-dependent executable on Linux.
//!
//! Why: start-up. A position-independent executable is relocated by the
//! dynamic loader at every start: 18,000 pointers in `.data.rel.ro`
//! (vtables, string tables), each page of it copied on write, about 45
//! page faults before `main`. A fixed-address executable has those
//! pointers resolved at link time and its read-only data is shared with
//! the page cache. The code is still compiled position-independent, which
//! a fixed-address link accepts; only the binary loses address-space
//! randomization of its own image (as CPython's and LuaJIT's usual builds
//! do).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
}
