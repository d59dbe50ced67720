//! What the JIT tells its users: a versioned event schema (`events`), where
//! the events go (`sink`), and the static eligibility analysis the language
//! server shows before anything runs (`eligibility`). The schema is
//! documented in `docs/telemetry.md`.
//!
//! Not here yet: the shadow stack a sampling profiler reads. Native frames
//! already record (function, current instruction) in `jit::ctx::Shadow`
//! entries and VM frames in `Vm::frames`; a sampler needs both published
//! through an atomically readable buffer, with a tier tag per frame.

pub mod eligibility;
pub mod events;
pub mod sink;

pub use eligibility::{eligibility, Verdict};
pub use events::{Event, Unit, SCHEMA_VERSION};
pub use sink::{JsonLinesSink, Sink, Telemetry};
