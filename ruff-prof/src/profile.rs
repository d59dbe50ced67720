//! A profile with names: the raw samples plus what the compiler knows about
//! each function (name, declaration line, loop table as line ranges), and the
//! aggregations every output shares (frame labels, tier totals, per-function
//! and per-loop counts).

use std::collections::HashMap;
use std::time::Duration;

use ruff_core::compiler::Compiled;
use ruff_core::runtime::shadow::{FrameSample, FuncId, FunctionTable, Tier, BUILTIN_BIT};
use ruff_core::syntax::LineIndex;

use crate::pc::{self, HELPER_BIT, SYSTEM_BIT};
use crate::sampler::RawProfile;

/// The kinds of time, in the order legends and summaries show them.
pub const TIERS: [Tier; 6] = [
    Tier::Native,
    Tier::Helper,
    Tier::Interpreted,
    Tier::Compiler,
    Tier::Runtime,
    Tier::System,
];

/// Index of a tier in every `[u64; NTIERS]` split (`Tier as usize`).
pub fn tier_index(t: Tier) -> usize {
    t as usize
}

pub const NTIERS: usize = 6;

/// What line a frame label shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Lines {
    /// The line the frame is at (the default).
    #[default]
    Current,
    /// The function's declaration line (`--function`): one frame per
    /// function, so profiles of edited code line up.
    Function,
    /// No line (`--nolineno`).
    None,
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
    /// The name the compiler and the JIT's telemetry use (`area`).
    pub name: String,
    /// The name frames show: methods as `Struct.method`.
    pub display: String,
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
    /// Names of `system` frames (from the sampler).
    pub system: Vec<String>,
    /// What line labels show.
    pub lines: Lines,
    /// The program's text (for `annotate`).
    pub source: String,
}

impl ProgramInfo {
    pub fn new(file: &str, source: &str, compiled: &Compiled) -> ProgramInfo {
        let index = LineIndex::new(source);
        let line = |offset: u32| index.line(offset) as u32;
        let protos = compiled.protos();
        // Methods of two structs may share a name: show `Struct.method`.
        let mut method_names: HashMap<u32, String> = HashMap::new();
        for p in protos.iter().flatten() {
            for def in &p.structs {
                for m in def.methods.get().into_iter().flatten() {
                    method_names.insert(m.proto.id, format!("{}.{}", def.name, m.name));
                }
            }
        }
        let functions = compiled
            .functions
            .functions
            .iter()
            .enumerate()
            .map(|(id, (name, decl_line))| FuncInfo {
                name: name.clone(),
                display: method_names
                    .get(&(id as u32))
                    .cloned()
                    .unwrap_or_else(|| name.clone()),
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
            system: Vec::new(),
            lines: Lines::Current,
            source: source.to_string(),
        }
    }

    pub fn func(&self, id: FuncId) -> Option<&FuncInfo> {
        if id & (BUILTIN_BIT | HELPER_BIT | SYSTEM_BIT) != 0 {
            return None;
        }
        self.functions.get(id as usize)
    }

    /// `fib (bench.ruff:3) [native]`; builtins `push (builtin) [runtime]`;
    /// helpers `dict_set [helper]`; system code `malloc (libc.so.6) [system]`.
    pub fn label(&self, f: &FrameSample) -> String {
        let tier = f.tier.name();
        if f.func & BUILTIN_BIT != 0 {
            return format!("{} (builtin) [{tier}]", self.table.name(f.func));
        }
        if f.func & HELPER_BIT != 0 {
            return format!("{} [{tier}]", pc::helper_name(f.func));
        }
        if f.func & SYSTEM_BIT != 0 {
            let i = (f.func & !SYSTEM_BIT) as usize;
            return format!(
                "{} [{tier}]",
                self.system.get(i).map_or("?", String::as_str)
            );
        }
        let (name, decl) = self
            .func(f.func)
            .map_or(("<unknown>", 0), |fi| (fi.display.as_str(), fi.line));
        let name = name.replace(';', "_");
        let line = match self.lines {
            Lines::Current => f.line,
            Lines::Function => decl,
            Lines::None => 0,
        };
        if line == 0 {
            format!("{name} ({}) [{tier}]", self.file)
        } else {
            format!("{name} ({}:{line}) [{tier}]", self.file)
        }
    }

    /// `fib (bench.ruff:3)`: a function by its declaration line.
    pub fn func_label(&self, id: FuncId) -> String {
        match self.func(id) {
            Some(fi) => format!("{} ({}:{})", fi.display, self.file, fi.line),
            None if id & (HELPER_BIT | SYSTEM_BIT) != 0 => {
                let tier = if id & HELPER_BIT != 0 {
                    Tier::Helper
                } else {
                    Tier::System
                };
                let label = self.label(&FrameSample {
                    func: id,
                    tier,
                    line: 0,
                });
                crate::collapsed::strip_tier(&label).to_string()
            }
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
    pub by_tier: [u64; NTIERS],
    /// `self_` split the same way.
    pub self_by_tier: [u64; NTIERS],
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
    /// The VM thread's CPU time (user, kernel), from `getrusage`.
    pub cpu: Option<(Duration, Duration)>,
}

impl Profile {
    pub fn new(mut program: ProgramInfo, raw: RawProfile, rate_hz: u32) -> Profile {
        program.system = raw.system.names.clone();
        let mut counts = vec![0u64; raw.stacks.len()];
        for &(id, _) in &raw.samples {
            counts[id as usize] += 1;
        }
        Profile {
            program,
            raw,
            counts,
            rate_hz,
            cpu: None,
        }
    }

    pub fn total(&self) -> u64 {
        self.raw.samples.len() as u64
    }

    pub fn elapsed(&self) -> Duration {
        self.raw.elapsed
    }

    /// Samples per second really taken.
    pub fn achieved_hz(&self) -> f64 {
        self.total() as f64 / self.elapsed().as_secs_f64().max(1e-9)
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
    pub fn tier_totals(&self) -> [u64; NTIERS] {
        let mut t = [0u64; NTIERS];
        for (stack, n) in self.stacks() {
            if let Some(leaf) = stack.last() {
                t[tier_index(leaf.tier)] += n;
            }
        }
        t
    }

    /// Samples whose innermost frame is each helper or system function,
    /// most first: (label without tier, samples).
    pub fn leaf_counts(&self, tier: Tier) -> Vec<(String, u64)> {
        let mut by: HashMap<FuncId, u64> = HashMap::new();
        for (stack, n) in self.stacks() {
            // The helper is below a system frame when it called the C
            // library: count the innermost frame of the kind.
            if let Some(f) = stack.iter().rev().take(2).find(|f| f.tier == tier) {
                *by.entry(f.func).or_default() += n;
            }
        }
        let mut v: Vec<(String, u64)> = by
            .into_iter()
            .map(|(id, n)| (self.program.func_label(id), n))
            .collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
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
                    display: "<main>".into(),
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
                    display: "f".into(),
                    line: 1,
                    loops: vec![],
                },
            ],
            table: FunctionTable::default(),
            ..ProgramInfo::default()
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
        assert_eq!(p.tier_totals(), [1, 3, 0, 0, 0, 0]);
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
