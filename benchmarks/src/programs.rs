//! The registry of benchmark programs: names, sizes and what each stresses.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::paths;

/// Which input size to run: `full` for timing, `tiny` for tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Tiny,
    Full,
}

impl Size {
    pub fn parse(text: &str) -> Option<Size> {
        match text {
            "tiny" => Some(Size::Tiny),
            "full" => Some(Size::Full),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Size::Tiny => "tiny",
            Size::Full => "full",
        }
    }
}

/// One benchmark, written once per language in its own directory.
#[derive(Debug)]
pub struct Program {
    pub name: &'static str,
    /// What the program exercises, in a few words (shown in the README).
    pub stresses: &'static str,
    /// The size argument `N` at full size; `None` for programs without one.
    pub full: Option<u64>,
    /// The size argument `N` at tiny size.
    pub tiny: Option<u64>,
}

/// Every program, in the order the report lists them.
pub const PROGRAMS: &[Program] = &[
    Program {
        name: "fib",
        stresses: "recursive calls, integer compare and add: fib(32)",
        full: Some(32),
        tiny: Some(15),
    },
    Program {
        name: "fib_iter",
        stresses: "counted loop with add and modulo on locals: 6M steps mod 1,000,000,007",
        full: Some(6_000_000),
        tiny: Some(1_000),
    },
    Program {
        name: "array_sum",
        stresses: "appending to an array, then indexed reads: 3M elements",
        full: Some(3_000_000),
        tiny: Some(1_000),
    },
    Program {
        name: "hash_map",
        stresses: "int-keyed hash map insert then lookup: 2M sparse keys",
        full: Some(2_000_000),
        tiny: Some(1_000),
    },
    Program {
        name: "nested_loops",
        stresses: "loop overhead with integer multiply and modulo: 3000 x 3000",
        full: Some(3_000),
        tiny: Some(30),
    },
    Program {
        name: "while_sum",
        stresses: "a while loop with a compare and two updates: 10M iterations",
        full: Some(10_000_000),
        tiny: Some(1_000),
    },
    Program {
        name: "string_build",
        stresses: "`s = s + \"x\"` (in-place append of a uniquely held string): 1M chars",
        full: Some(1_000_000),
        tiny: Some(1_000),
    },
    Program {
        name: "small_dicts",
        stresses: "allocating a 2-entry string-keyed dict per iteration: 1M dicts",
        full: Some(1_000_000),
        tiny: Some(1_000),
    },
    Program {
        name: "sieve",
        stresses: "sieve of Eratosthenes: strided indexed stores into an array of 2M bools",
        full: Some(2_000_000),
        tiny: Some(1_000),
    },
    Program {
        name: "mandelbrot",
        stresses:
            "float multiply/add in a while loop with a compound condition: 400 x 400, 50 iterations",
        full: Some(400),
        tiny: Some(20),
    },
    Program {
        name: "struct_methods",
        stresses: "method calls reading two fields of the receiver: 2M calls",
        full: Some(2_000_000),
        tiny: Some(1_000),
    },
    Program {
        name: "closures",
        stresses: "calling a closure through a higher-order function: 2M calls",
        full: Some(2_000_000),
        tiny: Some(1_000),
    },
    Program {
        name: "hello",
        stresses: "start-up: launch, print one line, exit",
        full: None,
        tiny: None,
    },
];

impl Program {
    /// The size argument to pass, if the program takes one.
    pub fn size_arg(&self, size: Size) -> Option<u64> {
        match size {
            Size::Tiny => self.tiny,
            Size::Full => self.full,
        }
    }

    pub fn dir(&self) -> PathBuf {
        paths::programs_dir().join(self.name)
    }

    /// The program's source for a language, by file extension (`ruff`, `py`, ...).
    pub fn source(&self, extension: &str) -> PathBuf {
        self.dir().join(format!("bench.{extension}"))
    }

    /// The file holding the expected output (generated from the Python version).
    pub fn expected_path(&self, size: Size) -> PathBuf {
        self.dir().join(format!("expected_{}.txt", size.name()))
    }

    /// `ruff run [FLAGS] bench.ruff [-- N]`: the one place that knows how the
    /// `ruff` command line is shaped (flags such as `--jit=off` go after `run`).
    /// `n` is the size argument, usually `self.size_arg(size)`.
    pub fn ruff_command(&self, ruff: &Path, n: Option<u64>, flags: &[&str]) -> Command {
        let mut command = Command::new(ruff);
        command.arg("run").args(flags).arg(self.source("ruff"));
        if let Some(n) = n {
            command.arg("--").arg(n.to_string());
        }
        command.current_dir(self.dir());
        command
    }

    /// The expected output at `size`, normalized with [`normalize_output`].
    pub fn expected(&self, size: Size) -> std::io::Result<String> {
        std::fs::read_to_string(self.expected_path(size)).map(|text| normalize_output(&text))
    }
}

/// Looks a program up by exact name.
pub fn find(name: &str) -> Option<&'static Program> {
    PROGRAMS.iter().find(|p| p.name == name)
}

/// Output as compared between languages: `\r\n` → `\n`, trailing whitespace
/// on each line and trailing blank lines removed.
pub fn normalize_output(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    lines.join("\n").trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_program_has_all_sources_and_expected_outputs() {
        for program in PROGRAMS {
            for ext in ["ruff", "py", "js", "lua", "c"] {
                assert!(
                    program.source(ext).is_file(),
                    "{} is missing",
                    program.source(ext).display()
                );
            }
            for size in [Size::Tiny, Size::Full] {
                assert!(
                    program.expected(size).is_ok(),
                    "{} is missing",
                    program.expected_path(size).display()
                );
            }
        }
    }

    #[test]
    fn normalize_ignores_line_endings_and_trailing_space() {
        assert_eq!(normalize_output("42 \r\nx\n\n"), "42\nx");
    }
}
