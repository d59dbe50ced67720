/* Small dicts: allocate a two-field record per iteration and read both
   fields back. (gcc may elide the malloc/free pair; C is a floor.) */
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    long long x;
    long long y;
} Pair;

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 1000000;
    long long total = 0;
    for (long long i = 0; i < n; i++) {
        Pair *d = malloc(sizeof *d);
        d->x = i;
        d->y = i * 2;
        total += d->x + d->y;
        free(d);
    }
    printf("%lld\n", total);
    return 0;
}
