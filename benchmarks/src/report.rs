//! The results of a run and their two renderings: a Markdown table for
//! people and JSON for tools.

use std::fmt::Write as _;
use std::time::Duration;

use benchmarks::programs::{Program, Size};
use serde_json::{json, Value};

use crate::runtimes::{Runtime, RuntimeId};
use crate::timing::Exit;

/// The outcome of one program under one runtime.
#[derive(Debug)]
pub enum Cell {
    /// Correct output every time; the timed runs (warm-up excluded).
    Timed {
        times: Vec<Duration>,
        max_rss_kib: u64,
    },
    /// Output differed from the reference: no time is reported.
    WrongOutput { got: String, stderr: String },
    /// Non-zero exit, signal or timeout.
    Failed { exit: Exit, stderr: String },
    /// Not run: the runtime is missing, or its program could not be prepared.
    Skipped(String),
}

impl Cell {
    fn median(&self) -> Option<Duration> {
        match self {
            Cell::Timed { times, .. } => median(times),
            _ => None,
        }
    }
}

/// Everything measured for one program.
#[derive(Debug)]
pub struct ProgramResult {
    pub program: &'static Program,
    /// The output every runtime must print.
    pub reference: String,
    /// Where `reference` came from: `cpython` or `expected file`.
    pub reference_source: &'static str,
    /// One cell per runtime, in the order of `Report::runtimes`.
    pub cells: Vec<Cell>,
    /// Remarks worth a line under the table (e.g. CPython disagreeing with
    /// the stored expected output).
    pub notes: Vec<String>,
}

/// A whole run of the suite.
#[derive(Debug)]
pub struct Report {
    pub date: String,
    pub size: Size,
    pub runs: usize,
    pub machine: Vec<(String, String)>,
    pub runtimes: Vec<Runtime>,
    pub results: Vec<ProgramResult>,
}

pub fn median(times: &[Duration]) -> Option<Duration> {
    if times.is_empty() {
        return None;
    }
    let mut sorted = times.to_vec();
    sorted.sort();
    let mid = sorted.len() / 2;
    Some(if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2
    })
}

impl Report {
    fn cpython_index(&self) -> Option<usize> {
        self.runtimes
            .iter()
            .position(|r| r.id == RuntimeId::CPython)
    }

    /// CPython median / this median, when both exist.
    fn ratio(&self, result: &ProgramResult, index: usize) -> Option<f64> {
        let cpython = result.cells.get(self.cpython_index()?)?.median()?;
        let other = result.cells[index].median()?;
        let other = other.as_secs_f64();
        (other > 0.0).then(|| cpython.as_secs_f64() / other)
    }

    /// Geometric mean of the ratios to CPython over the programs where both
    /// were timed (start-up excluded, as it measures something else).
    fn geomean_ratio(&self, index: usize) -> Option<(f64, usize)> {
        let ratios: Vec<f64> = self
            .results
            .iter()
            .filter(|r| r.program.name != "hello")
            .filter_map(|r| self.ratio(r, index))
            .collect();
        if ratios.is_empty() {
            return None;
        }
        let log_sum: f64 = ratios.iter().map(|r| r.ln()).sum();
        Some(((log_sum / ratios.len() as f64).exp(), ratios.len()))
    }

    pub fn to_markdown(&self) -> String {
        let mut out = String::new();
        let columns: Vec<usize> = (0..self.runtimes.len())
            .filter(|&i| self.runtimes[i].is_available())
            .collect();
        let _ = writeln!(
            out,
            "Benchmarks, {} size, median of {} runs after 1 warm-up, {}",
            self.size.name(),
            self.runs,
            self.date
        );
        let _ = writeln!(out);
        for (key, value) in &self.machine {
            let _ = writeln!(out, "- {key}: {value}");
        }
        for runtime in &self.runtimes {
            match &runtime.available {
                Ok(()) => {
                    let _ = writeln!(out, "- {}: {}", runtime.label, runtime.version);
                }
                Err(reason) => {
                    let _ = writeln!(out, "- {}: skipped, {reason}", runtime.label);
                }
            }
        }
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Median wall-clock time of the whole process in seconds; in parentheses \
             CPython's time divided by it (above 1 = faster than CPython)."
        );
        let _ = writeln!(out);

        let mut header = String::from("| program |");
        let mut rule = String::from("|---|");
        for &i in &columns {
            let _ = write!(header, " {} |", self.runtimes[i].label);
            rule.push_str("---:|");
        }
        let _ = writeln!(out, "{header}");
        let _ = writeln!(out, "{rule}");
        for result in &self.results {
            let mut row = format!("| {} |", result.program.name);
            for &i in &columns {
                let text = match &result.cells[i] {
                    Cell::Timed { .. } => {
                        let secs = format_secs(result.cells[i].median().unwrap_or_default());
                        match self.ratio(result, i) {
                            Some(ratio) if self.runtimes[i].id != RuntimeId::CPython => {
                                format!("{secs} ({})", format_ratio(ratio))
                            }
                            _ => secs,
                        }
                    }
                    Cell::WrongOutput { .. } => "WRONG OUTPUT".to_string(),
                    Cell::Failed { exit, .. } => describe_exit(exit).to_uppercase(),
                    Cell::Skipped(_) => "n/a".to_string(),
                };
                let _ = write!(row, " {text} |");
            }
            let _ = writeln!(out, "{row}");
        }
        let mut row = String::from("| *geometric mean vs CPython (excl. hello)* |");
        for &i in &columns {
            let text = match self.geomean_ratio(i) {
                _ if self.runtimes[i].id == RuntimeId::CPython => "1.00×".to_string(),
                Some((ratio, _)) => format_ratio(ratio),
                None => "".to_string(),
            };
            let _ = write!(row, " {text} |");
        }
        let _ = writeln!(out, "{row}");

        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "Details (min/max over the timed runs; peak resident memory):"
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "| program | runtime | median s | min s | max s | vs CPython | peak RSS MiB |"
        );
        let _ = writeln!(out, "|---|---|---:|---:|---:|---:|---:|");
        for result in &self.results {
            for &i in &columns {
                let label = &self.runtimes[i].label;
                let name = result.program.name;
                match &result.cells[i] {
                    Cell::Timed { times, max_rss_kib } => {
                        let min = times.iter().min().copied().unwrap_or_default();
                        let max = times.iter().max().copied().unwrap_or_default();
                        let ratio = self.ratio(result, i).map(format_ratio).unwrap_or_default();
                        let _ = writeln!(
                            out,
                            "| {name} | {label} | {} | {} | {} | {ratio} | {:.1} |",
                            format_secs(result.cells[i].median().unwrap_or_default()),
                            format_secs(min),
                            format_secs(max),
                            *max_rss_kib as f64 / 1024.0
                        );
                    }
                    Cell::WrongOutput { .. } => {
                        let _ = writeln!(out, "| {name} | {label} | WRONG OUTPUT | | | | |");
                    }
                    Cell::Failed { exit, .. } => {
                        let _ = writeln!(
                            out,
                            "| {name} | {label} | {} | | | | |",
                            describe_exit(exit).to_uppercase()
                        );
                    }
                    Cell::Skipped(_) => {}
                }
            }
        }

        let mut notes = Vec::new();
        for result in &self.results {
            for note in &result.notes {
                notes.push(format!("{}: {note}", result.program.name));
            }
            for &i in &columns {
                let label = &self.runtimes[i].label;
                let name = result.program.name;
                match &result.cells[i] {
                    Cell::WrongOutput { got, stderr } => notes.push(format!(
                        "{name} / {label}: expected `{}` ({}), got `{}`{}",
                        one_line(&result.reference),
                        result.reference_source,
                        one_line(got),
                        stderr_suffix(stderr)
                    )),
                    Cell::Failed { exit, stderr } => notes.push(format!(
                        "{name} / {label}: {}{}",
                        describe_exit(exit),
                        stderr_suffix(stderr)
                    )),
                    Cell::Skipped(reason) => notes.push(format!("{name} / {label}: {reason}")),
                    Cell::Timed { .. } => {}
                }
            }
        }
        if !notes.is_empty() {
            let _ = writeln!(out);
            let _ = writeln!(out, "Notes:");
            for note in notes {
                let _ = writeln!(out, "- {note}");
            }
        }
        out
    }

    pub fn to_json(&self) -> Value {
        let runtimes: Vec<Value> = self
            .runtimes
            .iter()
            .map(|r| {
                json!({
                    "id": r.id.key(),
                    "label": r.label,
                    "version": r.version,
                    "available": r.is_available(),
                    "skipped_reason": r.available.as_ref().err(),
                })
            })
            .collect();
        let results: Vec<Value> = self
            .results
            .iter()
            .map(|result| {
                let cells: serde_json::Map<String, Value> = self
                    .runtimes
                    .iter()
                    .enumerate()
                    .map(|(i, runtime)| {
                        let value = match &result.cells[i] {
                            Cell::Timed { times, max_rss_kib } => json!({
                                "status": "ok",
                                "median_s": result.cells[i].median().map(|d| d.as_secs_f64()),
                                "min_s": times.iter().min().map(|d| d.as_secs_f64()),
                                "max_s": times.iter().max().map(|d| d.as_secs_f64()),
                                "times_s": times.iter().map(|d| d.as_secs_f64()).collect::<Vec<_>>(),
                                "ratio_vs_cpython": self.ratio(result, i),
                                "peak_rss_kib": max_rss_kib,
                            }),
                            Cell::WrongOutput { got, stderr } => json!({
                                "status": "wrong_output",
                                "output": got,
                                "stderr": stderr,
                            }),
                            Cell::Failed { exit, stderr } => json!({
                                "status": "failed",
                                "exit": describe_exit(exit),
                                "stderr": stderr,
                            }),
                            Cell::Skipped(reason) => json!({
                                "status": "skipped",
                                "reason": reason,
                            }),
                        };
                        (runtime.id.key().to_string(), value)
                    })
                    .collect();
                json!({
                    "program": result.program.name,
                    "size_arg": result.program.size_arg(self.size),
                    "expected_output": result.reference,
                    "expected_output_source": result.reference_source,
                    "notes": result.notes,
                    "runtimes": cells,
                })
            })
            .collect();
        let machine: serde_json::Map<String, Value> = self
            .machine
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        json!({
            "schema": 1,
            "date": self.date,
            "size": self.size.name(),
            "runs": self.runs,
            "warmup_runs": 1,
            "machine": machine,
            "runtimes": runtimes,
            "results": results,
        })
    }
}

fn format_secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

fn format_ratio(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.1}×")
    } else {
        format!("{ratio:.2}×")
    }
}

fn describe_exit(exit: &Exit) -> String {
    match exit {
        Exit::Code(code) => format!("failed (exit {code})"),
        Exit::Signal(signal) => format!("failed (signal {signal})"),
        Exit::TimedOut => "timed out".to_string(),
    }
}

fn one_line(text: &str) -> String {
    let flat = text.replace('\n', "⏎");
    if flat.chars().count() > 80 {
        format!("{}…", flat.chars().take(80).collect::<String>())
    } else {
        flat
    }
}

fn stderr_suffix(stderr: &str) -> String {
    let first = stderr.lines().find(|l| !l.trim().is_empty());
    match first {
        Some(line) => format!("; stderr: `{}`", one_line(line.trim())),
        None => String::new(),
    }
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// CPU, cores, memory and OS, as far as `/proc` and `/etc` tell.
pub fn machine_info() -> Vec<(String, String)> {
    let mut info = Vec::new();
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    if let Some(model) = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
    {
        info.push(("CPU".to_string(), model.1.trim().to_string()));
    }
    if let Ok(n) = std::thread::available_parallelism() {
        info.push(("cores".to_string(), n.to_string()));
    }
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    if let Some(kib) = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
    {
        info.push((
            "memory".to_string(),
            format!("{:.1} GiB", kib / 1024.0 / 1024.0),
        ));
    }
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let os = os_release
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .ok()
        .map(|v| v.trim().to_string());
    match (os, kernel) {
        (Some(os), Some(kernel)) => info.push(("OS".to_string(), format!("{os}, Linux {kernel}"))),
        (Some(os), None) => info.push(("OS".to_string(), os)),
        (None, Some(kernel)) => info.push(("OS".to_string(), format!("Linux {kernel}"))),
        (None, None) => {}
    }
    info
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(3), ms(1), ms(2)]), Some(ms(2)));
        assert_eq!(
            median(&[ms(4), ms(1), ms(2), ms(3)]),
            Some(Duration::from_micros(2500))
        );
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
    }
}
