//! What the JIT tells its users: a versioned event schema (`events`), where
//! the events go (`sink`), and the static eligibility analysis the language
//! server shows before anything runs (`eligibility`). The schema is
//! documented in `docs/telemetry.md`.
//!
//! The profiler's sampler-readable shadow stack is `runtime::shadow` (kept
//! by the VM). The JIT marks a frame running OSR code as native there and
//! pushes the frames it resumes in the interpreter; frames of method-compiled
//! functions called natively are not published yet (their time shows under
//! the interpreted caller). Native frames do record (function, instruction)
//! in `jit::ctx::Shadow` entries, which error reports already use.

pub mod eligibility;
pub mod events;
pub mod sink;

pub use eligibility::{eligibility, Verdict};
pub use events::{Event, Unit, SCHEMA_VERSION};
pub use sink::{JsonLinesSink, Sink, Telemetry};
