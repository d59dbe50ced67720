//! Samples taken by the VM thread itself, in a signal handler: the sampler
//! thread sends the VM thread `SIGPROF` (with `tgkill`) at each tick; the
//! handler copies the shadow stack and looks at the interrupted program
//! counter and machine stack (`pc::inspect`) into an exchange buffer,
//! which the sampler collects at its next tick. So a sample is one instant
//! of the VM thread (no frame half-pushed, no line of one call paired with
//! the frame of another) and carries the program counter, which tells JIT
//! code from the runtime helpers it calls (`runtime::shadow_code`).
//!
//! Neither thread waits for the other. (A first version had the handler
//! wait while the sampler copied the stack: on a machine with more
//! runnable threads than cores the two kept waiting for each other's CPU
//! and half the samples were lost.) The handler does not allocate (the
//! buffer's capacity is reserved), takes no lock it could be holding
//! itself (`try_lock` only: a sample taken while the VM thread names a
//! compiled function goes without), and returns at once when no sample
//! was asked for. `SA_RESTART` keeps the program's system calls from
//! failing with `EINTR`.
//!
//! Ownership of the buffer follows `STATE`: the sampler owns it in `IDLE`
//! and `DONE`, the handler from `REQUESTED` (which it turns into
//! `WRITING`) until it sets `DONE`.

use std::sync::atomic::{AtomicPtr, AtomicU32, Ordering};
use std::time::{Duration, Instant};

use ruff_core::runtime::shadow::{FrameSample, ShadowStack};

use crate::pc::{self, Found};

const IDLE: u32 = 0;
/// A sample is asked for; the handler has not run yet.
const REQUESTED: u32 = 1;
/// The handler is filling the buffer.
const WRITING: u32 = 2;
/// The buffer holds a sample.
const DONE: u32 = 3;

static STATE: AtomicU32 = AtomicU32::new(IDLE);
/// The exchange buffer while a sampler is running (null otherwise).
static EXCHANGE: AtomicPtr<Exchange> = AtomicPtr::new(std::ptr::null_mut());

/// What the handler writes.
pub struct Exchange {
    shadow: *const ShadowStack,
    stack_top: usize,
    pub frames: Vec<FrameSample>,
    pub found: Found,
    /// Whether the shadow stack could be read (its lock was free).
    pub ok: bool,
}

/// Registers of the interrupted VM thread.
#[derive(Clone, Copy, Debug)]
pub struct Regs {
    pub pc: usize,
    pub sp: usize,
}

/// The VM thread, as the sampler signals it.
#[derive(Clone, Copy, Debug)]
pub struct VmThread {
    tid: libc::pid_t,
    /// The highest address of its stack (its start), for stack scans.
    pub stack_top: usize,
}

impl VmThread {
    /// Called on the VM thread itself.
    pub fn current() -> VmThread {
        let here = 0u8;
        VmThread {
            // SAFETY: gettid has no preconditions.
            tid: unsafe { libc::gettid() },
            stack_top: stack_top().unwrap_or(&here as *const u8 as usize),
        }
    }
}

/// The end of the calling thread's stack (glibc's attributes).
fn stack_top() -> Option<usize> {
    // SAFETY: a zeroed attribute object filled by glibc and destroyed.
    unsafe {
        let mut attr: libc::pthread_attr_t = std::mem::zeroed();
        if libc::pthread_getattr_np(libc::pthread_self(), &mut attr) != 0 {
            return None;
        }
        let mut addr: *mut libc::c_void = std::ptr::null_mut();
        let mut size: libc::size_t = 0;
        let ok = libc::pthread_attr_getstack(&attr, &mut addr, &mut size) == 0;
        libc::pthread_attr_destroy(&mut attr);
        ok.then(|| addr as usize + size)
    }
}

extern "C" fn on_sigprof(_: libc::c_int, _: *mut libc::siginfo_t, uc: *mut libc::c_void) {
    if STATE
        .compare_exchange(REQUESTED, WRITING, Ordering::AcqRel, Ordering::Relaxed)
        .is_err()
    {
        return;
    }
    let ex = EXCHANGE.load(Ordering::Acquire);
    if ex.is_null() {
        STATE.store(IDLE, Ordering::Release);
        return;
    }
    // SAFETY: `WRITING` gives this handler the buffer, which the sampler
    // keeps (with the shadow stack it points to) until it is `IDLE` or
    // `DONE`; the kernel passes the interrupted context.
    unsafe {
        let ex = &mut *ex;
        let g = &(*(uc as *const libc::ucontext_t)).uc_mcontext.gregs;
        let regs = Regs {
            pc: g[libc::REG_RIP as usize] as usize,
            sp: g[libc::REG_RSP as usize] as usize,
        };
        let shadow = &*ex.shadow;
        ex.ok = shadow.try_sample(&mut ex.frames);
        ex.found = if ex.ok {
            let innermost = ex.frames.last().map(|f| f.tier);
            pc::inspect(shadow, ex.stack_top, regs, innermost)
        } else {
            Found::default()
        };
    }
    STATE.store(DONE, Ordering::Release);
}

/// Install the handler (once per process).
pub fn install() -> std::io::Result<()> {
    // SAFETY: a handler that touches only atomics and its buffer.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigprof as *const () as libc::sighandler_t;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        if libc::sigaction(libc::SIGPROF, &sa, std::ptr::null_mut()) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The sampler's side: asks for samples and collects them.
pub struct Signaller {
    ex: *mut Exchange,
}

impl Signaller {
    /// Publish a buffer for `shadow` (which must outlive the signaller)
    /// with room for `capacity` frames. One per process at a time.
    pub fn new(shadow: &ShadowStack, stack_top: usize) -> Signaller {
        let ex = Box::into_raw(Box::new(Exchange {
            shadow,
            stack_top,
            // The shadow stack's frames, plus what `pc::apply` adds.
            frames: Vec::with_capacity(shadow.capacity() + 16),
            found: Found::default(),
            ok: false,
        }));
        STATE.store(IDLE, Ordering::Release);
        EXCHANGE.store(ex, Ordering::Release);
        Signaller { ex }
    }

    /// The sample the handler wrote since the last request, if any.
    pub fn collect(&mut self) -> Option<&mut Exchange> {
        if STATE.load(Ordering::Acquire) != DONE {
            return None;
        }
        STATE.store(IDLE, Ordering::Release);
        // SAFETY: `IDLE`: the sampler owns the buffer.
        Some(unsafe { &mut *self.ex })
    }

    /// Ask `t` for a sample, unless the last request is still pending
    /// (the VM thread has not run since: then `false`).
    pub fn request(&mut self, t: &VmThread) -> bool {
        if STATE
            .compare_exchange(IDLE, REQUESTED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        // SAFETY: a signal to a thread of this process.
        let sent = unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), t.tid, libc::SIGPROF) };
        if sent != 0 {
            let _ = STATE.compare_exchange(REQUESTED, IDLE, Ordering::AcqRel, Ordering::Relaxed);
            return false;
        }
        true
    }
}

impl Drop for Signaller {
    fn drop(&mut self) {
        // Withdraw any request, wait out a handler writing (it never
        // blocks), then free the buffer.
        let start = Instant::now();
        loop {
            match STATE.compare_exchange(REQUESTED, IDLE, Ordering::AcqRel, Ordering::Acquire) {
                Err(WRITING) if start.elapsed() < Duration::from_secs(1) => {
                    std::thread::yield_now()
                }
                Err(WRITING) => {
                    // Never expected; leak rather than free under a writer.
                    EXCHANGE.store(std::ptr::null_mut(), Ordering::Release);
                    return;
                }
                _ => break,
            }
        }
        EXCHANGE.store(std::ptr::null_mut(), Ordering::Release);
        STATE.store(IDLE, Ordering::Release);
        // SAFETY: created by `Box::into_raw`; no handler can use it now.
        drop(unsafe { Box::from_raw(self.ex) });
    }
}

/// The words of the interrupted thread's stack from `sp` up, at most
/// `max`. Only for the handler (the stack is its own thread's).
pub fn stack_words(stack_top: usize, sp: usize, max: usize) -> impl Iterator<Item = usize> {
    let end = stack_top.min(sp.saturating_add(max * 8));
    let start = (sp + 7) & !7;
    (start..end).step_by(8).map(|a| {
        // SAFETY: between the thread's stack pointer and its stack's end.
        unsafe { std::ptr::read_volatile(a as *const usize) }
    })
}
