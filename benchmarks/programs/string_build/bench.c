/* String building: append one character at a time to a growable buffer. */
#include <stdio.h>
#include <stdlib.h>

static char *build(long long n, size_t *out_len) {
    size_t len = 0, cap = 16;
    char *s = malloc(cap);
    for (long long i = 0; i < n; i++) {
        if (len + 1 >= cap) {
            cap *= 2;
            s = realloc(s, cap);
        }
        s[len++] = 'x';
    }
    s[len] = '\0';
    *out_len = len;
    return s;
}

int main(int argc, char **argv) {
    long long n = argc > 1 ? atoll(argv[1]) : 1000000;
    size_t len;
    char *s = build(n, &len);
    printf("%zu\n", len);
    free(s);
    return 0;
}
