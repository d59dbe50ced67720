//! Human-readable bytecode (`ruff run --dump=bytecode`).

use std::fmt::Write;

use super::{FuncProto, Op};
use crate::runtime::format::display;

pub fn disassemble(proto: &FuncProto) -> String {
    let mut out = String::new();
    write_proto(&mut out, proto, &mut Vec::new());
    out
}

/// Each function once: a method that builds its own struct reaches itself
/// again through the struct's methods.
fn write_proto<'p>(out: &mut String, proto: &'p FuncProto, seen: &mut Vec<&'p FuncProto>) {
    if seen.iter().any(|p| std::ptr::eq(*p, proto)) {
        return;
    }
    seen.push(proto);
    let _ = writeln!(
        out,
        "== {} (arity {}, slots {}, line {}) ==",
        proto.name, proto.arity, proto.num_slots, proto.line
    );
    for (i, op) in proto.code.iter().enumerate() {
        let _ = write!(out, "{i:4}  ");
        let comment = match op {
            Op::Const(k) | Op::MakeEnum(k) | Op::IsVariant(k) | Op::GetField(k) | Op::Fail(k) => {
                Some(display(&proto.consts[*k as usize]))
            }
            Op::CallMethod(k, _) | Op::CallMethodWb(k, _) => {
                Some(display(&proto.consts[*k as usize]))
            }
            Op::Closure(p) => Some(proto.protos[*p as usize].name.to_string()),
            Op::MakeStruct(s) => Some(proto.structs[*s as usize].name.to_string()),
            Op::LoadBuiltin(b) => Some(crate::runtime::builtins::def(*b).name.to_string()),
            Op::StorePath(p) => Some(proto.paths[*p as usize].name.to_string()),
            Op::UpdateVar(u) => {
                let up = &proto.updates[*u as usize];
                Some(match &up.kind {
                    super::UpdateKind::Arith(op) => format!("{} {op}= _", up.name),
                    super::UpdateKind::Builtin { id, argc } => format!(
                        "{} = {}({}, {} more)",
                        up.name,
                        crate::runtime::builtins::def(*id).name,
                        up.name,
                        argc - 1
                    ),
                    super::UpdateKind::Method { name, argc } => {
                        format!("{} = {}.{name}({} args)", up.name, up.name, argc - 1)
                    }
                })
            }
            _ => None,
        };
        let _ = write!(out, "{op:?}");
        if let Some(c) = comment {
            let _ = write!(out, "    ; {c}");
        }
        out.push('\n');
    }
    for (i, l) in proto.loops.iter().enumerate() {
        let _ = writeln!(
            out,
            "  loop {i}: {:?} header {} exit {}",
            l.kind, l.header, l.exit
        );
    }
    for p in &proto.protos {
        if !seen.iter().any(|s| std::ptr::eq(*s, &**p)) {
            out.push('\n');
            write_proto(out, p, seen);
        }
    }
    // Methods of the structs this function builds.
    for s in &proto.structs {
        for m in s.methods.get().map_or(&[][..], |v| v.as_slice()) {
            if !seen.iter().any(|p| std::ptr::eq(*p, &*m.proto)) {
                out.push('\n');
                let _ = writeln!(out, "-- method {}.{} --", s.name, m.name);
                write_proto(out, &m.proto, seen);
            }
        }
    }
}
