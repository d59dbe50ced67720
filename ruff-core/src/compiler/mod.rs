//! Syntax tree → bytecode: resolve names to slots/upvalues/globals, then emit.
