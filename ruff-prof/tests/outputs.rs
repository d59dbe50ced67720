//! The output formats and the command's contract: flamegraph SVG (valid
//! XML, tier colours, legend, counts in titles), speedscope JSON, folded
//! stacks that inferno accepts, differential graphs, exit codes, --duration.

mod common;

use common::*;
use quick_xml::events::Event;
use quick_xml::Reader;

/// A program with interpreted time (the loop) and runtime time (`sort`).
const MIXED: &str = "func fill(n) {\n    mut a := []\n    for i in range(0, n) { a = push(a, (i * 7919) % 100003) }\n    return a\n}\nfunc spin(n) {\n    mut i := 0\n    mut t := 0\n    while i < n { t += i % 3\n i += 1 }\n    return t\n}\na := fill(100000)\nmut k := 0\nwhile k < 4 { s := sort(a)\n k += 1 }\nprint(spin(1500000))\n";

struct Svg {
    /// (fill, title) of each frame rectangle inside `#frames`.
    frames: Vec<(String, String)>,
    legend_rects: usize,
    legend_texts: Vec<String>,
    title: String,
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name.as_bytes())
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// Parse the whole document (any XML error fails the test) and pick out
/// the parts the tests look at.
fn parse_svg(text: &str) -> Svg {
    let mut r = Reader::from_str(text);
    let mut svg = Svg {
        frames: Vec::new(),
        legend_rects: 0,
        legend_texts: Vec::new(),
        title: String::new(),
    };
    let mut path: Vec<String> = Vec::new(); // ids of open elements ("" if none)
    let mut last_title = String::new();
    let mut in_title = false;
    let mut text_of: Option<String> = None;
    loop {
        match r.read_event().expect("well-formed XML") {
            Event::Eof => break,
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                let id = attr(&e, "id").unwrap_or_default();
                in_title = name == "title";
                if name == "text" {
                    text_of = Some(id.clone());
                }
                path.push(id);
            }
            Event::Empty(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if name == "rect" {
                    if path.iter().any(|p| p == "frames") {
                        svg.frames
                            .push((attr(&e, "fill").unwrap_or_default(), last_title.clone()));
                    } else if path.iter().any(|p| p == "legend") {
                        svg.legend_rects += 1;
                    }
                }
            }
            Event::Text(t) => {
                let s = String::from_utf8_lossy(t.as_ref()).into_owned();
                if in_title {
                    last_title = s;
                } else if path.iter().any(|p| p == "legend") && text_of.is_some() {
                    svg.legend_texts.push(s);
                } else if text_of.as_deref() == Some("title") {
                    svg.title = s;
                }
            }
            Event::GeneralRef(_) => {}
            Event::End(_) => {
                path.pop();
                in_title = false;
                text_of = None;
            }
            _ => {}
        }
    }
    svg
}

fn rgb(fill: &str) -> Option<(i32, i32, i32)> {
    let inner = fill.strip_prefix("rgb(")?.strip_suffix(')')?;
    let mut it = inner.split(',').map(|c| c.trim().parse::<i32>().ok());
    Some((it.next()??, it.next()??, it.next()??))
}

fn is_blue((r, g, b): (i32, i32, i32)) -> bool {
    b > r + 60 && b > g + 30
}

fn is_grey((r, g, b): (i32, i32, i32)) -> bool {
    r == g && g == b
}

#[test]
fn flamegraph_svg_has_tier_colours_legend_and_counts() {
    let s = Scratch::new("svg");
    let prog = s.write("mixed.ruff", MIXED);
    let out = s.path("out.svg");
    let o = ruff_prof(&["record", "-o", &out, "--rate", "2000", "--", &prog], &s.0);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = s.read("out.svg");
    let svg = parse_svg(&text);
    assert!(svg.title.contains("samples"), "title: {}", svg.title);
    // The legend (on the subtitle row, alone) gives every kind's share.
    assert_eq!(svg.legend_rects, 6);
    let kinds = [
        "JIT code",
        "helpers",
        "interpreter",
        "JIT compiler",
        "builtins",
        "libc/kernel",
    ];
    assert_eq!(svg.legend_texts.len(), 6);
    for (t, k) in svg.legend_texts.iter().zip(kinds) {
        assert!(t.starts_with(k) && t.ends_with('%'), "{t}");
    }
    // The title gives the rate achieved.
    assert!(svg.title.contains(" Hz"), "title: {}", svg.title);
    assert!(!svg.frames.is_empty());
    for (fill, title) in &svg.frames {
        let c = rgb(fill).unwrap_or_else(|| panic!("fill {fill}"));
        // Every frame title carries its sample count.
        assert!(title.contains(" samples, "), "{title}");
        if title.contains("[interpreted]") {
            assert!(is_blue(c), "{title}: {fill}");
        } else if title.contains("[runtime]") {
            assert!(is_grey(c), "{title}: {fill}");
        }
    }
    let interp = svg
        .frames
        .iter()
        .filter(|(_, t)| t.contains("[interpreted]"))
        .count();
    let runtime = svg
        .frames
        .iter()
        .filter(|(_, t)| t.contains("sort (builtin) [runtime]"))
        .count();
    assert!(
        interp > 0 && runtime > 0,
        "both tiers drawn: {:?}",
        svg.frames
    );
    // inferno's script (search, zoom) is still there.
    assert!(text.contains("function search(") && text.contains("onload=\"init(evt)\""));
}

#[test]
fn default_output_is_flamegraph_svg() {
    let s = Scratch::new("default");
    let prog = s.write("hot.ruff", &hot_loop(300_000));
    let o = ruff_prof(&["run", &prog, "--flamegraph"], &s.0);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(s.read("flamegraph.svg").starts_with("<?xml"));
    let o = ruff_prof(&["record", "--", &prog], &s.0);
    assert!(o.status.success());
    assert!(stderr(&o).contains("wrote flamegraph to flamegraph.svg"));
}

#[test]
fn folded_stacks_are_accepted_by_inferno() {
    let s = Scratch::new("folded");
    let prog = s.write("mixed.ruff", MIXED);
    let (o, folded) = record_collapsed(&s, &prog, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = s.read("profile.collapsed");
    for line in text.lines() {
        let (stack, n) = line.rsplit_once(' ').expect("stack count");
        assert!(n.parse::<u64>().is_ok(), "{line}");
        assert!(
            stack.split(';').all(|f| !f.is_empty() && f.ends_with(']')),
            "{line}"
        );
    }
    // inferno's flamegraph reads every line (a malformed line would be
    // skipped and the total would not match).
    let mut svg = Vec::new();
    let mut opt = inferno::flamegraph::Options::default();
    inferno::flamegraph::from_reader(&mut opt, text.as_bytes(), &mut svg)
        .expect("inferno reads it");
    let svg = String::from_utf8(svg).expect("utf8");
    assert!(
        svg.contains(&format!("total_samples=\"{}\"", total(&folded))),
        "all samples counted"
    );
    // ...and so does its differential tool.
    let mut diff = Vec::new();
    inferno::differential::from_readers(
        inferno::differential::Options::default(),
        text.as_bytes(),
        text.as_bytes(),
        &mut diff,
    )
    .expect("differential reads it");
    assert_eq!(
        String::from_utf8_lossy(&diff).lines().count(),
        text.lines().count()
    );
}

#[test]
fn speedscope_sampled_profile() {
    let s = Scratch::new("speedscope");
    let prog = s.write("hot.ruff", &hot_loop(2_000_000));
    let out = s.path("p.json");
    let o = ruff_prof(
        // --jit=off: a compiled loop would finish before many samples.
        &[
            "record",
            "-o",
            &out,
            "--format",
            "speedscope",
            "--jit",
            "off",
            "--",
            &prog,
        ],
        &s.0,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&s.read("p.json")).expect("json");
    assert_eq!(
        v["$schema"],
        "https://www.speedscope.app/file-format-schema.json"
    );
    let frames = v["shared"]["frames"].as_array().expect("frames");
    assert!(frames
        .iter()
        .any(|f| f["name"] == "work (hot.ruff:4) [interpreted]"));
    let p = &v["profiles"][0];
    assert_eq!(p["type"], "sampled");
    assert_eq!(p["unit"], "milliseconds");
    let samples = p["samples"].as_array().expect("samples");
    let weights = p["weights"].as_array().expect("weights");
    assert_eq!(samples.len(), weights.len());
    assert!(!samples.is_empty());
    for st in samples {
        for i in st.as_array().expect("stack") {
            assert!((i.as_u64().expect("index") as usize) < frames.len());
        }
    }
}

#[test]
fn failing_programs_keep_their_status_and_profile() {
    let s = Scratch::new("fail");
    let err = s.write(
        "err.ruff",
        "func f(x) { return 10 / x }\nstart := clock()\nwhile clock() - start < 150 { }\nprint(\"before\")\nprint(f(0))\n",
    );
    let (o, folded) = record_collapsed(&s, &err, &[]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "before\n");
    assert!(stderr(&o).contains("Division by zero"));
    assert!(!folded.is_empty(), "profile written");

    let exit = s.write(
        "exit.ruff",
        "start := clock()\nwhile clock() - start < 150 { }\nexit(3)\n",
    );
    let (o, folded) = record_collapsed(&s, &exit, &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(!folded.is_empty());

    let bad = s.write("bad.ruff", "print(\n");
    let o = ruff_prof(&["run", &bad], &s.0);
    assert_eq!(o.status.code(), Some(3), "static errors: nothing ran");
}

#[test]
fn program_arguments_pass_through() {
    let s = Scratch::new("args");
    let prog = s.write("a.ruff", "print(args())\n");
    let o = ruff_prof(&["run", &prog, "--", "x", "y"], &s.0);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "[x, y]\n");
}

/// Two structs with a method of the same name, and a function whose
/// guard fails: frames say `Struct.method`; tooltips carry the deopt.
#[test]
fn methods_are_struct_qualified_and_tooltips_carry_deopts() {
    let s = Scratch::new("methods");
    let prog = s.write(
        "shapes.ruff",
        "struct Circle {\n    r: int,\n    func area(self) {\n        return self.r * self.r * 3\n    }\n}\nstruct Square {\n    s: int,\n    func area(self) {\n        return self.s * self.s\n    }\n}\nmut t := 0\nfor i in range(0, 2000000) {\n    c := Circle { r: i % 7 }\n    q := Square { s: i % 5 }\n    t = t + c.area() + q.area()\n}\nprint(t)\n",
    );
    let out = s.path("m.collapsed");
    let o = ruff_prof(&["record", "-o", &out, "--", &prog], &s.0);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = s.read("m.collapsed");
    assert!(text.contains("Circle.area (shapes.ruff:"), "{text}");
    assert!(text.contains("Square.area (shapes.ruff:"), "{text}");
    let prog = s.write(
        "deopt.ruff",
        "func get(a, i) {\n  return a[i] + 1\n}\nmut xs := []\nfor i in range(0, 300) { xs = push(xs, i) }\nfor i in range(300, 700) {\n  if i % 2 == 0 { xs = push(xs, i) } else { xs = push(xs, 0.5) }\n}\nmut t := 0.0\nfor r in range(0, 3000) {\n  for i in range(0, 700) { t = t + get(xs, i) }\n}\nprint(t)\n",
    );
    let out = s.path("d.svg");
    let o = ruff_prof(
        &[
            "record", "-o", &out, "--jit", "always", "--rate", "5000", "--", &prog,
        ],
        &s.0,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = s.read("d.svg");
    // The guard's line and the types, in the tooltip of the frames of the
    // function whose code exited.
    let noted = svg
        .split("<title>")
        .filter(|t| t.contains("deopt ×") && t.contains(" at line ") && t.contains("expected "))
        .count();
    assert!(noted > 0, "{svg}");
}

#[test]
fn diff_of_two_profiles() {
    let s = Scratch::new("diff");
    let small = s.write("small.ruff", &hot_loop(500_000));
    let big = s.write("big.ruff", &hot_loop(1_500_000));
    for (prog, out) in [(&small, "a.collapsed"), (&big, "b.collapsed")] {
        let out = s.path(out);
        let o = ruff_prof(
            &[
                "record",
                "-o",
                &out,
                "-f",
                "collapsed",
                "--jit",
                "off",
                "--rate",
                "5000",
                "--",
                prog,
            ],
            &s.0,
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // Different file names would never line up; give both the same name.
    let b = s.read("b.collapsed").replace("big.ruff", "small.ruff");
    s.write("b.collapsed", &b);
    let out = s.path("d.svg");
    let o = ruff_prof(
        &[
            "diff",
            &s.path("a.collapsed"),
            &s.path("b.collapsed"),
            "-o",
            &out,
        ],
        &s.0,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let svg = parse_svg(&s.read("d.svg"));
    assert!(
        svg.frames
            .iter()
            .any(|(_, t)| t.starts_with("work (small.ruff:4) (")),
        "{:?}",
        svg.frames
    );
}

#[test]
fn compare_no_jit_writes_a_differential_flamegraph() {
    let s = Scratch::new("compare");
    // Time-bounded, so the JIT run is long enough to sample too.
    let prog = s.write("hot.ruff", &timed_hot_loop(200));
    let o = ruff_prof(&["run", &prog, "--compare-no-jit"], &s.0);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(out.lines().count(), 2, "the program ran twice: {out}");
    let svg = parse_svg(&s.read("jit-diff.svg"));
    assert!(svg.title.contains("JIT off"), "{}", svg.title);
    assert!(
        svg.frames
            .iter()
            .any(|(_, t)| t.starts_with("work (hot.ruff:4) (")),
        "{:?}",
        svg.frames
    );
}
