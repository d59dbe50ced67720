//! The flamegraph opens in a real browser: headless Chromium loads the SVG,
//! runs inferno's script and draws the frames. Skipped (with the reason
//! printed) where `/usr/bin/chromium` is not installed; scripts/test.sh
//! installs it when it can.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const CHROMIUM: &str = "/usr/bin/chromium";

/// Run headless Chromium with `args` plus the URL; stdout, or `None` on
/// failure or after a minute (a wedged browser must not hang the suite).
fn chromium(profile_dir: &Path, args: &[&str], url: &str) -> Option<Vec<u8>> {
    let mut child = Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile_dir.display()))
        .args(args)
        .arg(url)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let mut stdout = child.stdout.take()?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    let start = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if start.elapsed() < Duration::from_secs(60) => {
                std::thread::sleep(Duration::from_millis(100));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                eprintln!("chromium did not finish in 60 s");
                return None;
            }
        }
    }
    reader.join().ok()
}

#[test]
fn chromium_renders_the_flamegraph() {
    if !Path::new(CHROMIUM).exists() {
        eprintln!("SKIP chromium_renders_the_flamegraph: {CHROMIUM} is not installed (scripts/test.sh installs it with apt-get when run as root)");
        return;
    }
    let s = Scratch::new("browser");
    let prog = s.write(
        "mixed.ruff",
        "func spin(n) {\n    mut i := 0\n    mut t := 0\n    while i < n { t += i % 3\n i += 1 }\n    return t\n}\nmut a := []\nfor i in range(0, 100000) { a = push(a, (i * 7919) % 100003) }\nmut k := 0\nwhile k < 3 { s := sort(a)\n k += 1 }\nprint(spin(1500000))\n",
    );
    let svg = s.path("flame.svg");
    let o = ruff_prof(&["record", "-o", &svg, "--rate", "2000", "--", &prog], &s.0);
    assert!(o.status.success(), "{}", stderr(&o));
    let url = format!("file://{svg}");
    let profile_dir = s.0.join("chromium-profile");

    // The DOM after load: inferno's init() ran (fluid drawing removes the
    // fixed width and resizes #frames to the window) and the frame groups
    // with their tier colours are in the document.
    let Some(dom) = chromium(
        &profile_dir,
        &["--window-size=1000,700", "--dump-dom"],
        &url,
    ) else {
        eprintln!("SKIP: chromium is installed but could not run here");
        return;
    };
    let dom = String::from_utf8_lossy(&dom);
    let source = s.read("flame.svg");
    assert!(source.contains("<svg version=\"1.1\" width=\"1200\""));
    assert!(
        !dom.contains("width=\"1200\" onload"),
        "init() ran: the fixed width is gone"
    );
    assert!(
        !dom.contains("id=\"frames\" x=\"10\" width=\"1180\""),
        "#frames resized by the script"
    );
    assert!(dom.contains("id=\"legend\""));
    assert!(
        dom.contains("JIT code ") && dom.contains("helpers "),
        "legend with the kinds of time"
    );
    assert!(
        dom.contains("[interpreted] ("),
        "interpreted frames in the DOM"
    );
    assert!(
        dom.contains("sort (builtin) [runtime] ("),
        "runtime frames in the DOM"
    );
    assert!(dom.matches("<g><title>").count() >= 3, "frame groups");

    // A screenshot: a picture of that size with real content is tens of
    // kilobytes; a blank or error page compresses to a few.
    let png = s.0.join("shot.png");
    let shot = format!("--screenshot={}", png.display());
    chromium(&profile_dir, &["--window-size=1200,600", &shot], &url).expect("screenshot");
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(bytes.len() > 15_000, "screenshot is {} bytes", bytes.len());

    // At 800 px the legend overlaps no other text: a script added to a
    // copy of the SVG measures the drawn boxes after inferno's init().
    let end = source.rfind("</svg>").expect("svg end");
    let probe = format!(
        "{}{}",
        &source[..end],
        "<script type=\"text/ecmascript\"><![CDATA[\n\
         window.addEventListener('load', function () { setTimeout(function () {\n\
           var l = document.getElementById('legend').getBBox(), bad = [];\n\
           ['title', 'subtitle', 'unzoom', 'search', 'matched', 'details'].forEach(function (id) {\n\
             var e = document.getElementById(id); if (!e) return;\n\
             var b = e.getBBox(); if (!e.textContent.trim() || b.width == 0) return;\n\
             if (!(b.x > l.x + l.width || b.x + b.width < l.x || b.y > l.y + l.height || b.y + b.height < l.y)) bad.push(id);\n\
           });\n\
           document.documentElement.setAttribute('data-overlap', bad.join(',') || 'none');\n\
         }, 50); });\n]]></script>\n</svg>\n"
    );
    let probe_path = s.0.join("probe.svg");
    std::fs::write(&probe_path, probe).expect("probe");
    let dom = chromium(
        &profile_dir,
        &[
            "--window-size=800,600",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ],
        &format!("file://{}", probe_path.display()),
    )
    .expect("dom at 800 px");
    let dom = String::from_utf8_lossy(&dom);
    assert!(
        dom.contains("data-overlap=\"none\""),
        "legend overlaps: {}",
        dom.split("data-overlap")
            .nth(1)
            .unwrap_or("(not measured)")
            .chars()
            .take(80)
            .collect::<String>()
    );
}
