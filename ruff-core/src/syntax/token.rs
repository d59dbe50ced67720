//! Token kinds produced by the lexer. (Owned by the lexer/parser work.)
