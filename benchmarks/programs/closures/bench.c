/* Closures and higher-order functions: call a function pointer plus its
   captured environment through a function that takes it as an argument. */
#include <stdio.h>
#include <stdlib.h>

typedef struct Closure {
    long long (*code)(const struct Closure *self, long long x);
    long long k;
} Closure;

static long long adder_code(const Closure *self, long long x) {
    return x + self->k;
}

static Closure *make_adder(long long k) {
    Closure *c = malloc(sizeof *c);
    c->code = adder_code;
    c->k = k;
    return c;
}

static __attribute__((noinline)) long long apply(const Closure *f, long long x) {
    return f->code(f, x);
}

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 2000000;
    Closure *add3 = make_adder(3);
    long long total = 0;
    for (long long i = 0; i < n; i++) {
        total += apply(add3, i);
    }
    printf("%lld\n", total);
    free(add3);
    return 0;
}
