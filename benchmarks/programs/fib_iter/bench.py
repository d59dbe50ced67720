# Iterative Fibonacci modulo 1,000,000,007: a tight counted loop with
# integer add, modulo and local variable traffic.
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 6000000
M = 1000000007
x = 0
y = 1
for i in range(0, n):
    t = (x + y) % M
    x = y
    y = t
print(x)
