# Nested counted loops: loop overhead plus integer multiply and modulo.
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
total = 0
for i in range(0, n):
    for j in range(0, n):
        total += (i * j) % 7
print(total)
