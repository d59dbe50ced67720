// Nested counted loops: loop overhead plus integer multiply and modulo.
const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 3000;
let total = 0;
for (let i = 0; i < n; i++) {
  for (let j = 0; j < n; j++) {
    total += (i * j) % 7;
  }
}
console.log(total);
