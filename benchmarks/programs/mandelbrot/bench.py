# Mandelbrot set on an n x n grid, 50 iterations: float multiply/add in an
# inner while loop with a compound condition. Prints the number of points
# that never escape.
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 400
count = 0
for y in range(0, n):
    ci = 2.0 * y / n - 1.0
    for x in range(0, n):
        cr = 2.0 * x / n - 1.5
        zr = 0.0
        zi = 0.0
        k = 0
        while k < 50 and zr * zr + zi * zi <= 4.0:
            t = zr * zr - zi * zi + cr
            zi = 2.0 * zr * zi + ci
            zr = t
            k += 1
        if k == 50:
            count += 1
print(count)
