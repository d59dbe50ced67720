/* Array sum: grow an array by appending, then read it back by index. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 3000000;
    long long len = 0, cap = 8;
    long long *arr = malloc(cap * sizeof *arr);
    for (long long i = 0; i < n; i++) {
        if (len == cap) {
            cap *= 2;
            arr = realloc(arr, cap * sizeof *arr);
        }
        arr[len++] = i % 1000;
    }
    long long total = 0;
    for (long long i = 0; i < n; i++) {
        total += arr[i];
    }
    printf("%lld\n", total);
    free(arr);
    return 0;
}
