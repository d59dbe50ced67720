//! ruff-core diagnostics → LSP diagnostics: exact ranges (UTF-16), the
//! severity ruff-core assigned, the stable code, secondary labels as related
//! information, and the "unnecessary" tag on unreachable code so editors
//! fade it out instead of underlining it.

use ruff_core::diagnostics::{codes, Diagnostic, Severity};
use tower_lsp_server::ls_types::{
    self as lsp, DiagnosticRelatedInformation, DiagnosticSeverity, DiagnosticTag, Location,
    NumberOrString, Uri,
};

use crate::analysis::Analysis;
use crate::positions;

pub fn to_lsp(uri: &Uri, a: &Analysis) -> Vec<lsp::Diagnostic> {
    a.diagnostics.iter().map(|d| convert(uri, a, d)).collect()
}

fn convert(uri: &Uri, a: &Analysis, d: &Diagnostic) -> lsp::Diagnostic {
    let range = positions::range(&a.text, &a.lines, d.span);
    let related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .map(|l| DiagnosticRelatedInformation {
            location: Location {
                uri: uri.clone(),
                range: positions::range(&a.text, &a.lines, l.span),
            },
            message: l.message.clone(),
        })
        .collect();
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    lsp::Diagnostic {
        range,
        severity: Some(severity(d.severity)),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("ruff".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: (d.code == codes::UNREACHABLE).then(|| vec![DiagnosticTag::UNNECESSARY]),
        ..lsp::Diagnostic::default()
    }
}

pub fn severity(s: Severity) -> DiagnosticSeverity {
    match s {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
        Severity::Hint => DiagnosticSeverity::HINT,
    }
}
