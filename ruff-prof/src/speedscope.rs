//! speedscope's file format (https://www.speedscope.app/file-format-schema.json):
//! one "sampled" profile whose samples are in time order, so speedscope's
//! "Time Order" view shows the program's phases, and whose weights are the
//! real time between samples in milliseconds (the sampler may skip a
//! deadline on a busy machine; the weights keep the timeline honest).
//! Frame names carry the tier as in the folded output.

use std::collections::HashMap;

use serde_json::{json, Value};

use crate::profile::Profile;

pub fn render(p: &Profile) -> String {
    let mut frames: Vec<Value> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // Stack id -> frame indices, built once per distinct stack.
    let stacks: Vec<Vec<usize>> = p
        .raw
        .stacks
        .iter()
        .map(|stack| {
            stack
                .iter()
                .map(|f| {
                    let name = p.program.label(f);
                    *index.entry(name.clone()).or_insert_with(|| {
                        let mut frame = json!({ "name": name, "file": p.program.file });
                        if f.line > 0 {
                            frame["line"] = json!(f.line);
                        }
                        frames.push(frame);
                        frames.len() - 1
                    })
                })
                .collect()
        })
        .collect();
    let nominal_ms = 1000.0 / f64::from(p.rate_hz.max(1));
    let mut samples = Vec::with_capacity(p.raw.samples.len());
    let mut weights = Vec::with_capacity(p.raw.samples.len());
    let mut prev_us: Option<u64> = None;
    for &(id, at_us) in &p.raw.samples {
        samples.push(json!(stacks[id as usize]));
        let w = prev_us.map_or(nominal_ms, |prev| {
            at_us.saturating_sub(prev) as f64 / 1000.0
        });
        weights.push(json!(w));
        prev_us = Some(at_us);
    }
    let end: f64 = weights.iter().filter_map(Value::as_f64).sum();
    let doc = json!({
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": { "frames": frames },
        "profiles": [{
            "type": "sampled",
            "name": format!("{} ({})", p.program.file, crate::svg::tier_line(p)),
            "unit": "milliseconds",
            "startValue": 0.0,
            "endValue": end,
            "samples": samples,
            "weights": weights,
        }],
        "name": format!("ruff-prof: {}", p.program.file),
        "activeProfileIndex": 0,
        "exporter": concat!("ruff-prof ", env!("CARGO_PKG_VERSION")),
    });
    let mut s = doc.to_string();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::tests::{frame, sample_profile};
    use ruff_core::runtime::shadow::Tier;

    #[test]
    fn sampled_profile_shape() {
        let p = sample_profile(vec![
            (
                vec![frame(0, Tier::Interpreted, 7), frame(1, Tier::Native, 2)],
                3,
            ),
            (vec![frame(0, Tier::Interpreted, 7)], 1),
        ]);
        let v: Value = serde_json::from_str(&render(&p)).expect("json");
        let frames = v["shared"]["frames"].as_array().expect("frames");
        assert_eq!(frames.len(), 2);
        assert_eq!(frames[1]["name"], "f (t.ruff:2) [native]");
        let prof = &v["profiles"][0];
        assert_eq!(prof["type"], "sampled");
        assert_eq!(prof["samples"].as_array().map(Vec::len), Some(4));
        assert_eq!(prof["samples"][0], json!([0, 1]));
        assert_eq!(prof["weights"].as_array().map(Vec::len), Some(4));
    }
}
