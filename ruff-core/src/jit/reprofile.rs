//! Drop the compiled code of every function and loop so that it is compiled
//! again, with (or without) the profiler's bookkeeping: a profiler attached
//! to a running program (`runtime::attach`) then sees native frames and
//! their lines, and one that detached stops costing anything. Code still
//! running is retired, not freed, as after too many exits (`too_many_exits`):
//! frames already in old code finish in it.

use super::code_cache::Tier;
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
                let code = vm.jit.cache.of(proto);
                code.entry.set(None);
                code.tier.set(again(code.tier.get()));
                if let Some(old) = code.code.borrow_mut().take() {
                    vm.jit.retired_fns.push(old);
                }
            }
            Some(li) => {
                let lc = &vm.jit.cache.of(proto).loops[li];
                lc.tier.set(again(lc.tier.get()));
                if let Some(old) = lc.osr.borrow_mut().take() {
                    vm.jit.retired_loops.push(old);
                }
            }
        }
    }
}
