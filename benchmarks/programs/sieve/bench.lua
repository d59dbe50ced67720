-- Sieve of Eratosthenes over an array of booleans: indexed stores with a
-- stride, then a counting pass. Prints the number of primes <= n.
-- (Lua arrays are 1-based: the flag for k lives at flags[k + 1].)
local n = tonumber(arg[1]) or 2000000
local flags = {}
for i = 0, n do
  flags[#flags + 1] = true
end
flags[1] = false
flags[2] = false
local p = 2
while p * p <= n do
  if flags[p + 1] then
    for j = p * p, n, p do
      flags[j + 1] = false
    end
  end
  p = p + 1
end
local count = 0
for i = 0, n do
  if flags[i + 1] then
    count = count + 1
  end
end
print(string.format("%d", count))
