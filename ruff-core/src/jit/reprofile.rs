//! Drop the compiled code of every function and loop so that it is compiled
//! again, with (or without) the profiler's bookkeeping: a profiler attached
//! to a running program (`runtime::attach`) then sees native frames and
//! their lines, and one that detached stops costing anything. Code still
//! running is retired, not freed, as after too many exits (`too_many_exits`):
//! frames already in old code finish in it.

use super::feedback::Tier;
use crate::runtime::vm::Vm;

/// Forget all current native code; calls and back edges compile it again
/// when hot (the counters are past their thresholds already).
pub(crate) fn recompile_all(vm: &mut Vm) {
    let units = vm.jit.units.clone();
    let again = |t: Tier| match t {
        Tier::Compiled => Tier::Cold,
        Tier::CompiledGeneric => Tier::WantsGeneric,
        other => other,
    };
    for stats in units {
        let proto = &stats.proto;
        match stats.loop_index {
            None => {
                proto.jit.entry.set(None);
                if let Some(old) = proto.jit.code.borrow_mut().take() {
                    vm.jit.retired_fns.push(old);
                }
                proto.jit.tier.set(again(proto.jit.tier.get()));
            }
            Some(li) => {
                let lj = &proto.jit.loops[li];
                if let Some(old) = lj.osr.borrow_mut().take() {
                    vm.jit.retired_loops.push(old);
                }
                lj.tier.set(again(lj.tier.get()));
            }
        }
    }
}
