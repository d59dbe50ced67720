/* While-loop sum: a condition-tested loop with two mutable variables.
   (gcc -O2 may reduce this loop to a formula; C is a floor, not a rival.) */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 10000000;
    long long i = 0, total = 0;
    while (i < n) {
        total += i;
        i += 1;
    }
    printf("%lld\n", total);
    return 0;
}
