//! Tests over the whole registry: every §10 builtin exists with the right
//! method flag and documentation, names are unique, and no builtin panics on
//! any combination of odd arguments.

use super::test_support::*;
use super::{def, lookup, lookup_method, REGISTRY};
use crate::runtime::value::Value;

/// LANGUAGE.md §10, plus the aliases and extras this implementation adds.
const FUNCTIONS: &[&str] = &[
    "print",
    "eprint",
    "type",
    "type_of",
    "to_string",
    "str",
    "is_int",
    "is_float",
    "is_string",
    "is_bool",
    "is_array",
    "is_dict",
    "is_null",
    "is_function",
    "int",
    "to_int",
    "float",
    "to_float",
    "parse_int",
    "parse_float",
    "to_bool",
    "args",
    "exit",
    "input",
    "read_file",
    "write_file",
    "file_exists",
    "env",
    "random",
    "random_int",
    "random_seed",
    "abs",
    "min",
    "max",
    "pow",
    "sqrt",
    "floor",
    "ceil",
    "round",
    "sin",
    "cos",
    "tan",
    "log",
    "exp",
    "format",
    "range",
    "to_json",
    "to_json_pretty",
    "parse_json",
    "now",
    "performance_now",
    "clock",
    "assert",
    "assert_true",
    "assert_false",
    "assert_equal",
    "assert_contains",
    "Ok",
    "Err",
    "Some",
];

/// Everything marked (m) in §10 (strings, arrays, dicts), plus the
/// collection helpers `slice`, `concat`, `reverse` that also take strings.
const METHODS: &[&str] = &[
    // strings
    "len",
    "upper",
    "lower",
    "to_upper",
    "to_lower",
    "capitalize",
    "trim",
    "trim_start",
    "trim_end",
    "contains",
    "starts_with",
    "ends_with",
    "index_of",
    "replace",
    "replace_str",
    "split",
    "join",
    "substring",
    "repeat",
    "char_at",
    "count_chars",
    "lines",
    "words",
    "str_reverse",
    "pad_start",
    "pad_end",
    "pad_left",
    "pad_right",
    "truncate",
    "slugify",
    "to_snake_case",
    "to_camel_case",
    "to_kebab_case",
    "is_empty",
    // arrays
    "push",
    "append",
    "pop",
    "insert",
    "remove_at",
    "slice",
    "concat",
    "reverse",
    "sort",
    "unique",
    "sum",
    "any",
    "all",
    "map",
    "filter",
    "reduce",
    "find",
    "enumerate",
    "zip",
    "flatten",
    "take",
    "skip",
    "chunk",
    "windows",
    // dicts
    "keys",
    "values",
    "items",
    "has_key",
    "get",
    "get_default",
    "merge",
    "update",
    "invert",
    "clear",
    "remove",
];

#[test]
fn every_builtin_is_registered_with_the_right_flag() {
    for name in FUNCTIONS {
        let id = lookup(name).unwrap_or_else(|| panic!("missing builtin {name}"));
        assert!(!def(id).method, "{name} should not be a method");
        assert_eq!(lookup_method(name), None, "{name}");
    }
    for name in METHODS {
        let id = lookup(name).unwrap_or_else(|| panic!("missing builtin {name}"));
        assert!(def(id).method, "{name} should be a method");
        assert_eq!(lookup_method(name), Some(id));
    }
    assert_eq!(
        REGISTRY.len(),
        FUNCTIONS.len() + METHODS.len(),
        "no unlisted builtins"
    );
}

#[test]
fn names_are_unique_and_documented() {
    assert!(REGISTRY.len() < u16::MAX as usize);
    let mut names: Vec<&str> = REGISTRY.iter().map(|d| d.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len(), "duplicate builtin names");
    for d in REGISTRY.iter() {
        assert!(
            d.signature.starts_with(&format!("{}(", d.name)),
            "{}: {}",
            d.name,
            d.signature
        );
        assert!(
            d.doc.ends_with('.') && d.doc.len() > 10,
            "{}: {}",
            d.name,
            d.doc
        );
        if let Some(max) = d.max_args {
            assert!(max >= d.min_args, "{}", d.name);
        }
    }
}

#[test]
fn none_and_constants() {
    use super::constant;
    assert_eq!(format!("{:?}", constant("None").unwrap()), "None");
    assert!(constant("PI").is_some() && constant("E").is_some());
}

/// Calls every builtin with every combination of up to three values from an
/// awkward pool. Any panic fails the test; errors are expected.
#[test]
fn no_builtin_panics_on_odd_arguments() {
    let pool = vec![
        Value::Null,
        Value::Bool(true),
        i(0),
        i(-1),
        i(3),
        i(i64::MAX),
        i(i64::MIN),
        f(-0.5),
        f(f64::NAN),
        f(f64::INFINITY),
        s(""),
        s("é%s"),
        ints(&[]),
        arr(vec![i(2), f(1.5), s("x"), ints(&[1])]),
        dict(vec![(i(1), s("a")), (s("k"), f(2.0))]),
        b("len"),
        Value::some(i(1)),
    ];
    // These touch the outside world with whatever strings they are given.
    let skip = ["write_file", "read_file", "file_exists", "input"];
    let mut calls = 0usize;
    for d in REGISTRY.iter().filter(|d| !skip.contains(&d.name)) {
        let max = d.max_args.unwrap_or(3).min(3) as usize;
        for n in 0..=max {
            let mut idx = vec![0usize; n];
            loop {
                let args: Vec<Value> = idx.iter().map(|&k| pool[k].clone()).collect();
                let mut host = FakeHost::default();
                let _ = call_on(&mut host, d.name, args);
                calls += 1;
                // Advance the odometer over pool indices.
                let mut pos = 0;
                while pos < n {
                    idx[pos] += 1;
                    if idx[pos] < pool.len() {
                        break;
                    }
                    idx[pos] = 0;
                    pos += 1;
                }
                if pos == n {
                    break;
                }
            }
        }
    }
    assert!(calls > 100_000, "{calls}");
}
