//! String builtins (all also methods): case, trimming, searching, splitting
//! and joining, `substring`, `repeat`, `char_at`... Indices and lengths are
//! in characters (Unicode scalar values), never bytes, so no input can split
//! a character. `len`, `contains`, `index_of`, `is_empty` and `slice` live
//! in `collection.rs` because they also take arrays.

use std::rc::Rc;

use super::helpers::{
    builtin, char_len, char_slice, check_str_size, count_arg, int_arg, resolve_index, slice_bounds,
    str_arg, METHOD,
};
use super::BuiltinDef;
use crate::rt_bail;
use crate::runtime::error::RtResult;
use crate::runtime::format::write_display;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

const UPPER_DOC: &str = "The string in upper case.";
const LOWER_DOC: &str = "The string in lower case.";
const REPLACE_DOC: &str = "The string with every occurrence of `from` replaced by `to`.";

pub static DEFS: &[BuiltinDef] = &[
    builtin("upper", "upper(s) -> string", UPPER_DOC, 1, Some(1), METHOD, upper),
    builtin("to_upper", "to_upper(s) -> string", UPPER_DOC, 1, Some(1), METHOD, to_upper),
    builtin("lower", "lower(s) -> string", LOWER_DOC, 1, Some(1), METHOD, lower),
    builtin("to_lower", "to_lower(s) -> string", LOWER_DOC, 1, Some(1), METHOD, to_lower),
    builtin(
        "capitalize",
        "capitalize(s) -> string",
        "The string with its first character in upper case and the rest in lower case.",
        1,
        Some(1),
        METHOD,
        capitalize,
    ),
    builtin("trim", "trim(s) -> string", "The string without leading and trailing whitespace.", 1, Some(1), METHOD, trim),
    builtin("trim_start", "trim_start(s) -> string", "The string without leading whitespace.", 1, Some(1), METHOD, trim_start),
    builtin("trim_end", "trim_end(s) -> string", "The string without trailing whitespace.", 1, Some(1), METHOD, trim_end),
    builtin(
        "starts_with",
        "starts_with(s, prefix) -> bool",
        "True if the string begins with the prefix.",
        2,
        Some(2),
        METHOD,
        starts_with,
    ),
    builtin(
        "ends_with",
        "ends_with(s, suffix) -> bool",
        "True if the string ends with the suffix.",
        2,
        Some(2),
        METHOD,
        ends_with,
    ),
    builtin("replace", "replace(s, from, to) -> string", REPLACE_DOC, 3, Some(3), METHOD, replace),
    builtin("replace_str", "replace_str(s, from, to) -> string", REPLACE_DOC, 3, Some(3), METHOD, replace_str),
    builtin(
        "split",
        "split(s, separator) -> array",
        "The pieces of the string between occurrences of the separator; an empty separator splits into characters.",
        2,
        Some(2),
        METHOD,
        split,
    ),
    builtin(
        "join",
        "join(array, separator) -> string",
        "The elements (as to_string shows them) joined with the separator between them.",
        2,
        Some(2),
        METHOD,
        join,
    ),
    builtin(
        "substring",
        "substring(s, start, end?) -> string",
        "The characters from `start` up to but not including `end` (default: the end). Negative indices count from the end; out-of-range indices are clamped.",
        2,
        Some(3),
        METHOD,
        substring,
    ),
    builtin("repeat", "repeat(s, count) -> string", "The string repeated `count` times.", 2, Some(2), METHOD, repeat),
    builtin(
        "char_at",
        "char_at(s, index) -> string",
        "The character at the index, as a one-character string; a negative index counts from the end.",
        2,
        Some(2),
        METHOD,
        char_at,
    ),
    builtin(
        "count_chars",
        "count_chars(s) -> int",
        "The number of characters (Unicode scalar values) in the string.",
        1,
        Some(1),
        METHOD,
        count_chars,
    ),
    builtin(
        "lines",
        "lines(s) -> array",
        "The lines of the string, without their \\n or \\r\\n endings (a final line ending does not add an empty line).",
        1,
        Some(1),
        METHOD,
        lines,
    ),
    builtin(
        "words",
        "words(s) -> array",
        "The whitespace-separated words of the string.",
        1,
        Some(1),
        METHOD,
        words,
    ),
    builtin(
        "str_reverse",
        "str_reverse(s) -> string",
        "The string with its characters in reverse order.",
        1,
        Some(1),
        METHOD,
        str_reverse,
    ),
];

/// The string argument at `i` (all string builtins take it first).
fn text<'a>(name: &str, args: &'a [Value], i: usize) -> RtResult<&'a str> {
    str_arg(name, &args[i], "a string")
}

/// Returns the original string when an operation did not change it, so no
/// copy is made.
fn same_or_new(args: &[Value], result: &str) -> Value {
    match &args[0] {
        Value::Str(s) if s.len() == result.len() => Value::Str(Rc::clone(s)),
        _ => Value::str(result),
    }
}

// Aliases get their own small entry points so that errors name the
// function the program actually called.
fn upper(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::str(text("upper", args, 0)?.to_uppercase()))
}

fn to_upper(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::str(text("to_upper", args, 0)?.to_uppercase()))
}

fn lower(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::str(text("lower", args, 0)?.to_lowercase()))
}

fn to_lower(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::str(text("to_lower", args, 0)?.to_lowercase()))
}

fn capitalize(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = text("capitalize", args, 0)?;
    let mut chars = s.chars();
    let mut out = String::with_capacity(s.len());
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.push_str(&chars.as_str().to_lowercase());
    }
    Ok(Value::str(out))
}

fn trim(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let t = text("trim", args, 0)?.trim();
    Ok(same_or_new(args, t))
}

fn trim_start(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let t = text("trim_start", args, 0)?.trim_start();
    Ok(same_or_new(args, t))
}

fn trim_end(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let t = text("trim_end", args, 0)?.trim_end();
    Ok(same_or_new(args, t))
}

fn starts_with(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = text("starts_with", args, 0)?;
    let p = str_arg("starts_with", &args[1], "a string prefix")?;
    Ok(Value::Bool(s.starts_with(p)))
}

fn ends_with(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = text("ends_with", args, 0)?;
    let p = str_arg("ends_with", &args[1], "a string suffix")?;
    Ok(Value::Bool(s.ends_with(p)))
}

fn replace(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    replace_impl("replace", args)
}

fn replace_str(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    replace_impl("replace_str", args)
}

fn replace_impl(name: &str, args: &[Value]) -> RtResult<Value> {
    let s = text(name, args, 0)?;
    let from = str_arg(name, &args[1], "a string to replace")?;
    let to = str_arg(name, &args[2], "a string replacement")?;
    // An empty `from` matches between every two characters (as in Python),
    // which can blow up the size: check it before building.
    let hits = if from.is_empty() {
        char_len(s) + 1
    } else {
        s.matches(from).count()
    };
    if hits == 0 {
        return Ok(same_or_new(args, s));
    }
    let size = s.len() as u128 - (hits * from.len()) as u128 + hits as u128 * to.len() as u128;
    check_str_size(name, size)?;
    Ok(Value::str(s.replace(from, to)))
}

fn split(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = text("split", args, 0)?;
    let sep = str_arg("split", &args[1], "a string separator")?;
    let parts: Vec<Value> = if sep.is_empty() {
        s.chars().map(|c| Value::str(c.to_string())).collect()
    } else {
        s.split(sep).map(Value::str).collect()
    };
    Ok(Value::array(parts))
}

fn join(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let Value::Array(items) = &args[0] else {
        return Err(super::type_error("join", "an array", &args[0]));
    };
    let sep = str_arg("join", &args[1], "a string separator")?;
    let mut out = String::new();
    for (n, v) in items.iter().enumerate() {
        if n > 0 {
            out.push_str(sep);
        }
        write_display(&mut out, &v);
        check_str_size("join", out.len() as u128)?;
    }
    Ok(Value::str(out))
}

fn substring(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = text("substring", args, 0)?;
    let start = int_arg("substring", &args[1], "an int start index")?;
    let end = match args.get(2) {
        None | Some(Value::Null) => None,
        Some(v) => Some(int_arg("substring", v, "an int end index")?),
    };
    let (a, b) = slice_bounds(start, end, char_len(s));
    Ok(Value::str(char_slice(s, a, b)))
}

fn repeat(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = text("repeat", args, 0)?;
    let n = count_arg("repeat", &args[1], "count")?;
    check_str_size("repeat", s.len() as u128 * n as u128)?;
    Ok(Value::str(s.repeat(n)))
}

fn char_at(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = text("char_at", args, 0)?;
    let i = int_arg("char_at", &args[1], "an int index")?;
    let n = char_len(s);
    match resolve_index(i, n) {
        Some(j) => Ok(Value::str(char_slice(s, j, j + 1))),
        None => rt_bail!("char_at() index out of bounds: {i} (the string has {n} characters)"),
    }
}

fn count_chars(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    Ok(Value::Int(char_len(text("count_chars", args, 0)?) as i64))
}

fn lines(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = text("lines", args, 0)?;
    Ok(Value::array(s.lines().map(Value::str).collect()))
}

fn words(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = text("words", args, 0)?;
    Ok(Value::array(s.split_whitespace().map(Value::str).collect()))
}

fn str_reverse(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = text("str_reverse", args, 0)?;
    Ok(Value::str(s.chars().rev().collect::<String>()))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::value::Value;

    #[test]
    fn case() {
        assert_eq!(show("upper", vec![s("héllo")]), "HÉLLO");
        assert_eq!(show("to_upper", vec![s("a1")]), "A1");
        assert_eq!(show("lower", vec![s("ÀB")]), "àb");
        assert_eq!(show("to_lower", vec![s("X")]), "x");
        assert_eq!(show("capitalize", vec![s("hELLO world")]), "Hello world");
        assert_eq!(show("capitalize", vec![s("")]), "");
        assert_eq!(show("capitalize", vec![s("éa")]), "Éa");
        for name in ["upper", "to_upper", "lower", "to_lower", "capitalize"] {
            assert_eq!(
                err(name, vec![i(1)]),
                format!("{name}() expects a string, got int")
            );
        }
    }

    #[test]
    fn trimming() {
        assert_eq!(show("trim", vec![s("  a b \n")]), "a b");
        assert_eq!(show("trim_start", vec![s("  a ")]), "a ");
        assert_eq!(show("trim_end", vec![s("  a ")]), "  a");
        assert_eq!(show("trim", vec![s("x")]), "x");
        for name in ["trim", "trim_start", "trim_end"] {
            assert_eq!(
                err(name, vec![Value::Null]),
                format!("{name}() expects a string, got null")
            );
        }
    }

    #[test]
    fn prefixes_and_replace() {
        assert_eq!(show("starts_with", vec![s("hello"), s("he")]), "true");
        assert_eq!(show("starts_with", vec![s("hello"), s("lo")]), "false");
        assert_eq!(show("ends_with", vec![s("hello"), s("lo")]), "true");
        assert_eq!(
            err("starts_with", vec![s("a"), i(1)]),
            "starts_with() expects a string prefix, got int"
        );
        assert_eq!(
            err("ends_with", vec![i(1), s("a")]),
            "ends_with() expects a string, got int"
        );
        assert_eq!(show("replace", vec![s("a-b-c"), s("-"), s("+")]), "a+b+c");
        assert_eq!(
            show("replace_str", vec![s("aaa"), s("a"), s("bb")]),
            "bbbbbb"
        );
        assert_eq!(show("replace", vec![s("ab"), s(""), s("-")]), "-a-b-");
        assert_eq!(show("replace", vec![s("ab"), s("z"), s("-")]), "ab");
        assert_eq!(
            err("replace", vec![s("a"), i(1), s("b")]),
            "replace() expects a string to replace, got int"
        );
        assert_eq!(
            err("replace", vec![s("a"), s("a"), i(1)]),
            "replace() expects a string replacement, got int"
        );
        assert_eq!(
            err("replace_str", vec![i(1), s("a"), s("b")]),
            "replace_str() expects a string, got int"
        );
    }

    #[test]
    fn split_and_join() {
        assert_eq!(show("split", vec![s("a,b,,c"), s(",")]), "[a, b, , c]");
        assert_eq!(show("split", vec![s("hé"), s("")]), "[h, é]");
        assert_eq!(
            show("len", vec![call("split", vec![s(""), s(",")]).unwrap()]),
            "1"
        );
        assert_eq!(
            err("split", vec![s("a"), i(1)]),
            "split() expects a string separator, got int"
        );
        assert_eq!(
            show("join", vec![arr(vec![i(1), s("a"), f(2.5)]), s(", ")]),
            "1, a, 2.5"
        );
        assert_eq!(show("join", vec![ints(&[]), s("-")]), "");
        assert_eq!(
            err("join", vec![s("abc"), s(",")]),
            "join() expects an array, got string"
        );
        assert_eq!(
            err("join", vec![ints(&[1]), i(1)]),
            "join() expects a string separator, got int"
        );
    }

    #[test]
    fn substring_char_at_repeat() {
        assert_eq!(show("substring", vec![s("héllo"), i(1), i(3)]), "él");
        assert_eq!(show("substring", vec![s("hello"), i(3)]), "lo");
        assert_eq!(show("substring", vec![s("hello"), i(-3), i(-1)]), "ll");
        assert_eq!(show("substring", vec![s("hello"), i(4), i(100)]), "o");
        assert_eq!(
            err("substring", vec![s("a"), s("0")]),
            "substring() expects an int start index, got string"
        );
        assert_eq!(show("char_at", vec![s("héllo"), i(1)]), "é");
        assert_eq!(show("char_at", vec![s("abc"), i(-1)]), "c");
        assert_eq!(
            err("char_at", vec![s("abc"), i(3)]),
            "char_at() index out of bounds: 3 (the string has 3 characters)"
        );
        assert_eq!(
            err("char_at", vec![s("abc"), f(1.0)]),
            "char_at() expects an int index, got float"
        );
        assert_eq!(show("repeat", vec![s("ab"), i(3)]), "ababab");
        assert_eq!(show("repeat", vec![s("ab"), i(0)]), "");
        assert_eq!(
            err("repeat", vec![s("ab"), i(-1)]),
            "repeat() expects a non-negative count, got -1"
        );
        assert_eq!(
            err("repeat", vec![s("ab"), s("2")]),
            "repeat() expects an int count, got string"
        );
        assert!(err("repeat", vec![s("ab"), i(i64::MAX)])
            .starts_with("repeat() result would be too large"));
    }

    #[test]
    fn counting_lines_words_reverse() {
        assert_eq!(show("count_chars", vec![s("héllo")]), "5");
        assert_eq!(
            err("count_chars", vec![i(1)]),
            "count_chars() expects a string, got int"
        );
        assert_eq!(show("lines", vec![s("a\nb\r\nc\n")]), "[a, b, c]");
        assert_eq!(show("lines", vec![s("")]), "[]");
        assert_eq!(
            err("lines", vec![ints(&[])]),
            "lines() expects a string, got array"
        );
        assert_eq!(
            show("words", vec![s("  one two\tthree\n")]),
            "[one, two, three]"
        );
        assert_eq!(
            err("words", vec![i(1)]),
            "words() expects a string, got int"
        );
        assert_eq!(show("str_reverse", vec![s("abç")]), "çba");
        assert_eq!(
            err("str_reverse", vec![ints(&[])]),
            "str_reverse() expects a string, got array"
        );
    }
}
