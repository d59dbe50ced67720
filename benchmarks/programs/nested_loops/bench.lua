-- Nested counted loops: loop overhead plus integer multiply and modulo.
local n = tonumber(arg[1]) or 3000
local total = 0
for i = 0, n - 1 do
  for j = 0, n - 1 do
    total = total + (i * j) % 7
  end
end
print(string.format("%d", total))
