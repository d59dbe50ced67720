//! Program and system builtins: `args`, `exit`, `input`, files, `env` and the
//! seeded pseudo-random generator.

use super::helpers::{builtin, int_arg, str_arg, FUNCTION};
use super::{io_error, BuiltinDef};
use crate::rt_bail;
use crate::runtime::error::{RtError, RtResult};
use crate::runtime::format::write_display;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

pub static DEFS: &[BuiltinDef] = &[
    builtin(
        "args",
        "args() -> array",
        "The command-line arguments given after `--`, as an array of strings.",
        0,
        Some(0),
        FUNCTION,
        args,
    ),
    builtin(
        "exit",
        "exit(code?)",
        "Ends the program with the given exit status (0 when omitted).",
        0,
        Some(1),
        FUNCTION,
        exit,
    ),
    builtin(
        "input",
        "input(prompt?) -> string | null",
        "Writes the prompt (if any), then reads one line from standard input without its newline; null at end of input.",
        0,
        Some(1),
        FUNCTION,
        input,
    ),
    builtin(
        "read_file",
        "read_file(path) -> string",
        "The whole content of a UTF-8 text file; an error if it cannot be read.",
        1,
        Some(1),
        FUNCTION,
        read_file,
    ),
    builtin(
        "write_file",
        "write_file(path, text)",
        "Writes the string to the file, creating or replacing it.",
        2,
        Some(2),
        FUNCTION,
        write_file,
    ),
    builtin(
        "file_exists",
        "file_exists(path) -> bool",
        "True if a file or directory exists at the path.",
        1,
        Some(1),
        FUNCTION,
        file_exists,
    ),
    builtin(
        "env",
        "env(name) -> string | null",
        "The value of an environment variable, or null if it is not set.",
        1,
        Some(1),
        FUNCTION,
        env,
    ),
    builtin(
        "random",
        "random() -> float",
        "A pseudo-random float in [0, 1). Reproducible after random_seed(n).",
        0,
        Some(0),
        FUNCTION,
        random,
    ),
    builtin(
        "random_int",
        "random_int(lo, hi) -> int",
        "A pseudo-random int between lo and hi, both included.",
        2,
        Some(2),
        FUNCTION,
        random_int,
    ),
    builtin(
        "random_seed",
        "random_seed(n)",
        "Seeds the pseudo-random generator so that random() and random_int() repeat the same sequence.",
        1,
        Some(1),
        FUNCTION,
        random_seed,
    ),
];

fn args(host: &mut dyn Host, _: &mut [Value]) -> RtResult<Value> {
    let items = host
        .program_args()
        .iter()
        .map(|a| Value::str(a.as_str()))
        .collect();
    Ok(Value::array(items))
}

fn exit(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let code = match args.first() {
        None => 0,
        Some(v) => {
            let c = int_arg("exit", v, "an int exit code")?;
            match i32::try_from(c) {
                Ok(c) => c,
                Err(_) => rt_bail!("exit() expects an exit code that fits in 32 bits, got {c}"),
            }
        }
    };
    Err(RtError::Exit(code))
}

fn input(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    if let Some(prompt) = args.first() {
        let mut text = String::new();
        write_display(&mut text, prompt);
        let out = host.stdout();
        out.write_all(text.as_bytes()).map_err(io_error)?;
        // The prompt must be visible before we block on the read.
        out.flush().map_err(io_error)?;
    }
    match host.read_line() {
        Ok(Some(line)) => Ok(Value::str(line)),
        Ok(None) => Ok(Value::Null),
        Err(e) => rt_bail!("input() could not read standard input: {e}"),
    }
}

fn read_file(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let path = str_arg("read_file", &args[0], "a string path")?;
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Value::str(text)),
        Err(e) => rt_bail!("read_file() could not read {path:?}: {e}"),
    }
}

fn write_file(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let path = str_arg("write_file", &args[0], "a string path")?;
    let text = str_arg("write_file", &args[1], "a string to write")?;
    match std::fs::write(path, text) {
        Ok(()) => Ok(Value::Null),
        Err(e) => rt_bail!("write_file() could not write {path:?}: {e}"),
    }
}

fn file_exists(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let path = str_arg("file_exists", &args[0], "a string path")?;
    Ok(Value::Bool(std::path::Path::new(path).exists()))
}

fn env(_: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let name = str_arg("env", &args[0], "a string name")?;
    // `var_os` rather than `var`: an empty or `=`-containing name would make
    // the platform call fail, and non-UTF-8 values are shown lossily rather
    // than reported as unset.
    if name.is_empty() || name.contains(['=', '\0']) {
        return Ok(Value::Null);
    }
    Ok(match std::env::var_os(name) {
        Some(v) => Value::str(v.to_string_lossy().into_owned()),
        None => Value::Null,
    })
}

/// SplitMix64: tiny, fast, and every seed (including 0) gives a good stream.
fn next_u64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn random(host: &mut dyn Host, _: &mut [Value]) -> RtResult<Value> {
    // The top 53 bits give every representable multiple of 2^-53 in [0, 1).
    let bits = next_u64(host.rng_state()) >> 11;
    Ok(Value::Float(bits as f64 * (1.0 / (1u64 << 53) as f64)))
}

fn random_int(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let lo = int_arg("random_int", &args[0], "an int lower bound")?;
    let hi = int_arg("random_int", &args[1], "an int upper bound")?;
    if lo > hi {
        rt_bail!("random_int() expects lo <= hi, got {lo} > {hi}");
    }
    let span = (i128::from(hi) - i128::from(lo) + 1) as u128;
    let state = host.rng_state();
    let offset = if span > u128::from(u64::MAX) {
        // The full i64 range: every u64 is a valid offset.
        next_u64(state)
    } else {
        // Lemire's multiply-and-reject: unbiased without a division per draw.
        let span = span as u64;
        let threshold = span.wrapping_neg() % span;
        loop {
            let m = u128::from(next_u64(state)) * u128::from(span);
            if (m as u64) >= threshold {
                break (m >> 64) as u64;
            }
        }
    };
    Ok(Value::Int((i128::from(lo) + i128::from(offset)) as i64))
}

fn random_seed(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let seed = int_arg("random_seed", &args[0], "an int seed")?;
    *host.rng_state() = seed as u64;
    Ok(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::error::RtError;
    use crate::runtime::format::display;
    use crate::runtime::value::Value;

    #[test]
    fn args_returns_program_args() {
        let mut h = FakeHost {
            args: vec!["a".into(), "b c".into()],
            ..Default::default()
        };
        let v = call_on(&mut h, "args", vec![]).unwrap();
        assert_eq!(display(&v), "[a, b c]");
        assert!(err("args", vec![i(1)]).contains("expects 0 arguments, got 1"));
    }

    #[test]
    fn exit_is_an_exit_error() {
        assert!(matches!(call("exit", vec![i(3)]), Err(RtError::Exit(3))));
        assert!(matches!(call("exit", vec![]), Err(RtError::Exit(0))));
        assert_eq!(
            err("exit", vec![s("1")]),
            "exit() expects an int exit code, got string"
        );
        assert!(err("exit", vec![i(1 << 40)]).contains("fits in 32 bits"));
    }

    #[test]
    fn input_prompts_and_reads() {
        let mut h = FakeHost::default();
        h.stdin.push_back("hello".into());
        let v = call_on(&mut h, "input", vec![s("name? ")]).unwrap();
        assert_eq!(display(&v), "hello");
        assert_eq!(String::from_utf8(h.out.clone()).unwrap(), "name? ");
        let v = call_on(&mut h, "input", vec![]).unwrap();
        assert!(matches!(v, Value::Null));
        assert!(err("input", vec![i(1), i(2)]).contains("expects 0 to 1 arguments"));
    }

    #[test]
    fn files_round_trip() {
        let dir = std::env::temp_dir().join(format!("ruff-builtins-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("f.txt");
        let p = s(path.to_str().unwrap());
        assert_eq!(show("file_exists", vec![p.clone()]), "false");
        assert_eq!(show("write_file", vec![p.clone(), s("héllo\n")]), "null");
        assert_eq!(show("file_exists", vec![p.clone()]), "true");
        assert_eq!(show("read_file", vec![p.clone()]), "héllo\n");
        std::fs::remove_dir_all(&dir).unwrap();
        let e = err("read_file", vec![p]);
        assert!(e.starts_with("read_file() could not read \""), "{e}");
        assert_eq!(
            err("read_file", vec![i(1)]),
            "read_file() expects a string path, got int"
        );
        assert_eq!(
            err("write_file", vec![s("x"), i(1)]),
            "write_file() expects a string to write, got int"
        );
        assert_eq!(
            err("file_exists", vec![Value::Null]),
            "file_exists() expects a string path, got null"
        );
    }

    #[test]
    fn env_reads_variables() {
        assert_eq!(show("env", vec![s("RUFF_SURELY_UNSET_VARIABLE")]), "null");
        assert_eq!(show("env", vec![s("")]), "null");
        assert_eq!(show("env", vec![s("A=B")]), "null");
        if let Ok(path) = std::env::var("PATH") {
            assert_eq!(show("env", vec![s("PATH")]), path);
        }
        assert_eq!(
            err("env", vec![i(1)]),
            "env() expects a string name, got int"
        );
    }

    #[test]
    fn random_is_seeded_and_in_range() {
        let mut h = FakeHost::default();
        call_on(&mut h, "random_seed", vec![i(42)]).unwrap();
        let a: Vec<String> = (0..5)
            .map(|_| display(&call_on(&mut h, "random", vec![]).unwrap()))
            .collect();
        call_on(&mut h, "random_seed", vec![i(42)]).unwrap();
        let b: Vec<String> = (0..5)
            .map(|_| display(&call_on(&mut h, "random", vec![]).unwrap()))
            .collect();
        assert_eq!(a, b);
        for _ in 0..1000 {
            let Value::Float(x) = call_on(&mut h, "random", vec![]).unwrap() else {
                panic!()
            };
            assert!((0.0..1.0).contains(&x));
            let Value::Int(n) = call_on(&mut h, "random_int", vec![i(-2), i(3)]).unwrap() else {
                panic!()
            };
            assert!((-2..=3).contains(&n));
        }
        let mut seen = [false; 6];
        for _ in 0..200 {
            if let Value::Int(n) = call_on(&mut h, "random_int", vec![i(0), i(5)]).unwrap() {
                seen[n as usize] = true;
            }
        }
        assert!(seen.iter().all(|&x| x), "all values reachable");
        assert_eq!(show("random_int", vec![i(7), i(7)]), "7");
        call_on(&mut h, "random_int", vec![i(i64::MIN), i(i64::MAX)]).unwrap();
        assert_eq!(
            err("random_int", vec![i(3), i(1)]),
            "random_int() expects lo <= hi, got 3 > 1"
        );
        assert_eq!(
            err("random_int", vec![f(1.0), i(2)]),
            "random_int() expects an int lower bound, got float"
        );
        assert_eq!(
            err("random_seed", vec![s("x")]),
            "random_seed() expects an int seed, got string"
        );
        assert!(err("random", vec![i(1)]).contains("expects 0 arguments"));
    }
}
