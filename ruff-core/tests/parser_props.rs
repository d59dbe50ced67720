//! Property tests: whatever the input, `parse` returns (no panic, no hang)
//! and every span it produces lies within the source on character
//! boundaries. Three input shapes: random bytes, soups of real tokens (which
//! reach much deeper into the parser than random bytes do), and random
//! edits of a valid program (what an editor sends while someone types).
//! `parse_with_trivia` must give the same tree, errors, tokens and comments
//! as `parse` and `Lexer::tokenize_with_trivia` on all of them.

use crate::parser_util;

use proptest::prelude::*;
use ruff_core::syntax::lexer::Lexer;
use ruff_core::syntax::{parse, parse_with_trivia};

/// Every token kind of the language, plus fragments that exercise the
/// lexer's edge cases (string pieces, comments, numbers at the limits).
const VOCAB: &[&str] = &[
    "func",
    "let",
    "mut",
    "const",
    "if",
    "else",
    "for",
    "in",
    "while",
    "loop",
    "return",
    "break",
    "continue",
    "match",
    "case",
    "try",
    "except",
    "throw",
    "struct",
    "enum",
    "true",
    "false",
    "null",
    "import",
    "from",
    "async",
    "await",
    "spawn",
    "test",
    "x",
    "y",
    "Point",
    "Ok",
    "Err",
    "Some",
    "None",
    "_",
    "self",
    "0",
    "1",
    "1_000",
    "1.5",
    "2.5e-3",
    "9223372036854775808",
    "99999999999999999999",
    "\"s\"",
    "'c'",
    "\"a${",
    "}b\"",
    "\"${x}\"",
    "\"\\q\"",
    "\"",
    ":=",
    "=",
    "+=",
    "-=",
    "*=",
    "/=",
    "%=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "!",
    "&&",
    "||",
    "??",
    "?.",
    "|>",
    "...",
    ".",
    "::",
    ":",
    ",",
    ";",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "->",
    "\n",
    "\r\n",
    "# c\n",
    "// c\n",
    "/// doc\n",
    "/*",
    "*/",
    "@",
    "|",
    "é",
    "${",
];

const SAMPLE: &str = r#"/// A point.
struct Point { x: float, y: float = 0.0
    func norm2(self) -> float { return self.x * self.x + self.y * self.y }
}
enum Shape { Circle, Square }
func area(s) {
    match s {
        case Shape::Circle(r) if r > 0: { return 3.14 * r * r }
        case Shape::Square: return 1
        case _ { throw("bad") }
    }
}
mut total := 0
for [i, x] in enumerate([1, 2, ...rest]) { total += x * i }
d := {"k": 1, name: "n", ...base}
msg := "total ${total} and ${d["k"]}"
try { print(area(Shape::Circle(2.0)) |> to_string) } except e { print(e.message) }
while total > 0 && !done { total -= 1 }
p := Point { x: 1.0, y: -2.5 }
"#;

fn check(src: &str) {
    let parsed = parse(src);
    parser_util::check_spans(src, &parsed);
    // The language server's single pass agrees with the two it replaces.
    let (with_trivia, tokens, comments) = parse_with_trivia(src);
    assert_eq!(format!("{with_trivia:?}"), format!("{parsed:?}"));
    let (lexed, lexed_comments, _) = Lexer::tokenize_with_trivia(src);
    assert_eq!(tokens, lexed);
    assert_eq!(comments, lexed_comments);
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        // Shrinking a token soup can take long; the failing input printed
        // before shrinking is already small.
        max_shrink_iters: 256,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_edits_of_a_valid_program(
        at in 0..SAMPLE.len(),
        delete in 0usize..40,
        insert in prop::collection::vec(prop::sample::select(VOCAB), 0..4),
    ) {
        let mut start = at;
        while !SAMPLE.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (start + delete).min(SAMPLE.len());
        while !SAMPLE.is_char_boundary(end) {
            end += 1;
        }
        let src = format!("{}{}{}", &SAMPLE[..start], insert.join(" "), &SAMPLE[end..]);
        check(&src);
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn token_soup(
        tokens in prop::collection::vec(
            (prop::sample::select(VOCAB), prop::sample::select(&[" ", "", "\n"][..])),
            0..120,
        )
    ) {
        let src: String = tokens.iter().flat_map(|(t, sep)| [*t, *sep]).collect();
        check(&src);
    }
}

#[test]
fn the_sample_program_is_valid() {
    check(SAMPLE);
    let parsed = parse(SAMPLE);
    assert!(parsed.errors.is_empty(), "{:#?}", parsed.errors);
}
