//! `Op::stack_effect` and `Op::jump_target` against what the emitter
//! produces: every function of every corpus program is walked along all of
//! its paths with the stack depth the facts give, which must be the same
//! wherever paths meet, never negative, and one at each `Return`.

use std::path::Path;
use std::rc::Rc;

use ruff_core::bytecode::{FuncProto, Op};

fn corpus(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).expect("corpus folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            corpus(&p, out);
        } else if p.extension().is_some_and(|x| x == "ruff") {
            out.push(p);
        }
    }
}

/// The depth before each instruction, or a description of the first
/// inconsistency.
fn depths(proto: &FuncProto) -> Result<Vec<Option<usize>>, String> {
    let mut at: Vec<Option<usize>> = vec![None; proto.code.len()];
    let mut todo = vec![(0usize, 0usize)];
    while let Some((ip, d)) = todo.pop() {
        match at.get(ip).copied().flatten() {
            Some(seen) if seen == d => continue,
            Some(seen) => return Err(format!("ip {ip}: depth {d} here, {seen} on another path")),
            None => {}
        }
        let op = *proto.code.get(ip).ok_or(format!("ip {ip} past the end"))?;
        at[ip] = Some(d);
        let e = op.stack_effect(proto);
        let after = d
            .checked_sub(e.pops)
            .ok_or(format!("ip {ip}: {op:?} pops {} of {d}", e.pops))?
            + e.pushes;
        if matches!(op, Op::Return) && d != 1 {
            return Err(format!("ip {ip}: Return at depth {d}"));
        }
        if let Some(t) = op.jump_target() {
            // Iterations leave without their item; `??` jumps keeping its value.
            let taken = match op {
                Op::IterNext(..) | Op::RangeNext(..) | Op::JumpIfNotNull(_) => d,
                _ => after,
            };
            todo.push((t, taken));
        }
        if let Some(h) = op.handler() {
            // The handler starts with the error value pushed.
            todo.push((h, d + 1));
        }
        if !op.ends_block() {
            todo.push((ip + 1, after));
        }
    }
    Ok(at)
}

fn all_protos(p: &Rc<FuncProto>, out: &mut Vec<Rc<FuncProto>>) {
    out.push(p.clone());
    for c in &p.protos {
        all_protos(c, out);
    }
}

#[test]
fn stack_effects_agree_with_the_emitter_over_the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/programs");
    let mut files = Vec::new();
    corpus(&root, &mut files);
    let (mut functions, mut failures) = (0, Vec::new());
    for f in &files {
        let src = std::fs::read_to_string(f).expect("readable");
        let Ok(compiled) = ruff_core::driver::compile(&src) else {
            continue;
        };
        let mut protos = Vec::new();
        all_protos(&compiled.main, &mut protos);
        for p in protos {
            functions += 1;
            if let Err(e) = depths(&p) {
                failures.push(format!("{} ({}): {e}", f.display(), p.name));
            }
        }
    }
    assert!(functions > 500, "only {functions} functions walked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
