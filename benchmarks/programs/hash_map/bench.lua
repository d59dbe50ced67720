-- Int-keyed hash map: insert n sparse integer keys, then read them all back.
-- (Sparse keys keep them in the table's hash part, not its array part.)
local n = tonumber(arg[1]) or 2000000
local m = {}
for i = 0, n - 1 do
  m[i * 31] = i
end
local total = 0
for i = 0, n - 1 do
  total = total + m[i * 31]
end
print(string.format("%d", total))
