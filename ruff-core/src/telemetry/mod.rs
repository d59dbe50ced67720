//! What the JIT tells its users: a versioned event schema (`events`), where
//! the events go (`sink`), and the static eligibility analysis the language
//! server shows before anything runs (`eligibility`). The schema is
//! documented in `docs/telemetry.md`.
//!
//! The profiler's sampler-readable shadow stack is `runtime::shadow` (kept
//! by the VM). Native frames record (function, instruction) in
//! `jit::ctx::Shadow` entries, which error reports use and which a sample
//! merges in (`runtime::shadow_native`); with a profiler attached native
//! code also records lines (`jit::lower::prof`), OSR code marks its frame
//! native, and compiles run under a `jit-compiler` frame.

pub mod eligibility;
pub mod events;
pub mod observed;
pub mod sink;

pub use eligibility::{advice, eligibility, Verdict};
pub use events::{Event, Line, Unit, SCHEMA_VERSION};
pub use sink::{JsonLinesSink, Sink, Telemetry};

/// The shadow stack of (function, tier, line) a sampler thread reads; it
/// lives with the VM that keeps it, and is part of this API too.
pub use crate::runtime::shadow;
