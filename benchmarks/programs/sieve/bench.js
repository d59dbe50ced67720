// Sieve of Eratosthenes over an array of booleans: indexed stores with a
// stride, then a counting pass. Prints the number of primes <= n.
const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 2000000;
const flags = [];
for (let i = 0; i < n + 1; i++) {
  flags.push(true);
}
flags[0] = false;
flags[1] = false;
let p = 2;
while (p * p <= n) {
  if (flags[p]) {
    for (let j = p * p; j < n + 1; j += p) {
      flags[j] = false;
    }
  }
  p += 1;
}
let count = 0;
for (let i = 0; i < n + 1; i++) {
  if (flags[i]) {
    count += 1;
  }
}
console.log(count);
