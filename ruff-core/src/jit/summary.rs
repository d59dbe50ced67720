//! The end-of-run telemetry: one `summary` event per function and loop.

use std::rc::Rc;

use crate::bytecode::FuncProto;
use crate::telemetry::{Event, Unit};

use super::Jit;

pub(super) fn summarize(jit: &mut Jit, proto: &Rc<FuncProto>, seen: &mut Vec<*const FuncProto>) {
    if seen.contains(&Rc::as_ptr(proto)) {
        return;
    }
    seen.push(Rc::as_ptr(proto));
    let stats_of = |jit: &Jit, l: Option<usize>| {
        jit.units
            .iter()
            .filter(|u| Rc::ptr_eq(&u.proto, proto) && u.loop_index == l)
            .fold((0, 0, false), |(e, n, _), u| {
                (e + u.exits.get(), n + u.native_entries.get(), true)
            })
    };
    let (fb, pc) = (&proto.feedback, jit.cache.of(proto));
    // Counts native code keeps only when counting (`JitTools::lean_telemetry`).
    let counts = jit.counts();
    let counted = |n: u64| counts.then_some(n);
    if &*proto.name != "<main>" && (fb.calls.get() > 0 || pc.entry.get().is_some()) {
        let (exits, native, compiled) = stats_of(jit, None);
        let e = Event::Summary {
            unit: unit_of(proto, None),
            entries: fb.calls.get() as u64,
            native_entries: counted(native),
            iterations: counted(0),
            native_iterations: counted(0),
            compiled,
            exits,
        };
        jit.telemetry.emit(e);
    }
    for (i, l) in fb.loops.iter().enumerate() {
        let (exits, osr, compiled) = stats_of(jit, Some(i));
        let native_it = l.native_iterations.get();
        let iterations = l.iterations.get() + native_it;
        if iterations == 0 && !compiled {
            continue;
        }
        let e = Event::Summary {
            unit: unit_of(proto, Some(i)),
            entries: 0,
            // OSR entries are counted by the VM at each entry: always kept.
            native_entries: Some(osr),
            iterations: counted(iterations),
            native_iterations: counted(native_it),
            compiled,
            exits,
        };
        jit.telemetry.emit(e);
    }
    for p in &proto.protos {
        summarize(jit, p, seen);
    }
    for s in &proto.structs {
        if let Some(ms) = s.methods.get() {
            for m in ms {
                summarize(jit, &m.proto, seen);
            }
        }
    }
}

/// The telemetry name of a function or loop.
pub fn unit_of(proto: &FuncProto, loop_index: Option<usize>) -> Unit {
    Unit {
        kind: if loop_index.is_some() {
            "loop"
        } else {
            "function"
        },
        function: proto.name.to_string(),
        line: proto.line,
        loop_index,
        loop_line: loop_index
            .and_then(|i| proto.loops.get(i))
            .map(|l| l.header_line),
    }
}
