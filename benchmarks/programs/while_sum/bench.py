# While-loop sum: a condition-tested loop with two mutable variables.
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000000
i = 0
total = 0
while i < n:
    total += i
    i += 1
print(total)
