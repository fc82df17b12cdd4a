// Uses the net resolver; with CGO_ENABLED=1 the cgo (libc getaddrinfo)
// resolver is linked in, so the binary becomes dynamically linked.
package main

import (
	"net"
	"os"
)

func main() {
	addrs, err := net.LookupHost("localhost")
	if err != nil {
		os.Stderr.WriteString(err.Error() + "\n")
		os.Exit(1)
	}
	for _, a := range addrs {
		os.Stdout.WriteString(a + "\n")
	}
}
