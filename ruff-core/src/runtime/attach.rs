//! Attaching a profiler to a `ruff run` process that was started without
//! one (`ruff-prof record|top|dump --pid`), with no ptrace: the kernel's
//! usual restriction on tracing non-children (Yama `ptrace_scope` 1) does
//! not apply, and a program nobody attaches to pays nothing per
//! instruction.
//!
//! At startup `ruff run` creates a control file, `/dev/shm/ruff-attach-PID`
//! (mode 0600: only its user can open it, 4 KiB, `Header`), and handles
//! SIGUSR2; the file is removed at exit. A profiler writes its request in
//! the header (rate, its pid, a heartbeat), then sends SIGUSR2. The handler
//! sets `INTERRUPTED`, which the VM already polls at calls and back edges
//! (and native loops already exit on), plus a flag that tells `poll` this
//! is an attach, not a Ctrl-C. On the VM thread, at that safe point,
//! `poll` rebuilds a shadow stack from the VM's frames and the JIT's frame
//! records, recompiles hot code with the profiler's bookkeeping
//! (`jit::reprofile`), writes the program's source into the file and
//! starts a sampler thread in the target, which copies a sample of the
//! shadow stack into a ring in the file at the requested rate. The
//! profiler maps the file read-only (except the header's request words)
//! and reads the ring. When the profiler says stop, or its heartbeat is
//! more than `HEARTBEAT_TIMEOUT` old (it was killed), the thread ends and
//! the VM drops the shadow stack and the profiling code again.
//!
//! Ring entries are `u32` words: `[n, t_lo, t_hi, (func, tier<<24|line)×n]`
//! with `t` in microseconds since the session started; `head` counts the
//! words ever written (a reader that falls more than the ring behind has
//! lost samples, and re-checks `head` after copying an entry).

use std::ffi::CString;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::shadow::{FrameSample, ShadowStack, Tier};
use super::vm::{Vm, INTERRUPTED};

/// `b"RUFFATCH"`, first word of the control file.
pub const MAGIC: u64 = u64::from_le_bytes(*b"RUFFATCH");
/// Changes whenever `Header` or the ring format does.
pub const VERSION: u32 = 1;
/// Size of the header region of the control file.
pub const HEADER_BYTES: usize = 4096;
/// Ring size in `u32` words (4 MiB).
pub const RING_WORDS: usize = 1 << 20;
/// A sampler thread whose profiler has not written its heartbeat for this
/// long stops (the profiler died without saying stop).
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(3);
/// Most frames a ring entry holds (outermost kept).
pub const MAX_FRAMES: usize = 4096;

/// Values of `Header::state`.
pub mod state {
    /// No profiler.
    pub const IDLE: u32 = 0;
    /// A profiler wrote a request and sent SIGUSR2.
    pub const REQUESTED: u32 = 1;
    /// The target is publishing samples.
    pub const ACTIVE: u32 = 2;
    /// The profiler asks the target to stop publishing.
    pub const STOP: u32 = 3;
    /// The target could not set up the ring (no space in /dev/shm...).
    pub const FAILED: u32 = 4;
}

/// The control file's header, shared by the target (`ruff run`) and the
/// profiler. Every field is atomic: both sides read and write it at once.
#[repr(C)]
pub struct Header {
    pub magic: AtomicU64,
    pub version: AtomicU32,
    /// The target's pid...
    pub pid: AtomicU32,
    /// ...and start time (`/proc/PID/stat` field 22): a file left by a
    /// killed process whose pid was reused does not match.
    pub start_time: AtomicU64,
    pub state: AtomicU32,
    /// Written by the profiler with its request.
    pub profiler_pid: AtomicU32,
    pub rate_hz: AtomicU32,
    /// Incremented by the target at each attach.
    pub session: AtomicU32,
    /// `monotonic_ms()` of the profiler's last sign of life.
    pub heartbeat_ms: AtomicU64,
    /// The file's length once active.
    pub file_len: AtomicU64,
    /// The program's path and source text (UTF-8), at these byte offsets.
    pub name_off: AtomicU64,
    pub name_len: AtomicU64,
    pub src_off: AtomicU64,
    pub src_len: AtomicU64,
    /// The ring: `ring_words` `u32`s at byte offset `ring_off`.
    pub ring_off: AtomicU64,
    pub ring_words: AtomicU64,
    /// Words written to the ring since the file was created.
    pub head: AtomicU64,
    /// Samples the target's sampler took this session.
    pub samples: AtomicU64,
}

/// Maps `len` bytes of the control file open as `fd`, from byte `offset`
/// (a multiple of the page size), shared with the other process: the one
/// mapping both sides use. Read-only unless `writable`. The caller keeps
/// the file at least `offset + len` bytes long while the mapping is used.
pub fn map_control(
    fd: libc::c_int,
    offset: usize,
    len: usize,
    writable: bool,
) -> std::io::Result<*mut u8> {
    let prot = if writable {
        libc::PROT_READ | libc::PROT_WRITE
    } else {
        libc::PROT_READ
    };
    // SAFETY: a fresh mapping at an address the kernel chooses; it aliases
    // no Rust object, and failure is checked.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            prot,
            libc::MAP_SHARED,
            fd,
            offset as libc::off_t,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    Ok(p.cast())
}

/// Milliseconds of `CLOCK_MONOTONIC`, the same in every process.
pub fn monotonic_ms() -> u64 {
    // SAFETY: clock_gettime fills the struct.
    let ts = unsafe {
        let mut ts: libc::timespec = std::mem::zeroed();
        libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts);
        ts
    };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// The control file of process `pid`.
pub fn control_path(pid: u32) -> String {
    format!("/dev/shm/ruff-attach-{pid}")
}

/// A process's start time in clock ticks (`/proc/PID/stat` field 22).
pub fn start_time(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which may hold spaces and parens.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split(' ').nth(19)?.parse().ok()
}

/// The ring entry of one sample: appends to `out`.
pub fn encode_sample(frames: &[FrameSample], t_us: u64, out: &mut Vec<u32>) {
    let n = frames.len().min(MAX_FRAMES);
    out.push(n as u32);
    out.push(t_us as u32);
    out.push((t_us >> 32) as u32);
    for f in &frames[..n] {
        out.push(f.func);
        out.push(((f.tier as u32) << 24) | f.line.min(0xff_ffff));
    }
}

/// The frame a ring entry's pair of words holds.
pub fn decode_frame(func: u32, tier_line: u32) -> FrameSample {
    FrameSample {
        func,
        tier: Tier::from_u8((tier_line >> 24) as u8),
        line: tier_line & 0xff_ffff,
    }
}

/// The target's side: its control file, mapped.
struct Control {
    path: CString,
    fd: libc::c_int,
    header: *const Header,
}

// SAFETY: the mapping lives as long as the process; fields are atomics.
unsafe impl Send for Control {}
unsafe impl Sync for Control {}

impl Control {
    fn header(&self) -> &Header {
        // SAFETY: mapped for the life of the process.
        unsafe { &*self.header }
    }
}

static CONTROL: OnceLock<Control> = OnceLock::new();
/// SIGUSR2 arrived: the next `INTERRUPTED` is (also) an attach request.
static PENDING: AtomicBool = AtomicBool::new(false);
/// A real interrupt (Ctrl-C) arrived: `poll` must not swallow it.
static CTRL_C: AtomicBool = AtomicBool::new(false);

/// The embedder's SIGINT handler calls this before setting `INTERRUPTED`
/// (async-signal-safe: one atomic store).
pub fn note_ctrl_c() {
    CTRL_C.store(true, Ordering::SeqCst);
}

/// What a session left in the target.
#[derive(Default)]
struct Session {
    /// The shadow stack, kept across sessions: profiling code compiled
    /// during a session writes to its slots by address.
    shadow: Option<Arc<ShadowStack>>,
    /// `Vm::shadow` is ours (set by an attach), not the embedder's.
    ours: bool,
    sampler: Option<std::thread::JoinHandle<()>>,
    /// The ring, mapped read-write (the same for every session).
    ring: Option<(*mut AtomicU32, usize)>,
}

// SAFETY: the ring pointer is a mapping that lives as long as the process.
unsafe impl Send for Session {}

static SESSION: Mutex<Session> = Mutex::new(Session {
    shadow: None,
    ours: false,
    sampler: None,
    ring: None,
});

extern "C" fn on_sigusr2(_: libc::c_int) {
    PENDING.store(true, Ordering::Relaxed);
    INTERRUPTED.store(true, Ordering::Release);
}

extern "C" fn remove_at_exit() {
    if let Some(c) = CONTROL.get() {
        // SAFETY: a NUL-terminated path.
        unsafe { libc::unlink(c.path.as_ptr()) };
    }
}

/// Make this process attachable: create its control file and handle
/// SIGUSR2 (`ruff run` calls this once, before the VM starts). Fails
/// silently (the program runs; `ruff-prof --pid` then says why it cannot
/// attach). Files left by killed processes of this user are removed.
pub fn register() {
    if CONTROL.get().is_some() {
        return;
    }
    let pid = std::process::id();
    let path = control_path(pid);
    let Ok(cpath) = CString::new(path) else {
        return;
    };
    // SAFETY: plain syscalls on a path we own; the mapping is checked.
    unsafe {
        // A file with our pid is a dead process's.
        libc::unlink(cpath.as_ptr());
        let fd = libc::open(
            cpath.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
            0o600,
        );
        if fd < 0 {
            return;
        }
        if libc::ftruncate(fd, HEADER_BYTES as libc::off_t) != 0 {
            libc::close(fd);
            libc::unlink(cpath.as_ptr());
            return;
        }
        let Ok(p) = map_control(fd, 0, HEADER_BYTES, true) else {
            libc::close(fd);
            libc::unlink(cpath.as_ptr());
            return;
        };
        let h = &*(p as *const Header);
        h.pid.store(pid, Ordering::Relaxed);
        h.start_time
            .store(start_time("self").unwrap_or(0), Ordering::Relaxed);
        h.version.store(VERSION, Ordering::Relaxed);
        h.magic.store(MAGIC, Ordering::Release);
        let _ = CONTROL.set(Control {
            path: cpath,
            fd,
            header: p as *const Header,
        });
        libc::atexit(remove_at_exit);
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigusr2 as *const () as libc::sighandler_t;
        sa.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGUSR2, &sa, std::ptr::null_mut());
    }
    sweep_stale();
}

/// Remove control files of this user's processes that no longer exist
/// (killed by a signal, so their `atexit` never ran).
fn sweep_stale() {
    let Ok(dir) = std::fs::read_dir("/dev/shm") else {
        return;
    };
    // SAFETY: getuid cannot fail.
    let uid = unsafe { libc::getuid() };
    for e in dir.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("ruff-attach-")) else {
            continue;
        };
        use std::os::unix::fs::MetadataExt;
        let mine = e.metadata().is_ok_and(|m| m.uid() == uid);
        if mine && !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Called by the VM where it found `INTERRUPTED` set (at a call or a back
/// edge, its frame's instruction saved). Returns `true` if that was only
/// an attach request, now handled: the program goes on. `false`: a real
/// interrupt (Ctrl-C, also when it came with an attach request: the
/// handler notes it in `CTRL_C` before setting `INTERRUPTED`, and this
/// checks it after clearing `INTERRUPTED`, so none is lost).
pub fn poll(vm: &mut Vm) -> bool {
    if !PENDING.swap(false, Ordering::SeqCst) {
        return false;
    }
    INTERRUPTED.store(false, Ordering::SeqCst);
    if CTRL_C.load(Ordering::SeqCst) {
        INTERRUPTED.store(true, Ordering::SeqCst);
        return false;
    }
    let Some(c) = CONTROL.get() else { return true };
    let mut session = SESSION.lock().unwrap_or_else(|e| e.into_inner());
    match c.header().state.load(Ordering::Acquire) {
        state::REQUESTED => start(vm, c, &mut session),
        state::IDLE | state::STOP | state::FAILED => stop(vm, &mut session),
        _ => {}
    }
    true
}

/// The sampler thread ended (or a new request came): drop the shadow
/// stack and the profiling code.
fn stop(vm: &mut Vm, session: &mut Session) {
    if let Some(t) = session.sampler.take() {
        let _ = t.join();
    }
    if session.ours && vm.shadow.is_some() {
        if let Some(s) = vm.shadow.take() {
            s.detach_native();
        }
        session.ours = false;
        crate::jit::seam::recompile_all(vm);
    }
}

fn start(vm: &mut Vm, c: &Control, session: &mut Session) {
    let h = c.header();
    // A previous session's thread sees the new state and ends.
    if let Some(t) = session.sampler.take() {
        let _ = t.join();
    }
    if h.state.load(Ordering::Acquire) != state::REQUESTED {
        return;
    }
    let Some(ring) = session.ring.or_else(|| layout(vm, c)) else {
        h.state.store(state::FAILED, Ordering::Release);
        return;
    };
    session.ring = Some(ring);
    if vm.shadow.is_none() {
        let cap = vm.options.max_depth * 2 + 64;
        let shadow = session
            .shadow
            .get_or_insert_with(|| Arc::new(ShadowStack::new(cap)))
            .clone();
        fill(vm, &shadow);
        vm.shadow = Some(shadow);
        session.ours = true;
        crate::jit::seam::recompile_all(vm);
    }
    let shadow = vm.shadow.clone().expect("set above");
    h.samples.store(0, Ordering::Relaxed);
    h.session.fetch_add(1, Ordering::Relaxed);
    let rate = h.rate_hz.load(Ordering::Relaxed).clamp(1, 20_000);
    h.state.store(state::ACTIVE, Ordering::Release);
    let ring = RingWriter {
        words: ring.0,
        len: ring.1,
    };
    session.sampler = std::thread::Builder::new()
        .name("ruff-attach".into())
        .spawn(move || sample_loop(&shadow, rate, ring))
        .ok();
    if session.sampler.is_none() {
        h.state.store(state::FAILED, Ordering::Release);
    }
}

/// Grow the control file for the program's name and source and the ring;
/// map the ring. Once per process (the layout never changes).
fn layout(vm: &Vm, c: &Control) -> Option<(*mut AtomicU32, usize)> {
    let h = c.header();
    let name = vm.source().name.as_bytes();
    let src = vm.source().text.as_bytes();
    let page = 4096;
    let round = |n: usize| n.div_ceil(page) * page;
    let name_off = HEADER_BYTES;
    let src_off = name_off + round(name.len().max(1));
    let ring_off = src_off + round(src.len().max(1));
    let len = ring_off + RING_WORDS * 4;
    // SAFETY: our own descriptor; the mapping is checked.
    unsafe {
        if libc::ftruncate(c.fd, len as libc::off_t) != 0 {
            return None;
        }
        let write_at = |bytes: &[u8], off: usize| {
            let mut done = 0;
            while done < bytes.len() {
                let n = libc::pwrite(
                    c.fd,
                    bytes[done..].as_ptr().cast(),
                    bytes.len() - done,
                    (off + done) as libc::off_t,
                );
                if n <= 0 {
                    return false;
                }
                done += n as usize;
            }
            true
        };
        if !write_at(name, name_off) || !write_at(src, src_off) {
            return None;
        }
        let p = map_control(c.fd, ring_off, RING_WORDS * 4, true).ok()?;
        h.name_off.store(name_off as u64, Ordering::Relaxed);
        h.name_len.store(name.len() as u64, Ordering::Relaxed);
        h.src_off.store(src_off as u64, Ordering::Relaxed);
        h.src_len.store(src.len() as u64, Ordering::Relaxed);
        h.ring_off.store(ring_off as u64, Ordering::Relaxed);
        h.ring_words.store(RING_WORDS as u64, Ordering::Relaxed);
        h.file_len.store(len as u64, Ordering::Release);
        Some((p as *mut AtomicU32, RING_WORDS))
    }
}

/// Rebuild the shadow stack of the running program: its VM frames as
/// slots, each above the native frames below it (as `ShadowStack::push`
/// would have recorded), the live native frames named for the sampler.
fn fill(vm: &Vm, s: &ShadowStack) {
    use crate::jit::seam::OSR_BIT;
    s.truncate(0);
    s.attach_native(vm.jit.ctx.profiler_view());
    let natives = vm.jit.ctx.native_frames();
    for r in &natives {
        // SAFETY: live native frames' records point to protos the code
        // cache keeps alive (as `jit::exits::active_frames` reads them).
        let p = unsafe { &*r.proto };
        s.name_native(r.proto as u64, p.id, p.line, None, &p.lines);
    }
    let osr_for = |i: usize| {
        natives
            .iter()
            .any(|r| r.vm_frames & OSR_BIT != 0 && (r.vm_frames & !OSR_BIT) as usize == i + 1)
    };
    for (i, f) in vm.frames.iter().enumerate() {
        let below = natives
            .iter()
            .take_while(|r| ((r.vm_frames & !OSR_BIT) as usize) <= i)
            .count();
        let proto = &f.closure.proto;
        let line = proto
            .lines
            .get(f.ip.saturating_sub(1))
            .copied()
            .unwrap_or(proto.line);
        let tier = if osr_for(i) {
            Tier::Native
        } else {
            Tier::Interpreted
        };
        s.push_below(proto.id, tier, line, below);
    }
}

/// The ring in the control file, as the target writes it.
#[derive(Clone, Copy)]
struct RingWriter {
    words: *mut AtomicU32,
    len: usize,
}

// SAFETY: a shared mapping that lives as long as the process.
unsafe impl Send for RingWriter {}

impl RingWriter {
    fn write(&self, h: &Header, entry: &[u32]) {
        let head = h.head.load(Ordering::Relaxed);
        for (k, &w) in entry.iter().enumerate() {
            let i = (head as usize + k) % self.len;
            // SAFETY: `i < len`, inside the mapping.
            unsafe { (*self.words.add(i)).store(w, Ordering::Relaxed) };
        }
        h.head.store(head + entry.len() as u64, Ordering::Release);
    }
}

/// The target's sampler thread: copy the shadow stack into the ring at
/// `rate` Hz while the profiler is there.
fn sample_loop(shadow: &ShadowStack, rate: u32, ring: RingWriter) {
    let Some(c) = CONTROL.get() else { return };
    let h = c.header();
    let interval = Duration::from_secs_f64(1.0 / f64::from(rate));
    let start = Instant::now();
    let mut deadline = start;
    let mut frames = Vec::with_capacity(256);
    let mut entry = Vec::with_capacity(1024);
    loop {
        if h.state.load(Ordering::Acquire) != state::ACTIVE {
            break;
        }
        let beat = h.heartbeat_ms.load(Ordering::Relaxed);
        if monotonic_ms().saturating_sub(beat) > HEARTBEAT_TIMEOUT.as_millis() as u64 {
            break;
        }
        shadow.sample(&mut frames);
        if !frames.is_empty() {
            entry.clear();
            encode_sample(&frames, start.elapsed().as_micros() as u64, &mut entry);
            ring.write(h, &entry);
            h.samples.fetch_add(1, Ordering::Relaxed);
        }
        deadline += interval;
        let now = Instant::now();
        if deadline > now {
            std::thread::sleep(deadline - now);
        } else {
            // Behind (descheduled): skip, do not burst.
            deadline = now;
        }
    }
    // Unless a new profiler already asked, go idle; then have the VM drop
    // the shadow stack at its next safe point.
    let _ = h.state.compare_exchange(
        state::ACTIVE,
        state::IDLE,
        Ordering::AcqRel,
        Ordering::Relaxed,
    );
    let _ = h.state.compare_exchange(
        state::STOP,
        state::IDLE,
        Ordering::AcqRel,
        Ordering::Relaxed,
    );
    PENDING.store(true, Ordering::Relaxed);
    INTERRUPTED.store(true, Ordering::Release);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_round_trip_through_ring_words() {
        let f = |func, tier, line| FrameSample { func, tier, line };
        let frames = [f(0, Tier::Interpreted, 3), f(7, Tier::Native, 12)];
        let mut out = Vec::new();
        encode_sample(&frames, 1 << 33 | 5, &mut out);
        assert_eq!(out[0], 2);
        assert_eq!(u64::from(out[1]) | u64::from(out[2]) << 32, 1 << 33 | 5);
        assert_eq!(decode_frame(out[5], out[6]), frames[1]);
        assert_eq!(std::mem::size_of::<Header>() % 8, 0);
        assert!(std::mem::size_of::<Header>() < HEADER_BYTES);
    }

    #[test]
    fn start_time_of_self_is_known() {
        assert!(start_time("self").is_some());
    }
}
