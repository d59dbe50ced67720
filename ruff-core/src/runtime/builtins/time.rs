//! Time builtins: `now` (wall clock) and `performance_now`/`clock`
//! (monotonic, for benchmarks).

use std::sync::OnceLock;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::helpers::{builtin, FUNCTION};
use super::BuiltinDef;
use crate::runtime::error::RtResult;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

const PERF_DOC: &str =
    "Milliseconds (a float) from a monotonic clock, for measuring durations: subtract two readings.";

pub static DEFS: &[BuiltinDef] = &[
    builtin(
        "now",
        "now() -> float",
        "Seconds since the Unix epoch (1970-01-01 UTC), as a float.",
        0,
        Some(0),
        FUNCTION,
        now,
    ),
    builtin(
        "performance_now",
        "performance_now() -> float",
        PERF_DOC,
        0,
        Some(0),
        FUNCTION,
        performance_now,
    ),
    builtin(
        "clock",
        "clock() -> float",
        PERF_DOC,
        0,
        Some(0),
        FUNCTION,
        performance_now,
    ),
];

/// The process-wide origin of the monotonic clock, set on first use.
static START: OnceLock<Instant> = OnceLock::new();

fn now(_: &mut dyn Host, _: &mut [Value]) -> RtResult<Value> {
    let secs = match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        // A clock set before 1970: report it as a negative time.
        Err(e) => -e.duration().as_secs_f64(),
    };
    Ok(Value::Float(secs))
}

fn performance_now(_: &mut dyn Host, _: &mut [Value]) -> RtResult<Value> {
    let start = START.get_or_init(Instant::now);
    Ok(Value::Float(start.elapsed().as_secs_f64() * 1000.0))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::runtime::value::Value;

    fn float(name: &str) -> f64 {
        match call(name, vec![]).unwrap() {
            Value::Float(x) => x,
            v => panic!("{name}() gave {v:?}"),
        }
    }

    #[test]
    fn clocks() {
        assert!(float("now") > 1.6e9);
        let a = float("performance_now");
        let b = float("clock");
        assert!(a >= 0.0 && b >= a);
        for name in ["now", "performance_now", "clock"] {
            assert_eq!(
                err(name, vec![i(1)]),
                format!("{name}() expects 0 arguments, got 1")
            );
        }
    }
}
