/* Start-up: launch the runtime and print one line. */
#include <stdio.h>

int main(void) {
    puts("hello");
    return 0;
}
