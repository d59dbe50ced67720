//! Where native code is, for samplers that read the VM thread's program
//! counter: each compiled unit's address range, with a map from code
//! offsets to the bytecode instruction (and so the Ruff line) each machine
//! instruction was lowered from, and which runtime helper each helper call
//! calls. The JIT fills it only with a profiler attached (Cranelift source
//! locations, `jit::lower::prof`); `ruff run` keeps none of it.
//!
//! A source location packs the instruction index in its low
//! `HELPER_SHIFT` bits and, on the call instruction of a helper call, the
//! helper's index in `jit::helper_names` plus one above them. A sample
//! whose program counter is inside a unit is JIT code at that line; one
//! outside any unit but with a native frame innermost is in Rust code that
//! native code called, and the first word on its machine stack that is the
//! return address of a helper call (the word minus one is in the call's
//! code) names the helper (and the line of the call).

use super::shadow::FuncId;

/// Bits of a source location that hold the instruction index.
pub const HELPER_SHIFT: u32 = 24;
const IP_MASK: u32 = (1 << HELPER_SHIFT) - 1;

/// The source location of instruction `ip`, or of a call to helper
/// `helper` (its index in `jit::helper_names`) made by it.
pub fn encode_loc(ip: usize, helper: Option<usize>) -> u32 {
    let h = helper.map_or(0, |h| (h as u32 + 1).min(0xff));
    (ip as u32 & IP_MASK) | (h << HELPER_SHIFT)
}

/// One compiled unit's code.
struct Unit {
    start: usize,
    len: usize,
    func: FuncId,
    /// The line of each instruction (`FuncProto::lines`).
    lines: Box<[u32]>,
    /// `(start, end, loc)` offsets into the code, sorted, not overlapping.
    locs: Box<[(u32, u32, u32)]>,
}

/// What a code address says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Located {
    /// The compiled function (or the function of the compiled loop).
    pub func: FuncId,
    /// The Ruff line of the instruction, if the address maps to one.
    pub line: Option<u32>,
    /// The address is in the code of a call to this helper (index in
    /// `jit::helper_names`): its argument moves, the call instruction
    /// or its result moves. A return address `r` is a helper call's when
    /// `r - 1` is.
    pub helper_call: Option<usize>,
}

/// Every compiled unit, sorted by address.
#[derive(Default)]
pub struct CodeMap {
    units: Vec<Unit>,
}

impl CodeMap {
    pub(crate) fn add(
        &mut self,
        start: usize,
        len: usize,
        func: FuncId,
        lines: &[u32],
        locs: Vec<(u32, u32, u32)>,
    ) {
        let at = self.units.partition_point(|u| u.start < start);
        self.units.insert(
            at,
            Unit {
                start,
                len,
                func,
                lines: lines.into(),
                locs: locs.into(),
            },
        );
    }

    /// Whether any code is known (no JIT, or nothing compiled yet).
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// What is at `pc`, if it is in a compiled unit.
    pub fn locate(&self, pc: usize) -> Option<Located> {
        let i = self
            .units
            .partition_point(|u| u.start <= pc)
            .checked_sub(1)?;
        let u = &self.units[i];
        let off = pc.checked_sub(u.start).filter(|&o| o < u.len)? as u32;
        let line = |loc: u32| u.lines.get((loc & IP_MASK) as usize).copied();
        let k = u.locs.partition_point(|l| l.0 <= off);
        let loc = k.checked_sub(1).map(|k| u.locs[k]).filter(|l| off < l.1);
        Some(Located {
            func: u.func,
            line: loc.and_then(|l| line(l.2)),
            helper_call: loc
                .map(|l| l.2 >> HELPER_SHIFT)
                .filter(|&h| h != 0)
                .map(|h| (h - 1) as usize),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_map_to_lines_and_helper_calls() {
        let mut m = CodeMap::default();
        // Instruction 0 (line 3) at 0..4, a call of helper 5 by
        // instruction 1 (line 4) at 4..9, instruction 1 again from 9.
        let locs = vec![
            (0, 4, encode_loc(0, None)),
            (4, 9, encode_loc(1, Some(5))),
            (9, 12, encode_loc(1, None)),
        ];
        m.add(0x1000, 16, 7, &[3, 4], locs);
        m.add(0x100, 8, 8, &[1], vec![]);
        assert!(m.locate(0xfff).is_none());
        assert!(m.locate(0x1010).is_none());
        let at = |pc| m.locate(pc).expect("in code");
        assert_eq!(
            at(0x1002),
            Located {
                func: 7,
                line: Some(3),
                helper_call: None
            }
        );
        assert_eq!(at(0x1005).line, Some(4));
        assert_eq!(at(0x1008).helper_call, Some(5), "in the call");
        assert_eq!(at(0x1009).helper_call, None, "after it");
        assert_eq!(at(0x1009).line, Some(4));
        assert_eq!(at(0x100e).line, None, "no location: the unit, no line");
        assert_eq!(at(0x104).func, 8);
    }
}
