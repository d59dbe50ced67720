//! Timing one whole process: wall-clock time, peak memory, exit status and
//! output, with a timeout.
//!
//! The child is reaped with `wait4`, whose `rusage` is the child's own, so its
//! `ru_maxrss` is that process's peak resident set size (no delta needed).

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How a measured process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    Code(i32),
    Signal(i32),
    TimedOut,
}

/// One measured run.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub wall: Duration,
    /// Peak resident set size in KiB (`ru_maxrss` on Linux).
    pub max_rss_kib: u64,
    pub exit: Exit,
    pub stdout: String,
    pub stderr: String,
}

impl Measurement {
    pub fn succeeded(&self) -> bool {
        self.exit == Exit::Code(0)
    }
}

/// Runs `command` to completion (stdin closed, stdout and stderr captured)
/// and measures it. The process is killed after `timeout`.
pub fn run_measured(command: &mut Command, timeout: Duration) -> std::io::Result<Measurement> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    let mut stdout_pipe = child.stdout.take().expect("stdout is piped");
    let mut stderr_pipe = child.stderr.take().expect("stderr is piped");

    // `exited` is set (under the lock) once the child has exited but before it
    // is reaped, so the watchdog never signals a recycled pid.
    let exited = Arc::new(Mutex::new(false));
    let (cancel, cancelled) = mpsc::channel::<()>();
    let watchdog = {
        let exited = Arc::clone(&exited);
        std::thread::spawn(move || {
            if cancelled.recv_timeout(timeout).is_err() {
                let exited = exited.lock().unwrap_or_else(|e| e.into_inner());
                if !*exited {
                    // SAFETY: the child is not yet reaped, so `pid` still names it.
                    unsafe { libc::kill(pid, libc::SIGKILL) };
                    return true;
                }
            }
            false
        })
    };
    let stderr_reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = stderr_pipe.read_to_end(&mut bytes);
        bytes
    });
    let mut stdout_bytes = Vec::new();
    let _ = stdout_pipe.read_to_end(&mut stdout_bytes);

    wait_for_exit_without_reaping(pid)?;
    let wall = start.elapsed();
    *exited.lock().unwrap_or_else(|e| e.into_inner()) = true;
    let _ = cancel.send(());
    let timed_out = watchdog.join().unwrap_or(false);

    let (status, rusage) = reap(pid)?;
    let stderr_bytes = stderr_reader.join().unwrap_or_default();
    // `child` is dropped without `wait`: the process is already reaped above.
    drop(child);

    let exit = if timed_out {
        Exit::TimedOut
    } else if libc::WIFEXITED(status) {
        Exit::Code(libc::WEXITSTATUS(status))
    } else if libc::WIFSIGNALED(status) {
        Exit::Signal(libc::WTERMSIG(status))
    } else {
        Exit::Code(-1)
    };
    Ok(Measurement {
        wall,
        max_rss_kib: u64::try_from(rusage.ru_maxrss).unwrap_or(0),
        exit,
        stdout: String::from_utf8_lossy(&stdout_bytes).into_owned(),
        stderr: String::from_utf8_lossy(&stderr_bytes).into_owned(),
    })
}

/// Blocks until `pid` has exited, leaving it a zombie (`WNOWAIT`).
fn wait_for_exit_without_reaping(pid: libc::pid_t) -> std::io::Result<()> {
    loop {
        // SAFETY: `info` is a valid, writable siginfo_t; `pid` is our child.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if rc == 0 {
            return Ok(());
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

/// Reaps the exited child `pid`, returning its wait status and resource usage.
fn reap(pid: libc::pid_t) -> std::io::Result<(libc::c_int, libc::rusage)> {
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: `rusage` is plain data, zero is a valid value for it.
        let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: both out-pointers are valid for writes; `pid` is our child.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut rusage) };
        if rc == pid {
            return Ok((status, rusage));
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_output_and_exit_code() {
        let m = run_measured(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(m.stdout, "out\n");
        assert_eq!(m.stderr, "err\n");
        assert_eq!(m.exit, Exit::Code(3));
        assert!(m.max_rss_kib > 0);
    }

    #[test]
    fn kills_at_timeout() {
        let m = run_measured(
            Command::new("sh").args(["-c", "exec sleep 5"]),
            Duration::from_millis(200),
        )
        .unwrap();
        assert_eq!(m.exit, Exit::TimedOut);
        assert!(m.wall < Duration::from_secs(4));
    }
}
