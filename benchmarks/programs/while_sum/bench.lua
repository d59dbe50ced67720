-- While-loop sum: a condition-tested loop with two mutable variables.
local n = tonumber(arg[1]) or 10000000
local i = 0
local total = 0
while i < n do
  total = total + i
  i = i + 1
end
print(string.format("%d", total))
