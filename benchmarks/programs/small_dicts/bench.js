// Small dicts: create a two-entry dict with string keys per iteration and
// read both entries back (allocation plus string-keyed lookup).
const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 1000000;
let total = 0;
for (let i = 0; i < n; i++) {
  const d = { x: i, y: i * 2 };
  total += d["x"] + d["y"];
}
console.log(total);
