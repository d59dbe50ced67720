//! A value's home that is either a frame slot or a global, as OSR entry
//! checks and the slot-or-global helpers name it. Across the native ABI it
//! travels as one `i64` (`to_abi` / `from_abi`, the only encoding).

/// A frame slot (offset from the frame's base) or a global (its index).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotOrGlobal {
    Slot(usize),
    Global(u32),
}

impl SlotOrGlobal {
    /// Slots as themselves (≥ 0), globals as `-1 - index` (< 0).
    pub fn to_abi(self) -> i64 {
        match self {
            SlotOrGlobal::Slot(s) => s as i64,
            SlotOrGlobal::Global(g) => -1 - g as i64,
        }
    }

    pub fn from_abi(v: i64) -> SlotOrGlobal {
        if v >= 0 {
            SlotOrGlobal::Slot(v as usize)
        } else {
            SlotOrGlobal::Global((-1 - v) as u32)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SlotOrGlobal;

    #[test]
    fn round_trips() {
        for s in [
            SlotOrGlobal::Slot(0),
            SlotOrGlobal::Slot(7),
            SlotOrGlobal::Global(0),
            SlotOrGlobal::Global(u32::MAX),
        ] {
            assert_eq!(SlotOrGlobal::from_abi(s.to_abi()), s);
        }
    }
}
