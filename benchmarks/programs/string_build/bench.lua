-- String building: append one character at a time.
-- Lua strings are immutable and `s = s .. "x"` copies the whole string each
-- time (quadratic: minutes for a million characters), so this uses Lua's
-- idiomatic string buffer, a table of pieces joined by table.concat.
-- The loop sits in a function in every language because CPython appends in
-- place only to a function's local variable (see benchmarks/README.md).
local function build(n)
  local parts = {}
  for i = 0, n - 1 do
    parts[#parts + 1] = "x"
  end
  return table.concat(parts)
end

local n = tonumber(arg[1]) or 1000000
print(string.format("%d", #build(n)))
