//! Static answer to "would the JIT compile this function / loop, and if not,
//! why?", from the same table of unsupported instructions the compiler uses.
//! The language server shows it as hints before anything runs; at run time
//! the compiler may still refuse for reasons only types reveal.

use std::collections::HashSet;
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

/// Every function (`main` first, each once) and loop of a program.
///
/// The prototypes form a graph, not a tree: a struct definition is shared by
/// every prototype that builds the struct, and a method that builds its own
/// struct reaches itself again through `structs` → methods. The walk visits
/// each prototype once (by id), so it ends on every such cycle; its depth is
/// bounded by the number of prototypes.
pub fn eligibility(main: &Rc<FuncProto>) -> Vec<(Unit, Verdict)> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut todo = vec![main.clone()];
    while let Some(proto) = todo.pop() {
        if !seen.insert(proto.id) {
            continue;
        }
        visit(&proto, &mut out);
        // Pushed in reverse so children come out in source order.
        let mut next: Vec<Rc<FuncProto>> = proto.protos.clone();
        for s in &proto.structs {
            if let Some(ms) = s.methods.get() {
                next.extend(ms.iter().map(|m| m.proto.clone()));
            }
        }
        todo.extend(next.into_iter().rev());
    }
    out
}

/// The verdicts of one prototype's own units (the function and its loops).
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
}

/// What a programmer can change so that the JIT compiles the code, for a
/// refusal code (`compile_refused`'s `code`, `Verdict::Refused::code`).
/// `None` for codes that are JIT limitations or bugs, not the program's.
pub fn advice(code: &str) -> Option<&'static str> {
    Some(match code {
        "unsupported-op: try" => {
            "move the try/except out of the hot loop or function (for example into a small helper that the hot code calls), so the hot part can be compiled"
        }
        "unsupported-op: enum" => {
            "keep enum values and `match` on enum variants out of the hot code (for example pass an int or bool tag instead)"
        }
        "unsupported-op: spread" => {
            "build the array or dict with `push`/assignment instead of `...` in the hot code"
        }
        "unsupported-op: rest-pattern" => {
            "index the elements (`xs[0]`, `slice(xs, 1)`) instead of a `...rest` pattern in the hot code"
        }
        "blacklisted" => {
            "keep the types of the values in this code stable (the same variable holding ints in one iteration and floats or other values in another makes compiled code give up)"
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use crate::driver;

    #[test]
    fn a_method_that_builds_its_own_struct_is_visited_once() {
        let src = "struct P {\n  x: int,\n  func f(self) { return P { x: 1 } }\n}\nprint(P { x: 2 }.f().x)\n";
        let compiled = driver::compile(src).expect("compiles");
        let units = super::eligibility(&compiled.main);
        let methods: Vec<_> = units.iter().filter(|(u, _)| u.function == "f").collect();
        assert_eq!(methods.len(), 1, "{units:?}");
    }
}
