# Struct method calls: call a method that reads two fields of its receiver
# and takes one argument, n times.
import sys


class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y

    def scaled(self, k):
        return self.x * k + self.y


n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000000
p = Point(3, 4)
total = 0
for i in range(0, n):
    total += p.scaled(i % 10)
print(total)
