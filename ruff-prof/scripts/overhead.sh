#!/usr/bin/env bash
# Profiling overhead: wall time of `ruff run` vs `ruff-prof run` (1 kHz,
# summary only) on every benchmarks/programs/*/bench.ruff, release build,
# runs interleaved (plain, profiled, plain, ...) so drifting machine load
# hits both alike; median of RUNS each. Usage: overhead.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
RUNS=${1:-5}
cargo build --release -q -p ruff-core -p ruff-prof --bins
RUFF=target/release/ruff
PROF=target/release/ruff-prof

TIMES=$(mktemp)
trap 'rm -f "$TIMES"' EXIT
ms() { # "wall_ms cpu_ms" of a command (cpu = user + sys), output discarded
  /usr/bin/time -o "$TIMES" -f "%e %U %S" "$@" >/dev/null 2>&1 || true
  awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' "$TIMES"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2))}'; }

pct() { awk -v p="$1" -v q="$2" 'BEGIN {printf "%+.1f%%", (p > 0 ? 100 * (q - p) / p : 0)}'; }
printf '%-16s %8s %8s %8s | %8s %8s %8s\n' benchmark "wall ms" "prof" overhead "cpu ms" "prof" overhead
for b in benchmarks/programs/*/bench.ruff; do
  name=$(basename "$(dirname "$b")")
  pw=(); pc=(); qw=(); qc=()
  for _ in $(seq "$RUNS"); do
    read -r w c < <(ms "$RUFF" run "$b"); pw+=("$w"); pc+=("$c")
    read -r w c < <(ms "$PROF" run "$b"); qw+=("$w"); qc+=("$c")
  done
  a=$(printf '%s\n' "${pw[@]}" | median); b2=$(printf '%s\n' "${qw[@]}" | median)
  c=$(printf '%s\n' "${pc[@]}" | median); d=$(printf '%s\n' "${qc[@]}" | median)
  printf '%-16s %8d %8d %8s | %8d %8d %8s\n' "$name" "$a" "$b2" "$(pct "$a" "$b2")" "$c" "$d" "$(pct "$c" "$d")"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
