//! What the JIT tells its users: a versioned event schema (`events`), where
//! the events go (`sink`), and the static eligibility analysis the language
//! server shows before anything runs (`eligibility`). The schema is
//! documented in `docs/telemetry.md`.
//!
//! The profiler's sampler-readable shadow stack is `runtime::shadow` (kept
//! by the VM). The JIT keeps it current too when one is attached: native
//! functions push and pop their frames (`jit::lower::prof`), OSR code marks
//! its frame native, and compiles run under a `jit-compiler` frame. Native
//! frames also record (function, instruction) in `jit::ctx::Shadow`
//! entries, which error reports use.

pub mod eligibility;
pub mod events;
pub mod sink;

pub use eligibility::{eligibility, Verdict};
pub use events::{Event, Unit, SCHEMA_VERSION};
pub use sink::{JsonLinesSink, Sink, Telemetry};
