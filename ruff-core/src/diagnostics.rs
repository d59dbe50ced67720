//! Static diagnostics: a stable code, a severity, a message, a primary span,
//! optional secondary labels and help. Rendering to text goes through
//! codespan-reporting; JSON goes through serde.

use crate::syntax::{LineIndex, Span};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
    Hint,
}

/// A secondary label pointing at another place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable code, e.g. `E0001`; see `codes` below.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub span: Span,
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            span,
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message, span)
        }
    }

    pub fn with_label(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: message.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// The stable diagnostic codes. Tools (the language server, `ruff check
/// --format json`) key on these, so never renumber one.
pub mod codes {
    /// A lexical error: bad character, bad escape, unterminated string, int
    /// literal out of range.
    pub const LEX: &str = "E0001";
    /// A syntax error: unexpected token, missing token.
    pub const SYNTAX: &str = "E0002";
    /// Nesting deeper than the parser accepts, or source too large.
    pub const LIMIT: &str = "E0003";
    /// A reserved keyword whose feature is not supported (`import`, `async`...).
    pub const UNSUPPORTED: &str = "E0004";
    /// `a := b := 1`.
    pub const CHAINED_ASSIGNMENT: &str = "E0005";
    /// `break`/`continue` outside a loop.
    pub const LOOP_CONTROL_OUTSIDE_LOOP: &str = "E0006";
    /// `let x` twice in one scope.
    pub const DUPLICATE_DECLARATION: &str = "E0007";
    /// `return` outside a function.
    pub const RETURN_OUTSIDE_FUNCTION: &str = "E0008";
    /// An assignment target that is not a name, index or field.
    pub const INVALID_ASSIGNMENT_TARGET: &str = "E0009";
    /// Warning: a name that is never declared.
    pub const UNDEFINED_NAME: &str = "W0001";
    /// Warning: assigning to a `let`/`const` binding.
    pub const ASSIGN_IMMUTABLE: &str = "W0002";
    /// Warning: `=` to a name that is not declared.
    pub const ASSIGN_UNDECLARED: &str = "W0003";
    /// Warning: a call with the wrong number of arguments.
    pub const WRONG_ARITY: &str = "W0004";
    /// Warning: code after `return`/`break`/`continue`/`throw`.
    pub const UNREACHABLE: &str = "W0005";
    /// Warning: a struct literal or access naming a field the struct lacks.
    pub const UNKNOWN_FIELD: &str = "W0006";
    /// Warning: a local `let`/`mut`/`const`/`:=` binding that is never used
    /// after its declaration (names starting with `_` are exempt).
    pub const UNUSED_VARIABLE: &str = "W0007";
}

/// Longest source line a rendered diagnostic quotes.
const MAX_SHOWN_LINE: usize = 1000;

/// Render diagnostics as text (`error[CODE]: message / --> file:line:col /
/// source line with a caret`).
pub fn render(file_name: &str, source: &str, diagnostics: &[Diagnostic], color: bool) -> String {
    use codespan_reporting::diagnostic as cs;
    use codespan_reporting::files::SimpleFile;
    use codespan_reporting::term;

    let file = SimpleFile::new(file_name, source);
    let config = term::Config {
        chars: term::Chars::ascii(),
        ..term::Config::default()
    };
    let mut out = Vec::new();
    for d in diagnostics {
        let severity = match d.severity {
            Severity::Error => cs::Severity::Error,
            Severity::Warning => cs::Severity::Warning,
            Severity::Info => cs::Severity::Note,
            Severity::Hint => cs::Severity::Help,
        };
        let clamp = |s: Span| {
            let end = (s.end as usize).min(source.len());
            let start = (s.start as usize).min(end);
            start..end
        };
        let mut notes = Vec::new();
        let mut labels = Vec::new();
        // A source line too long to show (a minified or generated file) is
        // replaced by its location, so a huge file gives a short report.
        let line_len = {
            let r = clamp(d.span);
            let start = source[..r.start].rfind('\n').map_or(0, |i| i + 1);
            let end = source[r.start..]
                .find('\n')
                .map_or(source.len(), |i| r.start + i);
            end - start
        };
        if line_len > MAX_SHOWN_LINE {
            let index = LineIndex::new(source);
            let (line, col) = index.line_col(source, d.span.start);
            notes.push(format!(
                "at {file_name}:{line}:{col} (line too long to show)"
            ));
        } else {
            labels.push(cs::Label::primary((), clamp(d.span)));
            for l in &d.labels {
                labels
                    .push(cs::Label::secondary((), clamp(l.span)).with_message(l.message.clone()));
            }
        }
        if let Some(help) = &d.help {
            notes.push(format!("help: {help}"));
        }
        let diag = cs::Diagnostic::new(severity)
            .with_code(d.code)
            .with_message(d.message.clone())
            .with_labels(labels)
            .with_notes(notes);
        if color {
            let mut buf = term::termcolor::Buffer::ansi();
            let _ = term::emit_to_write_style(&mut buf, &config, &file, &diag);
            out.extend_from_slice(buf.as_slice());
        } else {
            let mut buf = term::termcolor::Buffer::no_color();
            let _ = term::emit_to_write_style(&mut buf, &config, &file, &diag);
            out.extend_from_slice(buf.as_slice());
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One JSON object per diagnostic, as `ruff check --format json` prints them.
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    pub code: &'a str,
    pub message: &'a str,
    pub severity: Severity,
    pub file: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

pub fn to_json_line(file_name: &str, source: &str, index: &LineIndex, d: &Diagnostic) -> String {
    let (line, column) = index.line_col(source, d.span.start);
    let (end_line, end_column) = index.line_col(source, d.span.end);
    serde_json::to_string(&JsonDiagnostic {
        code: d.code,
        message: &d.message,
        severity: d.severity,
        file: file_name,
        line,
        column,
        end_line,
        end_column,
    })
    .unwrap_or_default()
}
