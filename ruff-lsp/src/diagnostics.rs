//! ruff-core diagnostics → LSP diagnostics: exact ranges (UTF-16), the
//! severity ruff-core assigned, the stable code, secondary labels as related
//! information, and the "unnecessary" tag on unreachable code and unused
//! variables so editors
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
        tags: matches!(d.code, codes::UNREACHABLE | codes::UNUSED_VARIABLE)
            .then(|| vec![DiagnosticTag::UNNECESSARY]),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::analysis;

    #[test]
    fn ranges_severities_codes_and_tags() {
        let src = "let a := \"é😀\"\na = 2\nfunc f() {\n  return 1\n  print(zz)\n}\nbreak\n";
        let a = analysis(src);
        let uri: Uri = "file:///x.ruff".parse().unwrap();
        let d = to_lsp(&uri, &a);
        let by_code = |c: &str| {
            d.iter()
                .find(|x| x.code == Some(NumberOrString::String(c.into())))
                .unwrap_or_else(|| panic!("no {c}: {d:#?}"))
        };
        let immut = by_code(codes::ASSIGN_IMMUTABLE);
        assert_eq!(immut.severity, Some(DiagnosticSeverity::WARNING));
        assert_eq!(
            (immut.range.start.line, immut.range.start.character),
            (1, 0)
        );
        assert!(immut.related_information.is_some());
        let unreachable = by_code(codes::UNREACHABLE);
        assert_eq!(unreachable.tags, Some(vec![DiagnosticTag::UNNECESSARY]));
        assert_eq!(unreachable.range.start.line, 4);
        let brk = by_code(codes::LOOP_CONTROL_OUTSIDE_LOOP);
        assert_eq!(brk.severity, Some(DiagnosticSeverity::ERROR));
        assert_eq!(brk.range.start.line, 6);
    }

    #[test]
    fn all_syntax_errors_at_once() {
        let src = "x := (1 +\ny := 2\nfunc (\nz := ]\n";
        let a = analysis(src);
        let errors = a.diagnostics.iter().filter(|d| d.is_error()).count();
        assert!(errors >= 2, "{:?}", a.diagnostics);
    }
}
