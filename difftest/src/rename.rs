//! Canonical names for a shrunk program: the generator numbers every name
//! from one counter (`v43`, `f14`, `S1`), so two shrunk programs with the
//! same shape differ only in numbers. Renumbering each prefix from 1 in
//! order of first appearance makes findings easier to read and lets the
//! campaign report identical ones once.
//!
//! Works on the printed text: identifiers are renamed in code and inside
//! `${...}` interpolations, never in string literals or comments.

use std::collections::HashMap;

/// Name prefixes the generator uses (`gen`'s `fresh` calls).
const PREFIXES: &[&str] = &[
    "gf", "v", "f", "g", "p", "q", "i", "w", "e", "c", "x", "m", "S",
];

pub fn canonical(source: &str) -> String {
    let mut r = Renamer {
        chars: source.chars().collect(),
        pos: 0,
        out: String::with_capacity(source.len()),
        names: HashMap::new(),
        counts: HashMap::new(),
    };
    r.code(false);
    r.out
}

struct Renamer {
    chars: Vec<char>,
    pos: usize,
    out: String,
    names: HashMap<String, String>,
    counts: HashMap<&'static str, u32>,
}

impl Renamer {
    fn peek(&self, k: usize) -> Option<char> {
        self.chars.get(self.pos + k).copied()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek(0) {
            self.out.push(c);
            self.pos += 1;
        }
    }

    /// Code up to the end (or, in an interpolation, its closing `}`).
    fn code(&mut self, interpolation: bool) {
        let mut depth = 0u32;
        while let Some(c) = self.peek(0) {
            match c {
                '"' => {
                    self.bump();
                    self.string();
                }
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                '{' => {
                    depth += 1;
                    self.bump();
                }
                '}' => {
                    if depth == 0 && interpolation {
                        return;
                    }
                    depth = depth.saturating_sub(1);
                    self.bump();
                }
                c if c.is_ascii_alphabetic() || c == '_' => self.ident(),
                c if c.is_ascii_digit() => {
                    // A number (possibly `1e10`): copy it whole.
                    while self
                        .peek(0)
                        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
                    {
                        self.bump();
                    }
                }
                _ => self.bump(),
            }
        }
    }

    /// The rest of a `"` string, interpolations renamed.
    fn string(&mut self) {
        while let Some(c) = self.peek(0) {
            match c {
                '\\' => {
                    self.bump();
                    self.bump();
                }
                '"' => {
                    self.bump();
                    return;
                }
                '$' if self.peek(1) == Some('{') => {
                    self.bump();
                    self.bump();
                    self.code(true);
                    self.bump(); // the closing `}`
                }
                _ => self.bump(),
            }
        }
    }

    fn ident(&mut self) {
        let start = self.pos;
        while self
            .peek(0)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        let word: String = self.chars[start..self.pos].iter().collect();
        let renamed = self.rename(&word).unwrap_or(word);
        self.out.push_str(&renamed);
    }

    fn rename(&mut self, word: &str) -> Option<String> {
        if let Some(n) = self.names.get(word) {
            return Some(n.clone());
        }
        let split = word.find(|c: char| c.is_ascii_digit())?;
        let (prefix, digits) = word.split_at(split);
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let prefix = *PREFIXES.iter().find(|p| **p == prefix)?;
        let n = self.counts.entry(prefix).or_insert(0);
        *n += 1;
        let new = format!("{prefix}{n}");
        self.names.insert(word.to_string(), new.clone());
        Some(new)
    }
}
