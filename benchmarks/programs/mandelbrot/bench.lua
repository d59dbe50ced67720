-- Mandelbrot set on an n x n grid, 50 iterations: float multiply/add in an
-- inner while loop with a compound condition. Prints the number of points
-- that never escape.
local n = tonumber(arg[1]) or 400
local count = 0
for y = 0, n - 1 do
  local ci = 2.0 * y / n - 1.0
  for x = 0, n - 1 do
    local cr = 2.0 * x / n - 1.5
    local zr = 0.0
    local zi = 0.0
    local k = 0
    while k < 50 and zr * zr + zi * zi <= 4.0 do
      local t = zr * zr - zi * zi + cr
      zi = 2.0 * zr * zi + ci
      zr = t
      k = k + 1
    end
    if k == 50 then
      count = count + 1
    end
  end
end
print(string.format("%d", count))
