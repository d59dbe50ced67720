# Int-keyed hash map: insert n sparse integer keys, then read them all back.
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000000
m = {}
for i in range(0, n):
    m[i * 31] = i
total = 0
for i in range(0, n):
    total += m[i * 31]
print(total)
