# Array sum: grow an array by appending, then read it back by index.
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 3000000
arr = []
for i in range(0, n):
    arr.append(i % 1000)
total = 0
for i in range(0, n):
    total += arr[i]
print(total)
