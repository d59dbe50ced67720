#!/usr/bin/env python3
"""Profiling overhead: `ruff run` vs `ruff-prof run` (1 kHz, summary only) on
benchmarks/programs/*/bench.ruff, release build, runs interleaved (plain,
profiled, plain, ...) so drifting machine load hits both alike; median wall
time (perf_counter) and CPU time (user + sys of the child, all threads, from
wait4: microsecond resolution) of RUNS each, and `paired`: the median over
the pairs of runs of one pair's CPU-time ratio. The two sides alternate
which runs first.

Usage: overhead.py [--runs N] [--jit off|on] [--against OTHER_RUFF] [BENCH[=ARG] ...]

BENCH=ARG passes ARG to the program (the benchmarks take a size), to make
runs long enough to measure: with the JIT most finish in 10-50 ms at their
default size. `--against OTHER_RUFF` compares two `ruff` binaries without a
profiler instead (OTHER first, then target/release/ruff).
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def measure(cmd):
    """(wall ms, cpu ms) of one run, output discarded."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t0
    return wall * 1000, (ru.ru_utime + ru.ru_stime) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--jit", default="on")
    ap.add_argument("--against")
    ap.add_argument("benches", nargs="*")
    a = ap.parse_args()
    ruff = str(ROOT / "target/release/ruff")
    prof = str(ROOT / "target/release/ruff-prof")
    benches = a.benches or sorted(
        p.parent.name for p in (ROOT / "benchmarks/programs").glob("*/bench.ruff")
    )
    if a.against:
        head = ("old", "new")
    else:
        head = ("plain", "prof")
    print(f"{'benchmark':<24} {'wall ms':>8} {head[1]:>8} {'change':>8} | "
          f"{'cpu ms':>8} {head[1]:>8} {'change':>8} | {'paired':>8}")
    for spec in benches:
        name, _, arg = spec.partition("=")
        path = str(ROOT / "benchmarks/programs" / name / "bench.ruff")
        extra = ["--", arg] if arg else []
        if a.against:
            first = [a.against, "run", f"--jit={a.jit}", path] + extra
            second = [ruff, "run", f"--jit={a.jit}", path] + extra
        else:
            first = [ruff, "run", f"--jit={a.jit}", path] + extra
            second = [prof, "run", "--jit", a.jit, path] + extra
        r1, r2 = [], []
        for i in range(a.runs):
            # Alternate which goes first: a run is slowed by the memory the
            # run before it freed (the VM's host takes it back), so a fixed
            # order would charge that to one side.
            if i % 2 == 0:
                r1.append(measure(first))
                r2.append(measure(second))
            else:
                r2.append(measure(second))
                r1.append(measure(first))
        w1 = statistics.median(w for w, _ in r1)
        w2 = statistics.median(w for w, _ in r2)
        c1 = statistics.median(c for _, c in r1)
        c2 = statistics.median(c for _, c in r2)
        # The median of each pair's ratio: a pair runs back to back, so
        # drift of the machine over the whole measurement cancels out.
        paired = statistics.median(b[1] / x[1] for x, b in zip(r1, r2))
        label = spec if len(spec) <= 24 else spec[:24]
        print(f"{label:<24} {w1:8.0f} {w2:8.0f} {100 * (w2 - w1) / w1:+7.1f}% | "
              f"{c1:8.0f} {c2:8.0f} {100 * (c2 - c1) / c1:+7.1f}% | "
              f"{100 * (paired - 1):+7.1f}%", flush=True)
    load = open("/proc/loadavg").read().split()[:3]
    print(f"load average: {' '.join(load)} on {os.cpu_count()} cores, {a.runs} runs each")


if __name__ == "__main__":
    sys.exit(main())
