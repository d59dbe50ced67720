// String building: append one character at a time with `s = s + "x"`.
// Needs in-place append of a uniquely held string to be linear, not quadratic.
// The loop sits in a function in every language because CPython appends in
// place only to a function's local variable (see benchmarks/README.md).
function build(n) {
  let s = "";
  for (let i = 0; i < n; i++) {
    s = s + "x";
  }
  return s;
}

const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 1000000;
console.log(build(n).length);
