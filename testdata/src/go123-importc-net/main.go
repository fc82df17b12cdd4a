// import "C" in user code plus net.LookupHost. Built with
// -tags netgo,osusergo, so net uses the pure Go resolver and cgo is
// present only because of main's own C code.
package main

/*
static int dlcheck_add(int a, int b) { return a + b; }
*/
import "C"

import (
	"net"
	"os"
	"strconv"
)

func main() {
	n := C.dlcheck_add(C.int(40), C.int(2))
	os.Stdout.WriteString("dlcheck_add: " + strconv.Itoa(int(n)) + "\n")
	addrs, err := net.LookupHost("localhost")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	for _, a := range addrs {
		os.Stdout.WriteString(a + "\n")
	}
}
