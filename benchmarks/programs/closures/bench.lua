-- Closures and higher-order functions: call a captured-variable closure
-- through a function that takes it as an argument, n times.
local function make_adder(k)
  return function(x)
    return x + k
  end
end

local function apply(f, x)
  return f(x)
end

local n = tonumber(arg[1]) or 2000000
local add3 = make_adder(3)
local total = 0
for i = 0, n - 1 do
  total = total + apply(add3, i)
end
print(string.format("%d", total))
