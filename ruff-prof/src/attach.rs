//! The profiler's side of attaching to a running `ruff run` process
//! (`record|top|dump --pid`): find and check its control file, request
//! samples, read them from the shared ring, stop. The target's side and the
//! protocol are in `ruff_core::runtime::attach`. No ptrace is involved, so
//! the Yama `ptrace_scope` setting does not matter; what does is that the
//! control file is mode 0600, so only the target's user can attach.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use ruff_core::runtime::attach::{
    control_path, decode_frame, map_control, monotonic_ms, start_time, state, Header, HEADER_BYTES,
    MAGIC, MAX_FRAMES, VERSION,
};
use ruff_core::runtime::shadow::FrameSample;

use crate::profile::ProgramInfo;
use crate::sampler::RawProfile;

/// How long the target has to answer a request: it does at its next call
/// or loop iteration.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(3);

/// A target sampling for us.
pub struct Attached {
    pub pid: u32,
    start_time: Option<u64>,
    fd: libc::c_int,
    header: *mut Header,
    /// The whole file, read-only.
    map: *const u8,
    map_len: usize,
    ring: *const AtomicU32,
    ring_words: u64,
    /// Ring words read so far.
    tail: u64,
    /// The program's path and source, as the target compiled it.
    pub name: String,
    pub source: String,
    pub rate_hz: u32,
}

fn read_to_string(path: &str) -> Option<String> {
    std::fs::read(path)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Why `pid` has no control file we can use, in words.
fn why_not_attachable(pid: u32) -> String {
    let path = control_path(pid);
    let proc_dir = format!("/proc/{pid}");
    let Ok(meta) = std::fs::metadata(&proc_dir) else {
        return format!("no process with pid {pid}");
    };
    use std::os::unix::fs::MetadataExt;
    // SAFETY: getuid cannot fail.
    let me = unsafe { libc::getuid() };
    if meta.uid() != me && me != 0 {
        return format!(
            "process {pid} belongs to another user (uid {}): ruff-prof attaches only to \
             your own processes (the target's control file {path} is mode 0600). It does \
             not use ptrace, so kernel.yama.ptrace_scope is not what stops it; run \
             ruff-prof as that user",
            meta.uid()
        );
    }
    let comm = read_to_string(&format!("/proc/{pid}/comm"))
        .map(|c| c.trim().to_string())
        .unwrap_or_default();
    let exe = std::fs::read_link(format!("/proc/{pid}/exe"))
        .ok()
        .and_then(|p| p.file_name().map(|f| f.to_string_lossy().into_owned()))
        .unwrap_or_default();
    if comm != "ruff" && !exe.starts_with("ruff") {
        return format!(
            "process {pid} ({}) is not a ruff process: only `ruff run` programs can be \
             attached to",
            if comm.is_empty() { "?" } else { &comm }
        );
    }
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
    if environ.split(|&b| b == 0).any(|v| v == b"RUFF_NO_ATTACH=1") {
        return format!(
            "process {pid} was started with RUFF_NO_ATTACH=1, which turns attaching off"
        );
    }
    let args = read_to_string(&format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let args: Vec<&str> = args.split('\0').filter(|a| !a.is_empty()).collect();
    if args.get(1) != Some(&"run") {
        return format!(
            "process {pid} is `{}`, not `ruff run`: only running programs can be attached to",
            args.join(" ")
        );
    }
    format!(
        "process {pid} is a ruff process with no control file {path}: it was started by \
         a ruff older than this ruff-prof (attach needs ruff {}), or /dev/shm was not \
         writable when it started",
        env!("CARGO_PKG_VERSION")
    )
}

impl Attached {
    /// Ask `pid` to sample itself at `rate_hz` and wait until it does.
    pub fn connect(pid: u32, rate_hz: u32) -> Result<Attached, String> {
        if pid == 0 || pid > i32::MAX as u32 {
            return Err(format!("no process with pid {pid}"));
        }
        let path = control_path(pid);
        let cpath = std::ffi::CString::new(path.clone()).map_err(|e| e.to_string())?;
        // SAFETY: open on a NUL-terminated path.
        let fd = unsafe { libc::open(cpath.as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            return Err(match e.raw_os_error() {
                Some(libc::EACCES) | Some(libc::EPERM) => format!(
                    "cannot open {path}: {e}; process {pid} belongs to another user and \
                     its control file is mode 0600. ruff-prof does not use ptrace, so \
                     kernel.yama.ptrace_scope is not what stops it; run ruff-prof as \
                     that user"
                ),
                _ => why_not_attachable(pid),
            });
        }
        let mut a = Attached {
            pid,
            start_time: start_time(&pid.to_string()),
            fd,
            header: std::ptr::null_mut(),
            map: std::ptr::null(),
            map_len: 0,
            ring: std::ptr::null(),
            ring_words: 0,
            tail: 0,
            name: String::new(),
            source: String::new(),
            rate_hz,
        };
        let p = map_control(fd, 0, HEADER_BYTES, true)
            .map_err(|e| format!("cannot map {path}: {e}"))?;
        a.header = p as *mut Header;
        a.request()?;
        Ok(a)
    }

    fn header(&self) -> &'static Header {
        // SAFETY: mapped until drop, and nothing returned outlives `self`
        // in use (the borrow is only unbound so that `read` can move on).
        unsafe { &*self.header }
    }

    fn request(&mut self) -> Result<(), String> {
        let pid = self.pid;
        let h = self.header();
        if h.magic.load(Ordering::Acquire) != MAGIC {
            return Err(format!(
                "{} is not a ruff control file (or process {pid} is still starting)",
                control_path(pid)
            ));
        }
        let v = h.version.load(Ordering::Relaxed);
        if v != VERSION {
            return Err(format!(
                "process {pid} speaks attach protocol version {v}, this ruff-prof version \
                 {VERSION}: use the ruff-prof of the same release as its ruff"
            ));
        }
        let st = h.start_time.load(Ordering::Relaxed);
        if h.pid.load(Ordering::Relaxed) != pid || (st != 0 && Some(st) != self.start_time) {
            return Err(format!(
                "{} was left by an earlier process with pid {pid}: {}",
                control_path(pid),
                why_not_attachable(pid)
            ));
        }
        let other = h.profiler_pid.load(Ordering::Relaxed);
        let fresh = monotonic_ms().saturating_sub(h.heartbeat_ms.load(Ordering::Relaxed))
            < ruff_core::runtime::attach::HEARTBEAT_TIMEOUT.as_millis() as u64;
        let busy = matches!(
            h.state.load(Ordering::Acquire),
            state::ACTIVE | state::REQUESTED
        );
        if busy && fresh && other != std::process::id() {
            return Err(format!(
                "process {pid} is already being profiled by ruff-prof (pid {other})"
            ));
        }
        h.rate_hz.store(self.rate_hz, Ordering::Relaxed);
        h.profiler_pid.store(std::process::id(), Ordering::Relaxed);
        h.heartbeat_ms.store(monotonic_ms(), Ordering::Relaxed);
        h.state.store(state::REQUESTED, Ordering::Release);
        // SAFETY: a signal to a process we checked is a ruff run of ours.
        if unsafe { libc::kill(pid as i32, libc::SIGUSR2) } != 0 {
            return Err(why_not_attachable(pid));
        }
        let start = Instant::now();
        loop {
            match h.state.load(Ordering::Acquire) {
                state::ACTIVE => break,
                state::FAILED => {
                    return Err(format!(
                        "process {pid} could not set up sampling (is /dev/shm full?)"
                    ))
                }
                _ => {}
            }
            if !self.alive() {
                return Err(format!("process {pid} exited"));
            }
            if start.elapsed() > ANSWER_TIMEOUT {
                let _ = h.state.compare_exchange(
                    state::REQUESTED,
                    state::IDLE,
                    Ordering::AcqRel,
                    Ordering::Relaxed,
                );
                return Err(format!(
                    "process {pid} did not answer within {} s: a Ruff program answers at \
                     its next call or loop iteration, so it may be blocked (reading input, \
                     sleeping) or finishing",
                    ANSWER_TIMEOUT.as_secs()
                ));
            }
            h.heartbeat_ms.store(monotonic_ms(), Ordering::Relaxed);
            std::thread::sleep(Duration::from_millis(2));
        }
        self.tail = h.head.load(Ordering::Acquire);
        self.map_file()
    }

    fn map_file(&mut self) -> Result<(), String> {
        let h = self.header();
        let len = h.file_len.load(Ordering::Acquire) as usize;
        let off = |v: &std::sync::atomic::AtomicU64| v.load(Ordering::Relaxed) as usize;
        let (name_off, name_len) = (off(&h.name_off), off(&h.name_len));
        let (src_off, src_len) = (off(&h.src_off), off(&h.src_len));
        let (ring_off, ring_words) = (off(&h.ring_off), off(&h.ring_words));
        if name_off + name_len > len || src_off + src_len > len || ring_off + ring_words * 4 > len {
            return Err("the control file's layout is inconsistent".to_string());
        }
        let p = map_control(self.fd, 0, len, false)
            .map_err(|e| format!("cannot map the control file: {e}"))?;
        self.map = p as *const u8;
        self.map_len = len;
        // SAFETY: inside the mapping (checked above).
        let bytes = |o: usize, n: usize| unsafe { std::slice::from_raw_parts(self.map.add(o), n) };
        self.name = String::from_utf8_lossy(bytes(name_off, name_len)).into_owned();
        self.source = String::from_utf8_lossy(bytes(src_off, src_len)).into_owned();
        // SAFETY: inside the mapping, 4-aligned (page offset).
        self.ring = unsafe { self.map.add(ring_off) } as *const AtomicU32;
        self.ring_words = ring_words as u64;
        Ok(())
    }

    /// The target still runs (and is the same process).
    pub fn alive(&self) -> bool {
        // SAFETY: signal 0 only checks.
        let exists = unsafe { libc::kill(self.pid as i32, 0) } == 0;
        exists && start_time(&self.pid.to_string()) == self.start_time
    }

    /// The target is still sampling for us.
    pub fn active(&self) -> bool {
        self.header().state.load(Ordering::Acquire) == state::ACTIVE
    }

    /// Tell the target we are alive.
    pub fn heartbeat(&self) {
        self.header()
            .heartbeat_ms
            .store(monotonic_ms(), Ordering::Relaxed);
    }

    /// Hand each new sample (frames, microseconds since the session
    /// started) to `f`; returns the samples lost (the ring overran).
    pub fn read(&mut self, mut f: impl FnMut(&[FrameSample], u64)) -> u64 {
        let h = self.header();
        let head = h.head.load(Ordering::Acquire);
        let cap = self.ring_words;
        let mut lost = 0;
        if head.saturating_sub(self.tail) > cap {
            lost += 1;
            // Start again at an entry boundary we know: the head.
            self.tail = head;
            return lost;
        }
        let ring = self.ring;
        let word = |i: u64| {
            // SAFETY: `i % cap < cap`: inside the mapped ring.
            unsafe { (*ring.add((i % cap) as usize)).load(Ordering::Relaxed) }
        };
        let mut frames = Vec::with_capacity(64);
        while self.tail < head {
            let n = word(self.tail) as usize;
            let len = 3 + 2 * n as u64;
            if n > MAX_FRAMES || self.tail + len > head {
                // Not an entry boundary: a torn read; resync.
                self.tail = head;
                lost += 1;
                break;
            }
            let t = u64::from(word(self.tail + 1)) | u64::from(word(self.tail + 2)) << 32;
            frames.clear();
            for k in 0..n as u64 {
                let at = self.tail + 3 + 2 * k;
                frames.push(decode_frame(word(at), word(at + 1)));
            }
            // Overwritten while we copied?
            if h.head.load(Ordering::Acquire).saturating_sub(self.tail) > cap {
                self.tail = h.head.load(Ordering::Acquire);
                lost += 1;
                break;
            }
            self.tail += len;
            f(&frames, t);
        }
        lost
    }

    /// Ask the target to stop sampling (it also stops by itself when our
    /// heartbeat stops).
    pub fn detach(&self) {
        let h = self.header();
        let _ = h.state.compare_exchange(
            state::ACTIVE,
            state::STOP,
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }

    /// The program's names, from the source the target runs (compiled
    /// again here: the compiler is deterministic, so function ids match).
    pub fn program_info(&self) -> Result<ProgramInfo, String> {
        let compiled = ruff_core::driver::compile(&self.source).map_err(|_| {
            format!(
                "cannot compile {} as process {} sees it",
                self.name, self.pid
            )
        })?;
        Ok(ProgramInfo::new(&self.name, &self.source, &compiled))
    }
}

impl Drop for Attached {
    fn drop(&mut self) {
        self.detach();
        // SAFETY: our mappings and descriptor.
        unsafe {
            if !self.map.is_null() {
                libc::munmap(self.map as *mut libc::c_void, self.map_len);
            }
            libc::munmap(self.header as *mut libc::c_void, HEADER_BYTES);
            libc::close(self.fd);
        }
    }
}

/// Why sampling ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// Ctrl-C or SIGTERM to ruff-prof.
    Signalled,
    /// `-d` ran out.
    Duration,
    /// The target exited (or stopped sampling).
    TargetGone,
    /// `top --iterations` reached.
    Done,
}

/// Collects samples into a `RawProfile` (stacks interned).
#[derive(Default)]
pub struct Collector {
    pub raw: RawProfile,
    ids: HashMap<Box<[FrameSample]>, u32>,
}

impl Collector {
    pub fn add(&mut self, frames: &[FrameSample], t_us: u64) {
        if frames.is_empty() {
            return;
        }
        let id = match self.ids.get(frames) {
            Some(&id) => id,
            None => {
                let id = self.raw.stacks.len() as u32;
                let stack: Box<[FrameSample]> = frames.into();
                self.raw.stacks.push(stack.clone());
                self.ids.insert(stack, id);
                id
            }
        };
        self.raw.samples.push((id, t_us));
    }
}

/// Poll the ring until `stop` says so (checked every `tick`), the target
/// goes away, or ruff-prof is signalled; `each(samples so far)` runs every
/// tick.
pub fn pump(
    a: &mut Attached,
    tick: Duration,
    duration: Option<Duration>,
    mut on_sample: impl FnMut(&[FrameSample], u64),
    mut each_tick: impl FnMut() -> bool,
) -> (Ended, u64) {
    let start = Instant::now();
    let mut lost = 0;
    let mut next = start + tick;
    loop {
        a.heartbeat();
        lost += a.read(&mut on_sample);
        if crate::signalled() {
            return (Ended::Signalled, lost);
        }
        if duration.is_some_and(|d| start.elapsed() >= d) {
            return (Ended::Duration, lost);
        }
        if !a.alive() || !a.active() {
            // The last samples it wrote.
            lost += a.read(&mut on_sample);
            return (Ended::TargetGone, lost);
        }
        let now = Instant::now();
        if now >= next {
            next += tick;
            if !each_tick() {
                return (Ended::Done, lost);
            }
        }
        std::thread::sleep(Duration::from_millis(10).min(next.saturating_duration_since(now)));
    }
}
