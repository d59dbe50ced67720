//! Runtime values. `Value` is 16 bytes: a tag plus an immediate (null, bool,
//! int, float) or an `Rc` to a heap object. Collections are copy-on-write:
//! writers call `Rc::make_mut`, which copies only when the collection is
//! shared, so a uniquely held array/dict/string is updated in place.

use std::fmt;
use std::rc::Rc;

use super::array::Array;
use crate::bytecode::FuncProto;

/// A Ruff string. Owned `String` behind an `Rc` so `s = s + "x"` can append
/// in place when the string is uniquely held.
pub type RStr = Rc<String>;

/// Insertion-ordered dict with typed keys (see `runtime::dict`).
pub type DictMap = super::dict::Dict;

/// A dict key: ints stay ints, so `1` and `"1"` are different keys.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub enum Key {
    Int(i64),
    Str(RStr),
}

impl Key {
    /// The key as a value (for `keys()`, iteration).
    pub fn to_value(&self) -> Value {
        match self {
            Key::Int(i) => Value::Int(*i),
            Key::Str(s) => Value::Str(s.clone()),
        }
    }

    /// Keys sort as §9 says: ints ascending, then strings by code point.
    pub fn sort_cmp(&self, other: &Key) -> std::cmp::Ordering {
        use std::cmp::Ordering;
        match (self, other) {
            (Key::Int(a), Key::Int(b)) => a.cmp(b),
            (Key::Int(_), Key::Str(_)) => Ordering::Less,
            (Key::Str(_), Key::Int(_)) => Ordering::Greater,
            (Key::Str(a), Key::Str(b)) => a.as_str().cmp(b.as_str()),
        }
    }
}

/// `repr(u8)` fixes the layout: the tag is byte 0 and an immediate payload
/// is the word at offset 8. The dispatch loop writes scalars through that
/// layout (see `vm::write_int`), and native code will read it.
#[derive(Default)]
#[repr(u8)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(RStr),
    Array(Rc<Array>),
    Dict(Rc<DictMap>),
    /// A user function or closure.
    Func(Rc<Closure>),
    /// A builtin, by index into `builtins::REGISTRY`.
    Builtin(u16),
    Struct(Rc<StructObj>),
    Enum(Rc<EnumObj>),
    /// A caught error (`except e`).
    Error(Rc<ErrorObj>),
    /// Internal: a captured variable's cell in a frame slot. Never visible to
    /// Ruff code (the VM reads through it with `LoadCell`/`StoreCell`).
    Cell(Cell),
}

/// Written by hand so the scalar cases inline into the dispatch loop (the
/// derived impl is an out-of-line call).
impl Clone for Value {
    #[inline(always)]
    fn clone(&self) -> Value {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
            _ => self.clone_heap(),
        }
    }
}

/// The one table of `Value`'s tag bytes (`repr(u8)` numbers the variants in
/// order). The dispatch loop, native code (`jit::layout`), the JIT's return
/// protocol (`jit::ctx::tag`) and type feedback (`runtime::feedback::kind`) all
/// derive theirs from it. Checked below at build time where a value can be
/// built in a constant, and by unit tests for the heap variants.
pub mod tag {
    pub const NULL: u8 = 0;
    pub const BOOL: u8 = 1;
    pub const INT: u8 = 2;
    pub const FLOAT: u8 = 3;
    pub const STR: u8 = 4;
    pub const ARRAY: u8 = 5;
    pub const DICT: u8 = 6;
    pub const FUNC: u8 = 7;
    pub const BUILTIN: u8 = 8;
    pub const STRUCT: u8 = 9;
    pub const ENUM: u8 = 10;
    pub const ERROR: u8 = 11;
    pub const CELL: u8 = 12;

    use super::Value;

    /// The tag byte of `v`.
    pub const fn of(v: Value) -> u8 {
        // SAFETY: `Value` is `repr(u8)`: its first byte is the tag.
        let t = unsafe { *(&v as *const Value as *const u8) };
        std::mem::forget(v);
        t
    }

    const _: () = assert!(of(Value::Null) == NULL);
    const _: () = assert!(of(Value::Bool(true)) == BOOL);
    const _: () = assert!(of(Value::Int(-1)) == INT);
    const _: () = assert!(of(Value::Float(0.5)) == FLOAT);
    const _: () = assert!(of(Value::Builtin(3)) == BUILTIN);
}

impl Value {
    #[inline(never)]
    fn clone_heap(&self) -> Value {
        match self {
            Value::Str(s) => Value::Str(s.clone()),
            Value::Array(a) => Value::Array(a.clone()),
            Value::Dict(d) => Value::Dict(d.clone()),
            Value::Func(f) => Value::Func(f.clone()),
            Value::Builtin(b) => Value::Builtin(*b),
            Value::Struct(s) => Value::Struct(s.clone()),
            Value::Enum(e) => Value::Enum(e.clone()),
            Value::Error(e) => Value::Error(e.clone()),
            Value::Cell(c) => Value::Cell(c.clone()),
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(*b),
            Value::Int(i) => Value::Int(*i),
            Value::Float(f) => Value::Float(*f),
        }
    }

    /// No heap reference: dropping or overwriting it needs no bookkeeping.
    #[inline(always)]
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Builtin(_)
        )
    }
}

/// A captured variable shared between a frame and its closures.
pub type Cell = Rc<std::cell::RefCell<Value>>;

/// A function prototype plus the cells it captured.
pub struct Closure {
    pub proto: Rc<FuncProto>,
    pub upvalues: Box<[Cell]>,
}

/// The static description of a `struct` declaration (built by the compiler).
#[derive(Debug)]
pub struct StructDef {
    pub name: Rc<str>,
    /// Field names in declaration order; instances store values in this order.
    pub fields: Vec<Rc<str>>,
    /// Methods, set once after they are compiled (methods of one struct may
    /// build instances of another, so definitions exist before methods).
    pub methods: std::cell::OnceCell<Vec<Method>>,
}

#[derive(Debug)]
pub struct Method {
    pub name: Rc<str>,
    pub proto: Rc<FuncProto>,
    /// Declared with a `self` parameter: changes are written back to the
    /// variable the method was called on.
    pub has_self: bool,
    /// The method as a callable (methods capture nothing), made once so a
    /// call allocates nothing.
    pub closure: Rc<Closure>,
}

impl StructDef {
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| &**f == name)
    }

    pub fn method(&self, name: &str) -> Option<&Method> {
        self.methods.get()?.iter().find(|m| &*m.name == name)
    }
}

#[derive(Clone)]
pub struct StructObj {
    pub def: Rc<StructDef>,
    pub fields: Vec<Value>,
}

/// Fields may nest to any depth (`runtime::deep`).
impl Drop for StructObj {
    fn drop(&mut self) {
        if !self.fields.is_empty() {
            super::deep::drop_deep(std::mem::take(&mut self.fields));
        }
    }
}

#[derive(Clone)]
pub struct EnumObj {
    /// `Result`, `Option`, or the user enum's name.
    pub enum_name: Rc<str>,
    pub variant: Rc<str>,
    pub payload: Option<Value>,
}

/// A payload may nest to any depth (`runtime::deep`).
impl Drop for EnumObj {
    fn drop(&mut self) {
        if let Some(p) = self.payload.take() {
            super::deep::drop_deep(p);
        }
    }
}

#[derive(Clone)]
pub struct ErrorObj {
    /// The thrown value as text.
    pub message: RStr,
    /// The line of the `throw` or failing operation (1-based).
    pub line: i64,
    /// Names of the active functions, outermost first.
    pub stack: Vec<RStr>,
    /// The value originally thrown (a string for VM errors).
    pub thrown: Value,
    /// Where it was raised, for the uncaught-error report.
    pub span: crate::syntax::Span,
    /// The Ruff call stack when raised, innermost first: (function, line).
    pub trace: Vec<(RStr, u32)>,
}

impl Value {
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(Rc::new(s.into()))
    }

    pub fn array(items: Vec<Value>) -> Value {
        Value::Array(Rc::new(Array::from_values(items)))
    }

    pub fn dict(map: DictMap) -> Value {
        Value::Dict(Rc::new(map))
    }

    pub fn new_enum(enum_name: &str, variant: &str, payload: Option<Value>) -> Value {
        Value::Enum(Rc::new(EnumObj {
            enum_name: enum_name.into(),
            variant: variant.into(),
            payload,
        }))
    }

    pub fn ok(v: Value) -> Value {
        Value::new_enum("Result", "Ok", Some(v))
    }

    pub fn err(v: Value) -> Value {
        Value::new_enum("Result", "Err", Some(v))
    }

    pub fn some(v: Value) -> Value {
        Value::new_enum("Option", "Some", Some(v))
    }

    pub fn none() -> Value {
        Value::new_enum("Option", "None", None)
    }

    /// `type(v)` (§2).
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Array(_) => "array",
            Value::Dict(_) => "dict",
            Value::Func(_) | Value::Builtin(_) => "function",
            Value::Struct(_) => "struct",
            Value::Enum(_) => "enum",
            Value::Error(_) => "error",
            Value::Cell(_) => "cell",
        }
    }

    /// Falsey: `false`, `null`, `0`, `0.0`, `""`, `[]`, `{}` (§2).
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(b) => *b,
            Value::Int(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Dict(d) => !d.is_empty(),
            _ => true,
        }
    }

    pub fn as_key(&self) -> Option<Key> {
        match self {
            Value::Int(i) => Some(Key::Int(*i)),
            Value::Str(s) => Some(Key::Str(s.clone())),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            _ => None,
        }
    }
}

/// Deep equality (§4): arrays element-wise, dicts by contents, structs by type
/// and fields; `1 == 1.0`; different kinds are unequal.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Int(a), Value::Float(b)) | (Value::Float(b), Value::Int(a)) => {
                (*a as f64) == *b
            }
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => {
                Rc::ptr_eq(a, b) || super::deep::with_stack(|| a == b)
            }
            (Value::Dict(a), Value::Dict(b)) => {
                Rc::ptr_eq(a, b)
                    || (a.len() == b.len()
                        && super::deep::with_stack(|| a.iter().all(|(k, v)| b.get(k) == Some(v))))
            }
            (Value::Func(a), Value::Func(b)) => Rc::ptr_eq(a, b),
            (Value::Builtin(a), Value::Builtin(b)) => a == b,
            (Value::Struct(a), Value::Struct(b)) => {
                Rc::ptr_eq(a, b)
                    || (Rc::ptr_eq(&a.def, &b.def)
                        && super::deep::with_stack(|| a.fields == b.fields))
            }
            (Value::Enum(a), Value::Enum(b)) => {
                a.enum_name == b.enum_name
                    && a.variant == b.variant
                    && super::deep::with_stack(|| a.payload == b.payload)
            }
            (Value::Error(a), Value::Error(b)) => {
                a.message == b.message && a.line == b.line && a.stack == b.stack
            }
            _ => false,
        }
    }
}

impl fmt::Debug for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", super::format::display(self))
    }
}

impl fmt::Debug for Closure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<function {}>", self.proto.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_is_16_bytes() {
        assert_eq!(std::mem::size_of::<Value>(), 16);
    }

    #[test]
    fn scalar_layout_is_tag_then_payload() {
        let v = Value::Int(-5);
        let p = &v as *const Value as *const u8;
        // SAFETY: reading the bytes of a live value with a fixed layout.
        unsafe {
            assert_eq!(*p, tag::INT);
            assert_eq!(*(p.add(8) as *const i64), -5);
        }
        let f = Value::Float(1.5);
        let p = &f as *const Value as *const u8;
        // SAFETY: as above.
        unsafe {
            assert_eq!(*p, tag::FLOAT);
            assert_eq!(*(p.add(8) as *const f64), 1.5);
        }
        let b = Value::Bool(true);
        let p = &b as *const Value as *const u8;
        // SAFETY: as above.
        unsafe {
            assert_eq!(*p, tag::BOOL);
            assert_eq!(*p.add(1), 1);
        }
        assert_eq!(
            // SAFETY: as above.
            unsafe { *(&Value::Null as *const Value as *const u8) },
            tag::NULL
        );
    }

    #[test]
    fn heap_tags_match_the_table() {
        // SAFETY: the first byte of a live value is its tag.
        let byte = |v: &Value| unsafe { *(v as *const Value as *const u8) };
        let cases = [
            (Value::Str(Rc::new("s".into())), tag::STR),
            (Value::array(vec![]), tag::ARRAY),
            (Value::Dict(Rc::new(DictMap::new())), tag::DICT),
            (
                Value::Cell(Rc::new(std::cell::RefCell::new(Value::Null))),
                tag::CELL,
            ),
        ];
        for (v, t) in &cases {
            assert_eq!(byte(v), *t, "{v:?}");
        }
    }

    #[test]
    fn int_and_string_keys_differ() {
        let mut m = DictMap::default();
        m.insert(Key::Int(1), Value::Int(1));
        m.insert(Key::Str(Rc::new("1".into())), Value::Int(2));
        assert_eq!(m.len(), 2);
    }
}
