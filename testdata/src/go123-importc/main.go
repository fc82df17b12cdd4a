// User code with import "C" calling a tiny C function from the preamble.
// Neither net nor os/user is used, so cgo is there only for main.
package main

/*
static int dlcheck_add(int a, int b) { return a + b; }
*/
import "C"

import (
	"os"
	"strconv"
)

func main() {
	n := C.dlcheck_add(C.int(40), C.int(2))
	os.Stdout.WriteString("dlcheck_add: " + strconv.Itoa(int(n)) + "\n")
}
