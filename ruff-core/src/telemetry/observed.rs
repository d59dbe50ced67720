//! The interpreter's type feedback as telemetry (`Event::Observed`): at the
//! end of a run, for each instruction that recorded feedback, the kinds of
//! values it produced. The language server shows them on hover ("observed
//! at run time: int") after a run with JIT insight.

use std::collections::HashSet;
use std::rc::Rc;

use crate::bytecode::FuncProto;
use crate::runtime::feedback::kind;

use super::events::{Event, Unit};
use super::sink::Telemetry;

/// Emit one `observed` event per instruction with feedback, for every
/// prototype reachable from `main` (each once: struct definitions are
/// shared, so the prototype graph has cycles).
pub fn emit(telemetry: &mut Telemetry, main: &Rc<FuncProto>) {
    if !telemetry.enabled() {
        return;
    }
    for e in events(main) {
        telemetry.emit(e);
    }
}

/// The events `emit` sends, in prototype order then instruction order.
pub fn events(main: &Rc<FuncProto>) -> Vec<Event> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut todo = vec![main.clone()];
    while let Some(proto) = todo.pop() {
        if !seen.insert(proto.id) {
            continue;
        }
        let unit = Unit {
            kind: "function",
            function: proto.name.to_string(),
            line: proto.line,
            loop_index: None,
            loop_line: None,
        };
        for ip in 0..proto.code.len() {
            let bits = proto.feedback.seen(ip);
            if bits == 0 {
                continue;
            }
            let span = proto.spans.get(ip).copied().unwrap_or_default();
            out.push(Event::Observed {
                unit: unit.clone(),
                line: proto.lines.get(ip).copied().unwrap_or(0),
                span: [span.start, span.end],
                types: names(bits),
                counts: if proto.feedback.counting() {
                    ORDER
                        .iter()
                        .filter(|(b, _)| bits & b != 0)
                        .map(|(b, _)| u64::from(proto.feedback.count(ip, *b)))
                        .collect()
                } else {
                    Vec::new()
                },
            });
        }
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

/// The kinds in the order events list them.
const ORDER: [(u8, &str); 5] = [
    (kind::INT, "int"),
    (kind::FLOAT, "float"),
    (kind::BOOL, "bool"),
    (kind::NULL, "null"),
    (kind::OTHER, "other"),
];

/// The kind names of a feedback bit set, in a fixed order.
pub fn names(bits: u8) -> Vec<String> {
    ORDER
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| n.to_string())
        .collect()
}
