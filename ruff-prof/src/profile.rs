//! A profile with names: the raw samples plus what the compiler knows about
//! each function (name, declaration line, loop table as line ranges), and the
//! aggregations every output shares (frame labels, tier totals, per-function
//! and per-loop counts).

use std::collections::HashMap;
use std::time::Duration;

use ruff_core::compiler::Compiled;
use ruff_core::runtime::shadow::{FrameSample, FuncId, FunctionTable, Tier, BUILTIN_BIT};
use ruff_core::syntax::LineIndex;

use crate::sampler::RawProfile;

pub const TIERS: [Tier; 4] = [
    Tier::Interpreted,
    Tier::Native,
    Tier::Compiler,
    Tier::Runtime,
];

/// Index of a tier in `TIERS` (and in every `[u64; 4]` split).
pub fn tier_index(t: Tier) -> usize {
    t as usize
}

/// One loop of a function, as source lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopLines {
    /// Index in the function's loop table (`FuncProto::loops`), the name the
    /// JIT's telemetry uses.
    pub index: usize,
    pub header: u32,
    pub first: u32,
    pub last: u32,
}

#[derive(Clone, Debug, Default)]
pub struct FuncInfo {
    pub name: String,
    pub line: u32,
    pub loops: Vec<LoopLines>,
}

impl FuncInfo {
    /// The innermost loop whose lines contain `line`.
    pub fn loop_at(&self, line: u32) -> Option<&LoopLines> {
        self.loops
            .iter()
            .filter(|l| l.first <= line && line <= l.last)
            .min_by_key(|l| l.last - l.first)
    }
}

/// What the profiler knows about the program, built on the VM thread (the
/// compiled program holds `Rc`s and cannot leave it).
#[derive(Clone, Debug, Default)]
pub struct ProgramInfo {
    /// The file name frames show (`bench.ruff`).
    pub file: String,
    /// Indexed by `FuncId`.
    pub functions: Vec<FuncInfo>,
    /// For builtin names.
    pub table: FunctionTable,
}

impl ProgramInfo {
    pub fn new(file: &str, source: &str, compiled: &Compiled) -> ProgramInfo {
        let index = LineIndex::new(source);
        let line = |offset: u32| index.line(offset) as u32;
        let protos = compiled.protos();
        let functions = compiled
            .functions
            .functions
            .iter()
            .enumerate()
            .map(|(id, (name, decl_line))| FuncInfo {
                name: name.clone(),
                line: *decl_line,
                loops: protos
                    .get(id)
                    .and_then(Option::as_ref)
                    .map(|p| {
                        p.loops
                            .iter()
                            .enumerate()
                            .map(|(index, l)| LoopLines {
                                index,
                                header: line(l.header_span.start),
                                first: line(l.span.start),
                                last: line(l.span.end.saturating_sub(1).max(l.span.start)),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        // Frames show the base name: `ruff-prof run benchmarks/fib/bench.ruff`
        // gives `fib (bench.ruff:3)`, as the JIT's perf map names it. `;` would
        // split a folded stack, so it cannot appear.
        let base = std::path::Path::new(file)
            .file_name()
            .map_or_else(|| file.to_string(), |f| f.to_string_lossy().into_owned());
        ProgramInfo {
            file: base.replace(';', "_"),
            functions,
            table: compiled.functions.clone(),
        }
    }

    pub fn func(&self, id: FuncId) -> Option<&FuncInfo> {
        if id & BUILTIN_BIT != 0 {
            return None;
        }
        self.functions.get(id as usize)
    }

    /// `fib (bench.ruff:3) [native]`; builtins `push (builtin) [runtime]`.
    pub fn label(&self, f: &FrameSample) -> String {
        let tier = f.tier.name();
        if f.func & BUILTIN_BIT != 0 {
            return format!("{} (builtin) [{tier}]", self.table.name(f.func));
        }
        let name = self
            .func(f.func)
            .map_or("<unknown>", |fi| fi.name.as_str())
            .replace(';', "_");
        if f.line == 0 {
            format!("{name} ({}) [{tier}]", self.file)
        } else {
            format!("{name} ({}:{}) [{tier}]", self.file, f.line)
        }
    }

    /// `fib (bench.ruff:3)`: a function by its declaration line.
    pub fn func_label(&self, id: FuncId) -> String {
        match self.func(id) {
            Some(fi) => format!("{} ({}:{})", fi.name, self.file, fi.line),
            None => format!("{} (builtin)", self.table.name(id)),
        }
    }
}

/// Samples attributed to one function or loop.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Samples with this unit anywhere on the stack (once per sample, so
    /// recursion does not count twice).
    pub total: u64,
    /// Samples where this unit is the innermost frame.
    pub self_: u64,
    /// `total` split by the tier of the unit's innermost frame.
    pub by_tier: [u64; 4],
    /// `self_` split the same way.
    pub self_by_tier: [u64; 4],
}

impl Counts {
    fn add(&mut self, n: u64, is_leaf: bool, tier: Tier) {
        self.total += n;
        if is_leaf {
            self.self_ += n;
            self.self_by_tier[tier_index(tier)] += n;
        }
        self.by_tier[tier_index(tier)] += n;
    }
}

/// A loop: (function id, index in its loop table).
pub type LoopKey = (FuncId, usize);

pub struct Profile {
    pub program: ProgramInfo,
    pub raw: RawProfile,
    /// Samples per stack id.
    pub counts: Vec<u64>,
    pub rate_hz: u32,
}

impl Profile {
    pub fn new(program: ProgramInfo, raw: RawProfile, rate_hz: u32) -> Profile {
        let mut counts = vec![0u64; raw.stacks.len()];
        for &(id, _) in &raw.samples {
            counts[id as usize] += 1;
        }
        Profile {
            program,
            raw,
            counts,
            rate_hz,
        }
    }

    pub fn total(&self) -> u64 {
        self.raw.samples.len() as u64
    }

    pub fn elapsed(&self) -> Duration {
        self.raw.elapsed
    }

    /// Distinct stacks with their sample counts.
    pub fn stacks(&self) -> impl Iterator<Item = (&[FrameSample], u64)> {
        self.raw
            .stacks
            .iter()
            .zip(&self.counts)
            .filter(|(_, &n)| n > 0)
            .map(|(s, &n)| (&**s, n))
    }

    /// Samples by the tier of the innermost frame: where the time went.
    pub fn tier_totals(&self) -> [u64; 4] {
        let mut t = [0u64; 4];
        for (stack, n) in self.stacks() {
            if let Some(leaf) = stack.last() {
                t[tier_index(leaf.tier)] += n;
            }
        }
        t
    }

    /// Per function (builtins included), by `FuncId`.
    pub fn function_counts(&self) -> HashMap<FuncId, Counts> {
        let mut out: HashMap<FuncId, Counts> = HashMap::new();
        for (stack, n) in self.stacks() {
            // Innermost frame of each function on this stack.
            let mut innermost: HashMap<FuncId, (usize, Tier)> = HashMap::new();
            for (i, f) in stack.iter().enumerate() {
                innermost.insert(f.func, (i, f.tier));
            }
            for (func, (i, tier)) in innermost {
                out.entry(func)
                    .or_default()
                    .add(n, i + 1 == stack.len(), tier);
            }
        }
        out
    }

    /// Per loop: a frame belongs to the innermost loop of its function whose
    /// lines contain the frame's current line.
    pub fn loop_counts(&self) -> HashMap<LoopKey, Counts> {
        let mut out: HashMap<LoopKey, Counts> = HashMap::new();
        for (stack, n) in self.stacks() {
            let mut innermost: HashMap<LoopKey, (usize, Tier)> = HashMap::new();
            for (i, f) in stack.iter().enumerate() {
                if let Some(l) = self.program.func(f.func).and_then(|fi| fi.loop_at(f.line)) {
                    innermost.insert((f.func, l.index), (i, f.tier));
                }
            }
            for (key, (i, tier)) in innermost {
                out.entry(key)
                    .or_default()
                    .add(n, i + 1 == stack.len(), tier);
            }
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn frame(func: FuncId, tier: Tier, line: u32) -> FrameSample {
        FrameSample { func, tier, line }
    }

    /// `<main>` (id 0, one loop on lines 5-9 with an inner loop 6-8) and `f`
    /// (id 1, line 1); stacks given as (frames, count).
    pub(crate) fn sample_profile(stacks: Vec<(Vec<FrameSample>, u64)>) -> Profile {
        let program = ProgramInfo {
            file: "t.ruff".into(),
            functions: vec![
                FuncInfo {
                    name: "<main>".into(),
                    line: 1,
                    loops: vec![
                        LoopLines {
                            index: 0,
                            header: 5,
                            first: 5,
                            last: 9,
                        },
                        LoopLines {
                            index: 1,
                            header: 6,
                            first: 6,
                            last: 8,
                        },
                    ],
                },
                FuncInfo {
                    name: "f".into(),
                    line: 1,
                    loops: vec![],
                },
            ],
            table: FunctionTable::default(),
        };
        let mut raw = RawProfile::default();
        for (i, (frames, n)) in stacks.into_iter().enumerate() {
            raw.stacks.push(frames.into());
            for k in 0..n {
                raw.samples.push((i as u32, k));
            }
        }
        Profile::new(program, raw, 1000)
    }

    #[test]
    fn innermost_loop_and_recursion_counted_once() {
        let p = sample_profile(vec![
            (
                vec![
                    frame(0, Tier::Interpreted, 7),
                    frame(1, Tier::Interpreted, 2),
                    frame(1, Tier::Native, 2),
                ],
                3,
            ),
            (vec![frame(0, Tier::Interpreted, 5)], 1),
        ]);
        let f = &p.function_counts()[&1];
        assert_eq!((f.total, f.self_), (3, 3));
        assert_eq!(f.by_tier[tier_index(Tier::Native)], 3);
        let loops = p.loop_counts();
        assert_eq!(loops[&(0, 1)].total, 3, "line 7 is in the inner loop");
        assert_eq!(loops[&(0, 1)].self_, 0);
        assert_eq!(loops[&(0, 0)].total, 1);
        assert_eq!(loops[&(0, 0)].self_, 1);
        assert_eq!(p.tier_totals(), [1, 3, 0, 0]);
    }

    #[test]
    fn labels() {
        let p = sample_profile(vec![]);
        assert_eq!(
            p.program.label(&frame(1, Tier::Native, 3)),
            "f (t.ruff:3) [native]"
        );
        assert_eq!(p.program.func_label(0), "<main> (t.ruff:1)");
    }
}
