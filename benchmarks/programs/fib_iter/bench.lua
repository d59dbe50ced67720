-- Iterative Fibonacci modulo 1,000,000,007: a tight counted loop with
-- integer add, modulo and local variable traffic.
local n = tonumber(arg[1]) or 6000000
local M = 1000000007
local x = 0
local y = 1
for i = 0, n - 1 do
  local t = (x + y) % M
  x = y
  y = t
end
print(string.format("%d", x))
