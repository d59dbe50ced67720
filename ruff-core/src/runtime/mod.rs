//! The runtime: values, objects, the dispatch loop and the builtins. The
//! runtime never sees the syntax tree; it runs `bytecode`.

pub mod array;
pub mod attach;
pub mod big_alloc;
pub mod builtins;
pub mod cow;
pub mod deep;
pub mod dict;
pub mod error;
pub mod feedback;
pub mod format;
pub mod host;
pub mod ops;
pub mod shadow;
pub mod shadow_code;
pub mod shadow_native;
pub mod value;
pub mod vm;
