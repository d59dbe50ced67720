// Start-up: launch the runtime and print one line.
console.log("hello");
