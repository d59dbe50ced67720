/* Iterative Fibonacci modulo 1,000,000,007: a tight counted loop with
   integer add, modulo and local variable traffic. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 6000000;
    const long long M = 1000000007;
    long long x = 0, y = 1;
    for (long long i = 0; i < n; i++) {
        long long t = (x + y) % M;
        x = y;
        y = t;
    }
    printf("%lld\n", x);
    return 0;
}
