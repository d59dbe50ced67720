//! `Dict`: Ruff's insertion-ordered dict (the payload of `Value::Dict`).
//!
//! Entries `(key, value)` sit in a `Vec` in insertion order; a hashbrown
//! table maps hashes to entry indices. Each table slot is a 4-byte entry
//! index and nothing else: hashbrown's control byte already filters
//! probes by 7 bits of the hash, so a probe reads an entry only when it is
//! almost certainly the key, and a big dict's cost is mostly the memory it
//! touches for the first time (a page fault and a page to clear per 4 KiB,
//! or per 2 MiB with huge pages). Growing does not rehash the table in
//! place, which would read the entries in table (random) order:
//! `rebuild` makes the bigger table from the entries in insertion order,
//! a sequential pass.

use hashbrown::HashTable;

use super::value::{Key, Value};

/// See the module documentation.
#[derive(Clone, Default)]
pub struct Dict {
    /// Entry indices, placed by the hash of their entry's key.
    table: HashTable<u32>,
    entries: Vec<(Key, Value)>,
}

/// The 32-bit hash of a key. Int keys keep their low bits (nearby keys land
/// in nearby buckets, as with CPython's identity hash) plus shifted copies
/// of higher bits, so that multiples of a power of two still differ in
/// their low bits; the top 7 bits, hashbrown's filter byte, are a
/// multiplicative hash. Strings use foldhash.
#[inline]
fn hash_of(k: &Key) -> u32 {
    match k {
        Key::Int(i) => {
            let x = *i as u64;
            let mixed = (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32;
            let low = x.wrapping_add(x >> 11).wrapping_add(x >> 29) as u32;
            (low & 0x01FF_FFFF) | (mixed & 0xFE00_0000)
        }
        Key::Str(s) => {
            use std::hash::BuildHasher;
            let h = foldhash::fast::FixedState::default().hash_one(s.as_bytes());
            (h ^ (h >> 32)) as u32
        }
    }
}

/// hashbrown takes its bucket from the low bits and its filter byte from
/// the top 7 bits of a 64-bit hash: both come from the 32-bit one.
#[inline]
fn wide(h: u32) -> u64 {
    ((h as u64) << 32) | h as u64
}

/// The hasher hashbrown's `insert_unique` wants, for growing the table:
/// the hash of the entry an index refers to. The dict always makes room
/// first (`rebuild`), so hashbrown never calls it.
fn rehash(entries: &[(Key, Value)]) -> impl Fn(&u32) -> u64 + '_ {
    |&j| wide(hash_of(&entries[j as usize].0))
}

/// Values may nest to any depth (`runtime::deep`).
impl Drop for Dict {
    fn drop(&mut self) {
        if !self.entries.is_empty() {
            super::deep::drop_deep(std::mem::take(&mut self.entries));
        }
    }
}

impl Dict {
    pub fn new() -> Dict {
        Dict::default()
    }

    pub fn with_capacity(n: usize) -> Dict {
        Dict {
            table: HashTable::with_capacity(n),
            entries: Vec::with_capacity(n),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The position of `k` in insertion order.
    #[inline]
    pub fn get_index_of(&self, k: &Key) -> Option<usize> {
        let h = hash_of(k);
        let entries = &self.entries;
        self.table
            .find(wide(h), |&i| entries[i as usize].0 == *k)
            .map(|&i| i as usize)
    }

    #[inline]
    pub fn get(&self, k: &Key) -> Option<&Value> {
        self.get_index_of(k).map(|i| &self.entries[i].1)
    }

    #[inline]
    pub fn get_mut(&mut self, k: &Key) -> Option<&mut Value> {
        self.get_index_of(k).map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key(&self, k: &Key) -> bool {
        self.get_index_of(k).is_some()
    }

    pub fn get_index(&self, i: usize) -> Option<(&Key, &Value)> {
        self.entries.get(i).map(|(k, v)| (k, v))
    }

    /// Insert or replace; a replaced key keeps its position. Returns the
    /// old value.
    #[inline]
    pub fn insert(&mut self, k: Key, v: Value) -> Option<Value> {
        let h = hash_of(&k);
        let entries = &self.entries;
        if let Some(&i) = self.table.find(wide(h), |&i| entries[i as usize].0 == k) {
            return Some(std::mem::replace(&mut self.entries[i as usize].1, v));
        }
        let i = u32::try_from(self.entries.len()).expect("dict too large");
        if self.table.len() == self.table.capacity() {
            self.rebuild(self.table.capacity() + 1);
        }
        self.entries.push((k, v));
        self.table.insert_unique(wide(h), i, rehash(&self.entries));
        None
    }

    /// Remove `k`, keeping the order of the others (O(n), like a list).
    pub fn shift_remove(&mut self, k: &Key) -> Option<Value> {
        let h = hash_of(k);
        let entries = &self.entries;
        let slot = self
            .table
            .find_entry(wide(h), |&i| entries[i as usize].0 == *k)
            .ok()?;
        let (i, _) = slot.remove();
        let (_, v) = self.entries.remove(i as usize);
        for j in self.table.iter_mut() {
            if *j > i {
                *j -= 1;
            }
        }
        Some(v)
    }

    pub fn reserve(&mut self, additional: usize) {
        let want = self.entries.len() + additional;
        if want > self.table.capacity() {
            self.rebuild(want);
        }
        self.entries.reserve(additional);
    }

    pub fn clear(&mut self) {
        self.table.clear();
        self.entries.clear();
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&Key, &Value)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    pub fn iter_mut(
        &mut self,
    ) -> impl DoubleEndedIterator<Item = (&Key, &mut Value)> + ExactSizeIterator {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Value> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }

    /// Keep the entries `keep` accepts, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&Key, &mut Value) -> bool) {
        self.entries.retain_mut(|(k, v)| keep(k, v));
        self.rebuild(self.entries.len());
    }

    /// Reorder the entries (their keys stay unique).
    pub fn sort_by(
        &mut self,
        mut cmp: impl FnMut(&Key, &Value, &Key, &Value) -> std::cmp::Ordering,
    ) {
        self.entries
            .sort_by(|(ka, va), (kb, vb)| cmp(ka, va, kb, vb));
        self.rebuild(self.entries.len());
    }

    /// A new table with room for `capacity` entries, filled from the
    /// entries in order (after they moved, or to grow: see the module
    /// documentation).
    fn rebuild(&mut self, capacity: usize) {
        let mut table = HashTable::with_capacity(capacity);
        for (i, (k, _)) in self.entries.iter().enumerate() {
            table.insert_unique(wide(hash_of(k)), i as u32, rehash(&self.entries));
        }
        self.table = table;
    }
}

impl FromIterator<(Key, Value)> for Dict {
    fn from_iter<I: IntoIterator<Item = (Key, Value)>>(iter: I) -> Dict {
        let mut d = Dict::new();
        d.extend(iter);
        d
    }
}

impl Extend<(Key, Value)> for Dict {
    fn extend<I: IntoIterator<Item = (Key, Value)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}

impl<'a> IntoIterator for &'a Dict {
    type Item = (&'a Key, &'a Value);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (Key, Value)>,
        fn(&'a (Key, Value)) -> (&'a Key, &'a Value),
    >;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl IntoIterator for Dict {
    type Item = (Key, Value);
    type IntoIter = std::vec::IntoIter<(Key, Value)>;

    fn into_iter(mut self) -> Self::IntoIter {
        std::mem::take(&mut self.entries).into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn s(x: &str) -> Key {
        Key::Str(Rc::new(x.to_string()))
    }

    #[test]
    fn insert_get_replace_keep_order() {
        let mut d = Dict::new();
        for i in 0..1000 {
            assert!(d.insert(Key::Int(i * 31), Value::Int(i)).is_none());
        }
        d.insert(s("a"), Value::Int(-1));
        assert_eq!(d.len(), 1001);
        assert!(matches!(
            d.insert(Key::Int(31), Value::Int(7)),
            Some(Value::Int(1))
        ));
        assert!(matches!(d.get(&Key::Int(31)), Some(Value::Int(7))));
        assert!(matches!(d.get(&s("a")), Some(Value::Int(-1))));
        assert!(d.get(&Key::Int(30)).is_none());
        // `1` and `"1"` are different keys.
        d.insert(s("31"), Value::Null);
        assert_eq!(d.get_index_of(&s("31")), Some(1001));
        let keys: Vec<i64> = d
            .keys()
            .take(3)
            .map(|k| match k {
                Key::Int(i) => *i,
                _ => -1,
            })
            .collect();
        assert_eq!(keys, [0, 31, 62]);
    }

    #[test]
    fn remove_keeps_order_and_indices() {
        let mut d: Dict = (0..100).map(|i| (Key::Int(i), Value::Int(i))).collect();
        assert!(matches!(
            d.shift_remove(&Key::Int(10)),
            Some(Value::Int(10))
        ));
        assert!(d.shift_remove(&Key::Int(10)).is_none());
        assert_eq!(d.len(), 99);
        for i in (0..100).filter(|&i| i != 10) {
            assert!(matches!(d.get(&Key::Int(i)), Some(Value::Int(v)) if *v == i));
        }
        assert_eq!(d.get_index_of(&Key::Int(11)), Some(10));
        d.retain(|k, _| matches!(k, Key::Int(i) if i % 2 == 0));
        assert_eq!(d.len(), 49);
        assert!(d.get(&Key::Int(12)).is_some() && d.get(&Key::Int(13)).is_none());
        d.sort_by(|a, _, b, _| b.sort_cmp(a));
        assert_eq!(d.get_index_of(&Key::Int(98)), Some(0));
        assert!(d.get(&Key::Int(0)).is_some());
    }
}
