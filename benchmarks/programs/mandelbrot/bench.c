/* Mandelbrot set on an n x n grid, 50 iterations: float multiply/add in an
   inner while loop with a compound condition. Prints the number of points
   that never escape. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 400;
    long long count = 0;
    for (long long y = 0; y < n; y++) {
        double ci = 2.0 * (double)y / (double)n - 1.0;
        for (long long x = 0; x < n; x++) {
            double cr = 2.0 * (double)x / (double)n - 1.5;
            double zr = 0.0, zi = 0.0;
            int k = 0;
            while (k < 50 && zr * zr + zi * zi <= 4.0) {
                double t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                k += 1;
            }
            if (k == 50) {
                count += 1;
            }
        }
    }
    printf("%lld\n", count);
    return 0;
}
