-- Struct method calls: call a method that reads two fields of its receiver
-- and takes one argument, n times.
local Point = {}
Point.__index = Point

function Point.new(x, y)
  return setmetatable({ x = x, y = y }, Point)
end

function Point:scaled(k)
  return self.x * k + self.y
end

local n = tonumber(arg[1]) or 2000000
local p = Point.new(3, 4)
local total = 0
for i = 0, n - 1 do
  total = total + p:scaled(i % 10)
end
print(string.format("%d", total))
