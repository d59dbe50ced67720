//! Binding patterns (`let [a, ...rest] := xs`), match patterns and type
//! annotations.

use super::Parser;
use crate::diagnostics::codes;
use crate::syntax::ast::{BindPattern, Pattern, PatternKind, TypeAnn};
use crate::syntax::token::TokenKind;

/// The built-in constructors, which match only themselves in a pattern.
const BUILTIN_VARIANTS: [&str; 4] = ["None", "Ok", "Err", "Some"];

impl Parser<'_> {
    /// A name, `[a, b, ...rest]` or `{x, y}`; `None` after reporting an error.
    pub(super) fn bind_pattern(&mut self) -> Option<BindPattern> {
        match self.kind() {
            TokenKind::Ident | TokenKind::Reserved => self.name("a name").map(BindPattern::Name),
            TokenKind::LBracket | TokenKind::LBrace => {
                if !self.enter() {
                    self.skip_expr();
                    return None;
                }
                let pattern = if self.at(TokenKind::LBracket) {
                    self.array_bind_pattern()
                } else {
                    self.dict_bind_pattern()
                };
                self.leave();
                pattern
            }
            _ => {
                self.error_expected("a name or a destructuring pattern");
                None
            }
        }
    }

    fn array_bind_pattern(&mut self) -> Option<BindPattern> {
        let start = self.bump().span.start;
        let mut items = Vec::new();
        let mut rest = None;
        let mut failed = false;
        self.with_context(false, true, |p| {
            p.comma_list(TokenKind::RBracket, "in the array pattern", |p| {
                if rest.is_some() {
                    p.error_at(
                        codes::SYNTAX,
                        "`...rest` must be the last element of an array pattern",
                        p.tok.span,
                    );
                    failed = true;
                }
                if p.eat(TokenKind::Ellipsis) {
                    rest = p.name("a name after `...`");
                    failed |= rest.is_none();
                } else {
                    match p.bind_pattern() {
                        Some(item) => items.push(item),
                        None => failed = true,
                    }
                }
                Some(())
            })
        });
        if failed {
            return None;
        }
        Some(BindPattern::Array {
            items,
            rest,
            span: self.span_from(start),
        })
    }

    fn dict_bind_pattern(&mut self) -> Option<BindPattern> {
        let start = self.bump().span.start;
        let mut failed = false;
        let keys = self.with_context(false, true, |p| {
            p.comma_list(TokenKind::RBrace, "in the dict pattern", |p| {
                let key = p.name("a key name");
                failed |= key.is_none();
                key
            })
        });
        if failed {
            return None;
        }
        Some(BindPattern::Dict {
            keys,
            span: self.span_from(start),
        })
    }

    /// A match pattern; `None` after reporting an error.
    pub(super) fn pattern(&mut self) -> Option<Pattern> {
        if !self.enter() {
            self.skip_expr();
            return None;
        }
        let pattern = self.pattern_inner();
        self.leave();
        pattern
    }

    fn pattern_inner(&mut self) -> Option<Pattern> {
        use TokenKind::*;
        let start = self.tok.span.start;
        let kind = match self.kind() {
            Ident | Reserved => {
                let name = self.name("a pattern")?;
                if self.eat(ColonColon) {
                    let variant = self.name("a variant name after `::`")?;
                    let payload = self.payload()?;
                    PatternKind::Variant {
                        enum_name: Some(name),
                        variant,
                        payload,
                    }
                } else if BUILTIN_VARIANTS.contains(&name.name.as_str()) {
                    let payload = self.payload()?;
                    PatternKind::Variant {
                        enum_name: None,
                        variant: name,
                        payload,
                    }
                } else if self.at(LParen) {
                    self.error_at(
                        codes::SYNTAX,
                        format!(
                            "only `Ok`, `Err` and `Some` can be matched without an enum name; write `EnumName::{}(...)`",
                            name.name
                        ),
                        name.span,
                    );
                    self.payload()?;
                    return None;
                } else if name.name == "_" {
                    PatternKind::Wildcard
                } else {
                    PatternKind::Binding(name)
                }
            }
            Int(_) | Float(_) => PatternKind::Literal(self.number(start, false)),
            Minus => {
                self.bump();
                if !matches!(self.kind(), Int(_) | Float(_)) {
                    self.error_expected("a number after `-` in a pattern");
                    return None;
                }
                PatternKind::Literal(self.number(start, true))
            }
            Str(_) | True | False | Null => PatternKind::Literal(self.primary()),
            StrHead(_) => {
                self.error_at(
                    codes::SYNTAX,
                    "an interpolated string cannot be used as a pattern",
                    self.tok.span,
                );
                self.primary();
                return None;
            }
            _ => {
                self.error_expected("a pattern");
                return None;
            }
        };
        Some(Pattern {
            kind,
            span: self.span_from(start),
        })
    }

    /// `(pattern)` after a variant name, if present. `Err` when the payload
    /// was malformed (already reported).
    fn payload(&mut self) -> Option<Option<Box<Pattern>>> {
        if !self.at(TokenKind::LParen) {
            return Some(None);
        }
        self.bump();
        let inner = self.with_context(false, true, |p| p.pattern());
        if !self.expect(TokenKind::RParen, "after the variant's pattern") {
            return None;
        }
        Some(Some(Box::new(inner?)))
    }

    /// A type annotation: a name with optional `<...>` arguments, kept as text
    /// (`int`, `array<int>`, `dict<string, array<float>>`).
    pub(super) fn type_ann(&mut self) -> Option<TypeAnn> {
        let start = self.tok.span.start;
        if !matches!(
            self.kind(),
            TokenKind::Ident | TokenKind::Null | TokenKind::Func
        ) {
            self.error_expected("a type");
            return None;
        }
        self.bump();
        if self.at(TokenKind::Lt) {
            let mut depth = 0usize;
            loop {
                match self.kind() {
                    TokenKind::Lt => depth += 1,
                    TokenKind::Gt => {
                        depth -= 1;
                        if depth == 0 {
                            self.bump();
                            break;
                        }
                    }
                    TokenKind::Ident | TokenKind::Null | TokenKind::Func | TokenKind::Comma => {}
                    _ => {
                        self.error_expected("`>` to close the type arguments");
                        break;
                    }
                }
                self.bump();
            }
        }
        let span = self.span_from(start);
        Some(TypeAnn {
            text: self.text(span).to_string(),
            span,
        })
    }
}
