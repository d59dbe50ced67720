//! Text-shaping string builtins (all also methods): padding, `truncate`,
//! `slugify` and the case conversions `to_snake_case`, `to_camel_case`,
//! `to_kebab_case`. Widths are in characters.

use super::helpers::{builtin, char_len, char_slice, check_str_size, count_arg, str_arg, METHOD};
use super::BuiltinDef;
use crate::rt_bail;
use crate::runtime::error::RtResult;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

const PAD_START_DOC: &str =
    "The string padded on the left with `pad` (default a space, repeated as needed) to `width` characters; longer strings are unchanged.";
const PAD_END_DOC: &str =
    "The string padded on the right with `pad` (default a space, repeated as needed) to `width` characters; longer strings are unchanged.";

pub static DEFS: &[BuiltinDef] = &[
    builtin("pad_start", "pad_start(s, width, pad?) -> string", PAD_START_DOC, 2, Some(3), METHOD, pad_start),
    builtin("pad_left", "pad_left(s, width, pad?) -> string", PAD_START_DOC, 2, Some(3), METHOD, pad_left),
    builtin("pad_end", "pad_end(s, width, pad?) -> string", PAD_END_DOC, 2, Some(3), METHOD, pad_end),
    builtin("pad_right", "pad_right(s, width, pad?) -> string", PAD_END_DOC, 2, Some(3), METHOD, pad_right),
    builtin(
        "truncate",
        "truncate(s, max, suffix?) -> string",
        "The string cut to at most `max` characters, ending with `suffix` (default \"...\") when it was cut: truncate(\"hello world\", 8) is \"hello...\".",
        2,
        Some(3),
        METHOD,
        truncate,
    ),
    builtin(
        "slugify",
        "slugify(s) -> string",
        "A URL-friendly form: lower case, letters and digits kept, every other run of characters becomes one '-', no '-' at either end.",
        1,
        Some(1),
        METHOD,
        slugify,
    ),
    builtin(
        "to_snake_case",
        "to_snake_case(s) -> string",
        "The words of the string (split at spaces, punctuation and camelCase humps) in lower case joined by '_': \"helloWorld\" gives \"hello_world\".",
        1,
        Some(1),
        METHOD,
        to_snake_case,
    ),
    builtin(
        "to_camel_case",
        "to_camel_case(s) -> string",
        "The words of the string joined in camelCase: \"hello_world\" gives \"helloWorld\".",
        1,
        Some(1),
        METHOD,
        to_camel_case,
    ),
    builtin(
        "to_kebab_case",
        "to_kebab_case(s) -> string",
        "The words of the string in lower case joined by '-': \"helloWorld\" gives \"hello-world\".",
        1,
        Some(1),
        METHOD,
        to_kebab_case,
    ),
];

/// The fill for `pad_start`/`pad_end`: `width - len` characters cycled from
/// `pad`, or `None` when the string is already wide enough.
fn padding(name: &str, args: &[Value]) -> RtResult<Option<String>> {
    let s = str_arg(name, &args[0], "a string")?;
    let width = count_arg(name, &args[1], "width")?;
    let pad = match args.get(2) {
        None => " ",
        Some(v) => str_arg(name, v, "a string pad")?,
    };
    if pad.is_empty() {
        rt_bail!("{name}() expects a non-empty pad string");
    }
    let have = char_len(s);
    if have >= width {
        return Ok(None);
    }
    let need = width - have;
    let widest = pad.chars().map(char::len_utf8).max().unwrap_or(1);
    check_str_size(name, s.len() as u128 + need as u128 * widest as u128)?;
    Ok(Some(pad.chars().cycle().take(need).collect()))
}

// Aliases get their own entry points so that errors name the function the
// program actually called.
fn pad_start(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    pad_before("pad_start", args)
}

fn pad_left(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    pad_before("pad_left", args)
}

fn pad_end(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    pad_after("pad_end", args)
}

fn pad_right(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    pad_after("pad_right", args)
}

fn pad_before(name: &str, args: &[Value]) -> RtResult<Value> {
    Ok(match padding(name, args)? {
        None => args[0].clone(),
        Some(mut fill) => {
            if let Value::Str(s) = &args[0] {
                fill.push_str(s);
            }
            Value::str(fill)
        }
    })
}

fn pad_after(name: &str, args: &[Value]) -> RtResult<Value> {
    Ok(match padding(name, args)? {
        None => args[0].clone(),
        Some(fill) => {
            let mut out = match &args[0] {
                Value::Str(s) => String::clone(s),
                _ => String::new(),
            };
            out.push_str(&fill);
            Value::str(out)
        }
    })
}

/// Like lodash's `truncate`: the result, suffix included, is at most `max`
/// characters. When even the suffix does not fit, the text is simply cut.
fn truncate(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = str_arg("truncate", &args[0], "a string")?;
    let max = count_arg("truncate", &args[1], "max length")?;
    let suffix = match args.get(2) {
        None => "...",
        Some(v) => str_arg("truncate", v, "a string suffix")?,
    };
    if char_len(s) <= max {
        return Ok(args[0].clone());
    }
    let suffix_len = char_len(suffix);
    if suffix_len >= max {
        return Ok(Value::str(char_slice(s, 0, max)));
    }
    let mut out = char_slice(s, 0, max - suffix_len).to_string();
    out.push_str(suffix);
    Ok(Value::str(out))
}

fn slugify(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = str_arg("slugify", &args[0], "a string")?;
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            if dash && !out.is_empty() {
                out.push('-');
            }
            dash = false;
            out.extend(c.to_lowercase());
        } else {
            dash = true;
        }
    }
    Ok(Value::str(out))
}

/// Splits text into words for the case conversions: any non-alphanumeric
/// character separates words, and so does a camelCase hump — a capital
/// after a lower-case letter or digit (`helloWorld`), or the last capital
/// of an acronym before a lower-case letter (`HTTPServer` → HTTP, Server).
fn split_words(s: &str) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut words = Vec::new();
    let mut cur = String::new();
    for (k, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[k - 1];
            let next_lower = chars.get(k + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_numeric() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words
}

fn joined_lower(name: &str, args: &[Value], sep: &str) -> RtResult<Value> {
    let s = str_arg(name, &args[0], "a string")?;
    let words: Vec<String> = split_words(s).iter().map(|w| w.to_lowercase()).collect();
    Ok(Value::str(words.join(sep)))
}

fn to_snake_case(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    joined_lower("to_snake_case", args, "_")
}

fn to_kebab_case(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    joined_lower("to_kebab_case", args, "-")
}

fn to_camel_case(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let s = str_arg("to_camel_case", &args[0], "a string")?;
    let mut out = String::with_capacity(s.len());
    for (n, word) in split_words(s).iter().enumerate() {
        let lower = word.to_lowercase();
        if n == 0 {
            out.push_str(&lower);
            continue;
        }
        let mut cs = lower.chars();
        if let Some(first) = cs.next() {
            out.extend(first.to_uppercase());
            out.push_str(cs.as_str());
        }
    }
    Ok(Value::str(out))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;

    #[test]
    fn padding() {
        assert_eq!(show("pad_start", vec![s("7"), i(3), s("0")]), "007");
        assert_eq!(show("pad_left", vec![s("ab"), i(4)]), "  ab");
        assert_eq!(show("pad_end", vec![s("ab"), i(5), s("xy")]), "abxyx");
        assert_eq!(show("pad_right", vec![s("é"), i(3), s("·")]), "é··");
        assert_eq!(show("pad_start", vec![s("long"), i(2)]), "long");
        assert_eq!(
            err("pad_start", vec![s("a"), i(3), s("")]),
            "pad_start() expects a non-empty pad string"
        );
        assert_eq!(
            err("pad_end", vec![s("a"), i(-3)]),
            "pad_end() expects a non-negative width, got -3"
        );
        assert_eq!(
            err("pad_left", vec![s("a"), s("3")]),
            "pad_left() expects an int width, got string"
        );
        assert_eq!(
            err("pad_right", vec![i(1), i(3)]),
            "pad_right() expects a string, got int"
        );
        assert_eq!(
            err("pad_start", vec![s("a"), i(3), i(0)]),
            "pad_start() expects a string pad, got int"
        );
        assert!(err("pad_start", vec![s("a"), i(i64::MAX)]).contains("too large"));
    }

    #[test]
    fn truncating() {
        assert_eq!(show("truncate", vec![s("hello world"), i(8)]), "hello...");
        assert_eq!(show("truncate", vec![s("hello"), i(5)]), "hello");
        assert_eq!(show("truncate", vec![s("hello"), i(4), s("…")]), "hel…");
        assert_eq!(show("truncate", vec![s("hello"), i(2)]), "he");
        assert_eq!(show("truncate", vec![s("héllo"), i(4), s("")]), "héll");
        assert_eq!(
            err("truncate", vec![s("a"), i(-1)]),
            "truncate() expects a non-negative max length, got -1"
        );
        assert_eq!(
            err("truncate", vec![i(1), i(1)]),
            "truncate() expects a string, got int"
        );
        assert_eq!(
            err("truncate", vec![s("a"), i(1), i(1)]),
            "truncate() expects a string suffix, got int"
        );
    }

    #[test]
    fn slugs_and_cases() {
        assert_eq!(
            show("slugify", vec![s("  Hello, World! 2024 ")]),
            "hello-world-2024"
        );
        assert_eq!(show("slugify", vec![s("Crème Brûlée")]), "crème-brûlée");
        assert_eq!(show("slugify", vec![s("--")]), "");
        assert_eq!(show("to_snake_case", vec![s("helloWorld")]), "hello_world");
        assert_eq!(
            show("to_snake_case", vec![s("HTTPServer error")]),
            "http_server_error"
        );
        assert_eq!(
            show("to_snake_case", vec![s("already_snake")]),
            "already_snake"
        );
        assert_eq!(show("to_kebab_case", vec![s("Hello World")]), "hello-world");
        assert_eq!(
            show("to_kebab_case", vec![s("userID2Name")]),
            "user-id2-name"
        );
        assert_eq!(show("to_camel_case", vec![s("hello_world")]), "helloWorld");
        assert_eq!(
            show("to_camel_case", vec![s("Hello-big WORLD")]),
            "helloBigWorld"
        );
        assert_eq!(show("to_camel_case", vec![s("")]), "");
        for name in ["slugify", "to_snake_case", "to_camel_case", "to_kebab_case"] {
            assert_eq!(
                err(name, vec![i(1)]),
                format!("{name}() expects a string, got int")
            );
        }
    }
}
