//! The parent side: a `Worker` is one child process (`difftest --worker`)
//! answering requests (see `worker` for the wire format), with a timeout on
//! every request. A child that dies or hangs is killed and the request
//! fails with `Failure`; the next request starts a fresh child. A child is
//! also replaced every `RESTART_EVERY` requests, because compiled code is
//! never freed while a process lives.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::modes::Mode;
use crate::runner::Outcome;
use crate::worker;

const RESTART_EVERY: u32 = 200;

/// Keep this much of a child's stderr for crash reports.
const STDERR_TAIL: usize = 4096;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The child died (signal or exit code, and the end of its stderr).
    Crashed(String),
    TimedOut,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeedStatus {
    Ok,
    /// Some mode differs from `off`.
    Diff,
    /// The generated program does not compile (a generator bug).
    Invalid,
    /// The interpreter itself panicked.
    OffPanic,
}

#[derive(Clone, Debug)]
pub struct SeedReply {
    pub status: SeedStatus,
    pub off_micros: u64,
    pub total_micros: u64,
    pub differing: Vec<Mode>,
}

enum Reply {
    Seed(SeedReply),
    Outcomes(Vec<(Mode, Outcome)>),
}

struct Process {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<Reply>,
    stderr: Arc<Mutex<Vec<u8>>>,
    served: u32,
}

pub struct Worker {
    modes: Vec<Mode>,
    child: Option<Process>,
}

impl Worker {
    /// A worker comparing `modes` with `off` for seed requests (the child
    /// starts on the first request).
    pub fn new(modes: &[Mode]) -> Worker {
        Worker {
            modes: modes.to_vec(),
            child: None,
        }
    }

    /// Generate and check one seed in every mode.
    pub fn seed(&mut self, seed: u64, timeout: Duration) -> Result<SeedReply, Failure> {
        match self.exchange(format!("seed {seed}\n").into_bytes(), timeout)? {
            Reply::Seed(r) => Ok(r),
            Reply::Outcomes(_) => Err(self.fail("unexpected reply")),
        }
    }

    /// Run `source` in each of `modes` (in order).
    pub fn run(
        &mut self,
        source: &str,
        modes: &[Mode],
        timeout: Duration,
    ) -> Result<Vec<(Mode, Outcome)>, Failure> {
        let names: Vec<String> = modes.iter().map(|m| m.name()).collect();
        let mut req = format!("run {} {}\n", names.join(","), source.len()).into_bytes();
        req.extend_from_slice(source.as_bytes());
        match self.exchange(req, timeout)? {
            Reply::Outcomes(o) => Ok(o),
            Reply::Seed(_) => Err(self.fail("unexpected reply")),
        }
    }

    fn exchange(&mut self, request: Vec<u8>, timeout: Duration) -> Result<Reply, Failure> {
        if self
            .child
            .as_ref()
            .is_some_and(|c| c.served >= RESTART_EVERY)
        {
            self.stop();
        }
        if self.child.is_none() {
            self.child = Some(spawn(&self.modes).map_err(|e| Failure::Crashed(e.to_string()))?);
        }
        let c = self.child.as_mut().expect("started");
        c.served += 1;
        if c.stdin
            .write_all(&request)
            .and_then(|_| c.stdin.flush())
            .is_err()
        {
            return Err(self.fail("the worker closed its input"));
        }
        match c.replies.recv_timeout(timeout) {
            Ok(r) => Ok(r),
            Err(RecvTimeoutError::Timeout) => {
                self.stop();
                Err(Failure::TimedOut)
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.fail("")),
        }
    }

    /// The child died or misbehaved: reap it and describe how it ended.
    fn fail(&mut self, what: &str) -> Failure {
        let Some(mut c) = self.child.take() else {
            return Failure::Crashed(what.to_string());
        };
        let status = match c.child.wait_timeout_or_kill() {
            Some(s) => describe(s),
            None => "killed".into(),
        };
        let tail = String::from_utf8_lossy(&c.stderr.lock().expect("stderr")).into_owned();
        let mut msg = status;
        if !what.is_empty() {
            msg = format!("{what}; {msg}");
        }
        if !tail.trim().is_empty() {
            msg.push_str("; stderr: ");
            msg.push_str(tail.trim());
        }
        Failure::Crashed(msg)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.child.kill();
            let _ = c.child.wait();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.stop();
    }
}

trait WaitOrKill {
    fn wait_timeout_or_kill(&mut self) -> Option<std::process::ExitStatus>;
}

impl WaitOrKill for Child {
    /// The child closed its output: it is exiting; give it a moment.
    fn wait_timeout_or_kill(&mut self) -> Option<std::process::ExitStatus> {
        for _ in 0..200 {
            if let Ok(Some(s)) = self.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.kill();
        self.wait().ok()
    }
}

fn describe(s: std::process::ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    if let Some(sig) = s.signal() {
        let name = match sig {
            4 => "SIGILL",
            6 => "SIGABRT",
            7 => "SIGBUS",
            8 => "SIGFPE",
            9 => "SIGKILL",
            11 => "SIGSEGV",
            _ => "signal",
        };
        format!("killed by {name} ({sig})")
    } else {
        format!("exited with code {}", s.code().unwrap_or(-1))
    }
}

fn spawn(modes: &[Mode]) -> std::io::Result<Process> {
    let exe = std::env::current_exe()?;
    let names: Vec<String> = modes.iter().map(|m| m.name()).collect();
    let mut child = Command::new(exe)
        .arg("--worker")
        .arg("--modes")
        .arg(names.join(","))
        .env_remove("RUFF_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdin = child.stdin.take().expect("piped");
    let stdout = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let tail = stderr.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = err.read(&mut buf) {
            if n == 0 {
                break;
            }
            let mut t = tail.lock().expect("stderr");
            t.extend_from_slice(&buf[..n]);
            if t.len() > STDERR_TAIL {
                let cut = t.len() - STDERR_TAIL;
                t.drain(..cut);
            }
        }
    });
    let (tx, replies) = mpsc::channel();
    std::thread::spawn(move || {
        let mut input = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            match input.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let reply = match parse_line(&line, &mut input) {
                Some(r) => r,
                None => return,
            };
            if tx.send(reply).is_err() {
                return;
            }
        }
    });
    Ok(Process {
        child,
        stdin,
        replies,
        stderr,
        served: 0,
    })
}

fn parse_line(line: &str, input: &mut impl BufRead) -> Option<Reply> {
    let w: Vec<&str> = line.split_whitespace().collect();
    match w.as_slice() {
        ["seed", _seed, status, off, total, list] => {
            let status = match *status {
                "ok" => SeedStatus::Ok,
                "diff" => SeedStatus::Diff,
                "invalid" => SeedStatus::Invalid,
                "offpanic" => SeedStatus::OffPanic,
                _ => return None,
            };
            let differing = if *list == "-" {
                Vec::new()
            } else {
                worker::parse_modes(list).ok()?
            };
            Some(Reply::Seed(SeedReply {
                status,
                off_micros: off.parse().ok()?,
                total_micros: total.parse().ok()?,
                differing,
            }))
        }
        ["outcomes", n] => {
            let n: usize = n.parse().ok()?;
            worker::read_outcomes(input, n).ok().map(Reply::Outcomes)
        }
        _ => None,
    }
}
