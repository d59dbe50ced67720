// Closures and higher-order functions: call a captured-variable closure
// through a function that takes it as an argument, n times.
function makeAdder(k) {
  return function (x) {
    return x + k;
  };
}

function apply(f, x) {
  return f(x);
}

const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 2000000;
const add3 = makeAdder(3);
let total = 0;
for (let i = 0; i < n; i++) {
  total += apply(add3, i);
}
console.log(total);
