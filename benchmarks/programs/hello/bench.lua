-- Start-up: launch the runtime and print one line.
print("hello")
