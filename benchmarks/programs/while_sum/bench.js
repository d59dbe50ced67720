// While-loop sum: a condition-tested loop with two mutable variables.
const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 10000000;
let i = 0;
let total = 0;
while (i < n) {
  total += i;
  i += 1;
}
console.log(total);
