//! What the VM thread's program counter adds to a shadow-stack sample:
//! the kind of code the thread is really in.
//!
//! - In a compiled unit (`shadow_code::CodeMap`): JIT code, and the Ruff
//!   line of the instruction (the innermost native frame's line is set
//!   from it, so a loop's samples land on the lines of its body).
//! - Outside compiled code with a native frame innermost: Rust code that
//!   native code called, a runtime helper. The first word up the machine
//!   stack that is the return address of a helper call in compiled code
//!   names the helper and the line of the call (a `helper` frame is
//!   added on top of the native frame).
//! - In a shared library (the C library's allocator and memory
//!   functions, libm) or a system call: a `system` frame on top, whatever
//!   called it.
//!
//! The work split: `inspect` runs while the VM thread is stopped and
//! neither allocates nor takes a lock that thread may hold (a sampler
//! blocked on the allocator's lock while that thread waits for the
//! sampler would stall until the handler's timeout); `apply` runs after
//! it is released and names what was found.

use std::collections::HashMap;
use std::ffi::CStr;

use ruff_core::runtime::shadow::{FrameSample, ShadowStack, Tier};
use ruff_core::runtime::shadow_code::Located;

use crate::machine::{stack_words, Regs};

/// `FuncId`s of helper frames: this bit plus the index in
/// `ruff_core::jit::helper_names` (`UNKNOWN_HELPER`: not found).
pub const HELPER_BIT: u32 = 1 << 30;
pub const UNKNOWN_HELPER: u32 = 0xffff;
/// `FuncId`s of system frames: this bit plus an index in `System::names`.
pub const SYSTEM_BIT: u32 = 1 << 29;

/// How far up the machine stack a helper's caller is looked for (words).
const SCAN_WORDS: usize = 8192;

/// What `inspect` found.
#[derive(Default)]
pub struct Found {
    /// The program counter is in compiled code.
    jit: Option<Located>,
    /// The return address of the helper call the thread is in.
    helper: Option<Located>,
    /// The program counter (named with `dladdr` by `apply`, not in the
    /// handler: the dynamic loader's lock may be held by the thread the
    /// handler interrupted).
    pc: usize,
}

/// Whether the two bytes before `ret` are an indirect `call` through a
/// register (`ff d0+r`, how native code calls helpers): a word on the
/// stack that points into compiled code is then really a return address.
fn after_indirect_call(ret: usize) -> bool {
    // SAFETY: `ret` is inside a compiled unit (never freed), at least two
    // bytes in (a return address follows its call).
    let (a, b) = unsafe { (*((ret - 2) as *const u8), *((ret - 1) as *const u8)) };
    a == 0xff && b & 0xf8 == 0xd0
}

/// The base address of this program's own image (not a "library").
fn own_base() -> usize {
    static BASE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BASE
        .get_or_init(|| dl_info(own_base as *const () as usize).map_or(0, |i| i.dli_fbase as usize))
}

fn dl_info(addr: usize) -> Option<libc::Dl_info> {
    // SAFETY: dladdr fills `info` and returns non-zero when it found one.
    unsafe {
        let mut info: libc::Dl_info = std::mem::zeroed();
        (libc::dladdr(addr as *const libc::c_void, &mut info) != 0).then_some(info)
    }
}

/// Look at the interrupted thread, in its signal handler (see the module
/// docs: no allocation, no blocking lock).
pub fn inspect(
    shadow: &ShadowStack,
    stack_top: usize,
    regs: Regs,
    innermost: Option<Tier>,
) -> Found {
    let mut f = Found {
        pc: regs.pc,
        ..Found::default()
    };
    let native_innermost = innermost == Some(Tier::Native);
    shadow.try_with_code(|code| {
        if code.is_empty() {
            return;
        }
        f.jit = code.locate(regs.pc);
        if f.jit.is_none() && native_innermost {
            f.helper = stack_words(stack_top, regs.sp, SCAN_WORDS)
                .filter_map(|w| code.locate(w.wrapping_sub(1)).map(|l| (w, l)))
                .find(|(w, l)| l.helper_call.is_some() && after_indirect_call(*w))
                .map(|(_, l)| l);
        }
    });
    f
}

/// The shared library code at `pc`: (symbol, file), and whether the
/// thread is in a system call.
fn library(pc: usize) -> Option<(Option<String>, Option<String>, bool)> {
    let info = dl_info(pc).filter(|i| i.dli_fbase as usize != own_base())?;
    // SAFETY: NUL-terminated strings of a loaded library (never unloaded
    // here) or null.
    let cstr = |p: *const libc::c_char| {
        (!p.is_null()).then(|| unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned())
    };
    let file = cstr(info.dli_fname).map(|f| f.rsplit('/').next().unwrap_or(&f).to_string());
    // SAFETY: the program counter is in mapped library code; a `syscall`
    // instruction (0f 05) just before it means the thread is in (or
    // returning from) a system call.
    let syscall =
        pc >= 2 && unsafe { *((pc - 2) as *const u8) == 0x0f && *((pc - 1) as *const u8) == 0x05 };
    Some((cstr(info.dli_sname), file, syscall))
}

/// Call before sampling starts (not in a signal handler).
pub fn init() {
    own_base();
}

/// Names of system frames, interned.
#[derive(Default, Debug)]
pub struct System {
    pub names: Vec<String>,
    ids: HashMap<String, u32>,
}

impl System {
    fn id(&mut self, name: String) -> u32 {
        if let Some(&id) = self.ids.get(&name) {
            return SYSTEM_BIT | id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.clone());
        self.ids.insert(name, id);
        SYSTEM_BIT | id
    }
}

/// Add what `inspect` found to the sampled frames.
pub fn apply(found: &Found, frames: &mut Vec<FrameSample>, system: &mut System) {
    let innermost = frames.last().copied();
    if let Some(l) = found.jit {
        match innermost {
            Some(last) if last.tier == Tier::Native && last.func == l.func => {
                if let (Some(line), Some(f)) = (l.line, frames.last_mut()) {
                    f.line = line;
                }
            }
            // A native frame's prologue (before it writes its record) or
            // epilogue (after it cleared it) under another native frame:
            // the caller's record may not show the call's line yet (OSR
            // code), so the sample stays the caller's, in JIT code.
            Some(last) if last.tier == Tier::Native => {}
            // Called from the interpreter (which recorded the call's
            // line), before its record is written.
            _ => frames.push(FrameSample {
                func: l.func,
                tier: Tier::Native,
                line: l.line.unwrap_or(0),
            }),
        }
        return;
    }
    if innermost.is_some_and(|f| f.tier == Tier::Native) {
        let helper = match found.helper {
            Some(l) => {
                if let (Some(line), Some(f)) = (l.line, frames.last_mut()) {
                    if f.func == l.func {
                        f.line = line;
                    }
                }
                l.helper_call.map_or(UNKNOWN_HELPER, |h| h as u32)
            }
            None => UNKNOWN_HELPER,
        };
        frames.push(FrameSample {
            func: HELPER_BIT | helper,
            tier: Tier::Helper,
            line: 0,
        });
    }
    if found.jit.is_some() || found.pc == 0 {
        return;
    }
    if let Some((sym, lib, syscall)) = library(found.pc) {
        let name = if syscall {
            "system call (kernel)".to_string()
        } else {
            match (sym, lib) {
                (Some(s), Some(l)) => format!("{s} ({l})"),
                (None, Some(l)) => l,
                (Some(s), None) => s,
                (None, None) => "?".to_string(),
            }
        };
        frames.push(FrameSample {
            func: system.id(name.replace(';', "_")),
            tier: Tier::System,
            line: 0,
        });
    }
}

/// The helper's name, for labels.
pub fn helper_name(id: u32) -> &'static str {
    ruff_core::jit::helper_names::helper_names()
        .get((id & !HELPER_BIT) as usize)
        .map_or("runtime", |h| h.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers_go_on_native_frames_and_lines_come_from_the_pc() {
        let native = FrameSample {
            func: 3,
            tier: Tier::Native,
            line: 4,
        };
        let mut frames = vec![native];
        let found = Found {
            jit: Some(Located {
                func: 3,
                line: Some(6),
                helper_call: None,
            }),
            ..Found::default()
        };
        let mut sys = System::default();
        apply(&found, &mut frames, &mut sys);
        assert_eq!(frames[0].line, 6);
        assert_eq!(frames.len(), 1);
        let mut frames = vec![native];
        let found = Found {
            helper: Some(Located {
                func: 3,
                line: Some(5),
                helper_call: Some(2),
            }),
            ..Found::default()
        };
        apply(&found, &mut frames, &mut sys);
        assert_eq!(frames[0].line, 5);
        assert_eq!(frames[1].func, HELPER_BIT | 2);
        assert_eq!(frames[1].tier, Tier::Helper);
    }
}
