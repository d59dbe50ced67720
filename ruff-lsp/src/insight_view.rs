//! How JIT insight is shown: a short inlay hint at the end of each loop
//! header line (the full story in its tooltip), a code lens above each
//! function, a "▶ Run with JIT insight" lens at the top of the file,
//! refusals as hint diagnostics underlining the construct, and exit sites
//! as hint/information diagnostics. Static verdicts come from
//! `jit_insight`; after a run, the measured facts (`telemetry`) replace them
//! where they match (loops by header line, functions by name and line).

use ruff_core::syntax::Span;
use serde_json::json;
use tower_lsp_server::ls_types::{
    self as lsp, CodeLens, Command, DiagnosticSeverity, InlayHint, InlayHintLabel,
    InlayHintTooltip, NumberOrString, Position, Range, Uri,
};

use crate::analysis::Analysis;
use crate::jit_insight::{refusal_story, Eligibility, InsightKind, Verdict};
use crate::positions;
use crate::run_insight::COMMAND;
use crate::telemetry::{fmt_ms, fmt_pct, thousands, Telemetry, UnitFacts};

/// Exit sites seen at least this often are "hot spots" (information, not hint).
const HOT_EXIT_COUNT: u64 = 8;

/// The result of the last run of a document with JIT insight.
#[derive(Debug, Default)]
pub struct Measured {
    pub telemetry: Telemetry,
    /// One line for the top lens: "ran in 12 ms; ..." or "failed: ...".
    pub summary: String,
}

/// Measured facts about one function or loop of the file, as shown.
struct View {
    /// Inlay hint text (loops): a few words.
    short: String,
    /// The full story (tooltips, hover, lenses).
    story: String,
}

pub fn inlay_hints(
    a: &Analysis,
    measured: Option<&Measured>,
    show_static: bool,
    visible: Span,
) -> Vec<InlayHint> {
    a.eligibility()
        .iter()
        .filter(|e| e.kind == InsightKind::Loop)
        .filter(|e| e.span.start >= visible.start && e.span.start <= visible.end)
        .filter_map(|e| {
            let (label, tooltip) = match view(a, measured, e) {
                Some(v) => (v.short, format!("{} (last run with JIT insight)", v.story)),
                None if show_static => (e.label(), format!("{} Static check.", e.story())),
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
        .eligibility()
        .iter()
        .filter(|e| e.kind == InsightKind::Function)
    {
        let title = match view(a, measured, e) {
            Some(v) => v.story,
            None if show_static => match &e.verdict {
                Verdict::Eligible => e.label(),
                Verdict::Refused { .. } => e.story(),
            },
            None => continue,
        };
        out.push(lens(a.lines.line0(e.span.start) as u32, title));
    }
    out
}

/// The measured story of the function or loop whose header is on `line0`
/// (for hover), if the last run measured it.
pub fn story_at_line(a: &Analysis, measured: Option<&Measured>, line0: usize) -> Option<String> {
    a.eligibility()
        .iter()
        .filter(|e| a.lines.line0(e.span.start) == line0)
        .find_map(|e| view(a, measured, e))
        .map(|v| v.story)
}

/// The 1-based line the JIT names a function by (its name) or a loop by
/// (its header).
fn unit_line(a: &Analysis, e: &Eligibility) -> u32 {
    a.lines.line(e.name_offset) as u32
}

fn view(a: &Analysis, measured: Option<&Measured>, e: &Eligibility) -> Option<View> {
    let t = &measured?.telemetry;
    let line = unit_line(a, e);
    match e.kind {
        InsightKind::Loop => t.loop_at(line).map(|u| loop_view(t, u)),
        InsightKind::Function => {
            let name = e.name.rsplit('.').next().unwrap_or(&e.name);
            match t.function(name, line) {
                Some(u) => Some(function_view(t, u, name, line)),
                // Never called natively and never hot: only its loops ran.
                None => osr_only_view(t, name, line),
            }
        }
    }
}

fn refused_story(u: &UnitFacts) -> Option<String> {
    let r = u.refused.as_ref()?;
    Some(refusal_story(&r.code, &r.message))
}

fn loop_view(t: &Telemetry, u: &UnitFacts) -> View {
    let s = u.summary;
    let pct = u.native_pct();
    let short = match (&u.refused, pct) {
        (Some(r), _) if !s.is_some_and(|s| s.compiled) => {
            format!("not compiled: {}", Verdict::short(&r.code))
        }
        (_, Some(p)) => format!("⚡ {} native", fmt_pct(p)),
        (_, None) if s.is_some_and(|s| s.compiled) => "⚡ compiled".to_string(),
        _ => "interpreted".to_string(),
    };
    let mut story = Vec::new();
    if let Some(r) = refused_story(u) {
        story.push(r);
    }
    if let (Some(s), Some(p)) = (s, pct) {
        story.push(format!(
            "{} of {} iterations ran natively ({})",
            thousands(s.native_iterations.unwrap_or(0)),
            thousands(s.iterations.unwrap_or(0)),
            fmt_pct(p)
        ));
    }
    if !u.compiles.is_empty() {
        let after = u
            .hot_after
            .map(|n| format!(" after {} iterations", thousands(n)))
            .unwrap_or_default();
        story.push(format!(
            "compiled{after} in {} ms",
            fmt_ms(u.compile_micros())
        ));
    }
    if let Some(s) = s {
        if let Some(n) = s.native_entries {
            story.push(format!("entered natively {} times", thousands(n)));
        }
        if s.exits > 0 {
            story.push(format!("{} exits to the interpreter", thousands(s.exits)));
        }
    }
    if let Some(f) = t.fate(&u.unit) {
        story.push(f);
    }
    if story.is_empty() {
        story.push("ran in the interpreter".to_string());
    }
    View {
        short,
        story: format!("Loop: {}.", story.join("; ")),
    }
}

fn function_view(t: &Telemetry, u: &UnitFacts, name: &str, line: u32) -> View {
    let mut story = Vec::new();
    let s = u.summary;
    if let Some(r) = refused_story(u) {
        story.push(r);
    }
    match s {
        Some(s) if s.compiled => {
            let after = u
                .hot_after
                .map(|n| format!(" after {} calls", thousands(n)))
                .unwrap_or_default();
            story.push(format!(
                "⚡ compiled{after} in {} ms",
                fmt_ms(u.compile_micros())
            ));
            if let Some(n) = s.native_entries {
                story.push(format!("{} native entries", thousands(n)));
            }
            story.push(format!(
                "{} calls through the interpreter",
                thousands(s.entries)
            ));
        }
        Some(s) => story.push(format!("interpreted: {} calls", thousands(s.entries))),
        None => {}
    }
    if let Some(s) = s.filter(|s| s.exits > 0) {
        story.push(format!("{} exits to the interpreter", thousands(s.exits)));
    }
    if let Some(f) = t.fate(&u.unit) {
        story.push(f);
    }
    story.extend(loop_lines(t, name, line));
    let story = story.join("; ");
    View {
        short: story.clone(),
        story,
    }
}

/// A function that was never compiled as a whole but whose loops ran
/// natively (OSR), or that ran only a little.
fn osr_only_view(t: &Telemetry, name: &str, line: u32) -> Option<View> {
    let loops = loop_lines(t, name, line);
    if loops.is_empty() {
        return None;
    }
    let story = format!("not compiled as a whole; {}", loops.join("; "));
    Some(View {
        short: story.clone(),
        story,
    })
}

fn loop_lines(t: &Telemetry, name: &str, line: u32) -> Vec<String> {
    t.loops_of(name, line)
        .filter_map(|l| {
            let p = l.native_pct()?;
            Some(format!(
                "its loop at line {} ran {} native (OSR)",
                l.unit.loop_line.unwrap_or(0),
                fmt_pct(p)
            ))
        })
        .collect()
}

/// Refusals (static, or measured after a run) as hint diagnostics that
/// underline the construct the JIT refused.
pub fn refusal_diagnostics(a: &Analysis, measured: Option<&Measured>) -> Vec<lsp::Diagnostic> {
    let mut out: Vec<(Span, String)> = Vec::new();
    for e in a.eligibility() {
        if let Verdict::Refused {
            code,
            message,
            span,
        } = &e.verdict
        {
            out.push((*span, refusal_story(code, message)));
        }
    }
    if let Some(m) = measured {
        for u in &m.telemetry.units {
            if let Some(r) = &u.refused {
                if r.span.end > r.span.start && r.span.end as usize <= a.text.len() {
                    out.push((r.span, refusal_story(&r.code, &r.message)));
                }
            }
        }
    }
    out.sort_by_key(|(s, _)| (s.start, s.end));
    out.dedup();
    out.into_iter()
        .map(|(span, message)| lsp::Diagnostic {
            range: positions::range(&a.text, &a.lines, span),
            severity: Some(DiagnosticSeverity::HINT),
            code: Some(NumberOrString::String("jit-refused".into())),
            source: Some("ruff-jit".into()),
            message,
            ..lsp::Diagnostic::default()
        })
        .collect()
}

/// Exit sites of the last run: the reason, the guard's expected and
/// observed types, how often, and what became of the unit.
pub fn exit_diagnostics(a: &Analysis, measured: Option<&Measured>) -> Vec<lsp::Diagnostic> {
    let Some(m) = measured else {
        return Vec::new();
    };
    let t = &m.telemetry;
    t.exits
        .iter()
        .filter(|d| d.span.end as usize <= a.text.len())
        .map(|d| {
            let mut message = format!("JIT exit to the interpreter: {}", d.reason);
            if d.reason == "type-guard" {
                message.push_str(&format!(
                    " (expected {}, observed {})",
                    d.expected, d.observed
                ));
            }
            message.push_str(&format!("; at least {} times here", thousands(d.at_least)));
            if let Some(total) = t.unit_exits(&d.unit) {
                message.push_str(&format!(
                    ", {} exits in this {} in all",
                    thousands(total),
                    if d.unit.loop_index.is_some() {
                        "loop"
                    } else {
                        "function"
                    }
                ));
            }
            if let Some(f) = t.fate(&d.unit) {
                message.push_str("; ");
                message.push_str(&f);
            }
            let severity = if d.at_least >= HOT_EXIT_COUNT {
                DiagnosticSeverity::INFORMATION
            } else {
                DiagnosticSeverity::HINT
            };
            lsp::Diagnostic {
                range: positions::range(&a.text, &a.lines, d.span),
                severity: Some(severity),
                code: Some(NumberOrString::String("jit-deopt".into())),
                source: Some("ruff-jit".into()),
                message,
                ..lsp::Diagnostic::default()
            }
        })
        .collect()
}
