//! Source text → tokens. (Owned by the lexer/parser work.)
