/* Nested counted loops: loop overhead plus integer multiply and modulo. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 3000;
    long long total = 0;
    for (long long i = 0; i < n; i++) {
        for (long long j = 0; j < n; j++) {
            total += (i * j) % 7;
        }
    }
    printf("%lld\n", total);
    return 0;
}
