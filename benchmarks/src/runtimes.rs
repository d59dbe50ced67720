//! The runtimes a program can run under: detection, versions, and the command
//! line for one program.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use benchmarks::programs::{Program, Size};

/// The columns of the report, in order. CPython is the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RuntimeId {
    CPython,
    /// The interpreter `python3` resolves to, run directly: on machines
    /// where `python3` is a wrapper script (pyenv's shim), this shows how
    /// much of CPython's time is the wrapper's.
    CPythonBinary,
    Ruff,
    RuffJitOff,
    Node,
    LuaJit,
    Lua,
    C,
}

impl RuntimeId {
    pub const ALL: [RuntimeId; 8] = [
        RuntimeId::CPython,
        RuntimeId::CPythonBinary,
        RuntimeId::Ruff,
        RuntimeId::RuffJitOff,
        RuntimeId::Node,
        RuntimeId::LuaJit,
        RuntimeId::Lua,
        RuntimeId::C,
    ];

    /// Stable identifier used in the JSON output.
    pub fn key(self) -> &'static str {
        match self {
            RuntimeId::CPython => "cpython",
            RuntimeId::CPythonBinary => "cpython_binary",
            RuntimeId::Ruff => "ruff",
            RuntimeId::RuffJitOff => "ruff_jit_off",
            RuntimeId::Node => "node",
            RuntimeId::LuaJit => "luajit",
            RuntimeId::Lua => "lua",
            RuntimeId::C => "c",
        }
    }

    /// The extension of this runtime's source files.
    pub fn extension(self) -> &'static str {
        match self {
            RuntimeId::CPython | RuntimeId::CPythonBinary => "py",
            RuntimeId::Ruff | RuntimeId::RuffJitOff => "ruff",
            RuntimeId::Node => "js",
            RuntimeId::LuaJit | RuntimeId::Lua => "lua",
            RuntimeId::C => "c",
        }
    }
}

/// A runtime found on this machine (or the reason it is not usable).
#[derive(Debug)]
pub struct Runtime {
    pub id: RuntimeId,
    /// Column header, e.g. `Lua 5.4`.
    pub label: String,
    /// Version text, e.g. `Python 3.11.7`.
    pub version: String,
    /// The executable: interpreter, `ruff`, or `gcc` for C.
    pub exe: PathBuf,
    /// `Err(reason)` when the runtime is missing or could not be prepared.
    pub available: Result<(), String>,
}

impl Runtime {
    pub fn is_available(&self) -> bool {
        self.available.is_ok()
    }

    /// The command that runs `program` at `size` under this runtime. C runs
    /// the binary compiled by [`compile_c`] into `c_bin_dir`.
    pub fn command(&self, program: &Program, size: Size, c_bin_dir: &Path) -> Command {
        let n = program.size_arg(size);
        let mut command = match self.id {
            RuntimeId::Ruff => return program.ruff_command(&self.exe, n, &[]),
            RuntimeId::RuffJitOff => return program.ruff_command(&self.exe, n, &["--jit=off"]),
            RuntimeId::C => Command::new(c_bin_dir.join(program.name)),
            _ => {
                let mut command = Command::new(&self.exe);
                command.arg(program.source(self.id.extension()));
                command
            }
        };
        command.args(n.map(|n| n.to_string()));
        command.current_dir(program.dir());
        command
    }
}

/// Finds every runtime. `ruff` is the path of the Ruff binary (built by the
/// runner), or the reason there is none.
pub fn detect(ruff: Result<PathBuf, String>) -> Vec<Runtime> {
    RuntimeId::ALL
        .iter()
        .map(|&id| match id {
            RuntimeId::CPython => probe(id, "CPython", &["python3"], &["--version"]),
            RuntimeId::CPythonBinary => detect_python_binary(),
            RuntimeId::Node => {
                probe(id, "Node", &["node"], &["--version"]).map_version(|v| format!("Node {v}"))
            }
            RuntimeId::LuaJit => {
                probe(id, "LuaJIT", &["luajit"], &["-v"]).map_version(first_two_words)
            }
            RuntimeId::Lua => detect_lua(),
            RuntimeId::C => probe(id, "C (gcc -O2)", &["gcc"], &["-dumpfullversion"])
                .map_version(|v| format!("gcc {v}")),
            RuntimeId::Ruff | RuntimeId::RuffJitOff => {
                let label = if id == RuntimeId::Ruff {
                    "Ruff"
                } else {
                    "Ruff (jit=off)"
                };
                match &ruff {
                    Ok(exe) => Runtime {
                        id,
                        label: label.to_string(),
                        version: ruff_version(exe),
                        exe: exe.clone(),
                        available: Ok(()),
                    },
                    Err(reason) => Runtime {
                        id,
                        label: label.to_string(),
                        version: String::new(),
                        exe: PathBuf::from("ruff"),
                        available: Err(reason.clone()),
                    },
                }
            }
        })
        .collect()
}

impl Runtime {
    fn map_version(mut self, f: impl FnOnce(&str) -> String) -> Runtime {
        if self.is_available() {
            self.version = f(&self.version);
        }
        self
    }
}

/// Tries each candidate executable with `version_args`; the first that runs
/// successfully is the runtime, and the first line of its output its version.
fn probe(id: RuntimeId, label: &str, candidates: &[&str], version_args: &[&str]) -> Runtime {
    for exe in candidates {
        if let Some(version) = version_of(exe, version_args) {
            return Runtime {
                id,
                label: label.to_string(),
                version,
                exe: PathBuf::from(exe),
                available: Ok(()),
            };
        }
    }
    Runtime {
        id,
        label: label.to_string(),
        version: String::new(),
        exe: PathBuf::from(candidates[0]),
        available: Err(format!("not found (tried: {})", candidates.join(", "))),
    }
}

/// The executable `python3` runs (`sys.executable`), when that is not
/// `python3` itself (i.e. `python3` is a wrapper).
fn detect_python_binary() -> Runtime {
    let id = RuntimeId::CPythonBinary;
    let label = "CPython (binary)".to_string();
    let found = version_of("python3", &["-c", "import sys; print(sys.executable)"])
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let wrapper = Command::new("sh")
        .args(["-c", "command -v python3"])
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    match found {
        Some(exe)
            if wrapper.as_deref().is_some_and(|w| {
                std::fs::canonicalize(w).ok() != std::fs::canonicalize(&exe).ok()
            }) =>
        {
            Runtime {
                id,
                label,
                version: version_of(&exe, &["--version"]).unwrap_or_default(),
                exe,
                available: Ok(()),
            }
        }
        _ => Runtime {
            id,
            label,
            version: String::new(),
            exe: PathBuf::from("python3"),
            available: Err("python3 is the interpreter itself (no wrapper)".to_string()),
        },
    }
}

/// PUC Lua: `lua5.4` first, then a `lua` that is not LuaJIT. The column is
/// labelled with the version found.
fn detect_lua() -> Runtime {
    for exe in ["lua5.4", "lua"] {
        if let Some(version) = version_of(exe, &["-v"]) {
            if version.starts_with("Lua ") {
                let version = first_two_words(&version);
                let label = version
                    .rsplit_once('.')
                    .map(|(major_minor, _)| major_minor.to_string())
                    .unwrap_or_else(|| version.clone());
                return Runtime {
                    id: RuntimeId::Lua,
                    label,
                    version,
                    exe: PathBuf::from(exe),
                    available: Ok(()),
                };
            }
        }
    }
    Runtime {
        id: RuntimeId::Lua,
        label: "Lua 5.4".to_string(),
        version: String::new(),
        exe: PathBuf::from("lua5.4"),
        available: Err("not found (tried: lua5.4, lua)".to_string()),
    }
}

fn version_of(exe: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Option<String> {
    let output = Command::new(exe)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    // Some runtimes print their version on stderr (older Python, Lua).
    let text = if output.stdout.is_empty() {
        output.stderr
    } else {
        output.stdout
    };
    let text = String::from_utf8_lossy(&text);
    Some(text.lines().next().unwrap_or("").trim().to_string())
}

fn first_two_words(text: &str) -> String {
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `ruff --version` if it answers, plus the workspace's git commit.
fn ruff_version(exe: &Path) -> String {
    let version = version_of(exe, &["--version"])
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| format!("ruff {}", env!("CARGO_PKG_VERSION")));
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(benchmarks::paths::workspace_root())
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match commit {
        Some(commit) if !commit.is_empty() => format!("{version} (git {commit})"),
        _ => version,
    }
}

/// Compiles each program's C version with `gcc -O2` into `out_dir`. Returns
/// the programs that failed to compile, with gcc's message.
pub fn compile_c(gcc: &Path, programs: &[&Program], out_dir: &Path) -> Vec<(String, String)> {
    let mut failures = Vec::new();
    if let Err(e) = std::fs::create_dir_all(out_dir) {
        for program in programs {
            failures.push((
                program.name.to_string(),
                format!("cannot create {}: {e}", out_dir.display()),
            ));
        }
        return failures;
    }
    for program in programs {
        let output = Command::new(gcc)
            .arg("-O2")
            .arg("-o")
            .arg(out_dir.join(program.name))
            .arg(program.source("c"))
            .stdin(Stdio::null())
            .output();
        match output {
            Ok(o) if o.status.success() => {}
            Ok(o) => failures.push((
                program.name.to_string(),
                String::from_utf8_lossy(&o.stderr).into_owned(),
            )),
            Err(e) => failures.push((program.name.to_string(), e.to_string())),
        }
    }
    failures
}
