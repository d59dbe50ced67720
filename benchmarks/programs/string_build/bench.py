# String building: append one character at a time with `s = s + "x"`.
# Needs in-place append of a uniquely held string to be linear, not quadratic.
# The loop sits in a function in every language because CPython appends in
# place only to a function's local variable: at the top level of a script
# this loop is quadratic (about 40 s for a million characters).
import sys


def build(n):
    s = ""
    for i in range(0, n):
        s = s + "x"
    return s


n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000000
print(len(build(n)))
