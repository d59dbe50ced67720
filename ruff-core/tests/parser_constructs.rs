//! Parsing of each construct of LANGUAGE.md §1–§8, checked through a compact
//! S-expression rendering of the tree.

use crate::parser_util;

use parser_util::{ok, with_errors};
use ruff_core::diagnostics::codes;
use ruff_core::syntax::ast::{ExprKind, StmtKind};
use ruff_core::syntax::parse;

#[test]
fn precedence_lowest_first() {
    assert_eq!(
        ok("x := a ?? b || c && d == e < f + g * h"),
        "(:= x (?? a (|| b (&& c (== d (< e (+ f (* g h))))))))"
    );
    assert_eq!(ok("x := a * b + c"), "(:= x (+ (* a b) c))");
    assert_eq!(ok("x := a - b - c"), "(:= x (- (- a b) c))");
    assert_eq!(ok("x := a == b != c"), "(:= x (!= (== a b) c))");
    assert_eq!(ok("x := !a && -b"), "(:= x (&& (! a) (- b)))");
    assert_eq!(
        ok("x := -a.b(c)[d]"),
        "(:= x (- (index (call (. a b) c) d)))"
    );
    assert_eq!(ok("x := (a + b) * c"), "(:= x (* (+ a b) c))");
    assert_eq!(ok("x := a % b / c"), "(:= x (/ (% a b) c))");
    assert_eq!(ok("x := a <= b >= c > d"), "(:= x (> (>= (<= a b) c) d))");
}

#[test]
fn pipes_become_calls() {
    assert_eq!(ok("x |> f"), "(pipe f x)");
    assert_eq!(ok("x |> f(y)"), "(pipe f x y)");
    assert_eq!(ok("x |> f(y) |> g"), "(pipe g (pipe f x y))");
    assert_eq!(ok("a ?? b |> f"), "(pipe f (?? a b))");
    assert_eq!(ok("x |> m.f(1)"), "(pipe (. m f) x 1)");
    assert_eq!(
        ok("xs\n  |> filter(p)\n  |> map(f)"),
        "(pipe map (pipe filter xs p) f)"
    );
}

#[test]
fn literals() {
    assert_eq!(
        ok("x := [1_000_000, 1.5, 1e3, 2.5e-3, true, false, null, \"s\", 's']"),
        "(:= x [1000000 1.5 1000.0 0.0025 true false null \"s\" \"s\"])"
    );
    assert_eq!(
        ok("x := -9223372036854775808"),
        "(:= x -9223372036854775808)"
    );
    assert_eq!(ok("x := 9223372036854775807"), "(:= x 9223372036854775807)");
    assert_eq!(ok("x := -1.5"), "(:= x -1.5)");
    assert_eq!(ok("x := - -3"), "(:= x (- -3))");
    let (_, errors) = with_errors("x := 9223372036854775808");
    assert_eq!(
        errors,
        ["E0001: integer literal is too large for a 64-bit integer"]
    );
    let (_, errors) = with_errors("x := 99999999999999999999");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with(codes::LEX));
}

#[test]
fn strings_and_interpolation() {
    assert_eq!(ok(r#"s := "a\n\u{1F600}""#), "(:= s \"a\\n😀\")");
    assert_eq!(
        ok(r#"s := "x ${a + 1} y""#),
        r#"(:= s (interp "x " (+ a 1) " y"))"#
    );
    assert_eq!(
        ok(r#"s := "${d["k"]}""#),
        r#"(:= s (interp (index d "k")))"#
    );
    assert_eq!(
        ok(r#"s := "${ {"a": 1}["a"] }""#),
        r#"(:= s (interp (index {"a": 1} "a")))"#
    );
    assert_eq!(
        ok(r#"s := "out ${ "in ${x} in" } out""#),
        r#"(:= s (interp "out " (interp "in " x " in") " out"))"#
    );
    assert_eq!(ok(r#"s := 'no ${x}'"#), r#"(:= s "no ${x}")"#);
    assert_eq!(ok(r#"s := "\${x}""#), r#"(:= s "${x}")"#);
    // Spans of interpolated expressions are offsets into the file.
    let src = "s := \"ab ${foo} c\"";
    let parsed = parse(src);
    let StmtKind::Assign { value, .. } = &parsed.program.stmts[0].kind else {
        panic!()
    };
    let ExprKind::Interp(parts) = &value.kind else {
        panic!()
    };
    let ruff_core::syntax::ast::InterpPart::Expr(e) = &parts[1] else {
        panic!()
    };
    assert_eq!(&src[e.span.range()], "foo");
    assert_eq!(&src[value.span.range()], "\"ab ${foo} c\"");
}

#[test]
fn bad_escapes_are_lex_errors() {
    let (_, errors) = with_errors(r#"s := "a\qb""#);
    assert_eq!(errors, ["E0001: unknown escape sequence `\\q`"]);
    let (_, errors) = with_errors("s := \"never closed");
    assert_eq!(errors, ["E0001: unterminated string literal"]);
    let (_, errors) = with_errors("/* never closed\nx := 1");
    assert_eq!(errors, ["E0001: unterminated block comment"]);
}

#[test]
fn comments_and_semicolons() {
    assert_eq!(
        ok("a := 1; b := 2;\n# c\n// c\n/* c\n c */ c := 3 /* x */ ;;\r\nd()"),
        "(:= a 1)\n(:= b 2)\n(:= c 3)\n(call d)"
    );
}

#[test]
fn declarations_and_assignments() {
    assert_eq!(ok("let a := 1"), "(let a 1)");
    assert_eq!(ok("mut b := 2"), "(mut b 2)");
    assert_eq!(ok("const C := 3"), "(const C 3)");
    assert_eq!(ok("let [a, b] := xs"), "(let [a b] xs)");
    assert_eq!(
        ok("let [a, [b, c], ...rest,] := xs"),
        "(let [a [b c] ...rest] xs)"
    );
    assert_eq!(ok("let {x, y} := p"), "(let {x y} p)");
    assert_eq!(
        ok("c := 4\nb = b + 1\nb += 1\nb -= 1\nb *= 2\nb /= 2\nb %= 2"),
        "(:= c 4)\n(= b (+ b 1))\n(+= b 1)\n(-= b 1)\n(*= b 2)\n(/= b 2)\n(%= b 2)"
    );
    assert_eq!(
        ok("a[0] := 1\np.x := 2\na[i].y[j] += 1"),
        "(:= (index a 0) 1)\n(:= (. p x) 2)\n(+= (index (. (index a i) y) j) 1)"
    );
}

#[test]
fn assignment_errors() {
    let (tree, errors) = with_errors("a := b := 1\nx := 2");
    assert_eq!(
        errors,
        ["E0005: chained assignment is not allowed: an assignment is a statement, not a value"]
    );
    assert_eq!(tree, "(:= a b)\n(:= x 2)");
    let (tree, errors) = with_errors("f() := 1\na + b = 2\nx?.y := 3\nok := 4");
    assert_eq!(errors.len(), 3);
    assert!(errors
        .iter()
        .all(|e| e.starts_with(codes::INVALID_ASSIGNMENT_TARGET)));
    assert_eq!(tree, "ERR\nERR\nERR\n(:= ok 4)");
    let (tree, errors) = with_errors("let x = 1");
    assert_eq!(errors, ["E0002: expected `:=` in a declaration, found `=`"]);
    assert_eq!(tree, "(let x 1)");
}

#[test]
fn control_flow() {
    assert_eq!(
        ok("if x > 1 { a() } else if x == 1 { b() } else { c() }"),
        "(if (> x 1) {(call a)} else (if (== x 1) {(call b)} else {(call c)}))"
    );
    assert_eq!(ok("if a {\n}\nelse {\n}"), "(if a {} else {})");
    assert_eq!(ok("while i < 10 { i += 1 }"), "(while (< i 10) {(+= i 1)})");
    assert_eq!(ok("loop { break }"), "(loop {(break)})");
    assert_eq!(
        ok("for x in [1, 2] { continue }"),
        "(for x [1 2] {(continue)})"
    );
    assert_eq!(
        ok("for [i, x] in enumerate(xs) { }"),
        "(for [i x] (call enumerate xs) {})"
    );
    assert_eq!(ok("throw(\"bad\")"), "(throw \"bad\")");
    assert_eq!(
        ok("try { f() } except err { print(err.message) }"),
        "(try {(call f)} except err {(call print (. err message))})"
    );
    assert_eq!(
        ok("try { f() }\nexcept { }"),
        "(try {(call f)} except _ {})"
    );
    // Statements that end with a block need no separator.
    assert_eq!(ok("if a { } b()"), "(if a {})\n(call b)");
}

#[test]
fn return_value_must_start_on_the_same_line() {
    assert_eq!(ok("func f() { return }"), "(func f () {(return)})");
    assert_eq!(
        ok("func f() { return 1 + 2 }"),
        "(func f () {(return (+ 1 2))})"
    );
    assert_eq!(
        ok("func f() {\n return\n g()\n}"),
        "(func f () {(return); (call g)})"
    );
    assert_eq!(ok("func f() { return; }"), "(func f () {(return)})");
    assert_eq!(
        ok("func f() { return a +\n b }"),
        "(func f () {(return (+ a b))})"
    );
}

#[test]
fn newline_rules() {
    // `(` and `[` on a new line start a new statement.
    assert_eq!(ok("a\n(b)"), "a\nb");
    assert_eq!(ok("a\n[1]"), "a\n[1]");
    assert_eq!(ok("a(\n1,\n2\n)"), "(call a 1 2)");
    // A minus on a new line starts a new statement; on the same line it subtracts.
    assert_eq!(ok("a\n-1"), "a\n-1");
    assert_eq!(ok("a -\n1"), "(- a 1)");
    // Other operators continue the expression across lines, both ways.
    assert_eq!(ok("x := a +\n b"), "(:= x (+ a b))");
    assert_eq!(ok("x := a\n  + b"), "(:= x (+ a b))");
    assert_eq!(
        ok("x := obj\n  .method()\n  ?.y"),
        "(:= x (?. (call (. obj method)) y))"
    );
    // Inside brackets newlines mean nothing.
    assert_eq!(ok("x := [a\n(b)]"), "(:= x [(call a b)])");
    assert_eq!(ok("x := (a\n- b)"), "(:= x (- a b))");
    // Two statements on one line need a `;`.
    let (_, errors) = with_errors("a := 1 b := 2");
    assert_eq!(
        errors,
        ["E0002: expected a new line or `;` after the statement, found identifier `b`"]
    );
}

#[test]
fn postfix_and_collections() {
    assert_eq!(ok("a?.b.c"), "(. (?. a b) c)");
    assert_eq!(ok("d.keys()"), "(call (. d keys))");
    assert_eq!(ok("x := [...a, 4,]"), "(:= x [...a 4])");
    assert_eq!(
        ok("x := {\"k\": v, 1: x, ident: v, ...d,}"),
        "(:= x {\"k\": v, 1: x, \"ident\": v, ...d})"
    );
    assert_eq!(ok("x := {}"), "(:= x {})");
    assert_eq!(ok("x := f(a, b,)"), "(:= x (call f a b))");
    assert_eq!(ok("x := f()()"), "(:= x (call (call f)))");
}

#[test]
fn functions() {
    assert_eq!(
        ok("func typed(a: int, b: float) -> float { return a + b }"),
        "(func typed (a: int, b: float) -> float {(return (+ a b))})"
    );
    assert_eq!(
        ok("func g(xs: array<int>, m: dict<string, array<float>>) { }"),
        "(func g (xs: array<int>, m: dict<string, array<float>>) {})"
    );
    assert_eq!(
        ok("let twice := func(f, x) { return f(f(x)) }"),
        "(let twice (func (f, x) {(return (call f (call f x)))}))"
    );
    assert_eq!(ok("func() { }()"), "(call (func () {}))");
}

#[test]
fn doc_comments_attach_to_declarations() {
    let src = "/// Adds two numbers.\n///\n///  Indented.\nfunc add(a, b) { }\n\
               /// A point.\nstruct P { /// Norm.\n func n(self) { } }\n/// Colors.\nenum C { R }\n\
               /// not attached\nx := 1\nfunc plain() { }";
    let parsed = parse(src);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let stmts = &parsed.program.stmts;
    let StmtKind::Func(f) = &stmts[0].kind else {
        panic!()
    };
    assert_eq!(f.doc.as_deref(), Some("Adds two numbers.\n\n Indented."));
    let StmtKind::Struct(s) = &stmts[1].kind else {
        panic!()
    };
    assert_eq!(s.doc.as_deref(), Some("A point."));
    assert_eq!(s.methods[0].doc.as_deref(), Some("Norm."));
    let StmtKind::Enum(e) = &stmts[2].kind else {
        panic!()
    };
    assert_eq!(e.doc.as_deref(), Some("Colors."));
    let StmtKind::Func(f) = &stmts[4].kind else {
        panic!()
    };
    assert_eq!(f.doc, None);
}

#[test]
fn structs_and_enums() {
    assert_eq!(
        ok("struct Point {\n x: float,\n y: float = 0.0\n func norm2(self) { return self.x }\n z\n}"),
        "(struct Point x: float, y: float = 0.0, z, (func norm2 (self) {(return (. self x))}))"
    );
    assert_eq!(ok("struct E {}"), "(struct E )");
    assert_eq!(
        ok("enum Shape { Circle, Square }"),
        "(enum Shape Circle Square)"
    );
    assert_eq!(
        ok("enum Shape {\n Circle\n Square,\n}"),
        "(enum Shape Circle Square)"
    );
    assert_eq!(
        ok("p := Point { x: 3.0, y: 4.0 }"),
        "(:= p (new Point x: 3.0 y: 4.0))"
    );
    assert_eq!(ok("p := Point {}"), "(:= p (new Point))");
    assert_eq!(
        ok("s := Shape::Circle(2.0)"),
        "(:= s (call Shape::Circle 2.0))"
    );
    assert_eq!(ok("c := Color::Red"), "(:= c Color::Red)");
}

#[test]
fn struct_literals_are_not_allowed_in_heads() {
    assert_eq!(ok("if x == Point { }"), "(if (== x Point) {})");
    assert_eq!(
        ok("if p == (Point { x: 1 }) { }"),
        "(if (== p (new Point x: 1)) {})"
    );
    assert_eq!(ok("while ok { }"), "(while ok {})");
    assert_eq!(ok("for p in Points { }"), "(for p Points {})");
    assert_eq!(ok("match v { }"), "(match v)");
    assert_eq!(
        ok("match v { case x if x == Limit { } }"),
        "(match v (case $x if (== x Limit) {}))"
    );
    // Inside a block of a head, struct literals work again.
    assert_eq!(
        ok("if a { p := P { x: 1 } }"),
        "(if a {(:= p (new P x: 1))})"
    );
    // ... and inside brackets in the head.
    assert_eq!(ok("if f(P { x: 1 }) { }"), "(if (call f (new P x: 1)) {})");
}

#[test]
fn match_arms_and_patterns() {
    let src = "match v {\n\
        case 1: print(\"one\")\n\
        case -2.5 { }\n\
        case \"a\": { }\n\
        case true: { }\n\
        case null { }\n\
        case Ok(v): { print(v) }\n\
        case Err(e) { }\n\
        case Some(Some(x)) { }\n\
        case None: { }\n\
        case Color::Red: { }\n\
        case Shape::Circle(r) if r > 1: { }\n\
        case n if n > 3: return n\n\
        case _: { }\n\
    }";
    assert_eq!(
        ok(src),
        "(match v (case 1 {(call print \"one\")}) (case -2.5 {}) (case \"a\" {}) (case true {}) \
         (case null {}) (case Ok($v) {(call print v)}) (case Err($e) {}) (case Some(Some($x)) {}) \
         (case None {}) (case Color::Red {}) (case Shape::Circle($r) if (> r 1) {}) \
         (case $n if (> n 3) {(return n)}) (case _ {}))"
    );
    assert_eq!(
        ok("match x { case 1: a() case 2: b() }"),
        "(match x (case 1 {(call a)}) (case 2 {(call b)}))"
    );
    assert_eq!(
        ok("match x { case -9223372036854775808: { } }"),
        "(match x (case -9223372036854775808 {}))"
    );
}

#[test]
fn reserved_keywords_are_unsupported() {
    for kw in ["import", "from", "async", "await", "spawn", "test"] {
        let (tree, errors) = with_errors(&format!("{kw} foo(1) {{ x }}\ny := 1"));
        assert_eq!(errors, [format!("E0004: `{kw}` is not supported yet")]);
        assert_eq!(tree, format!("(unsupported {kw})\n(:= y 1)"));
    }
    let (tree, errors) = with_errors("x := await fetch(url)\ny := 2");
    assert_eq!(errors, ["E0004: `await` is not supported yet"]);
    assert_eq!(tree, "(:= x ERR)\n(:= y 2)");
    let (_, errors) = with_errors("func f(test) { }");
    assert_eq!(errors, ["E0004: `test` is not supported yet"]);
}

#[test]
fn spans_cover_the_source_text() {
    let src = "x := foo(1, [2]) + bar.baz";
    let parsed = parse(src);
    let stmt = &parsed.program.stmts[0];
    assert_eq!(&src[stmt.span.range()], src);
    let StmtKind::Assign { target, value, .. } = &stmt.kind else {
        panic!()
    };
    assert_eq!(&src[target.span.range()], "x");
    assert_eq!(&src[value.span.range()], "foo(1, [2]) + bar.baz");
    let ExprKind::Binary { lhs, rhs, .. } = &value.kind else {
        panic!()
    };
    assert_eq!(&src[lhs.span.range()], "foo(1, [2])");
    assert_eq!(&src[rhs.span.range()], "bar.baz");
}

#[test]
fn crlf_and_bom() {
    assert_eq!(
        ok("\u{feff}a := 1\r\nb := \"x\r\ny\"\r\n"),
        "(:= a 1)\n(:= b \"x\\ny\")"
    );
}

#[test]
fn incomplete_code_keeps_useful_structure() {
    // What an editor sees while someone types: the tree keeps the parts
    // that are there, so completion and hover still work.
    let (tree, errors) = with_errors("x := user.");
    assert_eq!(tree, "(:= x (. user ))");
    assert_eq!(
        errors,
        ["E0002: expected a field name after `.`, found end of file"]
    );
    let (tree, _) = with_errors("print(\"a\", 1\nx := 2");
    assert_eq!(tree, "(call print \"a\" 1)\n(:= x 2)");
    let (tree, _) = with_errors("a := 1 +\nb := 2");
    assert_eq!(tree, "(:= a (+ 1 ERR))\n(:= b 2)");
    let (tree, errors) = with_errors("while { }");
    assert_eq!(tree, "(while ERR {})");
    assert_eq!(errors, ["E0002: expected an expression, found `{`"]);
    let (tree, _) = with_errors("d := {\"k\" 1}");
    assert_eq!(tree, "(:= d {\"k\": 1})");
    let (tree, _) = with_errors("s := \"open\nnext := 1");
    assert_eq!(tree, "(:= s \"open\")\n(:= next 1)");
}
