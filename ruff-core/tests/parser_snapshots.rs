//! Snapshot tests: the Debug tree of representative programs, and the
//! rendered diagnostics (with their ranges) of broken ones. Review changes
//! with `cargo insta review` or `INSTA_UPDATE=always cargo test`.

use crate::parser_util;

use ruff_core::diagnostics::render;
use ruff_core::syntax::parse;

/// Snapshot of the full Debug tree; the program must parse cleanly.
fn ast(name: &str, src: &str) {
    let parsed = parse(src);
    assert!(parsed.errors.is_empty(), "{name}: {:#?}", parsed.errors);
    parser_util::check_spans(src, &parsed);
    insta::assert_snapshot!(name, format!("{src}\n---\n{:#?}", parsed.program));
}

/// Snapshot of the source, the rendered diagnostics and the recovered tree.
fn errors(name: &str, src: &str) {
    let parsed = parse(src);
    assert!(!parsed.errors.is_empty(), "{name}: expected errors");
    parser_util::check_spans(src, &parsed);
    let rendered = render("broken.ruff", src, &parsed.errors, false);
    let tree = parser_util::program(&parsed.program);
    insta::assert_snapshot!(
        name,
        format!("{src}\n--- diagnostics\n{rendered}--- recovered tree\n{tree}")
    );
}

#[test]
fn ast_hello() {
    ast("ast_hello", "print(\"Hello, world!\")\n");
}

#[test]
fn ast_fib() {
    ast(
        "ast_fib",
        "func fib(n) {\n    if n < 2 { return n }\n    return fib(n - 1) + fib(n - 2)\n}\nprint(fib(20))\n",
    );
}

#[test]
fn ast_bindings() {
    ast(
        "ast_bindings",
        "let a := 1\nmut b := -2\nconst C := 3.5\nc := 4\nb = b + 1\nb += 1; b %= 3\n\
         let [x, [y], ...rest] := [1, [2], 3, 4]\nlet {name, age} := person\n",
    );
}

#[test]
fn ast_loops() {
    ast(
        "ast_loops",
        "mut i := 0\nwhile i < 10 {\n    i += 1\n    if i % 2 == 0 { continue }\n}\n\
         loop { break }\nfor [k, v] in items(d) { print(k, v) }\nfor ch in \"hé\" { }\n",
    );
}

#[test]
fn ast_structs() {
    ast(
        "ast_structs",
        "struct Point {\n    x: float,\n    y: float = 0.0\n    func norm2(self) -> float {\n        \
         return self.x * self.x + self.y * self.y\n    }\n}\n\
         mut p := Point { x: 3.0, y: 4.0 }\np.x := 1.0\nprint(p.norm2())\n",
    );
}

#[test]
fn ast_enums_and_match() {
    ast(
        "ast_enums_and_match",
        "enum Shape { Circle, Square }\ns := Shape::Circle(2.0)\nmatch s {\n    \
         case Shape::Circle(r): { print(\"circle\", r) }\n    case Shape::Square: print(\"square\")\n    \
         case Ok(v) if v > 3 { }\n    case None\n        print(\"none\")\n    case -1: { }\n    \
         case \"s\" { }\n    case other: { }\n    case _: { }\n}\n",
    );
}

#[test]
fn ast_errors_flow() {
    ast(
        "ast_errors_flow",
        "try {\n    throw(\"bad input\")\n} except err {\n    print(\"caught:\", err.message)\n}\n\
         try { risky() } except { }\n",
    );
}

#[test]
fn ast_closures_and_pipes() {
    ast(
        "ast_closures_and_pipes",
        "let twice := func(f, x) { return f(f(x)) }\n\
         total := [1, 2, 3]\n    |> map(func(x) { return x * 2 })\n    |> sum\n",
    );
}

#[test]
fn ast_collections() {
    ast(
        "ast_collections",
        "a := [...xs, 4,]\nd := {\"k\": 1, 2: \"two\", key: v, ...base}\n\
         print(a[-1], d[\"k\"], user?.address.city ?? \"none\")\n",
    );
}

#[test]
fn ast_interpolation() {
    ast(
        "ast_interpolation",
        "print(\"sum: ${a + b}, key: ${d[\"k\"]}, nested: ${ \"<${x}>\" }, dict: ${ {\"a\": 1}[\"a\"] }\")\n",
    );
}

#[test]
fn ast_docs_and_types() {
    ast(
        "ast_docs_and_types",
        "/// Adds two numbers.\n/// Returns a float.\nfunc typed(a: int, b: float) -> float {\n    \
         return a + b\n}\n/// Colours.\nenum Color { Red, Green }\n",
    );
}

#[test]
fn ast_newlines() {
    ast(
        "ast_newlines",
        "x := a +\n    b\nf\n(g)\nys := xs\n    .map(h)\nn := 1\n-2\nreturn\nvalue\n",
    );
}

#[test]
fn err_unclosed_call() {
    errors("err_unclosed_call", "print(\"a\", 1\nx := 2\n");
}

#[test]
fn err_several_in_one_file() {
    errors(
        "err_several_in_one_file",
        "a := 1 +\nb := (2\nprint(\"ok\")\nc := [1 2 3]\nd := {\"k\" 1}\nfunc f( { }\ne := 5\n",
    );
}

#[test]
fn err_chained_assignment() {
    errors("err_chained_assignment", "a := b := 1\nx = y = 2\n");
}

#[test]
fn err_invalid_target() {
    errors(
        "err_invalid_target",
        "f() := 1\na + b = 2\nx?.y := 3\n\"s\" += 1\n",
    );
}

#[test]
fn err_lexical() {
    errors(
        "err_lexical",
        "s := \"a\\qb\"\nn := 9223372036854775808\nm := 99999999999999999999\nx := 1 @ 2\ny := a | b\nu := \"\\u{D800}\"\n",
    );
}

#[test]
fn err_unterminated_string() {
    errors(
        "err_unterminated_string",
        "x := 1\ns := \"never closed\ny := 2\n",
    );
}

#[test]
fn err_unclosed_block() {
    errors(
        "err_unclosed_block",
        "func f() {\n    if x {\n        y()\n    \n",
    );
}

#[test]
fn err_stray_brace() {
    errors("err_stray_brace", "x := 1\n}\ny := 2\nelse { }\n");
}

#[test]
fn err_unsupported() {
    errors(
        "err_unsupported",
        "import math\nfrom x import y\nasync func f() { await g() }\nspawn { work() }\ntest := 1\nr := await h()\n",
    );
}

#[test]
fn err_declaration() {
    errors(
        "err_declaration",
        "let x = 1\nlet := 2\nmut [a, ...b, c] := xs\nconst 5 := 1\n",
    );
}

#[test]
fn err_missing_block() {
    errors(
        "err_missing_block",
        "if x print(1)\nwhile true\n{ }\nfor x xs { }\ntry { } catch e { }\n",
    );
}

#[test]
fn err_match() {
    errors(
        "err_match",
        "match v {\n    case [1, 2]: { }\n    x := 1\n    case Circle(r): { }\n    case 1:\n}\n",
    );
}

#[test]
fn err_struct_and_enum() {
    errors(
        "err_struct_and_enum",
        "struct P { x: int y: int, 5 }\nenum E { A, 1, B }\np := P { x: 1, y }\n",
    );
}

#[test]
fn err_interpolation() {
    errors(
        "err_interpolation",
        "a := \"${}\"\nb := \"${x y}\"\nc := \"${ (1 + }\"\nok := \"${fine}\"\n",
    );
}

#[test]
fn err_recovery_inside_blocks() {
    errors(
        "err_recovery_inside_blocks",
        "func f() {\n    x := )\n    y := 1\n    z := [\n}\nw := 2\nfunc g() { return 1 2 }\n",
    );
}
