# Sieve of Eratosthenes over an array of booleans: indexed stores with a
# stride, then a counting pass. Prints the number of primes <= n.
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000000
flags = []
for i in range(0, n + 1):
    flags.append(True)
flags[0] = False
flags[1] = False
p = 2
while p * p <= n:
    if flags[p]:
        for j in range(p * p, n + 1, p):
            flags[j] = False
    p += 1
count = 0
for i in range(0, n + 1):
    if flags[i]:
        count += 1
print(count)
