-- Small dicts: create a two-entry table with string keys per iteration and
-- read both entries back (allocation plus string-keyed lookup).
local n = tonumber(arg[1]) or 1000000
local total = 0
for i = 0, n - 1 do
  local d = { x = i, y = i * 2 }
  total = total + d["x"] + d["y"]
end
print(string.format("%d", total))
