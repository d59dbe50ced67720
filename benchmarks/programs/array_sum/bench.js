// Array sum: grow an array by appending, then read it back by index.
const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 3000000;
const arr = [];
for (let i = 0; i < n; i++) {
  arr.push(i % 1000);
}
let total = 0;
for (let i = 0; i < n; i++) {
  total += arr[i];
}
console.log(total);
