//! The pipeline as one call each for `ruff check` and `ruff run`, shared by
//! the CLI, the benchmarks and (later) the language server and profiler.

use std::io::Write;
use std::rc::Rc;

use crate::compiler::{self, Compiled};
use crate::diagnostics::{self, Diagnostic};
use crate::runtime::error::RtError;
use crate::runtime::value::ErrorObj;
use crate::runtime::vm::{SourceFile, Unwind, Vm, VmOptions};
use crate::syntax::{self, Span};

/// Exit codes of the `ruff` command (§11).
pub mod exit {
    pub const OK: i32 = 0;
    pub const USAGE: i32 = 2;
    pub const STATIC_ERROR: i32 = 3;
    pub const RUNTIME_ERROR: i32 = 4;
    pub const IO_ERROR: i32 = 5;
    pub const INTERRUPTED: i32 = 130;
}

/// A parsed and resolved file with all its static diagnostics (errors and
/// warnings), sorted by position. The parser itself reports a file larger
/// than `syntax::MAX_SOURCE_BYTES`.
pub struct Analysis {
    pub program: syntax::ast::Program,
    pub resolution: compiler::Resolution,
    pub diagnostics: Vec<Diagnostic>,
}

pub fn analyze(source: &str) -> Analysis {
    let parsed = syntax::parse(source);
    let resolution = compiler::resolve(&parsed.program);
    let mut diagnostics = parsed.errors;
    diagnostics.extend(resolution.diagnostics.iter().cloned());
    diagnostics.sort_by_key(|d| (d.span.start, d.span.end));
    Analysis {
        program: parsed.program,
        resolution,
        diagnostics,
    }
}

/// Every static diagnostic of a file (`ruff check`).
pub fn check(source: &str) -> Vec<Diagnostic> {
    analyze(source).diagnostics
}

/// Compile a file, or return the static errors that stop it from running.
pub fn compile(source: &str) -> Result<Compiled, Vec<Diagnostic>> {
    let a = analyze(source);
    let errors: Vec<Diagnostic> = a
        .diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let lines = syntax::LineIndex::new(source);
    Ok(compiler::emit::emit(&a.program, &a.resolution, &lines))
}

/// How `ruff run` ended.
pub enum RunOutcome {
    Ok,
    /// Static errors: nothing ran.
    StaticErrors(Vec<Diagnostic>),
    /// An uncaught runtime error.
    Error(Rc<ErrorObj>),
    Exit(i32),
    BrokenPipe,
    Interrupted,
}

impl RunOutcome {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunOutcome::Ok | RunOutcome::BrokenPipe => exit::OK,
            RunOutcome::StaticErrors(_) => exit::STATIC_ERROR,
            RunOutcome::Error(_) => exit::RUNTIME_ERROR,
            RunOutcome::Exit(n) => *n,
            RunOutcome::Interrupted => exit::INTERRUPTED,
        }
    }
}

/// Compile and run a program with the given output streams.
pub fn run_source(
    file_name: &str,
    source: &str,
    options: VmOptions,
    out: Box<dyn Write>,
    err: Box<dyn Write>,
) -> RunOutcome {
    let compiled = match compile(source) {
        Ok(c) => c,
        Err(errors) => return RunOutcome::StaticErrors(errors),
    };
    run_compiled(&compiled, file_name, source, options, out, err)
}

pub fn run_compiled(
    compiled: &Compiled,
    file_name: &str,
    source: &str,
    options: VmOptions,
    out: Box<dyn Write>,
    err: Box<dyn Write>,
) -> RunOutcome {
    let file = Rc::new(SourceFile::new(file_name, source));
    let mut vm = Vm::new(compiled, file, options, out, err);
    let result = vm.run_main();
    let _ = vm.flush();
    if vm.options.exit_after_run {
        // Output is flushed (stderr is unbuffered); see `exit_after_run`.
        std::mem::forget(vm);
    }
    match result {
        Ok(()) => RunOutcome::Ok,
        Err(Unwind::Error(e)) => RunOutcome::Error(e),
        Err(Unwind::Fatal(RtError::Exit(n))) => RunOutcome::Exit(n),
        Err(Unwind::Fatal(RtError::Interrupted)) => RunOutcome::Interrupted,
        Err(Unwind::Fatal(RtError::BrokenPipe)) => RunOutcome::BrokenPipe,
        Err(Unwind::Fatal(other)) => RunOutcome::Error(Rc::new(ErrorObj {
            message: Rc::new(other.to_string()),
            line: 0,
            stack: Vec::new(),
            thrown: crate::runtime::value::Value::Null,
            span: Span::default(),
            trace: Vec::new(),
        })),
    }
}

/// The report of an uncaught error: message, location with the source line
/// and a caret, and the Ruff call stack (innermost first, runs of identical
/// frames folded).
pub fn render_runtime_error(file_name: &str, source: &str, e: &ErrorObj) -> String {
    let lines = syntax::LineIndex::new(source);
    let mut out = format!("error: {}\n", e.message);
    if e.line > 0 {
        let (line, col) = lines.line_col(source, e.span.start);
        let text = lines.line_text(source, e.span.start);
        let gutter = line.to_string().len();
        let start_col = col - 1;
        let line_end = lines.line_start(line - 1) as usize + text.len();
        let end = (e.span.end as usize)
            .min(line_end)
            .max(e.span.start as usize);
        let width = source
            .get(e.span.start as usize..end)
            .map_or(1, |s| s.chars().count())
            .max(1);
        let pad: String = text
            .chars()
            .take(start_col)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!("  --> {file_name}:{line}:{col}\n"));
        // Quote the source line unless it is too long to be useful.
        if text.len() <= 1000 {
            out.push_str(&format!("{:gutter$} |\n", ""));
            out.push_str(&format!("{line:>gutter$} | {text}\n"));
            out.push_str(&format!("{:gutter$} | {pad}{}\n", "", "^".repeat(width)));
        }
    }
    if !e.trace.is_empty() {
        out.push_str("stack (innermost first):\n");
        let mut i = 0;
        while i < e.trace.len() {
            let (name, line) = &e.trace[i];
            let mut j = i + 1;
            while j < e.trace.len() && e.trace[j] == e.trace[i] {
                j += 1;
            }
            out.push_str(&format!("  at {name} ({file_name}:{line})\n"));
            let repeats = j - i - 1;
            if repeats > 0 {
                out.push_str(&format!(
                    "  ... {name} ({file_name}:{line}) repeated {} more times\n",
                    thousands(repeats)
                ));
            }
            i = j;
        }
    }
    out
}

/// `9990` → `9,990`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// Render static diagnostics for the terminal.
pub fn render_diagnostics(file_name: &str, source: &str, diags: &[Diagnostic]) -> String {
    diagnostics::render(file_name, source, diags, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(9990), "9,990");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }
}
