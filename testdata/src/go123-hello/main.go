// Minimal Go hello world (no fmt, to keep the binary small).
package main

import "os"

func main() {
	os.Stdout.WriteString("hello from go 1.23\n")
}
