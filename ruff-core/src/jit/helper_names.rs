//! The runtime helpers native code calls, by name, for profilers: the one
//! place that lists `(name, address)` (a sample in Rust code called from
//! native code is named after the helper the call went to, see
//! `runtime::shadow_code`). When the helper table becomes typed, it can
//! feed this list; until then a helper missing here shows as
//! `helper [helper]`.

use std::sync::OnceLock;

use super::exits;
use super::helpers as h;

/// `(name, address)` of every helper `lower` calls through `Lower::call`.
pub fn helper_names() -> &'static [(&'static str, usize)] {
    static NAMES: OnceLock<Vec<(&'static str, usize)>> = OnceLock::new();
    NAMES.get_or_init(|| {
        macro_rules! list {
            ($($name:literal => $f:path),* $(,)?) => {
                vec![$(($name, $f as *const () as usize)),*]
            };
        }
        list![
            "put" => h::put,
            "get" => h::get,
            "box_const" => h::box_const,
            "copy_slot" => h::copy_slot,
            "move_slot" => h::move_slot,
            "rc drop" => h::drop_slot,
            "release frame" => h::release,
            "load_global" => h::load_global,
            "store_global" => h::store_global,
            "binop" => h::binop,
            "unop" => h::unop,
            "is_null" => h::is_null,
            "call" => h::call,
            "call_method" => h::call_method,
            "update_var" => h::update_var,
            "index" => h::index,
            "index_int" => h::index_int,
            "index_var" => h::index_var,
            "get_field" => h::get_field,
            "store_path" => h::store_path,
            "store_index_int" => h::store_index_int,
            "make_array" => h::make_array,
            "make_dict" => h::make_dict,
            "make_struct" => h::make_struct,
            "array_push" => h::array_push,
            "dict_set" => h::dict_insert,
            "concat" => h::concat,
            "make_closure" => h::make_closure,
            "load_cell" => h::load_cell,
            "store_cell" => h::store_cell,
            "load_upval" => h::load_upval,
            "store_upval" => h::store_upval,
            "iter_prep" => h::iter_prep,
            "iter_next" => h::iter_next,
            "fmod" => h::fmod,
            "exit" => exits::resume,
            "osr exit" => exits::osr_exit,
            "osr error" => exits::osr_error,
        ]
    })
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
