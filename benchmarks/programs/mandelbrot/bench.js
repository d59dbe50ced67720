// Mandelbrot set on an n x n grid, 50 iterations: float multiply/add in an
// inner while loop with a compound condition. Prints the number of points
// that never escape.
const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 400;
let count = 0;
for (let y = 0; y < n; y++) {
  const ci = (2.0 * y) / n - 1.0;
  for (let x = 0; x < n; x++) {
    const cr = (2.0 * x) / n - 1.5;
    let zr = 0.0;
    let zi = 0.0;
    let k = 0;
    while (k < 50 && zr * zr + zi * zi <= 4.0) {
      const t = zr * zr - zi * zi + cr;
      zi = 2.0 * zr * zi + ci;
      zr = t;
      k += 1;
    }
    if (k === 50) {
      count += 1;
    }
  }
}
console.log(count);
