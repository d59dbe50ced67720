//! The shadow stack a profiler samples must mirror the Ruff call stack:
//! balanced across calls, builtins, caught errors and nested runs (builtins
//! calling back into Ruff), and readable from another thread while running.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ruff_core::driver::{compile, run_compiled, RunOutcome};
use ruff_core::runtime::shadow::{ShadowStack, Tier};
use ruff_core::runtime::vm::VmOptions;

fn run_with(src: &str, shadow: Arc<ShadowStack>) -> RunOutcome {
    let compiled = compile(src).expect("compiles");
    let options = VmOptions {
        shadow: Some(shadow),
        ..VmOptions::default()
    };
    run_compiled(
        &compiled,
        "t.ruff",
        src,
        options,
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    )
}

#[test]
fn balanced_after_calls_builtins_errors_and_callbacks() {
    let src = r#"
func f(n) { if n == 0 { throw("bottom") } return f(n - 1) }
func g(x) { return x * 2 }
try { f(50) } except e { print(e.message) }
print(map([1, 2, 3], g))
try { map([1, 2], func(x) { return 1 / 0 }) } except e { print(e.message) }
try { push(1, 2) } except e { print(e.message) }
"#;
    let shadow = Arc::new(ShadowStack::new(1024));
    assert!(matches!(run_with(src, shadow.clone()), RunOutcome::Ok));
    // Only the top-level frame's entry remains (it is not popped by a return).
    assert!(shadow.depth() <= 1, "depth {}", shadow.depth());
}

#[test]
fn a_sampler_thread_sees_the_running_function() {
    let src = "func spin(n) {\n  mut i := 0\n  mut t := 0\n  while i < n {\n    t += i\n    i += 1\n  }\n  return t\n}\nprint(spin(30000000))\n";
    let compiled = compile(src).expect("compiles");
    let spin_id = compiled
        .functions
        .functions
        .iter()
        .position(|(name, _)| name == "spin")
        .expect("spin is in the function table") as u32;
    let shadow = Arc::new(ShadowStack::new(1024));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (shadow, done) = (shadow.clone(), done.clone());
        std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut frames = Vec::new();
            while !done.load(Ordering::Relaxed) {
                shadow.sample(&mut frames);
                seen.extend(frames.last().copied());
                std::thread::yield_now();
            }
            seen
        })
    };
    let options = VmOptions {
        shadow: Some(shadow),
        ..VmOptions::default()
    };
    let outcome = run_compiled(
        &compiled,
        "t.ruff",
        src,
        options,
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    done.store(true, Ordering::Relaxed);
    let seen = sampler.join().expect("sampler thread");
    assert!(matches!(outcome, RunOutcome::Ok));
    let in_spin: Vec<_> = seen.iter().filter(|f| f.func == spin_id).collect();
    // (30M iterations: long enough, even natively, for a sampler thread on
    // a busy machine to be scheduled while `spin` runs.)
    assert!(!in_spin.is_empty(), "no sample saw `spin`");
    // Back edges record the loop's line (4..=6 in the source above). The
    // hot loop runs natively once the JIT enters it by OSR; while the JIT
    // compiles it, a `jit-compiler` frame named after `spin` at the loop's
    // header line is on top.
    assert!(in_spin.iter().all(|f| match f.tier {
        Tier::Interpreted | Tier::Native => (1..=9).contains(&f.line),
        Tier::Compiler => f.line == 4,
        // Builtins, and the kinds only a sampler that reads the program
        // counter adds (never the VM).
        Tier::Runtime | Tier::Helper | Tier::System => false,
    }));
}

/// Printed lines, each with the stack as (function, tier, line) frames.
type Seen = Vec<(String, Vec<(String, Tier, u32)>)>;

/// What `print` saw: each line the program printed, with the shadow stack
/// at that moment (the `print` builtin's own runtime frame on top). The
/// writer runs on the VM thread, so the snapshots are exact, not sampled.
struct Probe {
    shadow: Arc<ShadowStack>,
    seen: std::rc::Rc<std::cell::RefCell<Seen>>,
    names: Vec<String>,
    line: Vec<u8>,
}

impl std::io::Write for Probe {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            if b == b'\n' {
                let mut frames = Vec::new();
                self.shadow.sample(&mut frames);
                let stack = frames
                    .iter()
                    .map(|f| {
                        let name = self
                            .names
                            .get(f.func as usize)
                            .filter(|_| f.tier != Tier::Runtime)
                            .cloned()
                            .unwrap_or_else(|| "<builtin>".into());
                        (name, f.tier, f.line)
                    })
                    .collect();
                let text = String::from_utf8_lossy(&self.line).into_owned();
                self.seen.borrow_mut().push((text, stack));
                self.line.clear();
            } else {
                self.line.push(b);
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Run `src` with a shadow stack, returning every printed line with the
/// stack at that point, the final depth and the outcome.
fn probe(src: &str, options: VmOptions) -> (Seen, usize, RunOutcome) {
    let compiled = compile(src).expect("compiles");
    let names: Vec<String> = compiled
        .functions
        .functions
        .iter()
        .map(|(n, _)| n.clone())
        .collect();
    let shadow = Arc::new(ShadowStack::new(256));
    let seen = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let out = Probe {
        shadow: shadow.clone(),
        seen: seen.clone(),
        names,
        line: Vec::new(),
    };
    let options = VmOptions {
        shadow: Some(shadow.clone()),
        ..options
    };
    let outcome = run_compiled(
        &compiled,
        "t.ruff",
        src,
        options,
        Box::new(out),
        Box::new(std::io::sink()),
    );
    let seen = seen.borrow().clone();
    (seen, shadow.depth(), outcome)
}

/// The stacks printed with text `what`, as `name:tier:line` strings.
fn stacks_at(seen: &Seen, what: &str) -> Vec<Vec<String>> {
    seen.iter()
        .filter(|(t, _)| t == what)
        .map(|(_, s)| {
            s.iter()
                .map(|(n, t, l)| format!("{n}:{}:{l}", t.name()))
                .collect()
        })
        .collect()
}

fn jit(mode: ruff_core::jit::JitMode, threshold: Option<u32>) -> VmOptions {
    VmOptions {
        jit: mode,
        jit_threshold: threshold,
        max_depth: 200,
        ..VmOptions::default()
    }
}

/// Native recursion is on the shadow stack at its real depth, each frame
/// at the line of the call it is in; after errors thrown in native code and
/// caught by an interpreted `try` (a `throw`, and `Stack overflow` in
/// native recursion) the depth is back to the catching frame's.
#[test]
fn native_frames_at_their_real_depth_and_after_caught_errors() {
    use ruff_core::jit::JitMode;
    let src = "\
func down(n) {
    if n == 0 {
        print(\"bottom\")
        return 0
    }
    return down(n - 1) + 1
}
func fail(n) {
    if n == 0 { throw(\"deep\") }
    return fail(n - 1) + 1
}
func forever(n) {
    return forever(n + 1) + 1
}
down(3)
try { fail(5) } except e { print(\"caught \" + e.message) }
try { forever(0) } except e { print(\"caught \" + e.message) }
print(\"end\")
";
    let (seen, depth, outcome) = probe(src, jit(JitMode::Always, None));
    assert!(matches!(outcome, RunOutcome::Ok), "{seen:?}");
    let main = "<main>:interpreted";
    assert_eq!(
        stacks_at(&seen, "bottom"),
        [[
            format!("{main}:15"),
            "down:native:6".into(),
            "down:native:6".into(),
            "down:native:6".into(),
            "down:native:3".into(),
            "<builtin>:runtime:0".into(),
        ]]
    );
    assert_eq!(
        stacks_at(&seen, "caught deep"),
        [[format!("{main}:16"), "<builtin>:runtime:0".into()]]
    );
    assert_eq!(
        stacks_at(&seen, "caught Stack overflow"),
        [[format!("{main}:17"), "<builtin>:runtime:0".into()]]
    );
    assert_eq!(
        stacks_at(&seen, "end"),
        [[format!("{main}:18"), "<builtin>:runtime:0".into()]]
    );
    assert!(depth <= 1, "depth {depth}");

    // The interpreter alone gives the same stacks, tier aside.
    let (plain, _, _) = probe(src, jit(JitMode::Off, None));
    let untiered = |s: &Seen| -> Vec<(String, Vec<(String, u32)>)> {
        s.iter()
            .map(|(t, st)| (t.clone(), st.iter().map(|f| (f.0.clone(), f.2)).collect()))
            .collect()
    };
    assert_eq!(untiered(&seen), untiered(&plain));
}

/// A failed type guard in a native function continues it in the
/// interpreter: the same shadow entry becomes an interpreted frame, and the
/// depth is right inside it and after it returns.
#[test]
fn a_guard_exit_turns_the_native_frame_interpreted() {
    use ruff_core::jit::JitMode;
    let src = "\
func h(a) {
    x := a[0] + 1
    print(\"in h\")
    return x
}
mut i := 0
while i < 4 {
    h([i])
    i += 1
}
print(\"float\")
h([1.5])
print(\"end\")
";
    // Compiled at the third call, after two calls recorded int feedback.
    let (seen, depth, outcome) = probe(src, jit(JitMode::On, Some(3)));
    assert!(matches!(outcome, RunOutcome::Ok), "{seen:?}");
    let in_h = stacks_at(&seen, "in h");
    assert_eq!(in_h.len(), 5, "{in_h:?}");
    let h_frames: Vec<&str> = in_h.iter().map(|s| s[1].as_str()).collect();
    assert!(in_h.iter().all(|s| s.len() == 3), "{in_h:?}");
    assert_eq!(
        h_frames,
        [
            "h:interpreted:3",
            "h:interpreted:3",
            "h:native:3",
            "h:native:3",
            // The guard on `a[0] + 1` failed (a float): the interpreter
            // finished the call in the same frame.
            "h:interpreted:3",
        ]
    );
    assert_eq!(stacks_at(&seen, "end")[0].len(), 2);
    assert!(depth <= 1, "depth {depth}");
}

/// With a profiler attached the JIT emits different code (shadow-stack
/// pushes, restores and line stores). Every corpus program must still
/// print exactly what the interpreter prints, with everything compiled at
/// once and forced guard exits, and leave the shadow stack balanced.
#[test]
fn corpus_with_a_shadow_stack_matches_the_interpreter() {
    use ruff_core::jit::{JitMode, JitTools};
    use std::path::{Path, PathBuf};
    fn find(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                find(&p, out);
            } else if p.extension().is_some_and(|x| x == "ruff") {
                out.push(p);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/programs");
    let mut programs = Vec::new();
    find(&root, &mut programs);
    programs.sort();
    // Programs that read stdin or files, or the clock, are left out.
    let programs: Vec<(PathBuf, String)> = programs
        .into_iter()
        .filter_map(|p| {
            let src = std::fs::read_to_string(&p).ok()?;
            let skip = [
                "input(",
                "read_file",
                "write_file",
                "now()",
                "clock()",
                "performance_now",
            ];
            let plain =
                !skip.iter().any(|s| src.contains(s)) && !p.with_extension("stdin").exists();
            plain.then_some((p, src))
        })
        .collect();
    assert!(programs.len() > 50, "{} programs", programs.len());
    // Native recursion uses the machine stack: a big one, as `ruff run` has.
    let failures = std::thread::Builder::new()
        .stack_size(512 << 20)
        .spawn(move || {
            let mut failures = Vec::new();
            for (i, (path, src)) in programs.iter().enumerate() {
                let Ok(compiled) = compile(src) else { continue };
                let args: Vec<String> = std::fs::read_to_string(path.with_extension("args"))
                    .map(|s| s.lines().map(str::to_string).collect())
                    .unwrap_or_default();
                let run = |options: VmOptions| {
                    let out = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
                    let outcome = run_compiled(
                        &compiled,
                        "t.ruff",
                        src,
                        VmOptions {
                            args: args.clone(),
                            ..options
                        },
                        Box::new(Shared(out.clone())),
                        Box::new(std::io::sink()),
                    );
                    let text = String::from_utf8_lossy(&out.borrow()).into_owned();
                    let outcome = match outcome {
                        RunOutcome::Ok => "ok".to_string(),
                        RunOutcome::Error(e) => format!("error {} at {}", e.message, e.line),
                        RunOutcome::Exit(n) => format!("exit {n}"),
                        other => format!("{:?}", std::mem::discriminant(&other)),
                    };
                    (text, outcome)
                };
                let expected = run(VmOptions {
                    jit: JitMode::Off,
                    ..VmOptions::default()
                });
                let shadow = Arc::new(ShadowStack::new(1024));
                let got = run(VmOptions {
                    jit: JitMode::Always,
                    jit_tools: JitTools {
                        stress_exits: (i % 5) as u32 + 1,
                        ..JitTools::default()
                    },
                    shadow: Some(shadow.clone()),
                    ..VmOptions::default()
                });
                let balanced = got.1 != "ok" || shadow.depth() <= 1;
                if got != expected || !balanced {
                    failures.push(format!(
                        "{}: depth {} {:?} vs {:?}",
                        path.display(),
                        shadow.depth(),
                        got.1,
                        expected.1
                    ));
                }
            }
            failures
        })
        .expect("thread")
        .join()
        .expect("runs");
    assert!(failures.is_empty(), "{failures:#?}");
}

struct Shared(std::rc::Rc<std::cell::RefCell<Vec<u8>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
