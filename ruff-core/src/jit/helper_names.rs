//! The runtime helpers by name and address, for profilers (a sample in Rust
//! code called from native code is named after the helper the call went
//! to, see `runtime::shadow_code`), read from the one helper table
//! (`jit::helper_table`).

use std::sync::OnceLock;

use super::helper_table::Helper;

/// `(name, address)` of every helper, in table order.
pub fn helper_names() -> &'static [(&'static str, usize)] {
    static NAMES: OnceLock<Vec<(&'static str, usize)>> = OnceLock::new();
    NAMES.get_or_init(|| Helper::ALL.iter().map(|h| (h.name(), h.addr())).collect())
}

/// The index of the helper at `addr` in `helper_names`.
pub fn helper_index(addr: usize) -> Option<usize> {
    helper_names().iter().position(|&(_, a)| a == addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_addresses_resolve() {
        let names = helper_names();
        assert!(names.len() < 255, "fits a source location's helper byte");
        for (i, (n, a)) in names.iter().enumerate() {
            assert_eq!(helper_index(*a), Some(i), "{n}");
            assert_eq!(names.iter().filter(|(m, _)| m == n).count(), 1, "{n}");
        }
    }
}
