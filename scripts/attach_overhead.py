#!/usr/bin/env python3
"""What `ruff run` pays for being attachable (ruff-prof --pid) when nobody
attaches: benchmarks/programs/*/bench.ruff run by two `ruff run` variants in
interleaved pairs (A B, B A, A B, ...), medians of wall and CPU time (user +
sys of the child, all threads, from wait4) and `paired`, the median over the
pairs of one pair's CPU ratio.

    scripts/attach_overhead.py [--runs N] [--before OTHER_RUFF] [BENCH[=SIZE] ...]

Without --before, A is the same binary with RUFF_NO_ATTACH=1 (no control
file, no SIGUSR2 handler), B the default; with it, A is OTHER_RUFF (e.g. the
binary before the attach change) and B target/release/ruff.
"""

import argparse
import os
import statistics
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIZES = {
    "array_sum": "10000000",
    "closures": "16000000",
    "fib": "36",
    "fib_iter": "90000000",
    "hash_map": None,
    "mandelbrot": "1200",
    "nested_loops": "12000",
    "sieve": "10000000",
    "small_dicts": None,
    "string_build": "5000000",
    "struct_methods": "12000000",
    "while_sum": "300000000",
}


def run(binary, bench, size, env):
    prog = os.path.join(ROOT, "benchmarks", "programs", bench, "bench.ruff")
    argv = [binary, "run", prog] + (["--", size] if size else [])
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.execve(binary, argv, env)
    _, status, ru = os.wait4(pid, 0)
    wall = time.perf_counter() - t0
    if status != 0:
        sys.exit(f"{bench}: exit status {status}")
    return wall * 1000, (ru.ru_utime + ru.ru_stime) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--before")
    ap.add_argument("bench", nargs="*")
    a = ap.parse_args()
    after = os.path.join(ROOT, "target", "release", "ruff")
    env_b = dict(os.environ)
    env_b.pop("RUFF_NO_ATTACH", None)
    if a.before:
        side_a = (a.before, env_b)
    else:
        side_a = (after, dict(env_b, RUFF_NO_ATTACH="1"))
    side_b = (after, env_b)
    benches = a.bench or list(SIZES)
    print(
        f"{'benchmark':<24} {'wall ms':>8} {'B':>8} {'change':>8} | "
        f"{'cpu ms':>8} {'B':>8} {'change':>8} | {'paired':>8}"
    )
    for spec in benches:
        name, _, size = spec.partition("=")
        size = size or SIZES.get(name)
        wa, wb, ca, cb, ratios = [], [], [], [], []
        for i in range(a.runs):
            order = [side_a, side_b] if i % 2 == 0 else [side_b, side_a]
            res = {}
            for side in order:
                res[id(side)] = run(side[0], name, size, side[1])
            (w1, c1), (w2, c2) = res[id(side_a)], res[id(side_b)]
            wa.append(w1)
            wb.append(w2)
            ca.append(c1)
            cb.append(c2)
            ratios.append(c2 / c1 - 1)
        m = statistics.median
        label = f"{name}={size}" if size else name
        print(
            f"{label:<24} {m(wa):>8.0f} {m(wb):>8.0f} {100 * (m(wb) / m(wa) - 1):>+7.1f}% | "
            f"{m(ca):>8.0f} {m(cb):>8.0f} {100 * (m(cb) / m(ca) - 1):>+7.1f}% | "
            f"{100 * m(ratios):>+7.1f}%",
            flush=True,
        )
    la = os.getloadavg()
    print(f"load average: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f} on {os.cpu_count()} cores, {a.runs} runs each")


if __name__ == "__main__":
    main()
