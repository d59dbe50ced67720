//! Static answer to "would the JIT compile this function / loop, and if not,
//! why?", from the same table of unsupported instructions the compiler uses.
//! The language server shows it as hints before anything runs; at run time
//! the compiler may still refuse for reasons only types reveal.

use std::rc::Rc;

use crate::bytecode::FuncProto;
use crate::jit::types::unsupported;
use crate::syntax::Span;

use super::events::Unit;

#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Eligible,
    Refused {
        code: &'static str,
        message: &'static str,
        span: Span,
    },
}

/// Every function (recursively, `main` first) and loop of a program.
pub fn eligibility(main: &Rc<FuncProto>) -> Vec<(Unit, Verdict)> {
    let mut out = Vec::new();
    visit(main, &mut out);
    out
}

fn visit(proto: &Rc<FuncProto>, out: &mut Vec<(Unit, Verdict)>) {
    let check = |from: usize, to: usize| {
        proto.code[from..to.min(proto.code.len())]
            .iter()
            .enumerate()
            .find_map(|(i, op)| unsupported(*op).map(|r| (r, proto.spans[from + i])))
            .map_or(Verdict::Eligible, |(r, span)| Verdict::Refused {
                code: r.code(),
                message: r.message(),
                span,
            })
    };
    let fn_unit = Unit {
        kind: "function",
        function: proto.name.to_string(),
        line: proto.line,
        loop_index: None,
        loop_line: None,
    };
    // `<main>` runs once: only its loops can be compiled (by OSR).
    if &*proto.name != "<main>" {
        out.push((fn_unit, check(0, proto.code.len())));
    }
    for (i, l) in proto.loops.iter().enumerate() {
        let unit = Unit {
            kind: "loop",
            function: proto.name.to_string(),
            line: proto.line,
            loop_index: Some(i),
            loop_line: Some(l.header_line),
        };
        out.push((unit, check(l.header as usize, l.exit as usize)));
    }
    for p in &proto.protos {
        visit(p, out);
    }
    for s in &proto.structs {
        if let Some(ms) = s.methods.get() {
            for m in ms {
                visit(&m.proto, out);
            }
        }
    }
}
