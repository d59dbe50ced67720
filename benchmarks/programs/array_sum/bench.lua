-- Array sum: grow an array by appending, then read it back by index.
-- (Lua arrays are 1-based: element i lives at arr[i + 1].)
local n = tonumber(arg[1]) or 3000000
local arr = {}
for i = 0, n - 1 do
  arr[#arr + 1] = i % 1000
end
local total = 0
for i = 0, n - 1 do
  total = total + arr[i + 1]
end
print(string.format("%d", total))
