# Small dicts: create a two-entry dict with string keys per iteration and
# read both entries back (allocation plus string-keyed lookup).
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
total = 0
for i in range(0, n):
    d = {"x": i, "y": i * 2}
    total += d["x"] + d["y"]
print(total)
