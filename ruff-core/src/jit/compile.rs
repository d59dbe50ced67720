//! Compiling a hot function or loop: telemetry around it, a compiler frame
//! for profilers, the code cache's tier changes, refusals, and recompiling
//! without speculation (or blacklisting) after too many exits.

use std::rc::Rc;

use crate::bytecode::FuncProto;
use crate::runtime::value::Closure;
use crate::runtime::vm::Vm;
use crate::telemetry::Event;

use super::code_cache::{CompiledFn, CompiledLoop, Tier, UnitStats};
use super::refusal::Refusal;
use super::types::Ty;
use super::{lower, unit_of};

pub(super) fn refuse(vm: &mut Vm, proto: &FuncProto, li: Option<usize>, r: Refusal, ip: usize) {
    let span = proto.spans.get(ip).copied().unwrap_or_default();
    let line = if span == Default::default() {
        0
    } else {
        vm.line_of(span)
    };
    vm.jit.telemetry.emit(Event::CompileRefused {
        unit: unit_of(proto, li),
        code: r.code().to_string(),
        message: r.message().to_string(),
        line,
        span: [span.start, span.end],
    });
}

/// A `jit-compiler` frame on the profiler's shadow stack while it lives,
/// named after the function (at its line) or loop (at its header line)
/// being compiled. Compiling a function first compiles its callees, so
/// these frames nest.
struct CompilerFrame(Option<std::sync::Arc<crate::runtime::shadow::ShadowStack>>);

fn compiler_frame(vm: &Vm, proto: &FuncProto, line: u32) -> CompilerFrame {
    let s = vm.shadow.clone();
    if let Some(s) = &s {
        s.push(proto.id, crate::runtime::shadow::Tier::Compiler, line);
    }
    CompilerFrame(s)
}

impl Drop for CompilerFrame {
    fn drop(&mut self) {
        if let Some(s) = &self.0 {
            s.pop();
        }
    }
}

/// Compile `c`'s function for arguments of types `args`. Returns the code,
/// or `None` (refused; the interpreter runs it).
pub(crate) fn compile_function(
    vm: &mut Vm,
    proto: &Rc<FuncProto>,
    args: &[Ty],
    count: u32,
) -> Option<*const CompiledFn> {
    let proto = proto.clone();
    if vm.jit.compiling.contains(&Rc::as_ptr(&proto)) {
        return None;
    }
    let generic = vm.jit.cache.of(&proto).tier.get() == Tier::WantsGeneric;
    vm.jit.telemetry.emit(Event::Hot {
        unit: unit_of(&proto, None),
        count: count as u64,
    });
    let prof = compiler_frame(vm, &proto, proto.line);
    vm.jit.telemetry.emit(Event::CompileStarted {
        unit: unit_of(&proto, None),
        generic,
    });
    let clock = vm.jit.start_unit();
    vm.jit.compiling.push(Rc::as_ptr(&proto));
    let r = lower::compile_method(vm, &proto, args, generic);
    let micros = vm.jit.unit_micros(clock);
    vm.jit.compiling.pop();
    drop(prof);
    match r {
        Ok((code, bytes)) => {
            vm.jit.telemetry.emit(Event::CompileFinished {
                unit: unit_of(&proto, None),
                micros,
                code_bytes: bytes,
                generic,
            });
            vm.jit.units.push(code.stats.clone());
            let code = Rc::new(code);
            vm.jit.cache.of(&proto).entry.set(Some(Rc::as_ptr(&code)));
            vm.jit.cache.of(&proto).tier.set(if generic {
                Tier::CompiledGeneric
            } else {
                Tier::Compiled
            });
            *vm.jit.cache.of(&proto).code.borrow_mut() = Some(code);
            vm.jit.cache.of(&proto).entry.get()
        }
        Err((r, ip)) => {
            refuse(vm, &proto, None, r, ip);
            vm.jit.cache.of(&proto).tier.set(Tier::Blacklisted);
            None
        }
    }
}

pub(super) fn compile_loop(
    vm: &mut Vm,
    c: &Rc<Closure>,
    li: usize,
    count: u64,
) -> Option<Rc<CompiledLoop>> {
    let proto = c.proto.clone();
    let generic = vm.jit.cache.of(&proto).loops[li].tier.get() == Tier::WantsGeneric;
    vm.jit.telemetry.emit(Event::Hot {
        unit: unit_of(&proto, Some(li)),
        count,
    });
    let prof = compiler_frame(vm, &proto, proto.loops[li].header_line);
    vm.jit.telemetry.emit(Event::CompileStarted {
        unit: unit_of(&proto, Some(li)),
        generic,
    });
    let clock = vm.jit.start_unit();
    let r = lower::compile_osr(vm, c, li, generic);
    let micros = vm.jit.unit_micros(clock);
    drop(prof);
    match r {
        Ok((code, bytes)) => {
            vm.jit.telemetry.emit(Event::CompileFinished {
                unit: unit_of(&proto, Some(li)),
                micros,
                code_bytes: bytes,
                generic,
            });
            vm.jit.units.push(code.stats.clone());
            let code = Rc::new(code);
            vm.jit.cache.of(&proto).loops[li].tier.set(if generic {
                Tier::CompiledGeneric
            } else {
                Tier::Compiled
            });
            *vm.jit.cache.of(&proto).loops[li].osr.borrow_mut() = Some(code.clone());
            Some(code)
        }
        Err((r, ip)) => {
            refuse(vm, &proto, Some(li), r, ip);
            vm.jit.cache.of(&proto).loops[li]
                .tier
                .set(Tier::Blacklisted);
            None
        }
    }
}

/// A compiled unit exited too often: drop its code so the next hot call or
/// loop recompiles without speculation, or blacklist it if it already was.
pub(crate) fn too_many_exits(vm: &mut Vm, stats: &UnitStats) {
    let proto = &stats.proto;
    // Old code may still be running (or be called directly by other native
    // code): its exit descriptors must stay valid, so it is retired, not freed.
    let code = vm.jit.cache.of(proto);
    let tier = match stats.loop_index {
        None => {
            code.entry.set(None);
            if let Some(old) = code.code.borrow_mut().take() {
                vm.jit.retired_fns.push(old);
            }
            &vm.jit.cache.of(proto).tier
        }
        Some(li) => {
            if let Some(old) = code.loops[li].osr.borrow_mut().take() {
                vm.jit.retired_loops.push(old);
            }
            &vm.jit.cache.of(proto).loops[li].tier
        }
    };
    let reason = if stats.generic {
        tier.set(Tier::Blacklisted);
        "exits even without type speculation"
    } else {
        tier.set(Tier::WantsGeneric);
        "too many exits: recompiling without type speculation"
    };
    vm.jit.telemetry.emit(Event::Blacklisted {
        unit: unit_of(proto, stats.loop_index),
        reason: reason.to_string(),
        exits: stats.exits.get(),
    });
}
