//! The built-in `Result` and `Option` constructors `Ok`, `Err` and `Some`
//! (§7). `None` is a constant, see `builtins::constant`.

use super::helpers::{builtin, take, FUNCTION};
use super::BuiltinDef;
use crate::runtime::error::RtResult;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

pub static DEFS: &[BuiltinDef] = &[
    builtin(
        "Ok",
        "Ok(value?) -> Result",
        "A successful Result holding the value (null when omitted).",
        0,
        Some(1),
        FUNCTION,
        ok,
    ),
    builtin(
        "Err",
        "Err(error) -> Result",
        "A failed Result holding the error value.",
        1,
        Some(1),
        FUNCTION,
        err,
    ),
    builtin(
        "Some",
        "Some(value) -> Option",
        "An Option holding the value.",
        1,
        Some(1),
        FUNCTION,
        some,
    ),
];

// `Ok()` with no argument is allowed for functions that succeed without a
// value; `Err` and `Some` need their payload.
fn ok(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let v = args.first_mut().map_or(Value::Null, take);
    Ok(Value::ok(v))
}

fn err(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::err(take(&mut args[0])))
}

fn some(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::some(take(&mut args[0])))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn constructors() {
        assert_eq!(show("Ok", vec![i(1)]), "Ok(1)");
        assert_eq!(show("Ok", vec![]), "Ok(null)");
        assert_eq!(show("Err", vec![s("bad")]), "Err(bad)");
        assert_eq!(show("Some", vec![ints(&[1])]), "Some([1])");
        assert_eq!(
            show("type_of", vec![call("Some", vec![i(2)]).unwrap()]),
            "Option"
        );
        assert_eq!(err("Err", vec![]), "Err() expects 1 argument, got 0");
        assert_eq!(
            err("Some", vec![i(1), i(2)]),
            "Some() expects 1 argument, got 2"
        );
    }
}
