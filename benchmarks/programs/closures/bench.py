# Closures and higher-order functions: call a captured-variable closure
# through a function that takes it as an argument, n times.
import sys


def make_adder(k):
    def add(x):
        return x + k

    return add


def apply(f, x):
    return f(x)


n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000000
add3 = make_adder(3)
total = 0
for i in range(0, n):
    total += apply(add3, i)
print(total)
