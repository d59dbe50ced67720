// Iterative Fibonacci modulo 1,000,000,007: a tight counted loop with
// integer add, modulo and local variable traffic.
const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 6000000;
const M = 1000000007;
let x = 0;
let y = 1;
for (let i = 0; i < n; i++) {
  const t = (x + y) % M;
  x = y;
  y = t;
}
console.log(x);
