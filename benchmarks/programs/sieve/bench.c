/* Sieve of Eratosthenes over an array of booleans: indexed stores with a
   stride, then a counting pass. Prints the number of primes <= n. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 2000000;
    size_t len = 0, cap = 8;
    unsigned char *flags = malloc(cap);
    for (long long i = 0; i < n + 1; i++) {
        if (len == cap) {
            cap *= 2;
            flags = realloc(flags, cap);
        }
        flags[len++] = 1;
    }
    flags[0] = 0;
    flags[1] = 0;
    for (long long p = 2; p * p <= n; p++) {
        if (flags[p]) {
            for (long long j = p * p; j < n + 1; j += p) {
                flags[j] = 0;
            }
        }
    }
    long long count = 0;
    for (long long i = 0; i < n + 1; i++) {
        if (flags[i]) {
            count += 1;
        }
    }
    printf("%lld\n", count);
    free(flags);
    return 0;
}
