//! Assertions. A failure is an ordinary runtime error (catchable with
//! `try`), whose message shows the values involved, strings quoted so that
//! `"3"` and `3` can be told apart.

use super::collection::contains_impl;
use super::helpers::{builtin, repr, FUNCTION};
use super::BuiltinDef;
use crate::rt_bail;
use crate::runtime::error::RtResult;
use crate::runtime::format::display;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

pub static DEFS: &[BuiltinDef] = &[
    builtin(
        "assert",
        "assert(condition, message?)",
        "Raises an error (with the message, if given) unless the condition is truthy.",
        1,
        Some(2),
        FUNCTION,
        assert,
    ),
    builtin(
        "assert_true",
        "assert_true(value, message?)",
        "Raises an error unless the value is truthy.",
        1,
        Some(2),
        FUNCTION,
        assert_true,
    ),
    builtin(
        "assert_false",
        "assert_false(value, message?)",
        "Raises an error unless the value is falsey.",
        1,
        Some(2),
        FUNCTION,
        assert_false,
    ),
    builtin(
        "assert_equal",
        "assert_equal(actual, expected, message?)",
        "Raises an error showing both values unless actual == expected.",
        2,
        Some(3),
        FUNCTION,
        assert_equal,
    ),
    builtin(
        "assert_contains",
        "assert_contains(collection, item, message?)",
        "Raises an error unless the string contains the substring, the array an equal element, or the dict the key.",
        2,
        Some(3),
        FUNCTION,
        assert_contains,
    ),
];

/// `Assertion failed: DETAIL`, or `Assertion failed: MESSAGE (DETAIL)` when
/// the caller gave a message.
fn fail(message: Option<&Value>, detail: &str) -> RtResult<Value> {
    match (message, detail.is_empty()) {
        (Some(m), true) => rt_bail!("Assertion failed: {}", display(m)),
        (Some(m), false) => rt_bail!("Assertion failed: {} ({detail})", display(m)),
        (None, true) => rt_bail!("Assertion failed"),
        (None, false) => rt_bail!("Assertion failed: {detail}"),
    }
}

fn assert(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    if args[0].truthy() {
        return Ok(Value::Null);
    }
    fail(args.get(1), "")
}

fn assert_true(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    if args[0].truthy() {
        return Ok(Value::Null);
    }
    fail(
        args.get(1),
        &format!("expected a truthy value, got {}", repr(&args[0])),
    )
}

fn assert_false(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    if !args[0].truthy() {
        return Ok(Value::Null);
    }
    fail(
        args.get(1),
        &format!("expected a falsey value, got {}", repr(&args[0])),
    )
}

fn assert_equal(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    if args[0] == args[1] {
        return Ok(Value::Null);
    }
    let detail = format!("expected {}, got {}", repr(&args[1]), repr(&args[0]));
    fail(args.get(2), &detail)
}

fn assert_contains(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    if contains_impl("assert_contains", &args[0], &args[1])? {
        return Ok(Value::Null);
    }
    let detail = format!("{} does not contain {}", repr(&args[0]), repr(&args[1]));
    fail(args.get(2), &detail)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::value::Value;

    #[test]
    fn passing_assertions_return_null() {
        assert_eq!(show("assert", vec![i(1)]), "null");
        assert_eq!(show("assert_true", vec![s("x")]), "null");
        assert_eq!(show("assert_false", vec![ints(&[])]), "null");
        assert_eq!(show("assert_equal", vec![i(1), f(1.0)]), "null");
        assert_eq!(
            show("assert_equal", vec![ints(&[1, 2]), ints(&[1, 2])]),
            "null"
        );
        assert_eq!(show("assert_contains", vec![ints(&[1, 2]), i(2)]), "null");
        assert_eq!(show("assert_contains", vec![s("hello"), s("ell")]), "null");
    }

    #[test]
    fn failure_messages() {
        assert_eq!(err("assert", vec![Value::Bool(false)]), "Assertion failed");
        assert_eq!(
            err("assert", vec![i(0), s("x must be set")]),
            "Assertion failed: x must be set"
        );
        assert_eq!(
            err("assert_true", vec![i(0)]),
            "Assertion failed: expected a truthy value, got 0"
        );
        assert_eq!(
            err("assert_false", vec![s("a")]),
            "Assertion failed: expected a falsey value, got \"a\""
        );
        assert_eq!(
            err("assert_equal", vec![i(4), i(3)]),
            "Assertion failed: expected 3, got 4"
        );
        assert_eq!(
            err("assert_equal", vec![s("3"), i(3)]),
            "Assertion failed: expected 3, got \"3\""
        );
        assert_eq!(
            err("assert_equal", vec![ints(&[1]), ints(&[2]), s("lists")]),
            "Assertion failed: lists (expected [2], got [1])"
        );
        assert_eq!(
            err("assert_contains", vec![ints(&[1, 2]), i(3)]),
            "Assertion failed: [1, 2] does not contain 3"
        );
        assert_eq!(
            err("assert_contains", vec![i(1), i(3)]),
            "assert_contains() expects an array, dict or string, got int"
        );
        assert!(err("assert_equal", vec![i(1)]).contains("expects 2 to 3 arguments"));
        assert!(err("assert", vec![]).contains("expects 1 to 2 arguments"));
    }
}
