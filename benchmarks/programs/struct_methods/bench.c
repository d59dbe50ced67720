/* Struct method calls: call a method that reads two fields of its receiver
   and takes one argument, n times. */
#include <stdio.h>
#include <stdlib.h>

typedef struct {
    long long x;
    long long y;
} Point;

static long long point_scaled(const Point *self, long long k) {
    return self->x * k + self->y;
}

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 2000000;
    Point p = {3, 4};
    long long total = 0;
    for (long long i = 0; i < n; i++) {
        total += point_scaled(&p, i % 10);
    }
    printf("%lld\n", total);
    return 0;
}
