//! Server settings: from `initializationOptions` at start-up and from
//! `workspace/didChangeConfiguration` later. Unknown or ill-typed values
//! are ignored (the previous value stays).
//!
//! initializationOptions: `{ "jitHints": bool, "parameterHints": bool,
//! "ruffPath": string, "insightTimeoutSeconds": number }`.
//! didChangeConfiguration: `{ "ruffLang": { "jitHints": { "enabled": bool },
//! "parameterHints": bool, "ruffPath": string, "insightTimeoutSeconds":
//! number } }`, or the same
//! flat object as initializationOptions (what editors/vscode sends, so one
//! shape serves both messages).

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// Show static JIT eligibility hints and lenses.
    pub jit_hints: bool,
    /// Show parameter-name inlay hints at call sites.
    pub parameter_hints: bool,
    pub ruff_path: Option<PathBuf>,
    pub insight_timeout: Duration,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            jit_hints: true,
            parameter_hints: true,
            ruff_path: None,
            insight_timeout: Duration::from_secs(10),
        }
    }
}

impl Settings {
    pub fn from_initialization_options(opts: Option<&Value>) -> Settings {
        let mut s = Settings::default();
        if let Some(v) = opts {
            s.apply_fields(v);
        }
        s
    }

    /// Apply a `didChangeConfiguration` payload.
    pub fn apply_change(&mut self, settings: &Value) {
        match settings.get("ruffLang") {
            Some(section) => self.apply_fields(section),
            None => self.apply_fields(settings),
        }
    }

    fn apply_fields(&mut self, v: &Value) {
        match v.get("jitHints") {
            Some(Value::Bool(b)) => self.jit_hints = *b,
            Some(obj @ Value::Object(_)) => {
                if let Some(Value::Bool(b)) = obj.get("enabled") {
                    self.jit_hints = *b;
                }
            }
            _ => {}
        }
        if let Some(Value::Bool(b)) = v.get("parameterHints") {
            self.parameter_hints = *b;
        }
        if let Some(Value::String(p)) = v.get("ruffPath") {
            self.ruff_path = (!p.trim().is_empty()).then(|| PathBuf::from(p));
        }
        if let Some(secs) = v.get("insightTimeoutSeconds").and_then(Value::as_f64) {
            if secs.is_finite() && secs > 0.0 {
                self.insight_timeout = Duration::from_secs_f64(secs.min(3600.0));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn init_options_and_changes() {
        let mut s = Settings::from_initialization_options(Some(&json!({
            "jitHints": false, "ruffPath": "/opt/ruff", "insightTimeoutSeconds": 2.5
        })));
        assert!(!s.jit_hints);
        assert_eq!(s.ruff_path, Some(PathBuf::from("/opt/ruff")));
        assert_eq!(s.insight_timeout, Duration::from_millis(2500));
        s.apply_change(&json!({ "ruffLang": { "jitHints": { "enabled": true } } }));
        assert!(s.jit_hints);
        s.apply_change(&json!({ "other": 1, "ruffLang": { "jitHints": "yes" } }));
        assert!(s.jit_hints, "ill-typed values are ignored");
        s.apply_change(&json!({ "jitHints": false, "parameterHints": false }));
        assert!(!s.parameter_hints);
        assert!(!s.jit_hints, "the flat shape editors/vscode sends");
        assert_eq!(
            Settings::from_initialization_options(None),
            Settings::default()
        );
    }
}
