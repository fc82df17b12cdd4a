// Minimal Go hello world for Go 1.15 (pre-1.18 build info layout).
package main

import "os"

func main() {
	os.Stdout.WriteString("hello from go 1.15\n")
}
