//! Output and inspection builtins.

use super::{io_error, BuiltinDef};
use crate::runtime::error::RtResult;
use crate::runtime::format::write_display;
use crate::runtime::host::Host;
use crate::runtime::value::Value;

pub static DEFS: &[BuiltinDef] = &[
    BuiltinDef {
        name: "print",
        signature: "print(...values)",
        doc: "Writes the values separated by spaces, then a newline, to standard output.",
        min_args: 0,
        max_args: None,
        method: false,
        func: print,
    },
    BuiltinDef {
        name: "eprint",
        signature: "eprint(...values)",
        doc: "Writes the values separated by spaces, then a newline, to standard error.",
        min_args: 0,
        max_args: None,
        method: false,
        func: eprint,
    },
];

fn line_of(args: &[Value]) -> String {
    let mut line = String::new();
    for (i, v) in args.iter().enumerate() {
        if i > 0 {
            line.push(' ');
        }
        write_display(&mut line, v);
    }
    line.push('\n');
    line
}

fn print(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let line = line_of(args);
    host.stdout().write_all(line.as_bytes()).map_err(io_error)?;
    Ok(Value::Null)
}

fn eprint(host: &mut dyn Host, args: &mut [Value]) -> RtResult<Value> {
    let line = line_of(args);
    host.stderr().write_all(line.as_bytes()).map_err(io_error)?;
    Ok(Value::Null)
}
