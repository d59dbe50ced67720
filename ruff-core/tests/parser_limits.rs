//! The parser's resource limits: pathological nesting is a `LIMIT`
//! diagnostic, never a stack overflow, and oversized sources are refused.
//!
//! Every case runs on a thread with a 2 MiB stack — the default for spawned
//! threads and test threads — so a deeper-than-allowed recursion in the
//! parser (or in dropping the tree) would crash here.

use crate::parser_util;

use ruff_core::diagnostics::codes;
use ruff_core::syntax::{parse, MAX_NESTING, MAX_SOURCE_BYTES};

const DEEP: usize = 100_000;

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("parser crashed on a 2 MiB stack");
}

/// Parses `src` and asserts it produced a "nesting too deep" error.
fn assert_too_deep(name: &'static str, src: String) {
    on_small_stack(move || {
        let parsed = parse(&src);
        parser_util::check_spans(&src, &parsed);
        let limits: Vec<_> = parsed
            .errors
            .iter()
            .filter(|e| e.code == codes::LIMIT)
            .collect();
        assert_eq!(limits.len(), 1, "{name}: {:#?}", parsed.errors);
        assert!(limits[0].message.starts_with("nesting too deep"), "{name}");
        // Recovery keeps the error count small even for huge inputs.
        assert!(parsed.errors.len() <= 5, "{name}: {:#?}", parsed.errors);
        drop(parsed); // dropping the tree must not overflow either
    });
}

#[test]
fn deeply_nested_brackets() {
    let d = DEEP;
    assert_too_deep(
        "parens",
        format!("x := {}1{}", "(".repeat(d), ")".repeat(d)),
    );
    assert_too_deep(
        "arrays",
        format!("x := {}1{}", "[".repeat(d), "]".repeat(d)),
    );
    assert_too_deep(
        "dicts",
        format!("x := {}{}", "{\"k\": ".repeat(d), "}".repeat(d)),
    );
    assert_too_deep(
        "calls",
        format!("x := {}1{}", "f(".repeat(d), ")".repeat(d)),
    );
    assert_too_deep(
        "index",
        format!("x := a{}0{}", "[a[".repeat(d), "]]".repeat(d)),
    );
    assert_too_deep(
        "struct literals",
        format!("x := {}1{}", "P { a: ".repeat(d), " }".repeat(d)),
    );
}

#[test]
fn unclosed_brackets() {
    let d = DEEP;
    assert_too_deep("open parens", format!("x := {}", "(".repeat(d)));
    assert_too_deep("open arrays", format!("x := {}", "[".repeat(d)));
    assert_too_deep("open braces", "{".repeat(d));
    assert_too_deep("mixed", "([{".repeat(d));
}

#[test]
fn deeply_nested_blocks() {
    let d = DEEP;
    assert_too_deep(
        "if",
        format!("{}x(){}", "if a {\n".repeat(d), "\n}".repeat(d)),
    );
    assert_too_deep(
        "while",
        format!("{}{}", "while a { ".repeat(d), "}".repeat(d)),
    );
    assert_too_deep(
        "func",
        format!("{}{}", "f := func() { ".repeat(d), "}".repeat(d)),
    );
    assert_too_deep(
        "match",
        format!("{}{}", "match a { case 1: ".repeat(d), "}".repeat(d)),
    );
    assert_too_deep(
        "else if",
        format!("if a {{ }}{}", " else if a { }".repeat(d)),
    );
}

#[test]
fn long_chains() {
    let d = DEEP;
    assert_too_deep("unary minus", format!("x := {}1", "- ".repeat(d)));
    assert_too_deep("unary not", format!("x := {}a", "!".repeat(d)));
    assert_too_deep("sum", format!("x := 1{}", " + 1".repeat(d)));
    assert_too_deep("pipe", format!("x := 1{}", " |> f".repeat(d)));
    assert_too_deep("fields", format!("x := a{}", ".b".repeat(d)));
    assert_too_deep("calls", format!("x := f{}", "()".repeat(d)));
    assert_too_deep(
        "right nested",
        format!("x := {}1{}", "1 + (".repeat(d), ")".repeat(d)),
    );
}

#[test]
fn nested_strings_and_patterns() {
    let d = DEEP;
    assert_too_deep(
        "interpolation",
        format!("x := {}1{}", "\"${".repeat(d), "}\"".repeat(d)),
    );
    assert_too_deep(
        "match pattern",
        format!(
            "match a {{ case {}x{}: {{ }} }}",
            "Some(".repeat(d),
            ")".repeat(d)
        ),
    );
    assert_too_deep(
        "bind pattern",
        format!("let {}a{} := x", "[".repeat(d), "]".repeat(d)),
    );
}

#[test]
fn nesting_below_the_limit_is_fine() {
    // Well below the limit every construct nests without complaint.
    let d = MAX_NESTING / 4;
    on_small_stack(move || {
        for src in [
            format!("x := {}1{}", "(".repeat(d), ")".repeat(d)),
            format!("x := {}1{}", "[".repeat(d), "]".repeat(d)),
            format!("{}x(){}", "if a {\n".repeat(d), "\n}".repeat(d)),
            format!("x := 1{}", " + 1".repeat(d)),
        ] {
            let parsed = parse(&src);
            assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
        }
    });
}

#[test]
fn recovery_continues_after_the_limit() {
    let src = format!(
        "x := {}1{}\ny := (\nz := 3",
        "(".repeat(DEEP),
        ")".repeat(DEEP)
    );
    on_small_stack(move || {
        let parsed = parse(&src);
        assert_eq!(parsed.errors[0].code, codes::LIMIT);
        // The later statements are still parsed (and their errors reported).
        assert!(parsed.errors.len() >= 2, "{:#?}", parsed.errors);
        assert!(parsed.program.stmts.len() >= 2);
    });
}

#[test]
fn oversized_source_is_refused() {
    let src = " ".repeat(MAX_SOURCE_BYTES + 1);
    let parsed = parse(&src);
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].code, codes::LIMIT);
    assert!(parsed.program.stmts.is_empty());
}

#[test]
fn error_count_is_capped() {
    use ruff_core::syntax::parser::MAX_ERRORS;
    for junk in ["@\n", "x := )\n", "\"\\q\" "] {
        let src = junk.repeat(100_000);
        let parsed = parse(&src);
        assert_eq!(parsed.errors.len(), MAX_ERRORS + 1, "{junk:?}");
        let last = parsed.errors.last().unwrap();
        assert_eq!(last.code, codes::LIMIT);
        assert!(last.message.starts_with("too many errors"));
    }
}

#[test]
fn many_statements_parse_in_one_pass() {
    // 50,000 lines: any quadratic behaviour would make this test crawl.
    let src = "x := f(a, [1, 2], {\"k\": v}) + y.z ?? 0\n".repeat(50_000);
    let parsed = parse(&src);
    assert!(parsed.errors.is_empty());
    assert_eq!(parsed.program.stmts.len(), 50_000);
}
