"""A/B of two `ruff` binaries on every benchmark program: CPU time (user +
sys, from wait4) of `ruff run bench.ruff`, RUNS interleaved runs per side,
medians, as a Markdown table. CPU time rather than wall time so that other
load on the machine disturbs the comparison less.

    python3 benchmarks/scripts/cpu_ab.py BEFORE_RUFF AFTER_RUFF [RUNS] [RUN_OPTION...]

RUN_OPTIONs go to both sides' `ruff run` (e.g. `--jit off` to time the
interpreter alone).
"""
import glob
import os
import statistics
import sys
a, b = sys.argv[1], sys.argv[2]
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 9
options = sys.argv[4:]
here = os.path.dirname(os.path.abspath(__file__))
progs = sorted(glob.glob(os.path.join(here, '..', 'programs', '*', 'bench.ruff')))
def cpu(binary, prog):
    pid = os.fork()
    if pid == 0:
        fd = os.open('/dev/null', os.O_WRONLY); os.dup2(fd, 1); os.dup2(fd, 2)
        os.execv(binary, [binary, 'run', *options, prog])
    _, status, ru = os.wait4(pid, 0)
    return (ru.ru_utime + ru.ru_stime) * 1000
print("| program | before (ms CPU) | after (ms CPU) | after / before |\n|---|---:|---:|---:|")
for p in progs:
    ta, tb = [], []
    for i in range(runs):
        if i % 2 == 0: ta.append(cpu(a, p)); tb.append(cpu(b, p))
        else: tb.append(cpu(b, p)); ta.append(cpu(a, p))
    ma, mb = statistics.median(ta), statistics.median(tb)
    name = os.path.basename(os.path.dirname(p))
    print(f"| {name} | {ma:.1f} | {mb:.1f} | {mb/ma:.2f} |", flush=True)
