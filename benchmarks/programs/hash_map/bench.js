// Int-keyed hash map: insert n sparse integer keys, then read them all back.
const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 2000000;
const m = new Map();
for (let i = 0; i < n; i++) {
  m.set(i * 31, i);
}
let total = 0;
for (let i = 0; i < n; i++) {
  total += m.get(i * 31);
}
console.log(total);
