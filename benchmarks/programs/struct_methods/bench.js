// Struct method calls: call a method that reads two fields of its receiver
// and takes one argument, n times.
class Point {
  constructor(x, y) {
    this.x = x;
    this.y = y;
  }

  scaled(k) {
    return this.x * k + this.y;
  }
}

const n = process.argv.length > 2 ? parseInt(process.argv[2], 10) : 2000000;
const p = new Point(3, 4);
let total = 0;
for (let i = 0; i < n; i++) {
  total += p.scaled(i % 10);
}
console.log(total);
