//! The shadow stack: a copy of the Ruff call stack (function, tier, line)
//! that a profiler's sampler thread can read while the VM runs. A sampler
//! cannot walk the VM's own frames (they hold `Rc`s) nor read native program
//! counters, so the interpreter — and native JIT code — record function
//! entry and exit here, and the current line at calls and loop back edges.
//!
//! Every field is an atomic, so concurrent reads are well defined; a sample
//! taken while a frame is being pushed may see that frame half-written, which
//! a statistical profiler tolerates. When no profiler is attached the VM has
//! no shadow stack and each hook costs one predictable branch.

use std::sync::atomic::{AtomicU32, AtomicU8, AtomicUsize, Ordering};

/// What kind of code a frame is executing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Tier {
    /// The bytecode interpreter.
    Interpreted = 0,
    /// Native code produced by the JIT.
    Native = 1,
    /// The JIT compiling a function or loop.
    Compiler = 2,
    /// A runtime helper or builtin (`print`, `push`, dict operations...).
    Runtime = 3,
}

impl Tier {
    pub fn from_u8(v: u8) -> Tier {
        match v {
            1 => Tier::Native,
            2 => Tier::Compiler,
            3 => Tier::Runtime,
            _ => Tier::Interpreted,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tier::Interpreted => "interpreted",
            Tier::Native => "native",
            Tier::Compiler => "jit-compiler",
            Tier::Runtime => "runtime",
        }
    }
}

/// Identifies a function in `FunctionTable` (or a builtin, see `BUILTIN_BIT`).
pub type FuncId = u32;

/// Set on a `FuncId` that names a builtin by registry index.
pub const BUILTIN_BIT: u32 = 1 << 31;

#[derive(Default)]
struct Slot {
    func: AtomicU32,
    tier: AtomicU8,
    line: AtomicU32,
}

/// One frame as a sampler sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameSample {
    pub func: FuncId,
    pub tier: Tier,
    /// 1-based source line (0 when unknown).
    pub line: u32,
}

pub struct ShadowStack {
    slots: Box<[Slot]>,
    depth: AtomicUsize,
    /// Frames that did not fit (deeper than the capacity); not sampled.
    overflow: AtomicUsize,
}

impl ShadowStack {
    /// A shadow stack with room for `capacity` frames (deeper frames are
    /// counted but not recorded).
    pub fn new(capacity: usize) -> ShadowStack {
        ShadowStack {
            slots: (0..capacity.max(1)).map(|_| Slot::default()).collect(),
            depth: AtomicUsize::new(0),
            overflow: AtomicUsize::new(0),
        }
    }

    /// Enter a frame.
    #[inline]
    pub fn push(&self, func: FuncId, tier: Tier, line: u32) {
        let d = self.depth.load(Ordering::Relaxed);
        if d >= self.slots.len() || self.overflow.load(Ordering::Relaxed) > 0 {
            self.overflow.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let s = &self.slots[d];
        s.func.store(func, Ordering::Relaxed);
        s.tier.store(tier as u8, Ordering::Relaxed);
        s.line.store(line, Ordering::Relaxed);
        // Release: a sampler that sees the new depth sees the frame.
        self.depth.store(d + 1, Ordering::Release);
    }

    /// Leave the innermost frame.
    #[inline]
    pub fn pop(&self) {
        if self.overflow.load(Ordering::Relaxed) > 0 {
            self.overflow.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        let d = self.depth.load(Ordering::Relaxed);
        self.depth.store(d.saturating_sub(1), Ordering::Release);
    }

    /// Pop frames until `depth` remain (error unwinding).
    pub fn truncate(&self, depth: usize) {
        self.overflow.store(0, Ordering::Relaxed);
        let d = self.depth.load(Ordering::Relaxed);
        self.depth.store(d.min(depth), Ordering::Release);
    }

    /// Record the line the innermost frame is at.
    #[inline]
    pub fn set_line(&self, line: u32) {
        if self.overflow.load(Ordering::Relaxed) > 0 {
            return;
        }
        let d = self.depth.load(Ordering::Relaxed);
        if d > 0 {
            self.slots[d - 1].line.store(line, Ordering::Relaxed);
        }
    }

    /// Change the innermost frame's tier (e.g. entering native code).
    #[inline]
    pub fn set_tier(&self, tier: Tier) {
        let d = self.depth.load(Ordering::Relaxed);
        if d > 0 && self.overflow.load(Ordering::Relaxed) == 0 {
            self.slots[d - 1].tier.store(tier as u8, Ordering::Relaxed);
        }
    }

    pub fn depth(&self) -> usize {
        self.depth.load(Ordering::Acquire)
    }

    /// Copy the current stack, outermost first (for a sampler thread).
    pub fn sample(&self, out: &mut Vec<FrameSample>) {
        out.clear();
        let d = self.depth.load(Ordering::Acquire).min(self.slots.len());
        for s in &self.slots[..d] {
            out.push(FrameSample {
                func: s.func.load(Ordering::Relaxed),
                tier: Tier::from_u8(s.tier.load(Ordering::Relaxed)),
                line: s.line.load(Ordering::Relaxed),
            });
        }
    }
}

/// Names of the functions a `FuncId` can refer to, built by the compiler.
#[derive(Clone, Debug, Default)]
pub struct FunctionTable {
    /// (name, 1-based declaration line), indexed by `FuncId`.
    pub functions: Vec<(String, u32)>,
}

impl FunctionTable {
    /// `function` name for an id (builtins by their registry name).
    pub fn name(&self, id: FuncId) -> String {
        if id & BUILTIN_BIT != 0 {
            let idx = (id & !BUILTIN_BIT) as usize;
            return super::builtins::REGISTRY
                .get(idx)
                .map_or_else(|| "<builtin>".to_string(), |d| d.name.to_string());
        }
        self.functions
            .get(id as usize)
            .map_or_else(|| "<unknown>".to_string(), |f| f.0.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_pop_sample() {
        let s = ShadowStack::new(2);
        s.push(0, Tier::Interpreted, 1);
        s.push(1, Tier::Native, 5);
        s.set_line(6);
        s.push(2, Tier::Runtime, 0); // beyond capacity: counted, not recorded
        let mut out = Vec::new();
        s.sample(&mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(
            out[1],
            FrameSample {
                func: 1,
                tier: Tier::Native,
                line: 6
            }
        );
        s.pop();
        s.pop();
        s.sample(&mut out);
        assert_eq!(out.len(), 1);
        s.truncate(0);
        assert_eq!(s.depth(), 0);
    }
}
