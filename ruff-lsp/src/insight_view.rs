//! How JIT insight is shown: an inlay hint at the end of each loop header
//! line, a code lens above each function, a "▶ Run with JIT insight" lens at
//! the top of the file, and deoptimization spots as hint/information
//! diagnostics. Static verdicts come from `jit_insight`; after a run, the
//! measured facts (`telemetry`) replace them where they match.

use ruff_core::syntax::Span;
use serde_json::json;
use tower_lsp_server::ls_types::{
    self as lsp, CodeLens, Command, DiagnosticSeverity, InlayHint, InlayHintLabel,
    InlayHintTooltip, NumberOrString, Position, Range, Uri,
};

use crate::analysis::Analysis;
use crate::jit_insight::{Eligibility, InsightKind};
use crate::positions;
use crate::run_insight::COMMAND;
use crate::telemetry::{Entry, Telemetry};

/// Deopts seen at least this often are "hot spots" (information, not hint).
const HOT_DEOPT_COUNT: u64 = 10;

/// The result of the last run of a document with JIT insight.
#[derive(Debug, Default)]
pub struct Measured {
    pub telemetry: Telemetry,
    /// One line for the top lens: "ran in 12 ms; no JIT events ...".
    pub summary: String,
}

pub fn inlay_hints(
    a: &Analysis,
    measured: Option<&Measured>,
    show_static: bool,
    visible: Span,
) -> Vec<InlayHint> {
    a.eligibility
        .iter()
        .filter(|e| e.kind == InsightKind::Loop)
        .filter(|e| e.span.start >= visible.start && e.span.start <= visible.end)
        .filter_map(|e| {
            let (label, tooltip) = match measured_for(a, measured, e) {
                Some(entry) => (
                    entry.label(),
                    "Measured by the last run with JIT insight".to_string(),
                ),
                None if show_static => (e.label(), static_tooltip()),
                None => return None,
            };
            let line = a.lines.line0(e.span.start);
            Some(InlayHint {
                position: positions::end_of_line(&a.text, &a.lines, line),
                label: InlayHintLabel::String(label),
                kind: None,
                text_edits: None,
                tooltip: Some(InlayHintTooltip::String(tooltip)),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
        })
        .collect()
}

fn static_tooltip() -> String {
    "Static JIT eligibility (placeholder rules until the JIT's own analysis is available). \
     Run “Run with JIT insight” for measured facts."
        .to_string()
}

pub fn code_lenses(
    a: &Analysis,
    uri: &Uri,
    measured: Option<&Measured>,
    show_static: bool,
) -> Vec<CodeLens> {
    let args = Some(vec![json!({ "uri": uri.as_str() })]);
    let lens = |line: u32, title: String| CodeLens {
        range: Range {
            start: Position { line, character: 0 },
            end: Position { line, character: 0 },
        },
        command: Some(Command {
            title,
            command: COMMAND.to_string(),
            arguments: args.clone(),
        }),
        data: None,
    };
    let mut out = vec![lens(0, "▶ Run with JIT insight".to_string())];
    if let Some(m) = measured {
        out.push(lens(0, format!("last run: {}", m.summary)));
    }
    for e in a
        .eligibility
        .iter()
        .filter(|e| e.kind == InsightKind::Function)
    {
        let title = match measured_for(a, measured, e) {
            Some(entry) => entry.label(),
            None if show_static => e.label(),
            None => continue,
        };
        out.push(lens(a.lines.line0(e.span.start) as u32, title));
    }
    out
}

/// The measured entry about a function or loop: same span start, same
/// header line, or (functions) same name.
fn measured_for<'m>(
    a: &Analysis,
    measured: Option<&'m Measured>,
    e: &Eligibility,
) -> Option<&'m Entry> {
    let header = a.lines.line(e.span.start) as u32;
    measured?.telemetry.entries.iter().find(|entry| {
        let kind_ok = !matches!(
            (entry.at.kind.as_deref(), e.kind),
            (Some("loop"), InsightKind::Function) | (Some("function"), InsightKind::Loop)
        );
        let by_span = entry.at.span.is_some_and(|(s, _)| {
            s == e.span.start || (e.span.contains(s) && a.lines.line(s) as u32 == header)
        });
        let by_line = entry.at.line == Some(header);
        let by_name = e.kind == InsightKind::Function
            && entry.at.span.is_none()
            && entry.at.line.is_none()
            && entry.at.name.as_deref() == Some(e.name.as_str());
        kind_ok && (by_span || by_line || by_name)
    })
}

pub fn deopt_diagnostics(a: &Analysis, measured: Option<&Measured>) -> Vec<lsp::Diagnostic> {
    let Some(m) = measured else {
        return Vec::new();
    };
    m.telemetry
        .deopts
        .iter()
        .filter_map(|d| {
            let range = match (d.at.span, d.at.line) {
                (Some((s, e)), _) => positions::range(&a.text, &a.lines, Span::new(s, e.max(s))),
                (None, Some(line)) if line >= 1 => {
                    let line0 = line as usize - 1;
                    if line0 >= a.lines.line_count() {
                        return None;
                    }
                    Range {
                        start: Position {
                            line: line0 as u32,
                            character: 0,
                        },
                        end: positions::end_of_line(&a.text, &a.lines, line0),
                    }
                }
                _ => return None,
            };
            let severity = if d.count >= HOT_DEOPT_COUNT {
                DiagnosticSeverity::INFORMATION
            } else {
                DiagnosticSeverity::HINT
            };
            let times = if d.count == 1 {
                String::new()
            } else {
                format!(" ×{}", crate::telemetry::thousands(d.count))
            };
            Some(lsp::Diagnostic {
                range,
                severity: Some(severity),
                code: Some(NumberOrString::String("jit-deopt".into())),
                source: Some("ruff-jit".into()),
                message: format!("{}{times}", d.message),
                ..lsp::Diagnostic::default()
            })
        })
        .collect()
}
