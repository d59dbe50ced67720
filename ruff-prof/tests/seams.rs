//! The two things ruff-prof needs from ruff-core beyond the shadow stack:
//! every prototype by its `FuncId` (for loop tables) and a line per
//! instruction (what the VM records at calls and back edges).

use ruff_core::driver::compile;

#[test]
fn protos_are_indexed_by_func_id_and_carry_lines() {
    let src = "struct P {\n  x: int,\n  func get(self) {\n    mut i := 0\n    while i < 3 { i += 1 }\n    return self.x\n  }\n}\nfunc outer() {\n  func inner() { for i in 3 { print(i) } }\n  return inner\n}\nprint(P { x: 1 }.get())\nouter()()\n";
    let compiled = compile(src).expect("compiles");
    let protos = compiled.protos();
    assert_eq!(protos.len(), compiled.functions.functions.len());
    for (id, p) in protos.iter().enumerate() {
        let p = p
            .as_ref()
            .unwrap_or_else(|| panic!("no prototype for id {id}"));
        assert_eq!(p.id as usize, id);
        assert_eq!(compiled.functions.functions[id].0, &*p.name);
        assert_eq!(p.lines.len(), p.code.len());
    }
    let named = |n: &str| {
        protos
            .iter()
            .flatten()
            .find(|p| &*p.name == n || p.name.ends_with(&format!(".{n}")))
            .unwrap_or_else(|| panic!("{n}"))
    };
    assert_eq!(named("get").loops.len(), 1);
    assert_eq!(named("inner").loops.len(), 1);
    // The back edge of `get`'s loop records the loop's line.
    let get = named("get");
    let header = get.loops[0].header as usize;
    let back_edge = get
        .code
        .iter()
        .position(|op| matches!(op, ruff_core::bytecode::Op::Loop(t) if *t as usize == header))
        .expect("back edge");
    assert_eq!(get.lines[back_edge], 5);
}

/// ARCHITECTURE.md: only ruff-prof knows inferno; ruff-core must not depend
/// on it (nor on anything that pulls it in).
#[test]
fn ruff_core_does_not_depend_on_inferno() {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ruff-core/Cargo.toml");
    let text = std::fs::read_to_string(manifest).expect("ruff-core/Cargo.toml");
    assert!(
        !text.contains("inferno"),
        "ruff-core must not depend on inferno"
    );
    assert!(
        !text.contains("ruff-prof"),
        "ruff-core must not depend on ruff-prof"
    );
}
