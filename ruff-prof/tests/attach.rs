//! Attaching to a running `ruff run` process (issue 25, point 4): the real
//! `ruff` binary runs a long program as a child of the test, and the real
//! `ruff-prof` attaches with `record|top|dump --pid`.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{parse_folded, stderr, total, Scratch};

/// Runs until stopped: `spin` (a native loop once hot) called from a
/// top-level loop.
const FOREVER: &str = "func spin(n) {\n    mut t := 0\n    mut i := 0\n    while i < n {\n        t = t + i % 7\n        i = i + 1\n    }\n    return t\n}\nmut total := 0\nwhile true {\n    total = total + spin(100000)\n}\n";

/// The `ruff` binary beside `ruff-prof` (scripts/test.sh builds both).
fn ruff_bin() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_BIN_EXE_ruff-prof"))
        .parent()
        .expect("bin dir")
        .join("ruff");
    assert!(
        p.exists(),
        "{} is missing: build it with `cargo build --release -p ruff-core --bins`",
        p.display()
    );
    p
}

/// A `ruff run` child, killed when dropped.
struct Target(Child);

impl Target {
    fn start(s: &Scratch, program: &str, extra: &[&str]) -> Target {
        let prog = s.write("forever.ruff", program);
        let mut args = vec!["run"];
        args.extend_from_slice(extra);
        args.push(&prog);
        let child = Command::new(ruff_bin())
            .args(&args)
            .current_dir(&s.0)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn ruff run");
        let t = Target(child);
        // Attachable once its control file exists; hot after a moment.
        let file = format!("/dev/shm/ruff-attach-{}", t.pid());
        let start = Instant::now();
        while !std::path::Path::new(&file).exists() && start.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(300));
        t
    }

    fn pid(&self) -> u32 {
        self.0.id()
    }

    fn running(&mut self) -> bool {
        self.0.try_wait().expect("wait").is_none()
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn prof(args: &[&str], s: &Scratch) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ruff-prof"))
        .args(args)
        .current_dir(&s.0)
        .output()
        .expect("run ruff-prof")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Wait for `child`, killing it after `limit`.
fn wait_or_kill(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(st) = child.try_wait().expect("wait") {
            return st;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("process did not stop");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn record_pid_writes_the_profile_and_the_target_keeps_running() {
    let s = Scratch::new("attach-record");
    let mut t = Target::start(&s, FOREVER, &[]);
    let pid = t.pid().to_string();
    let o = prof(
        &["record", "--pid", &pid, "-d", "1", "-o", "p.collapsed"],
        &s,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let folded = parse_folded(&s.read("p.collapsed"));
    let n = total(&folded);
    assert!(n > 300, "{n} samples in 1 s at 1000 Hz");
    // Every stack is <main> (at its loop) calling spin.
    let in_spin: u64 = folded
        .iter()
        .filter(|(f, _)| {
            f[0].starts_with("<main> (forever.ruff:")
                && f.last()
                    .is_some_and(|l| l.starts_with("spin (forever.ruff:"))
        })
        .map(|(_, c)| c)
        .sum();
    assert!(in_spin * 10 >= n * 9, "{in_spin} of {n}: {folded:?}");
    assert!(stderr(&o).contains("keeps running"), "{}", stderr(&o));
    assert!(t.running(), "the target must survive the profiler");
    // The summary names the function too.
    assert!(
        stderr(&o).contains("spin (forever.ruff:1)"),
        "{}",
        stderr(&o)
    );
    // A flamegraph, as `ruff-prof run` writes one, from a second attach.
    let o = prof(&["record", "-p", &pid, "-d", "0.5", "-o", "p.svg"], &s);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let svg = s.read("p.svg");
    assert!(svg.contains("spin (forever.ruff:"), "flamegraph names spin");
    assert!(t.running());
}

#[test]
fn record_pid_stops_on_sigterm_or_when_the_target_exits() {
    let s = Scratch::new("attach-stop");
    let mut t = Target::start(&s, FOREVER, &[]);
    let pid = t.pid().to_string();
    // SIGTERM to the profiler: it writes the profile; the target runs on.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruff-prof"))
        .args(["record", "--pid", &pid, "-o", "a.collapsed"])
        .current_dir(&s.0)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(800));
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let st = wait_or_kill(&mut child, Duration::from_secs(30));
    assert_eq!(st.code(), Some(0));
    assert!(total(&parse_folded(&s.read("a.collapsed"))) > 0);
    assert!(t.running());
    // The target ends (Ctrl-C) while recorded: the profile is written.
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruff-prof"))
        .args(["record", "--pid", &pid, "-o", "b.collapsed"])
        .current_dir(&s.0)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(800));
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(t.pid() as i32, libc::SIGINT) };
    let code = wait_or_kill(&mut t.0, Duration::from_secs(30)).code();
    assert_eq!(code, Some(130), "Ctrl-C still stops the target");
    let st = wait_or_kill(&mut child, Duration::from_secs(30));
    assert_eq!(st.code(), Some(0));
    assert!(total(&parse_folded(&s.read("b.collapsed"))) > 0);
    assert!(
        !std::path::Path::new(&format!("/dev/shm/ruff-attach-{pid}")).exists(),
        "the control file goes with the target"
    );
}

#[test]
fn dump_prints_the_current_stack_innermost_first() {
    let s = Scratch::new("attach-dump");
    let mut t = Target::start(&s, FOREVER, &[]);
    let pid = t.pid().to_string();
    for _ in 0..2 {
        // Twice: a target can be attached to again after a detach.
        let o = prof(&["dump", "--pid", &pid], &s);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let out = stdout(&o);
        let spin = out.find("spin (forever.ruff:").expect("spin in the dump");
        let main = out
            .find("<main> (forever.ruff:12)")
            .expect("<main> at its call");
        assert!(spin < main, "innermost first:\n{out}");
        assert!(out.contains("total = total + spin(100000)"), "{out}");
    }
    assert!(t.running());
}

#[test]
fn dump_of_an_interpreted_program() {
    let s = Scratch::new("attach-dump-interp");
    let mut t = Target::start(&s, FOREVER, &["--jit", "off"]);
    let o = prof(&["dump", "--pid", &t.pid().to_string()], &s);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("spin (forever.ruff:"), "{out}");
    assert!(out.contains("[interpreted]"), "{out}");
    assert!(t.running());
}

#[test]
fn top_refreshes_every_interval() {
    let s = Scratch::new("attach-top");
    let mut t = Target::start(&s, FOREVER, &[]);
    let o = prof(
        &[
            "top",
            "--pid",
            &t.pid().to_string(),
            "--interval",
            "0.3",
            "-n",
            "3",
        ],
        &s,
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    for k in 1..=3 {
        assert!(out.contains(&format!("refresh {k} ")), "{out}");
    }
    assert!(!out.contains("refresh 4 "), "{out}");
    // Not a terminal: no screen clearing, blocks one after the other.
    assert!(!out.contains("\x1b[2J"));
    let last = &out[out.rfind("refresh 3").expect("3rd")..];
    let row = last
        .lines()
        .find(|l| l.contains("spin (forever.ruff:1)"))
        .unwrap_or_else(|| panic!("spin row:\n{last}"));
    let own: f64 = row
        .split('%')
        .next()
        .expect("%Own")
        .trim()
        .parse()
        .expect("a number");
    assert!(own > 80.0, "{row}");
    assert!(t.running());
}

#[test]
fn top_in_a_terminal_redraws_the_screen() {
    let s = Scratch::new("attach-top-pty");
    let mut t = Target::start(&s, FOREVER, &[]);
    // SAFETY: openpty fills two descriptors.
    let (master, slave) = unsafe {
        let (mut m, mut sl) = (0, 0);
        let r = libc::openpty(
            &mut m,
            &mut sl,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        );
        assert_eq!(r, 0, "openpty");
        // Children other tests spawn meanwhile must not keep the terminal
        // open; reads stop when it is drained.
        libc::fcntl(m, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(sl, libc::F_SETFD, libc::FD_CLOEXEC);
        libc::fcntl(m, libc::F_SETFL, libc::O_NONBLOCK);
        (m, sl)
    };
    use std::os::fd::FromRawFd;
    // SAFETY: fresh descriptors we own.
    let out = unsafe { std::fs::File::from_raw_fd(slave) };
    let mut child = Command::new(env!("CARGO_BIN_EXE_ruff-prof"))
        .args([
            "top",
            "--pid",
            &t.pid().to_string(),
            "--interval",
            "0.3",
            "-n",
            "2",
        ])
        .current_dir(&s.0)
        .stdout(out)
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let st = wait_or_kill(&mut child, Duration::from_secs(30));
    assert_eq!(st.code(), Some(0));
    // The child has exited, so all its output is in the pty: read until
    // it is drained.
    let mut bytes = Vec::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        // SAFETY: reading into our buffer.
        let n = unsafe { libc::read(master, buf.as_mut_ptr().cast(), buf.len()) };
        if n <= 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n as usize]);
    }
    // SAFETY: our descriptor.
    unsafe { libc::close(master) };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert_eq!(text.matches("\x1b[H\x1b[2J").count(), 2, "{text:?}");
    assert!(text.contains("spin (forever.ruff:1)"), "{text:?}");
    assert!(t.running());
}

#[test]
fn clear_errors_when_attach_cannot_work() {
    let s = Scratch::new("attach-errors");
    // No such process.
    let mut gone = Command::new("true").spawn().expect("true");
    let dead = gone.id().to_string();
    gone.wait().expect("wait");
    let o = prof(&["dump", "--pid", &dead], &s);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains(&format!("no process with pid {dead}")),
        "{}",
        stderr(&o)
    );
    // Not a ruff process.
    let mut sleeper = Command::new("sleep").arg("30").spawn().expect("sleep");
    let o = prof(
        &["record", "--pid", &sleeper.id().to_string(), "-d", "1"],
        &s,
    );
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("(sleep) is not a ruff process"),
        "{}",
        stderr(&o)
    );
    // A ruff started with attaching turned off: the setting is named.
    let prog = s.write("forever.ruff", FOREVER);
    let mut off = Command::new(ruff_bin())
        .args(["run", &prog])
        .env("RUFF_NO_ATTACH", "1")
        .stdout(Stdio::null())
        .spawn()
        .expect("ruff");
    std::thread::sleep(Duration::from_millis(300));
    let o = prof(&["top", "--pid", &off.id().to_string(), "-n", "1"], &s);
    let _ = off.kill();
    let _ = off.wait();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("RUFF_NO_ATTACH=1"), "{}", stderr(&o));
    // FILE and --pid exclude each other; FILE is optional with --pid only.
    let o = prof(&["record", "-o", "x.svg"], &s);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_second_profiler_is_refused_while_one_is_attached() {
    let s = Scratch::new("attach-busy");
    let mut t = Target::start(&s, FOREVER, &[]);
    let pid = t.pid().to_string();
    let mut first = Command::new(env!("CARGO_BIN_EXE_ruff-prof"))
        .args(["record", "--pid", &pid, "-d", "3", "-o", "a.collapsed"])
        .current_dir(&s.0)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(800));
    let o = prof(&["dump", "--pid", &pid], &s);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("already being profiled"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        wait_or_kill(&mut first, Duration::from_secs(30)).code(),
        Some(0)
    );
    assert!(t.running());
}

/// Another user's process: the control file is 0600, and the message
/// says that ptrace_scope is not the issue. Needs root (to start the
/// profiler as another user); skipped otherwise.
#[test]
fn another_users_process_is_refused_with_the_reason() {
    // SAFETY: getuid cannot fail.
    if unsafe { libc::getuid() } != 0 {
        eprintln!("skipped: needs root to run ruff-prof as another user");
        return;
    }
    let s = Scratch::new("attach-other-user");
    let mut t = Target::start(&s, FOREVER, &[]);
    use std::os::unix::process::CommandExt;
    let o = Command::new(env!("CARGO_BIN_EXE_ruff-prof"))
        .args(["dump", "--pid", &t.pid().to_string()])
        .current_dir("/")
        .uid(65534)
        .gid(65534)
        .output()
        .expect("run ruff-prof as nobody");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("belongs to another user"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("ptrace_scope"), "{}", stderr(&o));
    assert!(t.running());
}
